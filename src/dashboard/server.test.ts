/**
 * The dashboard server over an in-memory store: the page, `/api/state`, the SSE stream (first snapshot, a new one
 * per change, coalescing, heartbeats, the watch stopped when the client leaves), read-only methods, unknown paths,
 * and a bind failure that is a warning, not a crash.
 */
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Node, Service, Task } from '../api/types.js';
import { waitFor } from '../lib/async.js';
import { systemClock } from '../lib/clock.js';
import { captureLogger, nullLogger } from '../lib/logger.js';
import type { Backend } from '../store/core/backend.js';
import { Store } from '../store/core/store.js';
import { createMemoryBackend } from '../store/memory/memory-backend.js';
import { FakeClock } from '../../test/fakes/clock.js';
import type { DashboardSnapshot } from './snapshot.js';
import { allowedHost, DashboardServer, parseDashboardAddr, startDashboard } from './server.js';

const T0 = '2024-01-01T00:00:00.000Z';

/** A memory backend that counts the store watches open on it (the fake boundary the server uses). */
function countingBackend(): { backend: Backend; open: () => number } {
  const inner = createMemoryBackend();
  let open = 0;
  const backend: Backend = {
    get: (k) => inner.get(k),
    range: (p) => inner.range(p),
    txn: (c, o) => inner.txn(c, o),
    rev: () => inner.rev(),
    grantLease: (t) => inner.grantLease(t),
    keepAlive: (l) => inner.keepAlive(l),
    revokeLease: (l) => inner.revokeLease(l),
    compact: (r) => inner.compact(r),
    close: () => inner.close(),
    async *watch(prefix, afterRev, signal) {
      open++;
      try {
        yield* inner.watch(prefix, afterRev, signal);
      } finally {
        open--;
      }
    },
  };
  return { backend, open: () => open };
}

const node: Node = {
  ID: 'node1',
  Version: { Index: 0 },
  CreatedAt: T0,
  UpdatedAt: T0,
  Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
  Description: {
    Hostname: 'dash-host',
    Platform: { Architecture: 'x86_64', OS: 'linux' },
    Resources: { NanoCPUs: 1, MemoryBytes: 1 },
    Engine: { EngineVersion: '0.1.0', Plugins: [] },
    TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
  },
  Status: { State: 'ready', Addr: '127.0.0.1' },
  ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' },
};

const service = (replicas: number): Service => ({
  ID: 'svc1',
  Version: { Index: 0 },
  CreatedAt: T0,
  UpdatedAt: T0,
  Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'web:1' } }, Mode: { Replicated: { Replicas: replicas } } },
});

const task = (slot: number): Task => ({
  ID: `task${slot}`,
  Version: { Index: 0 },
  CreatedAt: T0,
  UpdatedAt: T0,
  Labels: {},
  Spec: {},
  ServiceID: 'svc1',
  Slot: slot,
  NodeID: 'node1',
  Status: { Timestamp: T0, State: 'running', Message: 'started' },
  DesiredState: 'running',
});

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An SSE client that collects `snapshot` events and comment lines. */
function subscribe(port: number): Promise<{ snapshots: DashboardSnapshot[]; comments: string[]; headers: IncomingMessage['headers']; close: () => void }> {
  return new Promise((resolve, reject) => {
    const snapshots: DashboardSnapshot[] = [];
    const comments: string[] = [];
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { accept: 'text/event-stream' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) comments.push(block.slice(1).trim());
          const data = /^event: snapshot\ndata: (.*)$/s.exec(block);
          if (data) snapshots.push(JSON.parse(data[1] ?? '') as DashboardSnapshot);
        }
      });
      res.on('error', () => undefined);
      resolve({ snapshots, comments, headers: res.headers, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

const until = <T>(what: string, check: () => T | undefined): Promise<T> => waitFor(systemClock, check, { timeoutMs: 5000, intervalMs: 5, what });

describe('dashboard server', () => {
  const clock = new FakeClock(Date.parse(T0) + 60_000);
  const counting = countingBackend();
  const store = new Store(counting.backend);
  let dash: DashboardServer;
  let port: number;

  before(async () => {
    await store.update((tx) => {
      tx.create('nodes', { ...node });
      tx.create('services', service(2));
      tx.create('tasks', task(1));
      tx.create('tasks', task(2));
    });
    dash = await DashboardServer.start({ store, listen: { host: '127.0.0.1', port: 0 }, clock, logger: nullLogger, heartbeatMs: 100 });
    port = dash.address.port;
  });
  after(async () => {
    await dash?.close();
    await store.close();
  });

  it('serves one self-contained page whose only script is pinned by the CSP', async () => {
    const r = await call(port, 'GET', '/');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/html/);
    assert.match(r.body, /^<!doctype html>/);
    assert.match(r.body, /<script>[\s\S]*new Worker\('events-worker\.js'\)[\s\S]*<\/script>/);
    const worker = await call(port, 'GET', '/events-worker.js');
    assert.equal(worker.status, 200);
    assert.match(worker.headers['content-type'] ?? '', /^text\/javascript/);
    assert.match(worker.body, /new EventSource\('api\/events'\)/);
    assert.ok(!/(src|href)=["']?(https?:)?\/\//.test(r.body), 'no external URL');
    assert.match(String(r.headers['content-security-policy'] ?? ''), /script-src 'sha256-[A-Za-z0-9+/=]{44}'/);
    const { createHash } = await import('node:crypto');
    const script = /<script>([\s\S]*)<\/script>/.exec(r.body)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    assert.ok(r.headers['content-security-policy']?.includes(`'sha256-${hash}'`), 'the CSP hash is the served script');
    const head = await call(port, 'HEAD', '/');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('GET /api/state returns the snapshot of the store', async () => {
    const r = await call(port, 'GET', '/api/state');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    const s = JSON.parse(r.body) as DashboardSnapshot;
    assert.deepEqual(s.nodes.map((n) => [n.hostname, n.status, n.managerStatus]), [['dash-host', 'Ready', 'Leader']]);
    assert.deepEqual(s.services.map((x) => [x.name, x.replicas]), [['web', '2/2']]);
    assert.deepEqual(s.services[0]?.tasks.map((t) => [t.name, t.node, t.currentState]), [
      ['web.1', 'dash-host', 'Running about a minute ago'],
      ['web.2', 'dash-host', 'Running about a minute ago'],
    ]);
  });

  it('unknown paths are 404 and other methods 405, as JSON errors', async () => {
    const missing = await call(port, 'GET', '/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'page not found: /nope' });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await call(port, method, '/api/state');
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.match((JSON.parse(r.body) as { message: string }).message, new RegExp(`method ${method} not allowed on /api/state`));
    }
    assert.equal((await call(port, 'POST', '/api/events')).status, 405);
    assert.equal((await call(port, 'GET', '/api/state/../../etc/passwd')).status, 404);
  });

  it('answers only a Host that is an IP address, localhost or the configured name (no DNS rebinding)', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, '10.0.0.7']) {
      assert.equal((await call(port, 'GET', '/api/state', { host })).status, 200, host);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io', 'bad host']) {
      const r = await call(port, 'GET', '/api/state', { host });
      assert.equal(r.status, 403, host);
      assert.match((JSON.parse(r.body) as { message: string }).message, /is not allowed: open the dashboard by IP address or localhost/);
    }
    assert.equal(allowedHost('mgr1.lan:2378', 'mgr1.lan'), true, 'the name given in --dashboard-addr');
    assert.equal(allowedHost('mgr1.lan:2378', '0.0.0.0'), false);
  });

  it('streams a snapshot at once, a new one per change (coalesced), heartbeats, and stops the watch when the client goes', async () => {
    assert.equal(counting.open(), 0);
    const sse = await subscribe(port);
    assert.match(sse.headers['content-type'] ?? '', /^text\/event-stream/);
    await until('the first snapshot', () => (sse.snapshots.length === 1 ? true : undefined));
    assert.equal(sse.snapshots[0]?.services[0]?.replicas, '2/2');
    await until('the watch', () => (counting.open() === 1 ? true : undefined));
    assert.equal(dash.openStreams, 1);

    // A change right after a snapshot waits for the coalescing interval (250 ms of the fake clock).
    await store.update(async (tx) => {
      const s = await tx.get('services', 'svc1');
      assert.ok(s);
      tx.update('services', { ...s, Spec: { ...s.Spec, Mode: { Replicated: { Replicas: 3 } } } });
      tx.create('tasks', task(3));
    });
    await until('the coalescing timer', () => (clock.pendingSleeps > 0 ? true : undefined));
    // More changes inside the interval join the same snapshot.
    await store.update(async (tx) => {
      const t = await tx.get('tasks', 'task3');
      assert.ok(t);
      tx.update('tasks', { ...t, Status: { ...t.Status, Err: 'late change' } });
    });
    assert.equal(sse.snapshots.length, 1, 'nothing before the interval is over');
    clock.advance(250);
    await until('the second snapshot', () => (sse.snapshots.length === 2 ? true : undefined));
    const second = sse.snapshots[1];
    assert.equal(second?.services[0]?.replicas, '3/3');
    assert.equal(second?.services[0]?.tasks[2]?.error, 'late change', 'both changes in one snapshot');

    // After a quiet interval a change is sent without waiting.
    clock.advance(1000);
    await store.update(async (tx) => {
      const n = await tx.get('nodes', 'node1');
      assert.ok(n);
      tx.update('nodes', { ...n, Status: { ...n.Status, State: 'down' } });
    });
    await until('the third snapshot', () => (sse.snapshots.length === 3 ? true : undefined));
    assert.equal(sse.snapshots[2]?.nodes[0]?.status, 'Down');
    assert.equal(sse.snapshots[2]?.services[0]?.replicas, '0/3', 'tasks on a Down node are not running');

    await until('a heartbeat', () => (sse.comments.includes('heartbeat') ? true : undefined));

    sse.close();
    await until('the watch to stop', () => (counting.open() === 0 && dash.openStreams === 0 ? true : undefined));
  });

  it('closing the server ends open streams and their watches', async () => {
    const other = await DashboardServer.start({ store, listen: { host: '127.0.0.1', port: 0 }, clock, logger: nullLogger });
    const sse = await subscribe(other.address.port);
    await until('the first snapshot', () => (sse.snapshots.length === 1 ? true : undefined));
    await until('the watch', () => (counting.open() === 1 ? true : undefined));
    await other.close();
    assert.equal(counting.open(), 0);
    assert.equal(other.openStreams, 0);
  });

  it('refuses more streams than maxStreams with 503', async () => {
    const small = await DashboardServer.start({ store, listen: { host: '127.0.0.1', port: 0 }, clock, logger: nullLogger, maxStreams: 1 });
    try {
      const first = await subscribe(small.address.port);
      await until('the first snapshot', () => (first.snapshots.length === 1 ? true : undefined));
      const r = await call(small.address.port, 'GET', '/api/events');
      assert.equal(r.status, 503);
      first.close();
    } finally {
      await small.close();
    }
  });

  it('a port already taken is a warning, not a failure', async () => {
    const logger = captureLogger();
    const none = await startDashboard({ store, listen: { host: '127.0.0.1', port }, clock, logger });
    assert.equal(none, undefined);
    const warn = logger.records.find((r) => r.level === 'warn');
    assert.equal(warn?.msg, 'the dashboard cannot listen; the node goes on without it');
    assert.deepEqual((warn?.obj as { listen: string }).listen, `127.0.0.1:${port}`);
  });
});

describe('--dashboard-addr', () => {
  it('parses HOST:PORT and [v6]:PORT; empty or off disables the dashboard', () => {
    assert.deepEqual(parseDashboardAddr('127.0.0.1:2378'), { host: '127.0.0.1', port: 2378 });
    assert.deepEqual(parseDashboardAddr('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
    assert.deepEqual(parseDashboardAddr('localhost:9000'), { host: 'localhost', port: 9000 });
    assert.deepEqual(parseDashboardAddr('[::1]:2378'), { host: '::1', port: 2378 });
    assert.equal(parseDashboardAddr(''), undefined);
    assert.equal(parseDashboardAddr('off'), undefined);
  });

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['2378', '127.0.0.1', '127.0.0.1:99999', 'host:port', ':2378', 'http://127.0.0.1:2378', '::1:2378']) {
      assert.throws(() => parseDashboardAddr(bad), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'dashboard.bad_address', bad);
        assert.match(e.message, /invalid --dashboard-addr/);
        return true;
      });
    }
  });
});
