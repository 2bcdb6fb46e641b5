import type { Clock } from './clock.js';

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  clock: Clock,
  check: () => T | undefined | Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; what?: string; signal?: AbortSignal },
): Promise<T> {
  const deadline = clock.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (clock.now() >= deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what ?? 'condition'}`);
    await clock.sleep(opts.intervalMs ?? 20, opts.signal);
  }
}

/** A promise with its resolvers, for hand-offs between callbacks and async code. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
