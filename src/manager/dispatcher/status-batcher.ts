/**
 * Task status reports, written in batches: whatever arrived since the last write goes out together, at most once
 * every `batchMs` (the first report after a quiet spell goes out at once). Each batch is one version-checked store
 * transaction per chunk, re-read and retried on conflict. A report is acknowledged (its promise resolves) once the
 * batch holding it is committed, so an agent whose call failed knows to send it again.
 */
import { isShoalError } from '../../api/errors.js';
import type { TaskStatus } from '../../api/types.js';
import { deferred } from '../../lib/async.js';
import { rfc3339Nano, type Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { TaskStatusUpdate } from '../../rpc/index.js';
import type { Store } from '../../store/index.js';
import { dispatcherErrors } from './errors.js';
import { Notifier } from '../../lib/notifier.js';
import { later, supersedes } from './status-rules.js';

const CHUNK = 200;
const ATTEMPTS = 5;

interface Pending {
  nodeId: string;
  status: TaskStatus;
  acks: ReturnType<typeof deferred<void>>[];
}

export class StatusBatcher {
  private pending = new Map<string, Pending>();
  private readonly wake = new Notifier();
  private lastFlush = Number.NEGATIVE_INFINITY;
  private stopped: Error | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly batchMs: number,
  ) {}

  /** Queues reports from `nodeId` (already checked); resolves once they are written (or found stale). */
  enqueue(nodeId: string, updates: readonly TaskStatusUpdate[]): Promise<void> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    const ack = deferred<void>();
    for (const u of updates) {
      const p = this.pending.get(u.taskId);
      if (p === undefined || p.nodeId !== nodeId) this.pending.set(u.taskId, { nodeId, status: u.status, acks: [ack] });
      else {
        p.status = later(p.status, u.status);
        p.acks.push(ack);
      }
    }
    if (updates.length === 0) ack.resolve();
    this.wake.notify();
    return ack.promise;
  }

  /** Flushes until `signal` aborts; then refuses new reports and fails those not written. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        while (this.pending.size === 0) {
          if (signal.aborted) return;
          await this.wake.wait(signal);
        }
        const wait = this.lastFlush + this.batchMs - this.clock.now();
        if (wait > 0) {
          try {
            await this.clock.sleep(wait, signal);
          } catch {
            return;
          }
        }
        if (signal.aborted) return;
        this.lastFlush = this.clock.now();
        await this.flush();
      }
    } finally {
      this.stop(dispatcherErrors.stopped());
    }
  }

  private stop(reason: Error): void {
    this.stopped = reason;
    for (const p of this.pending.values()) for (const a of p.acks) a.reject(reason);
    this.pending.clear();
  }

  private async flush(): Promise<void> {
    const batch = [...this.pending.entries()];
    this.pending = new Map();
    for (let i = 0; i < batch.length; i += CHUNK) {
      const chunk = batch.slice(i, i + CHUNK);
      const acks = chunk.flatMap(([, p]) => p.acks);
      try {
        const written = await this.write(chunk);
        this.log.debug({ reports: chunk.length, written }, 'task status batch written');
        for (const a of acks) a.resolve();
      } catch (e) {
        this.log.warn({ err: e, reports: chunk.length }, 'task status batch failed');
        const failure = dispatcherErrors.statusWriteFailed(e);
        for (const a of acks) a.reject(failure);
      }
    }
  }

  /** One transaction for the chunk; returns how many tasks changed. */
  private async write(chunk: [string, Pending][]): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { result } = await this.store.update(async (tx) => {
          let n = 0;
          const now = rfc3339Nano(this.clock.now());
          for (const [taskId, p] of chunk) {
            const task = await tx.get('tasks', taskId);
            if (task === undefined || task.NodeID !== p.nodeId || !supersedes(task.Status, p.status)) continue;
            tx.update('tasks', { ...task, Status: p.status, UpdatedAt: now });
            n++;
          }
          return n;
        });
        return result;
      } catch (e) {
        if (!isShoalError(e, 'Conflict') || attempt >= ATTEMPTS) throw e;
        this.log.debug({ attempt }, 'task status batch conflicted; retrying');
      }
    }
  }
}
