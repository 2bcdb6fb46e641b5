import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../api/types.js';
import { removable, retentionLimit, trimSlot } from './reaper.js';
import { T0, aNode, aService, aTask } from './fixtures.testkit.js';

describe('task reaper core', () => {
  const svc = aService();
  const nodes = new Map([['n1', aNode('n1')]]);

  it('deletes removed tasks once shut down, never assigned, or their node is gone', () => {
    assert.equal(removable(aTask('a', svc, { node: 'n1', state: 'running', desired: 'remove' }), nodes), false);
    assert.equal(removable(aTask('b', svc, { node: 'n1', state: 'shutdown', desired: 'remove' }), nodes), true);
    assert.equal(removable(aTask('c', svc, { state: 'pending', desired: 'remove' }), nodes), true);
    assert.equal(removable(aTask('d', svc, { node: 'gone', state: 'running', desired: 'remove' }), nodes), true);
    assert.equal(removable(aTask('e', svc, { node: 'n1', state: 'failed', desired: 'shutdown' }), nodes), false);
  });

  it('keeps the newest tasks of a slot up to the limit, oldest finished first', () => {
    const slot: Task[] = [];
    for (let i = 0; i < 8; i++) slot.push(aTask(`t${i}`, svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 + i }));
    slot.push(aTask('live', svc, { slot: 1, createdAt: T0 + 100 }));
    assert.deepEqual(trimSlot(slot, 5, svc), ['t0', 't1', 't2', 't3']);
    assert.deepEqual(trimSlot(slot, -1, svc), []);
    assert.deepEqual(trimSlot(slot, 0, svc).length, 8);
  });

  it('keeps the predecessor of a task held at READY, and MaxAttempts + 1 tasks', () => {
    const slot = [
      aTask('a', svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 }),
      aTask('b', svc, { slot: 1, state: 'new', desired: 'ready', createdAt: T0 + 1 }),
    ];
    assert.deepEqual(trimSlot(slot, 0, svc), []);
    const counted = aService({ restart: { MaxAttempts: 7 } });
    assert.equal(retentionLimit(5, counted), 8);
    assert.equal(retentionLimit(undefined, svc), 5);
    assert.equal(retentionLimit(-1, counted), -1);
  });

  it('trims only earlier iterations of a job', () => {
    const job = aService({ mode: { ReplicatedJob: {} } });
    job.JobStatus = { JobIteration: { Index: 2 } };
    const slot = [
      aTask('old', job, { slot: 1, state: 'complete', desired: 'complete', createdAt: T0, iteration: 1 }),
      ...[1, 2, 3].map((i) => aTask(`j${i}`, job, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 + i, iteration: 2 })),
    ];
    assert.deepEqual(trimSlot(slot, 1, job), ['old']);
  });

  it('counts tasks stranded on deleted nodes as finished', () => {
    const slot = [
      aTask('stranded', svc, { slot: 1, node: 'gone', state: 'running', desired: 'shutdown', createdAt: T0 }),
      aTask('live', svc, { slot: 1, node: 'n1', createdAt: T0 + 1 }),
    ];
    assert.deepEqual(trimSlot(slot, 1, svc, nodes), ['stranded']);
    assert.deepEqual(trimSlot(slot, 1, svc, new Map([['gone', aNode('gone')], ['n1', aNode('n1')]])), []);
  });
});
