/** Which task status reports the dispatcher writes (pure). */
import { TaskState, canTransition, type TaskStateName } from '../../api/task-state.js';
import type { TaskStatus } from '../../api/types.js';

/** The states an agent may report: from accepted to its final state (never new..assigned, remove, orphaned). */
export function isAgentState(s: TaskStateName): boolean {
  return TaskState[s] >= TaskState.accepted && TaskState[s] <= TaskState.rejected;
}

/**
 * True when `next` should replace `current`: a later state, or the same state reported again with new details
 * and a timestamp no older. Never backwards, and never for a task the scheduler has not assigned yet.
 */
export function supersedes(current: TaskStatus, next: TaskStatus): boolean {
  if (TaskState[current.State] < TaskState.assigned) return false;
  if (canTransition(current.State, next.State)) return true;
  if (current.State !== next.State) return false;
  if (Date.parse(next.Timestamp) < Date.parse(current.Timestamp)) return false;
  return JSON.stringify(next) !== JSON.stringify(current);
}

/** Between two reports for one task not yet written, the one to keep. */
export function later(a: TaskStatus, b: TaskStatus): TaskStatus {
  if (TaskState[b.State] !== TaskState[a.State]) return TaskState[b.State] > TaskState[a.State] ? b : a;
  return Date.parse(b.Timestamp) >= Date.parse(a.Timestamp) ? b : a;
}
