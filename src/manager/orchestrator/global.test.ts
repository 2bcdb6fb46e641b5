import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { reconcileGlobal } from './global.js';
import { T0, aNode, aService, aTask } from './fixtures.testkit.js';

const ctx = (ns: Node[]) => ({ now: T0, random: seededRandom(5), nodes: new Map(ns.map((n) => [n.ID, n])) });

describe('global orchestrator core', () => {
  const svc = aService({ mode: { Global: {} } });

  it('puts one task on every ready, active node, bound to it', () => {
    const plan = reconcileGlobal(svc, [], ctx([aNode('n2'), aNode('n1'), aNode('n3', { state: 'down' }), aNode('n4', { state: 'unknown' })]));
    assert.deepEqual(plan.creates.map((t) => [t.NodeID, t.Slot, t.DesiredState]), [
      ['n1', undefined, 'running'],
      ['n2', undefined, 'running'],
    ]);
  });

  it('shuts tasks down on drained, down and deleted nodes; keeps them on paused nodes but adds none there', () => {
    const tasks = [
      aTask('a', svc, { node: 'n1' }),
      aTask('b', svc, { node: 'n2' }),
      aTask('c', svc, { node: 'n3' }),
      aTask('d', svc, { node: 'gone' }),
    ];
    const plan = reconcileGlobal(
      svc,
      tasks,
      ctx([aNode('n1', { availability: 'drain' }), aNode('n2', { state: 'down' }), aNode('n3', { availability: 'pause' }), aNode('n4', { availability: 'pause' })]),
    );
    assert.deepEqual(plan.updates.map((t) => [t.ID, t.DesiredState]).sort(), [
      ['a', 'shutdown'],
      ['b', 'shutdown'],
      ['d', 'shutdown'],
    ]);
    assert.equal(plan.creates.length, 0);
  });

  it('follows node labels through the placement constraints', () => {
    const constrained = aService({ mode: { Global: {} }, constraints: ['node.labels.zone==a'] });
    const a = aNode('n1', { labels: { zone: 'a' } });
    const b = aNode('n2', { labels: { zone: 'b' } });
    assert.deepEqual(reconcileGlobal(constrained, [], ctx([a, b])).creates.map((t) => t.NodeID), ['n1']);
    const running = [aTask('t', constrained, { node: 'n1' })];
    const relabelled = aNode('n1', { labels: { zone: 'b' } });
    assert.deepEqual(reconcileGlobal(constrained, running, ctx([relabelled, b])).updates.map((t) => t.DesiredState), ['shutdown']);
  });

  it('makes a new task for a node again after a drain ends', () => {
    const stopped = aTask('a', svc, { node: 'n1', state: 'shutdown', desired: 'shutdown' });
    assert.equal(reconcileGlobal(svc, [stopped], ctx([aNode('n1')])).creates.length, 1);
  });
});
