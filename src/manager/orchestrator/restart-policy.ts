/**
 * The restart policy, decided from the task history in the store (swarmkit's restart supervisor keeps it in
 * memory and forgets it on leader change; Shoal must not).
 *
 * A task is a *restart* of its predecessor in the slot when both were made from the same task spec (and job
 * iteration) and the predecessor was not removed by a scale-down. An update, a rollback or `--force` changes
 * the spec, so it starts a new chain: swarmkit likewise resets a slot's history when the spec version changes.
 * The restarts counted against `MaxAttempts` are the chain's restarts up to the task being judged, those
 * created within `Window` when a window is set; their times are the replacements' CreatedAt. The task reaper
 * keeps at least MaxAttempts + 1 tasks per slot, so the chain is always long enough to decide.
 */
import type { Node, Task } from '../../api/types.js';
import { DEFAULT_RESTART_DELAY_MS, nsToMs } from './defaults.js';
import { specEqual } from './spec-equal.js';
import { predecessorOf } from './slots.js';
import { createdMs, endedByItself, hasEnded, isLive, parseTime } from './task-facts.js';

export type RestartCondition = 'none' | 'on-failure' | 'any';

/** The task's condition; jobs default to on-failure (a finished job task is not run again), services to any. */
export function restartCondition(t: Task, job: boolean): RestartCondition {
  return t.Spec.RestartPolicy?.Condition ?? (job ? 'on-failure' : 'any');
}

/** Whether the condition alone allows replacing `t` (on-failure refuses a task that completed). */
export function conditionAllows(t: Task, job: boolean): boolean {
  switch (restartCondition(t, job)) {
    case 'none':
      return false;
    case 'on-failure':
      return t.Status.State !== 'complete';
    case 'any':
      return true;
  }
}

export function isRestartOf(next: Task, prev: Task): boolean {
  return (
    prev.DesiredState !== 'remove' &&
    (prev.JobIteration?.Index ?? -1) === (next.JobIteration?.Index ?? -1) &&
    specEqual(prev.Spec, next.Spec)
  );
}

/** Creation times of the restarts in the chain that ends at `t` (`slot` in creation order). */
export function restartTimes(slot: readonly Task[], t: Task): number[] {
  let i = slot.findIndex((x) => x.ID === t.ID);
  const times: number[] = [];
  while (i > 0) {
    const cur = slot[i];
    const prev = slot[i - 1];
    if (cur === undefined || prev === undefined || !isRestartOf(cur, prev)) break;
    times.push(createdMs(cur));
    i--;
  }
  return times;
}

/** swarmkit's shouldRestart, with the history read from the slot. */
export function shouldRestart(t: Task, slot: readonly Task[], now: number, job: boolean): boolean {
  if (!conditionAllows(t, job)) return false;
  const policy = t.Spec.RestartPolicy;
  const max = policy?.MaxAttempts ?? 0;
  if (max <= 0) return true;
  const windowMs = nsToMs(policy?.Window) ?? 0;
  const times = restartTimes(slot, t);
  const counted = windowMs > 0 ? times.filter((at) => at > now - windowMs) : times;
  return counted.length < max;
}

/** The delay before a replacement may start, from its own spec (default 5 s). */
export function restartDelayMs(t: Task): number {
  return Math.max(0, nsToMs(t.Spec.RestartPolicy?.Delay) ?? DEFAULT_RESTART_DELAY_MS);
}

/**
 * When a task held at READY may be released, given its slot. A restart waits its restart delay (none when the
 * task it replaces sat on a drained node, as in swarmkit, or was still live when its node went down, unlike it), counted from when that task ended as swarmkit counts
 * it from the restart: the ended task's status time, or the replacement's creation if that is earlier (clock
 * skew) or the old task never reported an end (its node went down). Anything else (an update's stop-first task)
 * has no delay: it may go as soon as its predecessors have stopped, which the caller checks.
 */
export function releaseTime(slot: readonly Task[], t: Task, nodes: ReadonlyMap<string, Node>): number {
  const prev = predecessorOf(slot, t);
  if (prev === undefined || !isRestartOf(t, prev)) return Number.NEGATIVE_INFINITY;
  const prevNode = prev.NodeID === undefined ? undefined : nodes.get(prev.NodeID);
  if (prevNode?.Spec.Availability === 'drain') return Number.NEGATIVE_INFINITY;
  const ended = hasEnded(prev) ? parseTime(prev.Status.Timestamp) : undefined;
  // Its node went down while the task was still live: the node failed, not the task, so there is no crash loop to
  // slow down. Unlike swarmkit (which waits the delay here too), the replacement starts at once.
  if (ended === undefined && prevNode?.Status.State === 'down') return Number.NEGATIVE_INFINITY;
  const created = createdMs(t);
  return Math.min(created, ended ?? created) + restartDelayMs(t);
}

/**
 * A slot the restart policy gave up on: no live task, and its newest task ended by itself, was shut down without
 * a replacement, and may not be restarted (condition, or MaxAttempts spent regardless of the window, so that
 * time passing does not revive it). The orchestrators leave such a slot empty until the task template changes
 * (`service update --force` revives it), as swarm leaves it until the service is updated.
 */
export function slotGaveUp(slot: readonly Task[], job: boolean, stillCurrent: (t: Task) => boolean): boolean {
  const newest = slot[slot.length - 1];
  if (newest === undefined || slot.some(isLive)) return false;
  if (newest.DesiredState !== 'shutdown' || !endedByItself(newest)) return false;
  if (job && newest.Status.State === 'complete') return false;
  if (!stillCurrent(newest)) return false;
  if (!conditionAllows(newest, job)) return true;
  const max = newest.Spec.RestartPolicy?.MaxAttempts ?? 0;
  return max > 0 && restartTimes(slot, newest).length >= max;
}
