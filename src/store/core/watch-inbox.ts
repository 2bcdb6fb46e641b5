/**
 * Buffers a store watch so a component can gather events while it waits on its own clock: a pump appends each
 * revision's events; the loop `take`s everything received so far, or `wait`s for more. A watch that fails makes
 * `wait` and `take` throw its error (the supervisor then restarts the component from a fresh snapshot).
 */
import type { StoreEvent } from './tables.js';

export class Inbox {
  private buffered: StoreEvent[] = [];
  private failure: { error: unknown } | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  /** Settles (never rejects) when the watch ends. */
  readonly pumped: Promise<void>;

  constructor(watch: AsyncIterable<StoreEvent[]>) {
    this.pumped = this.pump(watch);
  }

  /** Everything received since the last call. */
  take(): StoreEvent[] {
    if (this.failure !== undefined) throw this.failure.error;
    const out = this.buffered;
    this.buffered = [];
    return out;
  }

  /** Resolves once events are buffered, the watch has ended, or `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.buffered.length > 0 || this.failure !== undefined || this.ended || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  get done(): boolean {
    return this.ended;
  }

  private async pump(watch: AsyncIterable<StoreEvent[]>): Promise<void> {
    try {
      for await (const events of watch) {
        for (const e of events) this.buffered.push(e);
        this.wake?.();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wake?.();
    }
  }
}
