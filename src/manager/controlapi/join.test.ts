import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidArgument, isShoalError, type ShoalError } from '../../api/errors.js';
import type { NodeRole } from '../../api/types.js';
import { initializedControl, type ControlHarness } from '../../../test/builders/control.js';
import { joinNode, MANAGER_JOIN_UNSUPPORTED, renewNodeCertificate, type JoinCA, type JoinDeps } from './join.js';
import { getCluster, updateSwarm } from './swarm.js';

type SignRequest = Parameters<JoinCA['signCSR']>[0];

/** A CA port that checks tokens by their secret part and records what it was asked to sign. */
function fakeCA(): JoinCA & { signed: SignRequest[] } {
  const signed: SignRequest[] = [];
  return {
    signed,
    checkJoinToken(token, secrets): NodeRole {
      const secret = token.split('-')[3];
      if (secret === secrets.managerSecret) return 'manager';
      if (secret === secrets.workerSecret) return 'worker';
      throw invalidArgument('join_token.rejected', 'A valid join token is necessary to join this cluster');
    },
    signCSR(req) {
      if (req.csrPem !== 'CSR') return Promise.reject(invalidArgument('ca.invalid_csr', 'CSR: not a valid PKCS#10 request'));
      signed.push(req);
      return Promise.resolve(`CERT(${req.nodeId},${req.role},${req.expiryMs})`);
    },
  };
}

async function setup(): Promise<{ h: ControlHarness; deps: JoinDeps; ca: ReturnType<typeof fakeCA>; worker: string; manager: string }> {
  const h = await initializedControl();
  const ca = fakeCA();
  const cluster = await getCluster(h.deps);
  return { h, deps: { ...h.deps, ca }, ca, worker: cluster.JoinTokens.Worker, manager: cluster.JoinTokens.Manager };
}

async function refusal(p: Promise<unknown>): Promise<ShoalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isShoalError(e), String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

const HOUR_NS = 3600e9;

describe('controlapi join', () => {
  it('a worker token admits a worker: signed CSR, a node in state unknown, the managers and the root', async () => {
    const { h, deps, ca, worker } = await setup();
    const r = await joinNode(deps, { token: worker, csrPem: 'CSR', hostname: 'w1', remoteAddr: '10.0.0.7', availability: 'drain', dataPathAddr: '10.1.0.7' });
    assert.equal(r.role, 'worker');
    assert.match(r.nodeId, /^[0-9a-z]{25}$/);
    assert.equal(r.clusterId, 'c'.repeat(25));
    assert.equal(r.rootCertPem, 'ROOT');
    assert.deepEqual(r.managers, ['10.0.0.1:2377']);
    assert.equal(r.certPem, `CERT(${r.nodeId},worker,${90 * 24 * 3600e3})`);
    assert.deepEqual(ca.signed[0]?.ca, { certPem: 'ROOT', keyPem: 'KEYPEM' });
    const node = await h.deps.store.view().get('nodes', r.nodeId);
    assert.equal(node?.Status.State, 'unknown');
    assert.equal(node?.Status.Addr, '10.0.0.7');
    assert.equal(node?.Spec.Role, 'worker');
    assert.equal(node?.Spec.Availability, 'drain');
    assert.equal(node?.Description.Hostname, 'w1');
    assert.equal(node?.DataPathAddr, '10.1.0.7');
    assert.equal(node?.ManagerStatus, undefined);
  });

  it('the advertised address, when given, is the node address; no data path address is stored unless given', async () => {
    const { h, deps, worker } = await setup();
    const r = await joinNode(deps, { token: worker, csrPem: 'CSR', hostname: 'w2', remoteAddr: '10.0.0.8', advertiseAddr: '192.168.5.5' });
    const node = await h.deps.store.view().get('nodes', r.nodeId);
    assert.equal(node?.Status.Addr, '192.168.5.5');
    assert.equal(node?.Spec.Availability, 'active');
    assert.equal('DataPathAddr' in (node ?? {}), false);
  });

  it('refuses a wrong token, a manager token (for now) and a bad CSR, and stores no node for them', async () => {
    const { h, deps, worker, manager } = await setup();
    const wrong = await refusal(joinNode(deps, { token: `SWMTKN-1-${'d'.repeat(50)}-${'z'.repeat(25)}`, csrPem: 'CSR', hostname: 'x', remoteAddr: '10.0.0.9' }));
    assert.equal(wrong.message, 'A valid join token is necessary to join this cluster');
    const asManager = await refusal(joinNode(deps, { token: manager, csrPem: 'CSR', hostname: 'x', remoteAddr: '10.0.0.9' }));
    assert.deepEqual([asManager.kind, asManager.message], ['FailedPrecondition', MANAGER_JOIN_UNSUPPORTED]);
    const badCsr = await refusal(joinNode(deps, { token: worker, csrPem: 'junk', hostname: 'x', remoteAddr: '10.0.0.9' }));
    assert.equal(badCsr.code, 'ca.invalid_csr');
    const badAddr = await refusal(joinNode(deps, { token: worker, csrPem: 'CSR', hostname: 'x', remoteAddr: '10.0.0.9', dataPathAddr: 'eth0' }));
    assert.match(badAddr.message, /^dataPathAddr: "eth0" is not an IPv4 address/);
    assert.equal((await h.deps.store.view().list('nodes')).length, 1, 'only the manager');
  });

  it('a rotated worker token stops admitting new nodes', async () => {
    const { h, deps, worker } = await setup();
    const c = await getCluster(h.deps);
    await updateSwarm(h.deps, { version: c.Version.Index, spec: c.Spec, rotateWorkerToken: true, rotateManagerToken: false, rotateManagerUnlockKey: false });
    const e = await refusal(joinNode(deps, { token: worker, csrPem: 'CSR', hostname: 'x', remoteAddr: '10.0.0.9' }));
    assert.equal(e.code, 'join_token.rejected');
    const fresh = (await getCluster(h.deps)).JoinTokens.Worker;
    assert.equal((await joinNode(deps, { token: fresh, csrPem: 'CSR', hostname: 'x', remoteAddr: '10.0.0.9' })).role, 'worker');
  });

  it('renewal signs for the node in its current role with the expiry in force now; a removed node is refused', async () => {
    const { h, deps, ca, worker } = await setup();
    const r = await joinNode(deps, { token: worker, csrPem: 'CSR', hostname: 'w1', remoteAddr: '10.0.0.7' });
    const c = await getCluster(h.deps);
    await updateSwarm(h.deps, {
      version: c.Version.Index,
      spec: { ...c.Spec, CAConfig: { NodeCertExpiry: 2 * HOUR_NS } },
      rotateWorkerToken: false,
      rotateManagerToken: false,
      rotateManagerUnlockKey: false,
    });
    h.clock.advance(1000);
    const renewed = await renewNodeCertificate(deps, r.nodeId, 'CSR');
    assert.equal(renewed.certPem, `CERT(${r.nodeId},worker,${2 * 3600e3})`);
    assert.equal(ca.signed.at(-1)?.now, h.clock.now());
    await h.deps.store.update((tx) => tx.delete('nodes', r.nodeId));
    const gone = await refusal(renewNodeCertificate(deps, r.nodeId, 'CSR'));
    assert.deepEqual([gone.code, gone.message], ['rpc.node_revoked', `node ${r.nodeId} is not a member of this cluster`]);
  });
});
