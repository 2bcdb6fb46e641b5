/**
 * End to end: the dashboard of a real one-node swarm. A node outside a swarm serves none; after `swarm init` the
 * manager serves it on `--dashboard-addr`; `/api/state` shows the node and a 2/2 service; a `docker service scale`
 * reaches an open SSE stream as a new snapshot with 3/3; Debian's chromium renders the page (hostname, service,
 * 3/3); `swarm leave` stops it and frees the port. A bad `--dashboard-addr` stops the daemon before it starts.
 * With two nodes in network namespaces of their own, on the default address: the manager serves it, the worker not.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DashboardSnapshot } from '../../src/dashboard/index.js';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, SHOAL_BUNDLE, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { nodeNet, type NodeNet } from '../harness/netlab.js';
import { freePort } from '../harness/registry.js';

const until = untilWithin(30_000);
const HOSTNAME = 'dash-e2e';

function getState(port: number): Promise<DashboardSnapshot> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/state', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as DashboardSnapshot) : reject(new Error(`status ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Collects the `snapshot` events of `/api/events`. */
function subscribe(port: number): { snapshots: DashboardSnapshot[]; close: () => void } {
  const snapshots: DashboardSnapshot[] = [];
  const req = request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const m = /^event: snapshot\ndata: (.*)$/s.exec(buf.slice(0, i));
        buf = buf.slice(i + 2);
        if (m) snapshots.push(JSON.parse(m[1] ?? '') as DashboardSnapshot);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { snapshots, close: () => req.destroy() };
}

describe('the dashboard of a real manager', { timeout: 180_000 }, () => {
  let d: TestDaemon;
  let port: number;

  before(async () => {
    port = await freePort();
    d = await startDaemon({ hostname: HOSTNAME, daemonArgs: ['--dashboard-addr', `127.0.0.1:${port}`] });
    ok(await d.docker('load', '-i', (await buildImageTar('web')).path), 'load web');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('a node outside a swarm serves no dashboard', async () => {
    assert.equal(await listening(port), false);
  });

  it('after swarm init, /api/state shows the node and the service at 2/2', async () => {
    const swarmPort = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${swarmPort}`, '--listen-addr', `127.0.0.1:${swarmPort}`), 'swarm init');
    ok(await d.docker('service', 'create', '--name', 'dashweb', '--replicas', '2', 'shoal-test/web:1'), 'service create');
    const state = await until('2/2 in /api/state', async () => {
      const s = await getState(port);
      return s.services.find((x) => x.name === 'dashweb')?.replicas === '2/2' ? s : undefined;
    });
    const nodeId = ok(await d.docker('info', '--format', '{{.Swarm.NodeID}}'), 'info').trim();
    const clusterId = ok(await d.docker('info', '--format', '{{.Swarm.Cluster.ID}}'), 'info').trim();
    assert.equal(state.cluster?.id, clusterId);
    assert.equal(state.cluster?.managers, 1);
    assert.equal(state.cluster?.workers, 0);
    assert.deepEqual(state.nodes.map((n) => [n.id, n.hostname, n.role, n.status, n.availability, n.managerStatus]), [[nodeId, HOSTNAME, 'manager', 'Ready', 'Active', 'Leader']]);
    const svc = state.services.find((x) => x.name === 'dashweb');
    assert.equal(svc?.image, 'shoal-test/web:1');
    assert.deepEqual(svc?.tasks.map((t) => [t.name, t.node, t.desiredState, t.state]), [
      ['dashweb.1', HOSTNAME, 'Running', 'Running'],
      ['dashweb.2', HOSTNAME, 'Running', 'Running'],
    ]);
    const token = ok(await d.docker('swarm', 'join-token', '-q', 'worker'), 'join-token').trim();
    assert.ok(!JSON.stringify(state).includes(token), 'no join token in the dashboard');
  });

  it('docker service scale reaches an open event stream as a new snapshot with 3/3', async () => {
    const sse = subscribe(port);
    try {
      await until('the first snapshot', async () => (sse.snapshots.length > 0 ? true : undefined));
      assert.equal(sse.snapshots[0]?.services.find((x) => x.name === 'dashweb')?.replicas, '2/2');
      ok(await d.docker('service', 'scale', 'dashweb=3'), 'service scale');
      const s = await until('3/3 on the stream', async () => sse.snapshots.find((x) => x.services.find((y) => y.name === 'dashweb')?.replicas === '3/3'));
      assert.equal(s.services.find((x) => x.name === 'dashweb')?.tasks.filter((t) => t.state === 'Running').length, 3);
    } finally {
      sse.close();
    }
  });

  it('chromium renders the page with the node and the service at 3/3', async () => {
    const r = await run('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', `http://127.0.0.1:${port}/`], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(HOSTNAME), `the hostname in the DOM:\n${r.stdout}`);
    assert.match(r.stdout, /<strong>dashweb<\/strong><\/td><td>replicated<\/td><td><span class="ok replicas">3\/3<\/span>/);
    assert.match(r.stdout, /dashweb\.3/);
    // Whether the worker's event stream has delivered by the dump is a race with chromium's virtual time (the
    // worker's request is deliberately outside it), so the connection badge is not asserted; the stream itself is
    // tested above and in src/dashboard/server.test.ts.
  });

  it('swarm leave stops the dashboard and frees its port', async () => {
    ok(await d.docker('swarm', 'leave', '--force'), 'swarm leave');
    await until('the port to be free', async () => ((await listening(port)) ? undefined : true), 10_000);
  });

  it('a bad --dashboard-addr is refused before the daemon starts, naming the flag', async () => {
    const r = await run(process.execPath, [SHOAL_BUNDLE, 'daemon', '--dashboard-addr', 'nowhere', '--data-root', `${d.dir}/bad`, '--exec-root', `${d.dir}/bad-exec`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /option '--dashboard-addr <host:port>' argument 'nowhere' is invalid\. invalid --dashboard-addr "nowhere": want HOST:PORT/);
  });
});

describe('the dashboard on a manager and a worker', { timeout: 180_000 }, () => {
  let lab: NodeNet;
  let m: TestDaemon;
  let w: TestDaemon;

  /** What `GET /api/state` on the node's own loopback (the default address) answers, or `refused`. */
  const stateIn = async (netns: string): Promise<string> => {
    const script = "fetch('http://127.0.0.1:2378/api/state').then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { process.stderr.write(String(e.cause?.code ?? e)); process.exit(1); })";
    const r = await run('ip', ['netns', 'exec', netns, process.execPath, '-e', script]);
    return r.code === 0 ? r.stdout : `refused: ${r.stderr.trim()}`;
  };

  before(async () => {
    lab = await nodeNet(2);
    const [n1, n2] = lab.nodes;
    assert.ok(n1 && n2);
    m = await startDaemon({ hostname: 'dash-mgr', netns: n1.netns, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    w = await startDaemon({ hostname: 'dash-wrk', netns: n2.netns, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    ok(await m.docker('swarm', 'init', '--advertise-addr', n1.addr), 'swarm init');
    const token = ok(await m.docker('swarm', 'join-token', '-q', 'worker'), 'join-token').trim();
    ok(await w.docker('swarm', 'join', '--token', token, `${n1.addr}:2377`), 'swarm join');
  });
  after(async () => {
    await w?.[Symbol.asyncDispose]();
    await m?.[Symbol.asyncDispose]();
    lab?.remove();
  });

  it('the manager serves it on 127.0.0.1:2378 by default and lists both nodes; the worker serves none', async () => {
    const [n1, n2] = lab.nodes;
    assert.ok(n1 && n2);
    const state = await until('both nodes Ready on the dashboard', async () => {
      const s = JSON.parse(await stateIn(n1.netns)) as DashboardSnapshot;
      return s.nodes.map((n) => `${n.hostname} ${n.role} ${n.status}`).join() === 'dash-mgr manager Ready,dash-wrk worker Ready' ? s : undefined;
    });
    assert.equal(state.cluster?.workers, 1);
    assert.equal(await stateIn(n2.netns), 'refused: ECONNREFUSED');
  });
});
