/**
 * Fan-out of committed revisions to live watchers, shared by the backends that run in this process (memory,
 * SQLite). A backend publishes each committed batch synchronously right after the commit; every subscription
 * queues the events that match its prefix until its consumer pulls them. Pure: no node:* imports.
 *
 * Gap-free resume: a backend subscribes and notes its current revision in the same synchronous step, replays
 * history up to that revision, then drains the subscription, which holds exactly the later revisions.
 */
import type { WatchBatch, WatchEvent } from './backend.js';

export function eventKey(e: WatchEvent): string {
  return e.type === 'put' ? e.kv.key : e.key;
}

/** The batch restricted to keys under `prefix`, or undefined when none match. */
export function filterBatch(batch: WatchBatch, prefix: string): WatchBatch | undefined {
  if (prefix === '') return batch;
  const events = batch.events.filter((e) => eventKey(e).startsWith(prefix));
  return events.length === 0 ? undefined : { rev: batch.rev, events };
}

/** One watcher's queue. `next()` resolves with the next batch, or undefined once the signal aborts. */
export class Subscription {
  private readonly queue: WatchBatch[] = [];
  private waiter: ((b: WatchBatch | undefined) => void) | undefined;
  private failWaiter: ((e: unknown) => void) | undefined;
  private error: Error | undefined;
  private closed = false;
  private readonly onAbort = (): void => this.close();

  constructor(
    readonly prefix: string,
    private readonly signal: AbortSignal,
    private readonly onClose: (s: Subscription) => void,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  push(batch: WatchBatch): void {
    if (this.closed) return;
    const matched = filterBatch(batch, this.prefix);
    if (matched === undefined) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.clearWaiter();
      w(matched);
    } else {
      this.queue.push(matched);
    }
  }

  /** Ends the subscription with an error (the backend closed); queued batches are still delivered first. */
  fail(error: Error): void {
    if (this.closed) return;
    this.error = error;
    const f = this.failWaiter;
    this.detach();
    if (f !== undefined) {
      this.clearWaiter();
      f(error);
    }
  }

  next(): Promise<WatchBatch | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.closed || this.signal.aborted) return Promise.resolve(undefined);
    return new Promise<WatchBatch | undefined>((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  /** Stops delivery and releases the queue; a pending `next()` resolves with undefined. */
  close(): void {
    if (this.closed) return;
    this.queue.length = 0;
    const w = this.waiter;
    this.detach();
    if (w !== undefined) {
      this.clearWaiter();
      w(undefined);
    }
  }

  private detach(): void {
    this.closed = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.onClose(this);
  }

  private clearWaiter(): void {
    this.waiter = undefined;
    this.failWaiter = undefined;
  }
}

export class WatchHub {
  private readonly subs = new Set<Subscription>();

  subscribe(prefix: string, signal: AbortSignal): Subscription {
    const s = new Subscription(prefix, signal, (x) => this.subs.delete(x));
    this.subs.add(s);
    return s;
  }

  publish(batch: WatchBatch): void {
    for (const s of this.subs) s.push(batch);
  }

  /** Ends every live watch with `error`. */
  failAll(error: Error): void {
    for (const s of [...this.subs]) s.fail(error);
  }

  get size(): number {
    return this.subs.size;
  }
}

/**
 * The watch iterator both in-process backends return: `replay` (history after `afterRev`, up to the revision
 * noted when `sub` was made), then the live batches from `sub` after `afterRev` (a watch may start from a future
 * revision), until `signal` aborts. Always releases `sub`.
 */
export async function* replayThenLive(
  replay: Iterable<WatchBatch>,
  sub: Subscription,
  afterRev: number,
  signal: AbortSignal,
): AsyncGenerator<WatchBatch, void, undefined> {
  try {
    for (const batch of replay) {
      if (signal.aborted) return;
      yield batch;
    }
    for (;;) {
      if (signal.aborted) return;
      const batch = await sub.next();
      if (batch === undefined) return;
      if (batch.rev > afterRev) yield batch;
    }
  } finally {
    sub.close();
  }
}
