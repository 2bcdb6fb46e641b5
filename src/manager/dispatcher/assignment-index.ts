/**
 * The tasks each node must know about, fed from the store's watch, and the per-node subscriptions behind the
 * assignments streams. A task is assigned to a node while its NodeID names the node and `Status.State ≥ assigned`,
 * until it is deleted.
 */
import { TaskState } from '../../api/task-state.js';
import type { Task } from '../../api/types.js';
import type { AssignmentChange } from '../../rpc/index.js';
import { Notifier } from '../../lib/notifier.js';
import { sameForAgent } from './same-for-agent.js';

export interface Subscription {
  /** The node's tasks when it subscribed: the `complete` set. */
  readonly initial: Task[];
  /**
   * The changes since the last call (at most one per task, the latest), waiting until there are some or the
   * index is poked (then possibly none). Resolves with undefined once `signal` aborts.
   */
  next(signal: AbortSignal): Promise<AssignmentChange[] | undefined>;
  close(): void;
}

const assigned = (t: Task): t is Task & { NodeID: string } =>
  t.NodeID !== undefined && t.NodeID !== '' && TaskState[t.Status.State] >= TaskState.assigned;

class Subscriber {
  readonly pending = new Map<string, AssignmentChange>();
  readonly wake = new Notifier();
  poked = false;
}

export class AssignmentIndex {
  private readonly byNode = new Map<string, Map<string, Task>>();
  /** taskId → nodeId for every task in `byNode`. */
  private readonly nodeOf = new Map<string, string>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();

  /** Fills the index from a list of tasks (before any subscriber exists). */
  load(tasks: readonly Task[]): void {
    for (const t of tasks) if (assigned(t)) this.put(t.NodeID, t);
  }

  /** One store event on a task. Replayed events older than what the index holds are ignored. */
  apply(action: 'create' | 'update' | 'remove', task: Task): void {
    const prevNode = this.nodeOf.get(task.ID);
    const prev = prevNode === undefined ? undefined : this.byNode.get(prevNode)?.get(task.ID);
    if (action === 'remove' || !assigned(task)) {
      if (prev === undefined || prevNode === undefined) return;
      if (action !== 'remove' && prev.Version.Index >= task.Version.Index) return;
      this.drop(prevNode, task.ID);
      this.emit(prevNode, { action: 'remove', task });
      return;
    }
    if (prev !== undefined && prev.Version.Index >= task.Version.Index) return;
    if (prev !== undefined && prevNode !== undefined && prevNode !== task.NodeID) {
      this.drop(prevNode, task.ID);
      this.emit(prevNode, { action: 'remove', task: prev });
    }
    this.put(task.NodeID, task);
    const unchanged =
      prev !== undefined &&
      prevNode === task.NodeID &&
      TaskState[task.Status.State] > TaskState.assigned &&
      sameForAgent(prev, task);
    if (!unchanged) this.emit(task.NodeID, { action: 'update', task });
  }

  /** The node's tasks now, in ID order. */
  tasksOf(nodeId: string): Task[] {
    return [...(this.byNode.get(nodeId)?.values() ?? [])].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  }

  subscribe(nodeId: string): Subscription {
    const sub = new Subscriber();
    let set = this.subscribers.get(nodeId);
    if (set === undefined) this.subscribers.set(nodeId, (set = new Set()));
    set.add(sub);
    const close = (): void => {
      set.delete(sub);
      if (set.size === 0 && this.subscribers.get(nodeId) === set) this.subscribers.delete(nodeId);
      sub.wake.notify();
    };
    return {
      initial: this.tasksOf(nodeId),
      async next(signal) {
        while (sub.pending.size === 0 && !sub.poked) {
          if (signal.aborted) return undefined;
          await sub.wake.wait(signal);
        }
        if (signal.aborted) return undefined;
        sub.poked = false;
        const changes = [...sub.pending.values()];
        sub.pending.clear();
        return changes;
      },
      close,
    };
  }

  /** Wakes every subscriber (something besides their tasks changed: the network views). */
  poke(): void {
    for (const set of this.subscribers.values()) {
      for (const sub of set) {
        sub.poked = true;
        sub.wake.notify();
      }
    }
  }

  private put(nodeId: string, task: Task): void {
    let tasks = this.byNode.get(nodeId);
    if (tasks === undefined) this.byNode.set(nodeId, (tasks = new Map<string, Task>()));
    tasks.set(task.ID, task);
    this.nodeOf.set(task.ID, nodeId);
  }

  private drop(nodeId: string, taskId: string): void {
    const tasks = this.byNode.get(nodeId);
    tasks?.delete(taskId);
    if (tasks?.size === 0) this.byNode.delete(nodeId);
    this.nodeOf.delete(taskId);
  }

  private emit(nodeId: string, change: AssignmentChange): void {
    for (const sub of this.subscribers.get(nodeId) ?? []) {
      sub.pending.set(change.task.ID, change);
      sub.wake.notify();
    }
  }
}
