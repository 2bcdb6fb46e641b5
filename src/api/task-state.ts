/**
 * Task states only move forward (DESIGN §1). The numbers follow swarmkit's enum: spaced 64 apart so that
 * "greater means later" and states can be inserted between. The lowercase names are what the API returns and
 * what the docker CLI's progress loop matches on.
 */
export const TaskState = {
  new: 0,
  pending: 64,
  assigned: 192,
  accepted: 256,
  preparing: 320,
  ready: 384,
  starting: 448,
  running: 512,
  complete: 576,
  shutdown: 640,
  failed: 704,
  rejected: 768,
  remove: 800,
  orphaned: 832,
} as const;

export type TaskStateName = keyof typeof TaskState;

/** swarmkit also has "allocated" (128) between pending and assigned; the API shows it, so keep it known. */
export const ALL_TASK_STATES: readonly TaskStateName[] = Object.keys(TaskState) as TaskStateName[];

export function taskStateOrder(s: TaskStateName): number {
  return TaskState[s];
}

export function isTaskState(s: string): s is TaskStateName {
  return Object.hasOwn(TaskState, s);
}

/** True when `to` is a legal successor of `from`: states never move backwards. */
export function canTransition(from: TaskStateName, to: TaskStateName): boolean {
  return TaskState[to] > TaskState[from];
}

/** Terminal states: the task will never run again (complete, shutdown, failed, rejected, and beyond). */
export function isTerminal(s: TaskStateName): boolean {
  return TaskState[s] >= TaskState.complete;
}
