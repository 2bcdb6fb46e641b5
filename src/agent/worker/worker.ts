/**
 * The worker (swarmkit's agent/worker.go): keeps the node's assigned tasks, one task manager per task, and reports
 * their status. See index.ts for the module's contract.
 */
import { TaskState } from '../../api/task-state.js';
import type { TaskStatus } from '../../api/types.js';
import type { NodeNetworkView } from '../../api/network-view.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { AgentTask, Executor } from '../exec/controller.js';
import { CoalescingReporter } from './reporter.js';
import { TaskManager } from './task-manager.js';
import { TaskStore, isValidTaskId, type TaskRecord } from './task-store.js';
import type { AssignmentMessage, StatusReporter } from './types.js';

export interface WorkerOptions {
  executor: Executor;
  reporter: StatusReporter;
  /** `<data-root>/worker`: the task records live here. */
  storeDir: string;
  clock: Clock;
  logger: Logger;
  /** Backoff of failed status reports (ms). */
  reportBackoff?: { minMs: number; maxMs: number };
  /** Takes the node's network views (`{type: 'networks'}` messages); they are dropped without one. */
  networks?: (view: NodeNetworkView) => void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Worker {
  private readonly store: TaskStore;
  private readonly records = new Map<string, TaskRecord>();
  /** Records read from disk at construction, whose status is re-sent when the worker runs. */
  private readonly loaded = new Set<string>();
  private readonly managers = new Map<string, TaskManager>();
  /** Tasks dropped from the assignments before `run`: their containers are removed once it starts. */
  private readonly dropped = new Map<string, TaskRecord>();
  private readonly removals = new Set<Promise<void>>();
  private readonly reporter: CoalescingReporter;
  private readonly log: Logger;
  private signal: AbortSignal | undefined;

  constructor(private readonly o: WorkerOptions) {
    this.log = o.logger.child({ component: 'worker' });
    this.store = new TaskStore(o.storeDir, this.log);
    for (const rec of this.store.loadAll()) {
      this.records.set(rec.task.ID, rec);
      this.loaded.add(rec.task.ID);
    }
    this.reporter = new CoalescingReporter({
      reporter: o.reporter,
      clock: o.clock,
      logger: this.log,
      keep: (id) => this.records.has(id),
      ...(o.reportBackoff ? { minBackoffMs: o.reportBackoff.minMs, maxBackoffMs: o.reportBackoff.maxMs } : {}),
    });
  }

  /** The tasks the worker holds, with their current status. */
  tasks(): TaskRecord[] {
    return [...this.records.values()].map((r) => ({ task: r.task, status: r.status }));
  }

  status(taskId: string): TaskStatus | undefined {
    return this.records.get(taskId)?.status;
  }

  /** Applies one assignment message: a complete set replaces everything, an incremental one updates or removes. */
  apply(msg: AssignmentMessage): void {
    if (msg.type === 'networks') {
      this.o.networks?.(msg.view);
      return;
    }
    if (msg.type === 'complete') {
      const ids = new Set(msg.tasks.map((t) => t.ID));
      for (const id of [...this.records.keys()]) if (!ids.has(id)) this.drop(id);
      for (const t of msg.tasks) this.upsert(t);
      return;
    }
    for (const c of msg.changes) {
      if (c.action === 'remove') this.drop(c.task.ID);
      else this.upsert(c.task);
    }
  }

  /**
   * Runs the task managers and the reporter until `signal` aborts. Task records loaded from disk are resumed: their
   * managers continue from the recorded state and their last status is reported again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.signal) throw new Error('the worker is already running');
    this.signal = signal;
    const reporting = this.reporter.run(signal);
    for (const id of this.loaded) {
      const rec = this.records.get(id);
      if (rec && TaskState[rec.status.State] >= TaskState.accepted) this.reporter.enqueue(id, rec.status);
    }
    this.loaded.clear();
    for (const rec of this.records.values()) this.startManager(rec);
    for (const rec of this.dropped.values()) this.removeTask(rec, undefined);
    this.dropped.clear();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.all([...this.managers.values()].map((m) => m.done));
    this.managers.clear();
    await Promise.all([...this.removals]);
    await reporting;
    this.signal = undefined;
  }

  private upsert(task: AgentTask): void {
    if (!isValidTaskId(task.ID)) {
      this.log.error({ task: task.ID }, 'ignoring an assigned task with an invalid ID');
      return;
    }
    const rec = this.records.get(task.ID);
    if (!rec) {
      const created: TaskRecord = { task, status: task.Status };
      this.records.set(task.ID, created);
      this.save(created);
      if (this.signal) this.startManager(created);
      return;
    }
    // The dispatcher's copy may know more than we do (a record lost with the disk); otherwise ours is the truth.
    const managerAhead = TaskState[task.Status.State] > TaskState[rec.status.State];
    rec.task = task;
    if (managerAhead) rec.status = task.Status;
    this.save(rec);
    this.managers.get(task.ID)?.update(task, managerAhead ? task.Status : undefined);
    const oursAhead = TaskState[rec.status.State] > TaskState[task.Status.State];
    if (oursAhead && this.reporter.ackedState(task.ID) !== rec.status.State) this.reporter.enqueue(task.ID, rec.status);
  }

  private drop(id: string): void {
    const rec = this.records.get(id);
    if (!rec) return;
    this.records.delete(id);
    this.loaded.delete(id);
    this.reporter.forget(id);
    const m = this.managers.get(id);
    this.managers.delete(id);
    if (this.signal) this.removeTask(rec, m);
    else this.dropped.set(id, rec);
  }

  private startManager(rec: TaskRecord): void {
    if (!this.signal || this.managers.has(rec.task.ID)) return;
    const m = new TaskManager(rec.task, rec.status, {
      executor: this.o.executor,
      clock: this.o.clock,
      logger: this.log,
      onStatus: (task, status) => this.onStatus(task, status),
    });
    this.managers.set(rec.task.ID, m);
    m.start(this.signal);
  }

  private onStatus(task: AgentTask, status: TaskStatus): void {
    const rec = this.records.get(task.ID);
    if (!rec) return;
    rec.status = status;
    this.save(rec);
    this.reporter.enqueue(task.ID, status);
  }

  private save(rec: TaskRecord): void {
    try {
      this.store.save(rec);
    } catch (e) {
      this.log.error({ task: rec.task.ID, err: message(e) }, 'persisting a task record failed');
    }
  }

  /** Stops the task's container if it still runs, removes it, then forgets the task. */
  private removeTask(rec: TaskRecord, m: TaskManager | undefined): void {
    const signal = this.signal;
    if (!signal) return;
    const id = rec.task.ID;
    const p = (async () => {
      await m?.close();
      const ctl = m?.controller ?? this.o.executor.controller(rec.task);
      try {
        await ctl.shutdown(signal);
        await ctl.remove();
        this.store.delete(id);
        this.log.info({ task: id }, 'task removed');
      } catch (e) {
        // The record stays on disk: the next complete assignment after a restart drops the task again.
        if (!signal.aborted) this.log.error({ task: id, err: message(e) }, 'removing a task failed');
      }
    })();
    this.removals.add(p);
    void p.finally(() => this.removals.delete(p));
  }
}
