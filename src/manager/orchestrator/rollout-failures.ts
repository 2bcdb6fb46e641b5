/**
 * The update supervisor's failure rules (swarmkit's updater `failureTriggersAction`, `pauseUpdate`,
 * `rollbackUpdate`): which failed tasks count against a rollout, and what the FailureAction writes.
 */
import type { Service, Task, UpdateStatus } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { EffectiveUpdateConfig } from './defaults.js';
import type { TaskPlan } from './plan.js';
import { createdMs, endedByItself, parseTime } from './task-facts.js';

/** What the caller has seen happen, which the store does not keep. */
export interface UpdateObservations {
  /** When tasks reached RUNNING (their status timestamp then), for tasks that have since moved on. */
  runningSince: ReadonlyMap<string, number>;
  /** Failures already counted for this service's current rollout. */
  counted: ReadonlySet<string>;
  /** Since when the caller has been watching: a task that ended after it and was never seen RUNNING never ran. */
  watchingSince: number;
}

export const NO_OBSERVATIONS: UpdateObservations = { runningSince: new Map(), counted: new Set(), watchingSince: 0 };

export function countFailures(
  tasks: readonly Task[],
  ofRollout: (t: Task) => boolean,
  cfg: EffectiveUpdateConfig,
  obs: UpdateObservations,
): Set<string> {
  const out = new Set(obs.counted);
  for (const t of tasks) {
    if (out.has(t.ID) || !ofRollout(t) || !endedByItself(t)) continue;
    if (withinMonitor(t, cfg, obs)) out.add(t.ID);
  }
  return out;
}

/** swarmkit counts a failure of a task that never ran, or that ran for at most Monitor. */
function withinMonitor(t: Task, cfg: EffectiveUpdateConfig, obs: UpdateObservations): boolean {
  if (t.Status.State === 'rejected') return true;
  const ended = parseTime(t.Status.Timestamp) ?? createdMs(t);
  const ran = obs.runningSince.get(t.ID);
  if (ran !== undefined) return ended - ran <= cfg.monitorMs;
  if (ended >= obs.watchingSince) return true; // watched all along and never saw it run
  return ended - createdMs(t) <= cfg.monitorMs; // ended before we watched: its run was at most this long
}

export function lastFailure(tasks: readonly Task[], failures: ReadonlySet<string>): string {
  let best: { id: string; at: number } | undefined;
  for (const t of tasks) {
    if (!failures.has(t.ID)) continue;
    const at = parseTime(t.Status.Timestamp) ?? 0;
    if (best === undefined || at > best.at || (at === best.at && t.ID > best.id)) best = { id: t.ID, at };
  }
  return best?.id ?? [...failures].sort().at(-1) ?? '';
}

export function writeStatus(plan: TaskPlan, service: Service, status: UpdateStatus): void {
  const base = plan.service ?? service;
  plan.setService({ ...base, UpdateStatus: status, UpdatedAt: rfc3339Nano(plan.now) });
}

export function failureAction(
  plan: TaskPlan,
  service: Service,
  status: UpdateStatus,
  cfg: EffectiveUpdateConfig,
  rollingBack: boolean,
  culprit: string,
): void {
  if (rollingBack) {
    writeStatus(plan, service, {
      ...status,
      State: 'rollback_paused',
      Message: `rollback paused due to failure or early termination of task ${culprit}`,
    });
    return;
  }
  if (cfg.failureAction === 'rollback' && service.PreviousSpec !== undefined) {
    const bumped = Math.max((service.SpecVersion?.Index ?? 0) + 1, service.Version.Index);
    const next: Service = {
      ...service,
      Spec: structuredClone(service.PreviousSpec),
      SpecVersion: { Index: bumped },
      UpdateStatus: {
        ...status,
        State: 'rollback_started',
        Message: `update rolled back due to failure or early termination of task ${culprit}`,
      },
      UpdatedAt: rfc3339Nano(plan.now),
    };
    delete next.PreviousSpec;
    plan.setService(next);
    return;
  }
  writeStatus(plan, service, {
    ...status,
    State: 'paused',
    Message: `update paused due to failure or early termination of task ${culprit}`,
  });
}
