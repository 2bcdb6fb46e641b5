/**
 * Update supervisor core (swarmkit's update.Updater, made pure and level-triggered: everything it needs is read
 * from the service and its tasks, plus two observations the caller keeps, so it can stop and resume anywhere).
 *
 * For a replicated or global service:
 * 1. **Up to date.** A live task made from the current task template (`isTaskDirty` false) whose SpecVersion is
 *    older is re-stamped with the service's SpecVersion, so `_up-to-date` (which compares SpecVersions) counts
 *    tasks that a scale or a rollback left untouched.
 * 2. **Start.** Dirty slots (no live up-to-date task) with no UpdateStatus start an update: `updating`, "update in
 *    progress", StartedAt = now. A scale alone makes no dirty slot, hence no UpdateStatus. A manual rollback
 *    (controlapi: `rollback_started`, specs swapped) is driven the same way with RollbackConfig.
 *    `paused` and `rollback_paused` stop everything but step 1.
 * 3. **Failures.** Up-to-date tasks created since StartedAt that ended by themselves (failed, rejected, exited)
 *    count, if they never ran or ended within `Monitor` of reaching RUNNING. Unless the action is `continue`,
 *    once failures / slots > MaxFailureRatio: `pause` → `paused` "update paused due to failure or early
 *    termination of task <id>"; `rollback` → Spec = PreviousSpec, SpecVersion bumped, `rollback_started` "update
 *    rolled back due to failure or early termination of task <id>". A failing rollback pauses
 *    (`rollback_paused`, "rollback paused due to ...").
 * 4. **Slots.** A slot is in flight while its up-to-date task has not reached RUNNING (unless it failed and the
 *    restart supervisor is retrying it), or while any other task of the slot still occupies a node. With start-first, an old task is shut down once the new one runs. At most
 *    `Parallelism` slots (0 = all) are in flight or cooling down (`Delay` after their new task started); free
 *    workers take the next dirty slots in slot (or node ID) order: stop-first shuts the old task and creates the
 *    new one at READY (the restart supervisor releases it once the old one stopped); start-first creates it at
 *    RUNNING next to the old one.
 * 5. **Done.** No dirty slot and none in flight: after `Monitor` since the last new task reached RUNNING, the
 *    status becomes `completed` "update completed" (or `rollback_completed` "rollback completed"), CompletedAt.
 *
 * Global services only update slots on nodes that are ready, active and suit the placement (the others are the
 * global orchestrator's). Jobs are not updated: a new spec is a new iteration (jobs.ts).
 */
import type { Node, Service, Task, UpdateStatus } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import type { EffectiveUpdateConfig } from './defaults.js';
import { rolloutConfigOf } from './defaults.js';
import type { UpdateObservations } from './rollout-failures.js';
import { countFailures, failureAction, lastFailure, writeStatus } from './rollout-failures.js';
import { newTask } from './new-task.js';
import { placementCheck } from './placement.js';
import { TaskPlan } from './plan.js';
import type { ModeKind } from './service-mode.js';
import { modeOf } from './service-mode.js';
import { isRestartOf } from './restart-policy.js';
import { groupSlots, nextCreatedAt, predecessorOf } from './slots.js';
import { createdMs, endedByItself, isLive, isTaskDirty, nodeInvalid, nodeTakesNewTasks, occupiesNode, parseTime } from './task-facts.js';

export interface UpdateContext {
  now: number;
  random: Random;
  nodes: ReadonlyMap<string, Node>;
}


export type { UpdateObservations } from './rollout-failures.js';
export { NO_OBSERVATIONS } from './rollout-failures.js';

export interface UpdateResult {
  plan: TaskPlan;
  wakeAt: number | undefined;
  /** The failures counted for the current rollout (to pass back in `counted`). */
  failures: Set<string>;
  /** The rollout the failures were counted for (`rolloutKeyOf` its status); another key means a fresh count. */
  rolloutKey: string | undefined;
}

export function rolloutKeyOf(status: UpdateStatus | undefined): string | undefined {
  return status?.State === undefined ? undefined : `${status.State}@${status.StartedAt ?? ''}`;
}

const ACTIVE = new Set(['updating', 'rollback_started']);

interface SlotView {
  key: string;
  order: number | string;
  nodeId: string | undefined;
  slot: number | undefined;
  all: Task[];
  fresh: Task[];
  old: Task[];
}

export function superviseUpdate(service: Service, tasks: readonly Task[], ctx: UpdateContext, obs: UpdateObservations): UpdateResult {
  const plan = new TaskPlan(ctx.now);
  let countedFor = rolloutKeyOf(service.UpdateStatus);
  const result = (wakeAt?: number, failures = new Set<string>()): UpdateResult => ({ plan, wakeAt, failures, rolloutKey: countedFor });
  const mode = modeOf(service);
  if (mode !== 'replicated' && mode !== 'global') return result();

  // 1. Re-stamp live tasks that are up to date in content.
  const specVersion = service.SpecVersion;
  for (const t of tasks) {
    if (specVersion === undefined || !isLive(t) || t.SpecVersion?.Index === specVersion.Index) continue;
    if (!isTaskDirty(service, t)) plan.modify(t, (c) => void (c.SpecVersion = { Index: specVersion.Index }));
  }

  const state = service.UpdateStatus?.State;
  if (state === 'paused' || state === 'rollback_paused') return result();

  const slots = slotViews(mode, service, tasks, ctx.nodes);
  const dirty = slots.filter((s) => s.fresh.length === 0 && s.old.length > 0);

  // 2. Start (or adopt) a rollout.
  let status = service.UpdateStatus;
  if (status?.State === undefined) {
    if (dirty.length === 0) return result();
    status = { State: 'updating', StartedAt: rfc3339Nano(ctx.now), Message: 'update in progress' };
    writeStatus(plan, service, status);
  } else if (ACTIVE.has(status.State) && parseTime(status.StartedAt) === undefined) {
    status = { ...status, StartedAt: rfc3339Nano(ctx.now) };
    writeStatus(plan, service, status);
  }
  countedFor = rolloutKeyOf(status);
  const active = ACTIVE.has(status.State ?? '');
  const rollingBack = status.State === 'rollback_started';
  const startedMs = parseTime(status.StartedAt) ?? ctx.now;
  const cfg = rolloutConfigOf({ ...service, UpdateStatus: status });
  const ofRollout = (t: Task): boolean => !isTaskDirty(service, t) && createdMs(t) >= startedMs;

  // 3. Failures.
  let failures = new Set<string>();
  if (active) {
    failures = countFailures(tasks, ofRollout, cfg, obs);
    const denominator = Math.max(1, slots.length);
    if (cfg.failureAction !== 'continue' && failures.size / denominator > cfg.maxFailureRatio) {
      const culprit = lastFailure(tasks, failures);
      failureAction(plan, service, status, cfg, rollingBack, culprit);
      return result(undefined, failures);
    }
  }

  // 4. Slots in flight, cooling down, and new ones.
  let busy = 0;
  let inFlight = 0;
  let wakeAt: number | undefined;
  const wake = (at: number): void => {
    if (at > ctx.now) wakeAt = Math.min(wakeAt ?? at, at);
  };
  for (const s of slots) {
    if (s.fresh.length === 0) continue;
    const running = s.fresh.find((t) => t.Status.State === 'running');
    if (running !== undefined) for (const t of s.old) plan.setDesired(t, 'shutdown');
    const others = s.all.filter((t) => t.ID !== running?.ID && occupiesNode(t, ctx.nodes));
    if (others.length > 0 || (running === undefined && !retrying(service, s))) {
      inFlight++;
      busy++;
      continue;
    }
    if (running === undefined) continue;
    if (cfg.delayMs > 0 && ofRollout(running)) {
      const until = runningSince(running, obs) + cfg.delayMs;
      if (until > ctx.now) {
        busy++;
        wake(until);
      }
    }
  }
  let capacity = cfg.parallelism === 0 ? Number.POSITIVE_INFINITY : cfg.parallelism - busy;
  for (const s of dirty) {
    if (capacity <= 0) break;
    capacity--;
    startSlot(plan, service, s, cfg, ctx);
  }

  // 5. Done.
  if (active && dirty.length === 0 && inFlight === 0) {
    let last: number | undefined;
    for (const s of slots) {
      for (const t of s.fresh) if (ofRollout(t) && t.Status.State === 'running') last = Math.max(last ?? 0, runningSince(t, obs));
    }
    const doneAt = last === undefined ? ctx.now : last + cfg.monitorMs;
    if (doneAt <= ctx.now) {
      writeStatus(plan, service, {
        ...status,
        State: rollingBack ? 'rollback_completed' : 'completed',
        CompletedAt: rfc3339Nano(ctx.now),
        Message: rollingBack ? 'rollback completed' : 'update completed',
      });
    } else wake(doneAt);
  }
  return result(wakeAt, failures);
}

function slotViews(mode: ModeKind, service: Service, tasks: readonly Task[], nodes: ReadonlyMap<string, Node>): SlotView[] {
  const suits = mode === 'global' ? placementCheck(service) : undefined;
  const views: SlotView[] = [];
  for (const [key, all] of groupSlots(mode, tasks)) {
    const live = all.filter(isLive);
    if (live.length === 0) continue;
    const first = all[0];
    const nodeId = mode === 'global' ? first?.NodeID : undefined;
    if (suits !== undefined) {
      const node = nodeId === undefined ? undefined : nodes.get(nodeId);
      if (node === undefined || nodeInvalid(node) || !nodeTakesNewTasks(node) || !suits(node)) continue;
    }
    const slot = mode === 'replicated' ? first?.Slot : undefined;
    if (mode === 'replicated' && (slot === undefined || slot < 1)) continue;
    views.push({
      key,
      order: slot ?? nodeId ?? '',
      nodeId,
      slot,
      all,
      fresh: live.filter((t) => !isTaskDirty(service, t)),
      old: live.filter((t) => isTaskDirty(service, t)),
    });
  }
  return views.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}

/**
 * The slot's new task failed and the restart supervisor is retrying it: as in swarmkit, whose update worker waits
 * only for the task it created, the slot no longer holds a worker (with `continue`, the update goes on).
 */
function retrying(service: Service, s: SlotView): boolean {
  const newest = s.fresh[s.fresh.length - 1];
  if (newest === undefined) return false;
  const prev = predecessorOf(s.all, newest);
  return prev !== undefined && endedByItself(prev) && !isTaskDirty(service, prev) && isRestartOf(newest, prev);
}

function runningSince(t: Task, obs: UpdateObservations): number {
  return obs.runningSince.get(t.ID) ?? parseTime(t.Status.Timestamp) ?? createdMs(t);
}

function startSlot(plan: TaskPlan, service: Service, s: SlotView, cfg: EffectiveUpdateConfig, ctx: UpdateContext): void {
  const stopFirst = cfg.order === 'stop-first';
  if (stopFirst) for (const t of s.old) plan.setDesired(t, 'shutdown');
  const where = s.nodeId !== undefined ? { nodeId: s.nodeId } : s.slot !== undefined ? { slot: s.slot } : {};
  plan.create(
    newTask(service, {
      ...where,
      desired: stopFirst ? 'ready' : 'running',
      createdAt: nextCreatedAt(s.all, ctx.now),
      random: ctx.random,
    }),
  );
}
