import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskStatus } from '../../api/types.js';
import type { AssignmentMessage } from '../../rpc/index.js';
import { AssignmentQueue } from './assignment-queue.js';
import { Backoff } from './backoff.js';
import { StatusReporter } from './status-reporter.js';

const st = (State: TaskStatus['State']): TaskStatus => ({ State, Timestamp: '2024-01-01T00:00:00Z', Message: State });

void describe('agent session parts', () => {
  void it('Backoff doubles from 100 ms to 8 s and resets', () => {
    const b = new Backoff();
    assert.deepEqual(
      Array.from({ length: 9 }, () => b.next()),
      [100, 200, 400, 800, 1600, 3200, 6400, 8000, 8000],
    );
    b.reset();
    assert.equal(b.next(), 100);
  });

  void it('StatusReporter keeps the latest per task; a failed batch goes back behind newer reports', () => {
    const r = new StatusReporter();
    r.report([{ taskId: 'a', status: st('accepted') }]);
    r.report([{ taskId: 'a', status: st('running') }, { taskId: 'b', status: st('starting') }]);
    const batch = r.take();
    assert.deepEqual(batch.map((u) => [u.taskId, u.status.State]), [['a', 'running'], ['b', 'starting']]);
    assert.equal(r.size, 0);
    r.report([{ taskId: 'b', status: st('running') }]);
    r.restore(batch);
    assert.deepEqual(r.take().map((u) => [u.taskId, u.status.State]), [['a', 'running'], ['b', 'running']]);
  });

  void it('AssignmentQueue: a complete set drops what was queued before it', async () => {
    const q = new AssignmentQueue();
    const inc: AssignmentMessage = { type: 'incremental', changes: [] };
    const complete: AssignmentMessage = { type: 'complete', tasks: [] };
    q.push(inc);
    q.push(inc);
    q.push(complete);
    q.push(inc);
    q.close();
    const got: string[] = [];
    for await (const m of q.iterate()) got.push(m.type);
    assert.deepEqual(got, ['complete', 'incremental']);
  });
});
