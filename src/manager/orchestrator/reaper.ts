/**
 * Task reaper core (swarmkit's taskreaper): what to delete from the store.
 *
 * - **Removed tasks.** A task with desired REMOVE (scale-down, service deletion) is deleted once the agent has
 *   shut it down (a final state), or at once if it never reached a node (before ASSIGNED) or its node is gone.
 * - **History.** Each slot (per node for global services) keeps at most `limit` tasks: the oldest ones that are
 *   finished (a final state, or never placed and no longer wanted) go first. `limit` is the cluster's
 *   TaskHistoryRetentionLimit (default 5; negative keeps everything), raised to MaxAttempts + 1 when the restart
 *   policy counts attempts, because the restart history is read from these tasks. The newest task of a slot and
 *   the predecessor of a task held at READY are always kept (the restart supervisor reads them). A task bound to
 *   a node that no longer exists counts as finished. Jobs only lose tasks of earlier iterations: the current
 *   iteration's completed tasks are the job's progress.
 */
import { TaskState } from '../../api/task-state.js';
import type { Node, Service, Task } from '../../api/types.js';
import { DEFAULT_TASK_HISTORY_RETENTION } from './defaults.js';
import { isJobMode, modeOf } from './service-mode.js';
import { predecessorOf } from './slots.js';

export function retentionLimit(clusterLimit: number | undefined, service: Service): number {
  const base = clusterLimit ?? DEFAULT_TASK_HISTORY_RETENTION;
  if (base < 0) return -1;
  const max = service.Spec.TaskTemplate.RestartPolicy?.MaxAttempts ?? 0;
  return max > 0 ? Math.max(base, max + 1) : base;
}

/** True when a task with desired REMOVE may be deleted now. */
export function removable(t: Task, nodes: ReadonlyMap<string, Node>): boolean {
  if (t.DesiredState !== 'remove') return false;
  const s = TaskState[t.Status.State];
  if (s >= TaskState.complete || s < TaskState.assigned) return true;
  return t.NodeID === undefined || t.NodeID === '' || !nodes.has(t.NodeID);
}

function finished(t: Task, nodes: ReadonlyMap<string, Node>): boolean {
  const s = TaskState[t.Status.State];
  if (s > TaskState.running) return true;
  if (TaskState[t.DesiredState] <= TaskState.complete) return false;
  return s < TaskState.assigned || t.NodeID === undefined || t.NodeID === '' || !nodes.has(t.NodeID);
}

/**
 * The tasks of one slot (creation order) to delete so that at most `limit` remain. Tasks with desired REMOVE
 * are not history: `removable` decides those.
 */
export function trimSlot(
  slot: readonly Task[],
  limit: number,
  service: Service | undefined,
  nodes: ReadonlyMap<string, Node> = new Map(),
): string[] {
  if (limit < 0 || service === undefined) return [];
  const mode = modeOf(service);
  if (mode === undefined) return [];
  const iteration = isJobMode(mode) ? (service.JobStatus?.JobIteration.Index ?? -1) : undefined;
  const mayGo = (t: Task): boolean => finished(t, nodes) && (iteration === undefined || t.JobIteration?.Index !== iteration);
  const history = slot.filter((t) => t.DesiredState !== 'remove');
  if (history.length <= limit) return [];
  const keep = new Set<string>();
  const newest = history[history.length - 1];
  if (newest !== undefined) keep.add(newest.ID);
  for (const t of history) {
    if (t.DesiredState !== 'ready') continue;
    const prev = predecessorOf(slot, t);
    if (prev !== undefined) keep.add(prev.ID);
  }
  const out: string[] = [];
  let left = history.length;
  for (const t of history) {
    if (left <= limit) break;
    if (keep.has(t.ID) || !mayGo(t)) continue;
    out.push(t.ID);
    left--;
  }
  return out;
}
