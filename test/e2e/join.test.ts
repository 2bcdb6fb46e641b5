/**
 * End to end: two real daemons, each in a network namespace of its own on one bridge (test/harness/netlab.ts), the
 * second joining the first's swarm as a worker through the unmodified docker CLI. Covers the join errors (already in
 * a swarm, wrong token, another cluster's token, unreachable manager), the worker role (503 on cluster state,
 * `docker info`'s swarm section), tasks placed on the worker, a worker restart, `node rm --force` revoking the
 * worker's certificate, and `swarm leave` on the worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { nodeNet, type NodeNet } from '../harness/netlab.js';

const until = untilWithin(30_000);

const WORKER_503 =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

describe('swarm join: a worker in its own network namespace', { timeout: 300_000 }, () => {
  let lab: NodeNet;
  let m: TestDaemon;
  let w: TestDaemon;
  let managerAddr: string;
  let workerAddr: string;
  let token: string;
  let workerId = '';

  const nodeRows = async (): Promise<string[]> =>
    ok(await m.docker('node', 'ls', '--format', '{{.Hostname}} {{.Status}}'), 'node ls').trim().split('\n').sort();

  before(async () => {
    lab = await nodeNet(2);
    const [n1, n2] = lab.nodes;
    assert.ok(n1 && n2);
    managerAddr = n1.addr;
    workerAddr = n2.addr;
    m = await startDaemon({ hostname: 'join-mgr', netns: n1.netns, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    w = await startDaemon({ hostname: 'join-wrk', netns: n2.netns, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    ok(await w.docker('load', '-i', (await buildImageTar('web')).path), 'load web on the worker');
    ok(await m.docker('swarm', 'init', '--advertise-addr', managerAddr), 'swarm init');
    token = ok(await m.docker('swarm', 'join-token', '-q', 'worker'), 'join-token').trim();
  });

  after(async () => {
    await w?.[Symbol.asyncDispose]();
    await m?.[Symbol.asyncDispose]();
    lab?.remove();
  });

  it('a node already in a swarm cannot join another', async () => {
    const r = await m.docker('swarm', 'join', '--token', token, `${managerAddr}:2377`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
  });

  it('refuses a malformed token, a wrong token and a token of another cluster, leaving the node out of any swarm', async () => {
    const malformed = await w.docker('swarm', 'join', '--token', 'SWMTKN-1-nope', `${managerAddr}:2377`);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^Error response from daemon: invalid join token/);
    const wrong = await w.docker('swarm', 'join', '--token', `${token.slice(0, -25)}${'a'.repeat(25)}`, `${managerAddr}:2377`);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr.trim(), 'Error response from daemon: rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster');
    const foreign = await w.docker('swarm', 'join', '--token', `SWMTKN-1-${'1'.repeat(50)}-${token.slice(-25)}`, `${managerAddr}:2377`);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr.trim(), /^Error response from daemon: error while validating Root CA Certificate: remote CA does not match fingerprint\. Expected: [0-9a-f]{64}$/);
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}}'), 'info').trim(), 'inactive');
    assert.deepEqual(await nodeRows(), ['join-mgr Ready'], 'no node was added');
  });

  it('an unreachable manager fails within 10 s with a clear error', async () => {
    const t0 = Date.now();
    const r = await w.docker('swarm', 'join', '--token', token, `${lab.subnet}.99:2377`);
    const took = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error response from daemon: could not connect to the manager at ${lab.subnet.replaceAll('.', '\\.')}\\.99:2377: `));
    assert.ok(took < 10_000, `took ${took} ms`);
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}}'), 'info').trim(), 'inactive');
  });

  it('joins as a worker with the docker CLI; the manager lists 2 nodes Ready', async () => {
    const r = await w.docker('swarm', 'join', '--token', token, `${managerAddr}:2377`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'This node joined a swarm as a worker.\n');
    await until('both nodes ready', async () => ((await nodeRows()).join() === 'join-mgr Ready,join-wrk Ready' ? true : undefined));
    workerId = ok(await w.docker('info', '--format', '{{.Swarm.NodeID}}'), 'info').trim();
    assert.match(workerId, /^[0-9a-z]{25}$/);
    const inspect = JSON.parse(ok(await m.docker('node', 'inspect', workerId), 'node inspect')) as Record<string, unknown>[];
    const node = inspect[0] ?? {};
    assert.equal((node['Spec'] as { Role: string }).Role, 'worker');
    assert.equal((node['Status'] as { Addr: string }).Addr, workerAddr);
    assert.equal('DataPathAddr' in node, false, 'the internal data path address is never rendered');
  });

  it('the worker shows its swarm section as docker does, and refuses cluster state with 503', async () => {
    const fields = ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeAddr}}'), 'info').trim();
    assert.equal(fields, `active false ${workerAddr}`);
    for (const cli of [w.docker.bind(w), w.shoal.bind(w)]) {
      const text = ok(await cli('info'), 'info');
      assert.match(text, /\n {2}Is Manager: false\n/);
      assert.match(text, new RegExp(`\\n {2}Node Address: ${workerAddr.replaceAll('.', '\\.')}\\n`));
      assert.match(text, new RegExp(`\\n {2}Manager Addresses:\\n {3}${managerAddr.replaceAll('.', '\\.')}:2377\\n`));
    }
    const ls = await w.docker('node', 'ls');
    assert.equal(ls.code, 1);
    assert.equal(ls.stderr.trim(), `Error response from daemon: ${WORKER_503}`);
    const create = await w.docker('service', 'create', '--name', 'nope', 'shoal-test/web:1');
    assert.equal(create.code, 1);
    assert.match(create.stderr, /Worker nodes can't be used to view or modify cluster state/);
    const again = await w.docker('swarm', 'join', '--token', token, `${managerAddr}:2377`);
    assert.match(again.stderr, /This node is already part of a swarm/);
  });

  it('runs a replicated service constrained to workers on the worker', async () => {
    ok(await m.docker('service', 'create', '-d', '--name', 'onw', '--replicas', '2', '--constraint', 'node.role==worker', 'shoal-test/web:1'), 'service create');
    await until('2 running tasks on the worker', async () => {
      const rows = ok(await m.docker('service', 'ps', 'onw', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'), 'service ps').trim().split('\n');
      return rows.length === 2 && rows.every((r) => /^join-wrk Running/.test(r)) ? true : undefined;
    }, 60_000);
    const names = ok(await w.docker('ps', '--filter', 'label=com.docker.swarm.service.name=onw', '--format', '{{.Names}}'), 'ps on the worker').trim().split('\n').sort();
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, /^onw\.[12]\.[0-9a-z]{25}$/);
    const onManager = ok(await m.docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=onw'), 'ps on the manager').trim();
    assert.equal(onManager, '', 'no task on the manager');
  });

  it('a restarted worker opens its session again and keeps its tasks', async () => {
    const sessions = (): number => w.log().split('session established').length - 1;
    const before = sessions();
    assert.ok(before >= 1);
    await w.restart();
    await until('the worker’s new session', async () => (sessions() > before && (await nodeRows()).join() === 'join-mgr Ready,join-wrk Ready' ? true : undefined));
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}'), 'info').trim(), `active ${workerId}`);
    await until('2/2', async () => (ok(await m.docker('service', 'ls', '--filter', 'name=onw', '--format', '{{.Replicas}}'), 'service ls').trim() === '2/2' ? true : undefined));
  });

  it('node rm --force ends the worker’s session, and its certificate is refused from then on', async () => {
    ok(await m.docker('service', 'rm', 'onw'), 'service rm');
    await until('the worker’s tasks gone', async () => (ok(await w.docker('ps', '-q'), 'ps').trim() === '' ? true : undefined));
    ok(await m.docker('node', 'rm', '--force', workerId), 'node rm --force');
    assert.deepEqual(await nodeRows(), ['join-mgr Ready']);
    await until('the worker refused', async () => (w.log().includes(`node ${workerId} is not a member of this cluster`) ? true : undefined));
    assert.deepEqual(await nodeRows(), ['join-mgr Ready'], 'the removed worker does not come back');
  });

  it('swarm leave on the worker needs no --force and leaves it outside any swarm', async () => {
    const r = await w.docker('swarm', 'leave');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Node left the swarm.\n');
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}}'), 'info').trim(), 'inactive');
    const ls = await w.docker('node', 'ls');
    assert.match(ls.stderr, /This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join"/);
  });

  it('joins again with the shoal CLI and its flags (advertise, data path address, availability)', async () => {
    const r = await w.shoal('swarm', 'join', '--token', token, '--advertise-addr', workerAddr, '--data-path-addr', workerAddr, '--availability', 'drain', `${managerAddr}:2377`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'This node joined a swarm as a worker.\n');
    const id = ok(await w.shoal('info', '--format', '{{.Swarm.NodeID}}'), 'info').trim();
    assert.notEqual(id, workerId, 'a new node');
    await until('the new node ready', async () => {
      const row = ok(await m.docker('node', 'ls', '--filter', `id=${id}`, '--format', '{{.Hostname}} {{.Status}} {{.Availability}}'), 'node ls').trim();
      return row === 'join-wrk Ready Drain' ? true : undefined;
    });
    const bad = await w.shoal('swarm', 'join', '--token', token, '--availability', 'busy', `${managerAddr}:2377`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /must be one of: active, pause, drain/);
    ok(await w.shoal('swarm', 'leave'), 'leave');
    ok(await m.docker('node', 'rm', '--force', id), 'node rm');
  });

  it('swarm init checks --data-path-port: 1024–49151 and not the listen port', async () => {
    const low = await w.docker('swarm', 'init', '--advertise-addr', workerAddr, '--data-path-port', '1000');
    assert.equal(low.code, 1);
    assert.match(low.stderr, /DataPathPort: the data path port must be within the range 1024 to 49151, got 1000/);
    const same = await w.docker('swarm', 'init', '--advertise-addr', workerAddr, '--listen-addr', '0.0.0.0:4800', '--data-path-port', '4800');
    assert.equal(same.code, 1);
    assert.match(same.stderr, /DataPathPort: 4800 is the swarm listen port/);
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.LocalNodeState}}'), 'info').trim(), 'inactive');
    ok(await w.docker('swarm', 'init', '--advertise-addr', workerAddr, '--data-path-port', '4790'), 'init with a data path port');
    assert.equal(ok(await w.docker('info', '--format', '{{.Swarm.Cluster.DataPathPort}}'), 'info').trim(), '4790');
    ok(await w.docker('swarm', 'leave', '--force'), 'leave');
  });
});
