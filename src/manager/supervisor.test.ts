import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullLogger } from '../lib/logger.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { supervise, type Component } from './supervisor.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('supervise', () => {
  it('aborts every component when one fails, and restarts them all after the backoff', async () => {
    const clock = new FakeClock();
    const starts: Record<string, number> = { a: 0, b: 0 };
    let failNext = true;
    const make = (): Component[] => [
      {
        name: 'a',
        run: (signal) => {
          starts.a = (starts.a ?? 0) + 1;
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
      {
        name: 'b',
        run: async (signal) => {
          starts.b = (starts.b ?? 0) + 1;
          if (failNext) {
            failNext = false;
            throw new Error('boom');
          }
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
    ];
    const stop = new AbortController();
    const done = supervise(make, stop.signal, { clock, logger: nullLogger, backoffMs: 100 });
    await until(() => starts.a === 1 && starts.b === 1, 'first round');
    await until(() => clock.pendingSleeps > 0, 'the backoff sleep');
    clock.advance(100);
    await until(() => starts.a === 2 && starts.b === 2, 'second round');
    stop.abort();
    await done;
    assert.deepEqual(starts, { a: 2, b: 2 });
  });

  it('a component that returns by itself counts as a failure', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const stop = new AbortController();
    const done = supervise(() => [{ name: 'quitter', run: async () => void runs++ }], stop.signal, { clock, logger: nullLogger, backoffMs: 50 });
    await until(() => runs === 1 && clock.pendingSleeps > 0, 'first run');
    clock.advance(50);
    await until(() => runs === 2, 'restart');
    stop.abort();
    await done;
  });
});
