/**
 * What a core decided, as writes for one transaction: tasks to create, modified copies of tasks (each carrying
 * the version it was read at, so the store refuses it if someone moved first), task deletions, and at most one
 * service write. Desired states only move forward here: asking for an earlier one is a no-op.
 */
import { TaskState } from '../../api/task-state.js';
import type { TaskStateName } from '../../api/task-state.js';
import type { Service, Task } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';

export class TaskPlan {
  readonly creates: Task[] = [];
  readonly deletes = new Set<string>();
  service: Service | undefined;
  private readonly modified = new Map<string, Task>();

  constructor(readonly now: number) {}

  get updates(): Task[] {
    return [...this.modified.values()];
  }

  get size(): number {
    return this.creates.length + this.modified.size + this.deletes.size + (this.service === undefined ? 0 : 1);
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  create(task: Task): Task {
    this.creates.push(task);
    return task;
  }

  /** The task as this plan leaves it (a planned modification, else the input). */
  current(task: Task): Task {
    return this.modified.get(task.ID) ?? task;
  }

  modify(task: Task, change: (copy: Task) => void): Task {
    const copy = structuredClone(this.current(task));
    change(copy);
    copy.UpdatedAt = rfc3339Nano(this.now);
    this.modified.set(copy.ID, copy);
    return copy;
  }

  /** Moves the desired state forward; returns false (and plans nothing) when it is already there or beyond. */
  setDesired(task: Task, state: TaskStateName): boolean {
    if (TaskState[this.current(task).DesiredState] >= TaskState[state]) return false;
    this.modify(task, (t) => {
      t.DesiredState = state;
    });
    return true;
  }

  delete(id: string): void {
    this.deletes.add(id);
  }

  setService(service: Service): void {
    this.service = service;
  }
}
