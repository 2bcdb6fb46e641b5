/** Small helpers every end-to-end test uses: a command that must succeed, and waiting for a condition. */
import assert from 'node:assert/strict';
import type { RunResult } from './daemon.js';

/** The command's stdout; fails the test with its output when it did not exit 0. */
export const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/**
 * `until(what, fn, timeoutMs?)`: polls `fn` every 150 ms until it returns something other than undefined (an error
 * thrown by `fn` counts as "not yet", and the last one is in the timeout message).
 */
export function untilWithin(defaultMs: number) {
  return async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = defaultMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
}
