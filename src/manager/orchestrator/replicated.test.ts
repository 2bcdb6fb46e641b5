import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { reconcileReplicated } from './replicated.js';
import { T0, aNode, aService, aTask } from './fixtures.testkit.js';

const ctx = (ns: Node[] = [aNode('n1'), aNode('n2')]) => ({ now: T0 + 100, random: seededRandom(3), nodes: new Map(ns.map((n) => [n.ID, n])) });

describe('replicated orchestrator core', () => {
  it('creates one task per missing slot from 1, from the service template', () => {
    const svc = aService({ replicas: 3, labels: { tier: 'web' }, specVersion: 9 });
    const plan = reconcileReplicated(svc, [], ctx());
    assert.deepEqual(plan.creates.map((t) => t.Slot), [1, 2, 3]);
    for (const t of plan.creates) {
      assert.equal(t.ServiceID, svc.ID);
      assert.equal(t.DesiredState, 'running');
      assert.equal(t.Status.State, 'new');
      assert.equal(t.Status.Message, 'created');
      assert.deepEqual(t.Spec, svc.Spec.TaskTemplate);
      assert.deepEqual(t.Labels, { tier: 'web' });
      assert.deepEqual(t.SpecVersion, { Index: 9 });
      assert.equal(t.ID.length, 25);
    }
    assert.equal(new Set(plan.creates.map((t) => t.ID)).size, 3);
  });

  it('fills gaps and reuses slot numbers whose tasks were removed', () => {
    const svc = aService({ replicas: 3 });
    const tasks = [
      aTask('a', svc, { slot: 1 }),
      aTask('b', svc, { slot: 2, desired: 'remove', state: 'shutdown' }),
      aTask('c', svc, { slot: 3 }),
    ];
    assert.deepEqual(reconcileReplicated(svc, tasks, ctx()).creates.map((t) => t.Slot), [2]);
  });

  it('scales down from the highest slots, preferring nodes with the most tasks, non-running first', () => {
    const svc = aService({ replicas: 3 });
    const tasks = [
      aTask('a', svc, { slot: 1, node: 'n1' }),
      aTask('b', svc, { slot: 2, node: 'n1' }),
      aTask('c', svc, { slot: 3, node: 'n1' }),
      aTask('d', svc, { slot: 4, node: 'n1' }),
      aTask('e', svc, { slot: 5, node: 'n2' }),
      aTask('f', svc, { slot: 6, node: 'n2', state: 'starting' }),
    ];
    const plan = reconcileReplicated(svc, tasks, ctx());
    assert.deepEqual(
      plan.updates.map((t) => [t.Slot, t.DesiredState]).sort(),
      [
        [3, 'remove'],
        [4, 'remove'],
        [6, 'remove'],
      ],
    );
    // All on one node: the highest slots go.
    const one = [1, 2, 3, 4, 5].map((slot) => aTask(`t${slot}`, svc, { slot, node: 'n1' }));
    assert.deepEqual(reconcileReplicated(svc, one, ctx()).updates.map((t) => t.Slot).sort(), [4, 5]);
  });

  it('removes the history of removed slots too, and pending tasks before placed ones', () => {
    const svc = aService({ replicas: 1 });
    const tasks = [
      aTask('old', svc, { slot: 1, node: 'n1', state: 'failed', desired: 'shutdown' }),
      aTask('a', svc, { slot: 1, node: 'n1', createdAt: T0 + 1 }),
      aTask('b', svc, { slot: 2, state: 'pending' }),
    ];
    assert.deepEqual(reconcileReplicated(svc, tasks, ctx()).updates.map((t) => t.ID), ['b']);
    const zero = aService({ replicas: 0 });
    assert.deepEqual(reconcileReplicated(zero, tasks, ctx()).updates.map((t) => t.ID).sort(), ['a', 'b', 'old']);
  });

  it('does not refill a slot the restart policy gave up on, until the template changes', () => {
    const svc = aService({ replicas: 2, restart: { Condition: 'none' } });
    const tasks = [aTask('a', svc, { slot: 1 }), aTask('b', svc, { slot: 2, state: 'failed', desired: 'shutdown' })];
    assert.equal(reconcileReplicated(svc, tasks, ctx()).isEmpty, true);
    const forced = aService({ replicas: 2, restart: { Condition: 'none' } });
    forced.Spec.TaskTemplate.ForceUpdate = 1;
    assert.deepEqual(reconcileReplicated(forced, tasks, ctx()).creates.map((t) => t.Slot), [2]);
  });

  it('leaves failed tasks awaiting the restart supervisor alone', () => {
    const svc = aService({ replicas: 1 });
    assert.equal(reconcileReplicated(svc, [aTask('a', svc, { slot: 1, state: 'failed' })], ctx()).isEmpty, true);
  });
});
