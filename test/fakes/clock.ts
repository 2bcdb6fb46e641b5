/**
 * A Clock that only moves when a test says so (DESIGN §4.8: no sleeps, fake clock). `sleep` registers a
 * deadline; `advance` moves time forward and resolves the due sleepers in deadline order. Their continuations
 * run as microtasks after `advance` returns, so they see `now()` at the new time: await a condition after it.
 */
import type { Clock } from '../../src/lib/clock.js';

interface Sleeper {
  deadline: number;
  seq: number;
  resolve: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(startMs = Date.UTC(2024, 0, 1)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        deadline: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking every sleeper whose deadline is reached. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.sleepers
        .filter((s) => s.deadline <= target)
        .sort((a, b) => a.deadline - b.deadline || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      due.resolve();
    }
    this.t = target;
  }

  /** How many sleeps are waiting (for tests that wait until a component has armed its timer). */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** The earliest pending deadline, if any. */
  get nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const s of this.sleepers) if (d === undefined || s.deadline < d) d = s.deadline;
    return d;
  }
}
