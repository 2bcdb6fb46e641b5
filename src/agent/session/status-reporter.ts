/** Task status waiting to be sent: the latest report per task wins; a batch that failed goes back behind newer ones. */
import type { TaskStatus } from '../../api/types.js';
import { Notifier } from '../../lib/notifier.js';
import type { TaskStatusUpdate } from '../../rpc/index.js';

export class StatusReporter {
  private pending = new Map<string, TaskStatus>();
  /** Notified when reports arrive. */
  readonly arrived = new Notifier();

  get size(): number {
    return this.pending.size;
  }

  report(updates: readonly TaskStatusUpdate[]): void {
    for (const u of updates) this.pending.set(u.taskId, u.status);
    if (updates.length > 0) this.arrived.notify();
  }

  /** Everything pending, now owned by the caller. */
  take(): TaskStatusUpdate[] {
    const out = [...this.pending].map(([taskId, status]) => ({ taskId, status }));
    this.pending = new Map();
    return out;
  }

  /** Puts back a batch that was not delivered, unless a newer report for the same task came meanwhile. */
  restore(batch: readonly TaskStatusUpdate[]): void {
    const newer = this.pending;
    this.pending = new Map();
    for (const u of batch) if (!newer.has(u.taskId)) this.pending.set(u.taskId, u.status);
    for (const [k, v] of newer) this.pending.set(k, v);
    if (this.pending.size > 0) this.arrived.notify();
  }
}
