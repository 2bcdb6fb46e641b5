import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CPU, GiB, aNode, aTask } from './fixtures.testkit.js';
import { FAILURE_WINDOW_MS, NodeSet } from './node-info.js';

describe('NodeSet accounting', () => {
  it('holds what ASSIGNED..RUNNING tasks reserve, and gives back exactly that', () => {
    const set = NodeSet.of([aNode('n1', { nanoCPUs: 4 * CPU, memoryBytes: 8 * GiB })], []);
    const info = set.get('n1');
    assert.ok(info !== undefined);
    const t = aTask('t', 's', { state: 'assigned', nodeId: 'n1', nanoCPUs: CPU, memoryBytes: GiB, reportedHostPorts: [80] });
    set.track(t, undefined);
    assert.equal(info.availableNanoCPUs, 3 * CPU);
    assert.equal(info.availableMemoryBytes, 7 * GiB);
    assert.equal(info.activeOf('s'), 1);
    assert.equal(info.activeTasks, 1);
    assert.ok(info.hostPorts.has('tcp/80'));

    set.track({ ...t, Status: { ...t.Status, State: 'running' }, DesiredState: 'shutdown' }, undefined);
    assert.equal(info.availableNanoCPUs, 3 * CPU, 'a task desired down still holds its reservation');
    assert.equal(info.activeOf('s'), 0, 'but no longer counts for spread');

    set.track({ ...t, Status: { ...t.Status, State: 'shutdown' } }, undefined);
    assert.equal(info.availableNanoCPUs, 4 * CPU);
    assert.equal(info.hostPorts.size, 0);
    assert.equal(set.nodeOf('t'), undefined);
  });

  it('keeps tasks that arrive before their node, and offers only nodes that exist, by ID', () => {
    const set = new NodeSet();
    set.track(aTask('t', 's', { state: 'running', nodeId: 'late', nanoCPUs: CPU }), undefined);
    assert.deepEqual(set.nodes(), []);
    set.upsertNode(aNode('late', { nanoCPUs: 2 * CPU }));
    set.upsertNode(aNode('early'));
    assert.deepEqual(set.nodes().map((i) => i.id), ['early', 'late']);
    assert.equal(set.get('late')?.availableNanoCPUs, CPU);
    set.removeNode('late');
    assert.deepEqual(set.nodes().map((i) => i.id), ['early']);
    set.untrack('t');
    assert.equal(set.get('late'), undefined, 'an empty info without a node is dropped');
  });

  it('moves a task to its new node when its NodeID changes', () => {
    const set = NodeSet.of([aNode('a'), aNode('b')], []);
    set.bind(aTask('t', 's', { nanoCPUs: CPU }), 'a', undefined);
    set.track(aTask('t', 's', { state: 'assigned', nodeId: 'b', nanoCPUs: CPU }), undefined);
    assert.equal(set.get('a')?.reservedNanoCPUs, 0);
    assert.equal(set.get('b')?.reservedNanoCPUs, CPU);
  });

  it('counts failures of a service version within the window only', () => {
    const set = NodeSet.of([aNode('n1')], []);
    const failed = aTask('t', 's', { state: 'failed', nodeId: 'n1', specVersion: 3 });
    set.recordFailure(failed, 1000);
    set.recordFailure(failed, 2000);
    const info = set.get('n1');
    assert.equal(info?.recentFailures('s@3', 2000), 2);
    assert.equal(info?.recentFailures('s@4', 2000), 0, 'another spec version');
    assert.equal(info?.recentFailures('s@3', 1000 + FAILURE_WINDOW_MS), 1);
    assert.equal(info?.recentFailures('s@3', 2000 + FAILURE_WINDOW_MS), 0);
  });
});
