/**
 * The CA on the RPC listener, at the rpc level, over real mutual TLS on loopback: who may call what without a
 * certificate, with a foreign or expired one, or with the certificate of a node that was removed; the joiner's
 * errors; and certificate renewal.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isShoalError, type ShoalError } from '../api/errors.js';
import type { Cluster } from '../api/types.js';
import { createRootCA, formatJoinToken, issueNodeCertificate, newTokenSecret, parseNodeCertificate, tlsInfo, type RootCA } from '../ca/index.js';
import { nullLogger } from '../lib/logger.js';
import { cryptoRandom } from '../lib/random-crypto.js';
import { seededRandom } from '../lib/random.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { MANAGER_JOIN_UNSUPPORTED } from '../manager/controlapi/join.js';
import { getCluster, initCluster, updateSwarm } from '../manager/controlapi/swarm.js';
import { connectRpc, startRpcServer, unaryRoute, type RpcServer, type RpcTls } from '../rpc/index.js';
import { Store } from '../store/core/store.js';
import { createMemoryBackend } from '../store/memory/memory-backend.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { caRoutes, refuseRemovedNodes } from './ca-routes.js';
import { CertRenewer } from './cert-renewal.js';
import { joinCluster, type JoinedCluster } from './join-client.js';
import type { NodeCertificates } from './local-state.js';

async function refusal(p: Promise<unknown>): Promise<ShoalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a refusal');
}

/** The HTTP/2 status and body of one raw call, to see what goes on the wire. */
function rawCall(addr: string, path: string, tls: { caPem?: string; certPem?: string; keyPem?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(`https://${addr}`, {
      ca: tls.caPem === undefined ? undefined : [tls.caPem],
      rejectUnauthorized: tls.caPem !== undefined,
      servername: 'swarm-manager',
      ...(tls.certPem !== undefined ? { cert: tls.certPem, key: tls.keyPem } : {}),
    });
    s.on('error', reject);
    const req = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      s.close();
      resolve({ status, body });
    });
    req.on('error', (e: Error) => {
      s.destroy();
      reject(e);
    });
    req.end('{}');
  });
}

/** The fingerprint of the certificate the server presents to a new connection. */
function serverFingerprint(addr: string, caPem: string): Promise<string> {
  const [host = '', port = ''] = addr.split(':');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), ca: [caPem], servername: 'swarm-manager', ALPNProtocols: ['h2'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

const toTls = (j: JoinedCluster): RpcTls => ({ certPem: j.nodeCertPem, keyPem: j.nodeKeyPem, caPem: j.rootCertPem });

describe('the CA over the swarm port', { timeout: 60_000 }, () => {
  const clock = new FakeClock(Date.now());
  let ca: RootCA;
  let store: Store;
  let server: RpcServer;
  let cluster: Cluster;
  let managerTls: RpcTls;
  const seen: string[] = [];
  const silent: Server[] = [];

  const join = (token: string, extra: Partial<Parameters<typeof joinCluster>[0]> = {}): Promise<JoinedCluster> =>
    joinCluster({ address: server.addr, token, hostname: 'w', clock, logger: nullLogger, ...extra });

  before(async () => {
    ca = await createRootCA({ now: clock.now() });
    store = new Store(createMemoryBackend({ clock }));
    const deps: ControlDeps = {
      store,
      clock,
      random: seededRandom(7),
      pki: { newTokenSecret: () => newTokenSecret(cryptoRandom), formatJoinToken, tlsInfo },
    };
    const managerId = 'm'.repeat(25);
    await initCluster(deps, {
      clusterId: 'c'.repeat(25),
      nodeId: managerId,
      rootCA: ca,
      spec: {},
      description: { Hostname: 'm', Platform: { Architecture: '', OS: '' }, Resources: { NanoCPUs: 0, MemoryBytes: 0 }, Engine: { EngineVersion: '', Plugins: [] }, TLSInfo: tlsInfo(ca.certPem) },
      advertiseAddr: '127.0.0.1:2377',
      nodeAddr: '127.0.0.1',
    });
    cluster = await getCluster(deps);
    const m = await issueNodeCertificate({ ca, nodeId: managerId, role: 'manager', clusterId: cluster.ID, now: clock.now() });
    managerTls = { certPem: m.certPem, keyPem: m.keyPem, caPem: ca.certPem };
    server = await startRpcServer({
      listen: '127.0.0.1:0',
      tls: managerTls,
      routes: [
        ...caRoutes({ store, clock, random: seededRandom(8) }),
        unaryRoute({
          path: '/test/who',
          decode: (b) => b,
          handler: (_b, ctx) => {
            seen.push(ctx.peer.nodeId);
            return { nodeId: ctx.peer.nodeId };
          },
        }),
      ],
      authorize: refuseRemovedNodes(store),
      logger: nullLogger,
    });
  });

  after(async () => {
    await server?.close();
    for (const s of silent) s.close();
  });

  it('without a client certificate only /ca/root and /ca/join answer; the rest is 401', async () => {
    const root = await rawCall(server.addr, '/ca/root', {});
    assert.equal(root.status, 200);
    assert.equal((JSON.parse(root.body) as { rootCertPem: string }).rootCertPem, ca.certPem);
    const who = await rawCall(server.addr, '/test/who', { caPem: ca.certPem });
    assert.equal(who.status, 401);
    assert.match(who.body, /rpc\.unauthenticated/);
    const renew = await rawCall(server.addr, '/ca/renew', { caPem: ca.certPem });
    assert.equal(renew.status, 401);
    const anon = connectRpc({ address: server.addr, tls: { caPem: ca.certPem }, logger: nullLogger });
    const e = await refusal(anon.call('/dispatcher/heartbeat', {}));
    assert.equal(e.code, 'rpc.unknown_route', 'an unknown route is still unknown');
    const e2 = await refusal(anon.call('/test/who', {}));
    assert.equal(e2.code, 'rpc.unauthenticated');
    await anon.close();
    assert.deepEqual(seen, []);
  });

  it('a worker token joins: a certificate for a new node, which then authenticates its calls', async () => {
    const j = await join(cluster.JoinTokens.Worker, { availability: 'pause', dataPathAddr: '10.9.9.9' });
    assert.equal(j.role, 'worker');
    assert.equal(j.clusterId, cluster.ID);
    assert.deepEqual(j.managers, ['127.0.0.1:2377']);
    assert.equal(j.localAddress, '127.0.0.1');
    const id = parseNodeCertificate(j.nodeCertPem);
    assert.deepEqual([id.nodeId, id.role, id.clusterId], [j.nodeId, 'worker', cluster.ID]);
    const node = await store.view().get('nodes', j.nodeId);
    assert.deepEqual([node?.Status.State, node?.Spec.Availability, node?.DataPathAddr], ['unknown', 'pause', '10.9.9.9']);
    const c = connectRpc({ address: server.addr, tls: toTls(j), logger: nullLogger });
    assert.deepEqual(await c.call('/test/who', {}), { nodeId: j.nodeId });
    await c.close();
  });

  it('refuses a wrong token, a token of another cluster and a manager token with the contract’s messages', async () => {
    const before = (await store.view().list('nodes')).length;
    const wrong = await refusal(join(formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom))));
    assert.equal(wrong.message, 'rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster');
    const other = await createRootCA({ now: clock.now() });
    const foreign = await refusal(join(formatJoinToken(other.certPem, newTokenSecret(cryptoRandom))));
    assert.match(foreign.message, /^error while validating Root CA Certificate: remote CA does not match fingerprint\. Expected: [0-9a-f]{64}$/);
    const manager = await refusal(join(cluster.JoinTokens.Manager));
    assert.equal(manager.message, MANAGER_JOIN_UNSUPPORTED);
    assert.equal((await store.view().list('nodes')).length, before, 'no node was created');
  });

  it('an unreachable manager fails within the deadline with "could not connect to the manager"', async () => {
    // Nothing listens: refused at once.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const refused = await refusal(joinCluster({ address: `127.0.0.1:${port}`, token: cluster.JoinTokens.Worker, hostname: 'w', clock, logger: nullLogger }));
    assert.match(refused.message, new RegExp(`^could not connect to the manager at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    // Something accepts the connection and never answers: the deadline.
    const mute = createServer(() => undefined);
    silent.push(mute);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const mutePort = (mute.address() as { port: number }).port;
    const t0 = Date.now();
    const hung = await refusal(joinCluster({ address: `127.0.0.1:${mutePort}`, token: cluster.JoinTokens.Worker, hostname: 'w', clock, logger: nullLogger }));
    const took = Date.now() - t0;
    assert.match(hung.message, /^could not connect to the manager at 127\.0\.0\.1:\d+: .*deadline/);
    assert.ok(took < 10_000, `took ${took} ms`);
  });

  it('a certificate from another CA, or an expired one, is refused by the TLS handshake', async () => {
    const other = await createRootCA({ now: clock.now() });
    const stranger = await issueNodeCertificate({ ca: other, nodeId: 'evil', role: 'manager', clusterId: cluster.ID, now: clock.now() });
    const before = seen.length;
    const c = connectRpc({ address: server.addr, tls: { certPem: stranger.certPem, keyPem: stranger.keyPem, caPem: ca.certPem }, logger: nullLogger });
    assert.equal((await refusal(c.call('/test/who', {}))).kind, 'Unavailable');
    assert.equal((await refusal(c.call('/ca/root', {}))).kind, 'Unavailable', 'not even the public routes');
    await c.close();
    const old = await issueNodeCertificate({ ca, nodeId: 'old', role: 'worker', clusterId: cluster.ID, now: Date.now() - 3 * 3600_000, expiryMs: 3600_000 });
    const expired = connectRpc({ address: server.addr, tls: { certPem: old.certPem, keyPem: old.keyPem, caPem: ca.certPem }, logger: nullLogger });
    assert.equal((await refusal(expired.call('/test/who', {}))).kind, 'Unavailable');
    await expired.close();
    assert.equal(seen.length, before, 'no handler ran');
  });

  it('a removed node’s certificate is refused on every call with 403', async () => {
    const j = await join(cluster.JoinTokens.Worker);
    const c = connectRpc({ address: server.addr, tls: toTls(j), logger: nullLogger });
    await c.call('/test/who', {});
    await store.update((tx) => tx.delete('nodes', j.nodeId));
    const e = await refusal(c.call('/test/who', {}));
    assert.deepEqual([e.code, e.message], ['rpc.node_revoked', `node ${j.nodeId} is not a member of this cluster`]);
    const renew = await refusal(c.call('/ca/renew', { csrPem: 'x' }));
    assert.equal(renew.code, 'rpc.node_revoked');
    await c.close();
    const raw = await rawCall(server.addr, '/test/who', toTls(j));
    assert.equal(raw.status, 403);
    assert.match(raw.body, /is not a member of this cluster/);
  });

  it('a renewed server certificate is presented to new connections', async () => {
    const before = await serverFingerprint(server.addr, ca.certPem);
    const renewed = await issueNodeCertificate({ ca, nodeId: 'm'.repeat(25), role: 'manager', clusterId: cluster.ID, now: Date.now() });
    server.updateTls({ certPem: renewed.certPem, keyPem: renewed.keyPem, caPem: ca.certPem });
    const after = await serverFingerprint(server.addr, ca.certPem);
    assert.notEqual(after, before);
    const j = await join(cluster.JoinTokens.Worker);
    const c = connectRpc({ address: server.addr, tls: toTls(j), logger: nullLogger });
    assert.deepEqual(await c.call('/test/who', {}), { nodeId: j.nodeId }, 'mutual TLS still works');
    await c.close();
  });

  // Moves the fake clock weeks ahead: certificates issued after it are not valid yet in real time, so it runs last.
  it('renews a certificate once 70 % of its validity has passed, with the expiry in force then', async () => {
    const j = await join(cluster.JoinTokens.Worker);
    let certs: NodeCertificates = { rootCertPem: j.rootCertPem, nodeCertPem: j.nodeCertPem, nodeKeyPem: j.nodeKeyPem };
    const saved: NodeCertificates[] = [];
    const renewer = new CertRenewer({
      current: () => certs,
      managers: () => [server.addr],
      save: (c) => {
        saved.push(c);
        certs = c;
      },
      clock,
      logger: nullLogger,
    });
    assert.equal(await renewer.renewIfDue(), false, 'a fresh certificate is not due');
    const id = parseNodeCertificate(j.nodeCertPem);
    // swarm update --cert-expiry 2h: the next certificate lasts 2 h.
    const c = await getCluster({ store });
    await updateSwarm(
      { store, clock, random: seededRandom(9), pki: { newTokenSecret: () => newTokenSecret(cryptoRandom), formatJoinToken, tlsInfo } },
      { version: c.Version.Index, spec: { ...c.Spec, CAConfig: { NodeCertExpiry: 2 * 3600e9 } }, rotateWorkerToken: false, rotateManagerToken: false, rotateManagerUnlockKey: false },
    );
    const due = id.notBefore + 0.7 * (id.notAfter - id.notBefore);
    clock.advance(due - clock.now() - 1000);
    assert.equal(await renewer.renewIfDue(), false, 'not yet at 70 %');
    clock.advance(1000);
    assert.equal(await renewer.renewIfDue(), true);
    assert.equal(saved.length, 1);
    const renewed = parseNodeCertificate(saved[0]?.nodeCertPem ?? '');
    assert.deepEqual([renewed.nodeId, renewed.role], [j.nodeId, 'worker']);
    assert.equal(renewed.notAfter - renewed.notBefore, 3 * 3600_000, '2 h from now, backdated 1 h');
    assert.ok(Math.abs(renewed.notAfter - (clock.now() + 2 * 3600_000)) < 1000);
    assert.notEqual(saved[0]?.nodeKeyPem, j.nodeKeyPem, 'a new key');
    assert.equal(await renewer.renewIfDue(), false, 'the new certificate is not due');
  });
});
