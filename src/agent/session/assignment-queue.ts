/**
 * Assignment messages between the session (producer) and the worker (one consumer). A `complete` set makes
 * everything queued before it moot, so it replaces the queue.
 */
import { Notifier } from '../../lib/notifier.js';
import type { AssignmentMessage } from '../../rpc/index.js';

export class AssignmentQueue {
  private items: AssignmentMessage[] = [];
  private closed = false;
  private readonly wake = new Notifier();

  push(m: AssignmentMessage): void {
    if (this.closed) return;
    if (m.type === 'complete') this.items = [m];
    else this.items.push(m);
    this.wake.notify();
  }

  /** Ends every iteration once the queue is drained. */
  close(): void {
    this.closed = true;
    this.wake.notify();
  }

  get length(): number {
    return this.items.length;
  }

  async *iterate(signal?: AbortSignal): AsyncGenerator<AssignmentMessage, void, undefined> {
    const stop = signal ?? new AbortController().signal;
    for (;;) {
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.closed || stop.aborted) return;
      await this.wake.wait(stop);
    }
  }
}
