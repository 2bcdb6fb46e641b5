import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Task } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { reconcileJob } from './jobs.js';
import { T0, aNode, aService, aTask } from './fixtures.testkit.js';

const ctx = (ns: Node[] = [aNode('n1')]) => ({ now: T0, random: seededRandom(9), nodes: new Map(ns.map((n) => [n.ID, n])) });

describe('jobs orchestrator core', () => {
  it('starts an iteration: JobStatus from the SpecVersion, MaxConcurrent tasks desired COMPLETE', () => {
    const svc = aService({ mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, specVersion: 4 });
    const plan = reconcileJob(svc, [], ctx());
    assert.deepEqual(plan.service?.JobStatus?.JobIteration, { Index: 4 });
    assert.ok(plan.service?.JobStatus?.LastExecution);
    assert.deepEqual(plan.creates.map((t) => [t.Slot, t.DesiredState, t.JobIteration?.Index]), [
      [0, 'complete', 4],
      [1, 'complete', 4],
    ]);
  });

  it('keeps MaxConcurrent running until TotalCompletions completed, then stops', () => {
    const svc = aService({ mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } } });
    svc.JobStatus = { JobIteration: { Index: 1 } };
    const t = (id: string, slot: number, state: Task['Status']['State']): Task => aTask(id, svc, { slot, state, desired: 'complete', iteration: 1 });
    assert.deepEqual(reconcileJob(svc, [t('a', 0, 'complete'), t('b', 1, 'running')], ctx()).creates.map((x) => x.Slot), [2]);
    assert.equal(reconcileJob(svc, [t('a', 0, 'complete'), t('b', 1, 'complete'), t('c', 2, 'complete')], ctx()).isEmpty, true);
    // A failed task waiting for its restart still holds its slot.
    assert.equal(reconcileJob(svc, [t('a', 0, 'failed'), t('b', 1, 'running')], ctx()).isEmpty, true);
  });

  it('a new SpecVersion is a new iteration: unfinished older tasks are shut down', () => {
    const svc = aService({ mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }, specVersion: 2 });
    svc.JobStatus = { JobIteration: { Index: 1 } };
    const old = [
      aTask('done', svc, { slot: 0, state: 'complete', desired: 'complete', iteration: 1 }),
      aTask('busy', svc, { slot: 0, state: 'running', desired: 'complete', iteration: 1 }),
    ];
    const plan = reconcileJob(svc, old, ctx());
    assert.deepEqual(plan.service?.JobStatus?.JobIteration, { Index: 2 });
    assert.deepEqual(plan.updates.map((x) => [x.ID, x.DesiredState]), [['busy', 'shutdown']]);
    assert.deepEqual(plan.creates.map((x) => [x.Slot, x.JobIteration?.Index]), [[0, 2]]);
  });

  it('global jobs run once on each eligible node', () => {
    const svc = aService({ mode: { GlobalJob: {} } });
    svc.JobStatus = { JobIteration: { Index: 1 } };
    const nodes = [aNode('n1'), aNode('n2'), aNode('n3', { availability: 'drain' })];
    const done = aTask('a', svc, { node: 'n1', state: 'complete', desired: 'complete', iteration: 1 });
    const plan = reconcileJob(svc, [done], ctx(nodes));
    assert.deepEqual(plan.creates.map((t) => [t.NodeID, t.DesiredState]), [['n2', 'complete']]);
  });
});
