/**
 * Restart supervisor core (swarmkit's restart.Supervisor, made pure and level-triggered).
 *
 * For one service and its tasks it decides:
 * - **Replacement.** A live task that ended (failed, rejected, exited, or shut down without being asked; a job
 *   task that completed is done, not ended), or whose node is gone, down or drained, gets desired SHUTDOWN. If
 *   no other live task carries its slot and the restart policy allows (`shouldRestart`), a replacement is made
 *   from the service's current template, in the same slot (on the same node for global services), with desired
 *   READY. Global tasks on unusable nodes are left to the global and jobs orchestrators, which shut them down.
 * - **The READY gate.** A task held at READY is released (desired RUNNING, COMPLETE for jobs) once every task it
 *   follows in its slot that was asked to stop has stopped (or its node is down or gone, or it never reached a
 *   node), and its restart delay has passed (`releaseTime`). This one rule serves both the restart delay and
 *   stop-first updates, whose new task is created at READY next to the old one being shut down.
 *
 * Returns the plan and the earliest time a held task becomes releasable, so the component can wake up then.
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { newTask } from './new-task.js';
import { TaskPlan } from './plan.js';
import { releaseTime, shouldRestart } from './restart-policy.js';
import { isJobMode, isPerNodeMode, modeOf } from './service-mode.js';
import { groupSlots, nextCreatedAt } from './slots.js';
import { hasEnded, isLive, nodeInvalid, occupiesNode, stateOrder } from './task-facts.js';

export interface RestartContext {
  now: number;
  random: Random;
  nodes: ReadonlyMap<string, Node>;
}

export interface CoreResult {
  plan: TaskPlan;
  /** The earliest time this service wants to be looked at again without any event. */
  wakeAt: number | undefined;
}

type Trouble = 'ended' | 'node';

function troubleOf(t: Task, job: boolean, nodes: ReadonlyMap<string, Node>): Trouble | undefined {
  if (!isLive(t)) return undefined;
  if (hasEnded(t)) {
    if (job && t.Status.State === 'complete') return undefined; // a job task that did its work
    return 'ended';
  }
  if (t.NodeID !== undefined && t.NodeID !== '' && nodeInvalid(nodes.get(t.NodeID))) return 'node';
  return undefined;
}

export function superviseRestarts(service: Service, tasks: readonly Task[], ctx: RestartContext): CoreResult {
  const plan = new TaskPlan(ctx.now);
  const mode = modeOf(service);
  if (mode === undefined) return { plan, wakeAt: undefined };
  const job = isJobMode(mode);
  const perNode = isPerNodeMode(mode);
  const iteration = service.JobStatus?.JobIteration.Index;
  let wakeAt: number | undefined;

  for (const slot of groupSlots(mode, tasks).values()) {
    // Jobs: tasks of an earlier iteration belong to the jobs orchestrator, which shuts them down.
    const mine = job ? slot.filter((t) => t.JobIteration?.Index === iteration) : slot;
    const live = mine.filter(isLive);
    const carried = live.filter((t) => troubleOf(t, job, ctx.nodes) === undefined);
    for (const t of live) {
      const trouble = troubleOf(t, job, ctx.nodes);
      if (trouble === undefined) continue;
      const node = t.NodeID === undefined ? undefined : ctx.nodes.get(t.NodeID);
      if (perNode && nodeInvalid(node)) continue; // the node's orchestrator shuts it down
      plan.setDesired(t, 'shutdown');
      if (carried.length > 0) continue;
      if (!shouldRestart(t, slot, ctx.now, job)) continue;
      const o = {
        desired: 'ready' as const,
        createdAt: nextCreatedAt(slot, ctx.now),
        random: ctx.random,
        ...(perNode ? { nodeId: t.NodeID ?? '' } : t.Slot !== undefined ? { slot: t.Slot } : {}),
        ...(t.JobIteration !== undefined ? { jobIteration: t.JobIteration } : {}),
      };
      const replacement = plan.create(newTask(service, o));
      carried.push(replacement);
      const at = releaseTime([...slot, replacement], replacement, ctx.nodes);
      if (at > ctx.now) wakeAt = Math.min(wakeAt ?? at, at);
    }

    for (const t of live) {
      const now = plan.current(t);
      if (now.DesiredState !== 'ready' || hasEnded(now)) continue;
      const waiting = slot.some(
        (o) => o.ID !== t.ID && stateOrder(plan.current(o).DesiredState) > stateOrder('complete') && occupiesNode(o, ctx.nodes),
      );
      if (waiting) continue; // the stop it waits for arrives as an event
      const at = releaseTime(slot, t, ctx.nodes);
      if (at <= ctx.now) plan.setDesired(t, job ? 'complete' : 'running');
      else wakeAt = Math.min(wakeAt ?? at, at);
    }
  }
  return { plan, wakeAt };
}
