import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskStateName } from '../../api/task-state.js';
import type { TaskStatus } from '../../api/types.js';
import { captureLogger } from '../../lib/logger.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { CoalescingReporter } from './reporter.js';
import type { StatusUpdate } from './types.js';

const status = (State: TaskStateName): TaskStatus => ({ Timestamp: '2024-01-01T00:00:00Z', State, Message: State });
const drain = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function aReporter(o: { fail?: () => boolean; keep?: (id: string) => boolean; maxBatch?: number } = {}) {
  const clock = new FakeClock();
  const calls: StatusUpdate[][] = [];
  const attempts: number[] = [];
  const r = new CoalescingReporter({
    reporter: {
      reportStatus: async (u) => {
        attempts.push(clock.now());
        if (o.fail?.()) throw new Error('unavailable');
        calls.push(u);
      },
    },
    clock,
    logger: captureLogger(),
    keep: o.keep ?? (() => true),
    ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
  });
  const ac = new AbortController();
  const running = r.run(ac.signal);
  return { r, clock, calls, attempts, stop: async () => (ac.abort(), await running) };
}

describe('coalescing reporter', () => {
  it('sends what has accumulated in one call, the latest status per task', async () => {
    const h = aReporter();
    h.r.enqueue('a', status('accepted'));
    h.r.enqueue('a', status('preparing'));
    h.r.enqueue('b', status('accepted'));
    await drain();
    assert.deepEqual(h.calls, [
      [
        { taskId: 'a', status: status('preparing') },
        { taskId: 'b', status: status('accepted') },
      ],
    ]);
    assert.equal(h.r.ackedState('a'), 'preparing');
    assert.equal(h.r.backlog, 0);
    await h.stop();
  });

  it('retries with a doubling backoff up to the cap, then resets it after a success', async () => {
    let failing = true;
    const h = aReporter({ fail: () => failing });
    h.r.enqueue('a', status('running'));
    for (let i = 0; i < 8; i++) {
      await drain();
      h.clock.advance(h.clock.nextDeadline! - h.clock.now());
    }
    await drain();
    const gaps = h.attempts.slice(1).map((t, i) => t - h.attempts[i]!);
    assert.deepEqual(gaps, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    failing = false;
    h.clock.advance(5000);
    await drain();
    assert.deepEqual(h.calls, [[{ taskId: 'a', status: status('running') }]]);
    await h.stop();
  });

  it('never puts an older status back over a newer one after a failed send, and drops forgotten tasks', async () => {
    let failing = true;
    const kept = new Set(['a']);
    const h = aReporter({ fail: () => failing, keep: (id) => kept.has(id) });
    h.r.enqueue('a', status('accepted'));
    h.r.enqueue('b', status('accepted'));
    await drain();
    h.r.enqueue('a', status('running'));
    failing = false;
    h.clock.advance(100);
    await drain();
    assert.deepEqual(h.calls, [[{ taskId: 'a', status: status('running') }]]);
    await h.stop();
  });

  it('splits a large backlog into batches', async () => {
    const h = aReporter({ maxBatch: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.r.enqueue(id, status('running'));
    await drain();
    assert.deepEqual(
      h.calls.map((c) => c.map((u) => u.taskId)),
      [['a', 'b'], ['c', 'd'], ['e']],
    );
    await h.stop();
  });
});
