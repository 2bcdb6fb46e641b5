import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { aWorker, initializedControl } from '../../../test/builders/control.js';
import { getNode, listNodes, removeNode, updateNode } from './nodes.js';

describe('controlapi nodes', () => {
  it('lists with docker filters: id/name prefix, role, node.label, membership', async () => {
    const { deps, nodeId } = await initializedControl();
    await deps.store.update((tx) => {
      tx.create('nodes', { ...aWorker('w1' + 'a'.repeat(23), 'worker-1'), Spec: { Labels: { zone: 'a' }, Role: 'worker', Availability: 'active' } });
      tx.create('nodes', aWorker('w2' + 'b'.repeat(23), 'worker-2'));
    });
    const ids = async (f: Record<string, string[]>): Promise<string[]> => (await listNodes(deps, Filters.of(f))).map((n) => n.Description.Hostname).sort();
    assert.deepEqual(await ids({}), ['m1', 'worker-1', 'worker-2']);
    assert.deepEqual(await ids({ role: ['worker'] }), ['worker-1', 'worker-2']);
    assert.deepEqual(await ids({ role: ['manager'] }), ['m1']);
    assert.deepEqual(await ids({ name: ['worker'] }), ['worker-1', 'worker-2']);
    assert.deepEqual(await ids({ id: ['w2'] }), ['worker-2']);
    assert.deepEqual(await ids({ 'node.label': ['zone=a'] }), ['worker-1']);
    assert.deepEqual(await ids({ 'node.label': ['zone'] }), ['worker-1']);
    assert.deepEqual(await ids({ membership: ['pending'] }), []);
    assert.equal((await getNode(deps, nodeId)).ID, nodeId);
    await assert.rejects(listNodes(deps, Filters.of({ color: ['blue'] })), (e) => isShoalError(e, 'InvalidArgument') && e.message === "invalid filter 'color'");
    await assert.rejects(listNodes(deps, Filters.of({ role: ['boss'] })), (e) => isShoalError(e, 'InvalidArgument'));
  });

  it('resolves by ID, hostname and unique ID prefix; reports missing and ambiguous references', async () => {
    const { deps } = await initializedControl();
    await deps.store.update((tx) => {
      tx.create('nodes', aWorker('w1' + 'a'.repeat(23), 'worker-1'));
      tx.create('nodes', aWorker('w2' + 'b'.repeat(23), 'worker-2'));
    });
    assert.equal((await getNode(deps, 'worker-2')).ID, 'w2' + 'b'.repeat(23));
    assert.equal((await getNode(deps, 'w1a')).Description.Hostname, 'worker-1');
    await assert.rejects(getNode(deps, 'nope'), (e) => isShoalError(e, 'NotFound') && e.message === 'node nope not found');
    await assert.rejects(getNode(deps, 'w'), (e) => isShoalError(e, 'InvalidArgument') && e.message === 'node w is ambiguous (2 matches found)');
  });

  it('updates labels and availability under the version; stale versions and bad specs change nothing', async () => {
    const { deps, nodeId } = await initializedControl();
    const n0 = await getNode(deps, nodeId);
    const n1 = await updateNode(deps, nodeId, n0.Version.Index, { ...n0.Spec, Labels: { zone: 'a' }, Availability: 'drain' });
    assert.deepEqual(n1.Spec.Labels, { zone: 'a' });
    assert.equal(n1.Spec.Availability, 'drain');
    await assert.rejects(updateNode(deps, nodeId, n0.Version.Index, n0.Spec), (e) => isShoalError(e, 'Conflict'));
    await assert.rejects(updateNode(deps, nodeId, n1.Version.Index, { ...n1.Spec, Availability: 'sleepy' }), (e) => isShoalError(e, 'InvalidArgument') && /invalid availability/.test(e.message));
    await assert.rejects(updateNode(deps, nodeId, n1.Version.Index, { ...n1.Spec, Role: 'king' }), (e) => isShoalError(e, 'InvalidArgument') && /invalid role/.test(e.message));
    await assert.rejects(updateNode(deps, nodeId, n1.Version.Index, { Labels: { a: 3 } }), (e) => isShoalError(e, 'InvalidArgument') && /Labels\.a/.test(e.message));
    assert.deepEqual((await getNode(deps, nodeId)).Spec, n1.Spec);
  });

  it('refuses to demote the last manager', async () => {
    const { deps, nodeId } = await initializedControl();
    const n = await getNode(deps, nodeId);
    await assert.rejects(
      updateNode(deps, nodeId, n.Version.Index, { ...n.Spec, Role: 'worker' }),
      (e) => isShoalError(e, 'FailedPrecondition') && e.message === 'attempting to demote the last manager of the swarm',
    );
  });

  it('removal: a manager must be demoted first, a node that is up needs force, a down node goes', async () => {
    const { deps, nodeId } = await initializedControl();
    await deps.store.update((tx) => {
      tx.create('nodes', aWorker('up' + 'a'.repeat(23), 'up-1', 'ready'));
      tx.create('nodes', aWorker('dn' + 'b'.repeat(23), 'down-1', 'down'));
    });
    await assert.rejects(removeNode(deps, nodeId, true, nodeId), (e) => isShoalError(e, 'FailedPrecondition') && /must be demoted to worker before removal/.test(e.message));
    await assert.rejects(removeNode(deps, 'up-1', false, nodeId), (e) => isShoalError(e, 'FailedPrecondition') && /is not down and can't be removed/.test(e.message));
    await removeNode(deps, 'down-1', false, nodeId);
    await removeNode(deps, 'up-1', true, nodeId);
    assert.deepEqual((await listNodes(deps, undefined)).map((n) => n.Description.Hostname), ['m1']);
  });
});
