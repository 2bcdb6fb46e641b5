import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { initializedControl } from '../../../test/builders/control.js';
import { checkDataPathPort, getCluster, publicSwarm, updateSwarm } from './swarm.js';

describe('controlapi swarm', () => {
  it('init stores the cluster with defaults, tokens and a leader manager node', async () => {
    const { deps, nodeId } = await initializedControl();
    const c = await getCluster(deps);
    assert.equal(c.Spec.Name, 'default');
    assert.equal(c.Spec.Orchestration.TaskHistoryRetentionLimit, 5);
    assert.equal(c.Spec.Dispatcher.HeartbeatPeriod, 5e9);
    assert.equal(c.Spec.Raft.ElectionTick, 10);
    assert.equal(c.DataPathPort, 4789);
    assert.deepEqual(c.DefaultAddrPool, ['10.0.0.0/8']);
    assert.match(c.JoinTokens.Worker, /^SWMTKN-1-d{50}-[0-9a-z]{25}$/);
    assert.notEqual(c.JoinTokens.Worker, c.JoinTokens.Manager);
    assert.ok(c.Version.Index > 0);
    const node = await deps.store.view().get('nodes', nodeId);
    assert.equal(node?.ManagerStatus?.Leader, true);
    assert.equal(node?.Spec.Role, 'manager');
  });

  it('the public view never carries the CA key or the token secrets', async () => {
    const { deps } = await initializedControl();
    const s = JSON.stringify(publicSwarm(await getCluster(deps)));
    assert.ok(!s.includes('KEYPEM'));
    assert.ok(!s.includes('TokenSecrets'));
    assert.ok(!s.includes('RootCAKey'));
  });

  it('update merges the spec, rotates only the asked token, and refuses a stale version', async () => {
    const { deps } = await initializedControl();
    const c0 = await getCluster(deps);
    const s1 = await updateSwarm(deps, {
      version: c0.Version.Index,
      spec: { ...c0.Spec, Orchestration: { TaskHistoryRetentionLimit: 9 } },
      rotateWorkerToken: true,
      rotateManagerToken: false,
      rotateManagerUnlockKey: false,
    });
    assert.equal(s1.Spec.Orchestration.TaskHistoryRetentionLimit, 9);
    assert.notEqual(s1.JoinTokens.Worker, c0.JoinTokens.Worker);
    assert.equal(s1.JoinTokens.Manager, c0.JoinTokens.Manager);
    assert.ok(s1.Version.Index > c0.Version.Index);

    await assert.rejects(
      updateSwarm(deps, { version: c0.Version.Index, spec: c0.Spec, rotateWorkerToken: false, rotateManagerToken: false, rotateManagerUnlockKey: false }),
      (e) => isShoalError(e, 'Conflict') && e.message === 'update out of sequence',
    );
    // The failed update changed nothing.
    assert.equal((await getCluster(deps)).Version.Index, s1.Version.Index);
  });

  it('rejects a bad spec naming the field, and writes nothing', async () => {
    const { deps } = await initializedControl();
    const c0 = await getCluster(deps);
    const bad = [
      [{ Orchestration: { TaskHistoryRetentionLimit: 'ten' } }, /Spec\.Orchestration\.TaskHistoryRetentionLimit: expected an integer/],
      [{ CAConfig: { NodeCertExpiry: 60e9 } }, /minimum certificate expiry time is 1h0m0s/],
      [{ Dispatcher: { HeartbeatPeriod: -1 } }, /Spec\.Dispatcher\.HeartbeatPeriod: must be at least 0/],
      [{ Labels: { a: 1 } }, /Spec\.Labels\.a: expected a string/],
      [{ Raft: { ElectionTick: 1, HeartbeatTick: 1 } }, /ElectionTick: must be greater than HeartbeatTick/],
      ['nope', /Spec: expected an object/],
    ] as const;
    for (const [spec, re] of bad) {
      await assert.rejects(
        updateSwarm(deps, { version: c0.Version.Index, spec, rotateWorkerToken: false, rotateManagerToken: false, rotateManagerUnlockKey: false }),
        (e) => isShoalError(e, 'InvalidArgument') && re.test(e.message),
      );
    }
    assert.equal((await getCluster(deps)).Version.Index, c0.Version.Index);
  });
});

describe('controlapi swarm: the data path port', () => {
  it('takes 1024–49151 (0 is the default 4789) and refuses the swarm listen port', () => {
    checkDataPathPort(0, 2377);
    checkDataPathPort(1024, 2377);
    checkDataPathPort(49151, 2377);
    for (const bad of [1023, 49152, 65535]) {
      assert.throws(() => checkDataPathPort(bad, 2377), (e: unknown) => isShoalError(e, 'InvalidArgument') && /^DataPathPort: the data path port must be within the range 1024 to 49151/.test(e.message));
    }
    assert.throws(() => checkDataPathPort(2377, 2377), (e: unknown) => isShoalError(e, 'InvalidArgument') && /^DataPathPort: 2377 is the swarm listen port/.test(e.message));
  });
});
