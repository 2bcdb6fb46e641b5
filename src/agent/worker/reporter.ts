/**
 * The worker's status reporter (swarmkit's agent/reporter.go): task managers hand it every status change; it keeps
 * only the latest status per task and sends whatever has accumulated in one `reportStatus` call, so a burst of
 * changes becomes one batch. A failed send is retried with backoff (100 ms doubling to 5 s), without ever sending an
 * older status over a newer one.
 */
import type { TaskStateName } from '../../api/task-state.js';
import type { TaskStatus } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { StatusReporter, StatusUpdate } from './types.js';

export interface CoalescingReporterOptions {
  reporter: StatusReporter;
  clock: Clock;
  logger: Logger;
  /** Whether a task is still the worker's; updates of tasks it dropped are not retried. */
  keep: (taskId: string) => boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Most updates in one call. */
  maxBatch?: number;
}

export class CoalescingReporter {
  private readonly pending = new Map<string, TaskStatus>();
  private readonly acked = new Map<string, TaskStateName>();
  private wake: (() => void) | undefined;

  constructor(private readonly o: CoalescingReporterOptions) {}

  enqueue(taskId: string, status: TaskStatus): void {
    this.pending.set(taskId, status);
    this.wake?.();
  }

  forget(taskId: string): void {
    this.pending.delete(taskId);
    this.acked.delete(taskId);
  }

  /** The last state the dispatcher accepted for the task in this process, if any. */
  ackedState(taskId: string): TaskStateName | undefined {
    return this.acked.get(taskId);
  }

  /** Updates not sent yet (for tests and introspection). */
  get backlog(): number {
    return this.pending.size;
  }

  async run(signal: AbortSignal): Promise<void> {
    const min = this.o.minBackoffMs ?? 100;
    const max = this.o.maxBackoffMs ?? 5000;
    let backoff = min;
    while (!signal.aborted) {
      if (this.pending.size === 0) {
        await this.nextEnqueue(signal);
        continue;
      }
      const batch: StatusUpdate[] = [];
      for (const [taskId, status] of this.pending) {
        if (batch.length >= (this.o.maxBatch ?? 1000)) break;
        batch.push({ taskId, status });
      }
      for (const u of batch) this.pending.delete(u.taskId);
      try {
        await this.o.reporter.reportStatus(batch);
        for (const u of batch) this.acked.set(u.taskId, u.status.State);
        backoff = min;
      } catch (e) {
        for (const u of batch) if (!this.pending.has(u.taskId) && this.o.keep(u.taskId)) this.pending.set(u.taskId, u.status);
        this.o.logger.warn({ err: e instanceof Error ? e.message : String(e), updates: batch.length, retryInMs: backoff }, 'reporting task status failed');
        await this.o.clock.sleep(backoff, signal).catch(() => undefined);
        backoff = Math.min(backoff * 2, max);
      }
    }
  }

  private nextEnqueue(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.wake = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
