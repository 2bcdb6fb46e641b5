/**
 * Logs across nodes over real mutual TLS on 127.0.0.1: an rpc server with the Dispatcher and the LogBroker on a
 * memory store, and two agents (two node certificates), each an AgentSession plus a LogAgent reading real log files
 * (conmon's k8s-file format) with the reader `docker logs` uses. Dispatcher time runs on a fake clock the test
 * drives; the log agents batch on real time.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ShoalError, isShoalError } from '../../src/api/errors.js';
import type { Node, Task } from '../../src/api/types.js';
import { formatK8sLogLine } from '../../src/agent/exec/log-format.js';
import { LogAgent, type TaskLogFiles } from '../../src/agent/logs/index.js';
import { AgentSession } from '../../src/agent/session/index.js';
import { waitFor } from '../../src/lib/async.js';
import { systemClock } from '../../src/lib/clock.js';
import { nullLogger } from '../../src/lib/logger.js';
import { Dispatcher } from '../../src/manager/dispatcher/index.js';
import { LogBroker, type BrokerLogLine, type BrokerLogOptions } from '../../src/manager/logbroker/index.js';
import { startRpcServer, type RpcContext, type RpcServer, type RpcTls } from '../../src/rpc/index.js';
import { Store, createMemoryBackend } from '../../src/store/index.js';
import { aDescription } from '../builders/control.js';
import { FakeClock } from '../fakes/clock.js';
import { makePki } from '../harness/pki.js';

const PERIOD = 5000;
const GRACE = 2000;
const T0 = '2024-01-01T00:00:00Z';

function aNode(id: string, role: 'manager' | 'worker'): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: { Labels: {}, Role: role, Availability: 'active' },
    Description: aDescription(`host-${id}`),
    Status: { State: 'down', Addr: '' },
  };
}

function aTask(id: string, serviceId: string, nodeId: string): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Labels: {},
    Spec: { ContainerSpec: { Image: 'busybox' } },
    ServiceID: serviceId,
    Slot: 1,
    NodeID: nodeId,
    Status: { Timestamp: T0, State: 'running', Message: 'started' },
    DesiredState: 'running',
  };
}

const options = (extra: Partial<BrokerLogOptions> = {}): BrokerLogOptions => ({
  stdout: true,
  stderr: true,
  follow: false,
  since: 0,
  tail: undefined,
  timestamps: false,
  details: false,
  ...extra,
});

const eventually = <T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  waitFor(systemClock, check, { timeoutMs: 15_000, intervalMs: 5, what });

function collect(it: AsyncIterable<BrokerLogLine>): { lines: BrokerLogLine[]; ended: Promise<ShoalError | undefined> } {
  const lines: BrokerLogLine[] = [];
  const ended = (async () => {
    try {
      for await (const l of it) lines.push(l);
      return undefined;
    } catch (e) {
      return isShoalError(e) ? e : new ShoalError('Internal', 'test.unexpected', String(e));
    }
  })();
  return { lines, ended };
}

/** One node's agent: its session, log agent and the task log files it "runs". */
class TestAgent {
  readonly stop = new AbortController();
  readonly files = new Map<string, { path: string; running: boolean }>();
  readonly session: AgentSession;
  readonly logs: LogAgent;
  private runs: Promise<void>[] = [];

  constructor(
    readonly nodeId: string,
    tls: RpcTls,
    manager: string,
    clock: FakeClock,
    private readonly dir: string,
  ) {
    this.session = new AgentSession({ managers: [manager], tls, nodeId, description: aDescription(`host-${nodeId}`), clock, logger: nullLogger });
    const files: TaskLogFiles = {
      find: (taskId) => {
        const f = this.files.get(taskId);
        return f === undefined ? undefined : { path: f.path, running: () => f.running };
      },
    };
    this.logs = new LogAgent({ sessions: this.session, files, clock: systemClock, logger: nullLogger, batchMs: 20, pollMs: 10, retryMs: 50 });
    this.runs = [this.session.run(this.stop.signal), this.logs.run(this.stop.signal)];
  }

  /** A task container's log file with these lines (each `[stream, text]`), one second apart from `second`. */
  write(taskId: string, lines: [ 'stdout' | 'stderr', string][], second = 1, running = true): void {
    const path = join(this.dir, `${this.nodeId}-${taskId}.log`);
    const text = lines.map(([s, t], i) => formatK8sLogLine(Date.UTC(2024, 0, 1, 0, 0, second + i), s, false, t) + '\n').join('');
    const existing = this.files.get(taskId);
    if (existing === undefined) writeFileSync(path, text);
    else appendFileSync(path, text);
    this.files.set(taskId, { path, running: existing?.running ?? running });
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.runs);
  }
}

void describe('service logs across nodes over mutual TLS', { timeout: 90_000 }, () => {
  const clock = new FakeClock();
  const store = new Store(createMemoryBackend({ clock }));
  const dispatcher = new Dispatcher({ store, clock, logger: nullLogger, heartbeatPeriodMs: PERIOD, batchMs: 10 });
  const broker = new LogBroker({
    store,
    clock,
    logger: nullLogger,
    listenGraceMs: GRACE,
    session: (n, s) => dispatcher.liveSession(n, s),
    isConnected: (n) => dispatcher.isConnected(n),
  });
  const stopDispatcher = new AbortController();
  let dispatcherRun: Promise<void> = Promise.resolve();
  let server: RpcServer | undefined;
  let dir = '';
  let w1: TestAgent;
  let w2: TestAgent;
  /** The body size of every publish call. */
  const published: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-logs-'));
    const pki = await makePki();
    const managerTls = await pki.node('m1', 'manager');
    await store.update((tx) => {
      for (const n of [aNode('m1', 'manager'), aNode('w1', 'worker'), aNode('w2', 'worker'), aNode('w3', 'worker')]) tx.create('nodes', n);
      tx.create('tasks', aTask('t1', 'web', 'w1'));
      tx.create('tasks', aTask('t2', 'web', 'w2'));
      tx.create('tasks', aTask('t3', 'web', 'w1'));
      tx.create('tasks', aTask('t9', 'db', 'w3'));
      tx.create('tasks', aTask('t5', 'bulk', 'w1'));
    });
    dispatcherRun = dispatcher.run(stopDispatcher.signal);
    // The publish route, recording each call's size.
    const routes = broker.routes().map((r) =>
      r.kind === 'unary' && r.path === '/logs/publish'
        ? { ...r, handle: (body: unknown, ctx: RpcContext) => (published.push(JSON.stringify(body).length), r.handle(body, ctx)) }
        : r,
    );
    server = await startRpcServer({ listen: '127.0.0.1:0', tls: managerTls, routes: [...dispatcher.routes(), ...routes], logger: nullLogger });
    w1 = new TestAgent('w1', await pki.node('w1', 'worker'), server.addr, clock, dir);
    w2 = new TestAgent('w2', await pki.node('w2', 'worker'), server.addr, clock, dir);
    w1.write('t1', [['stdout', 'w1 t1 out 1'], ['stderr', 'w1 t1 err 1'], ['stdout', 'w1 t1 out 2']], 1, false);
    w1.write('t3', [['stdout', 'w1 t3 out 1']], 1, false);
    w2.write('t2', [['stdout', 'w2 t2 out 1'], ['stdout', 'w2 t2 out 2']], 1, true);
    await eventually('both agents listening', () => (broker.listening('w1') && broker.listening('w2') ? true : undefined));
  });

  after(async () => {
    await w1.close();
    await w2.close();
    stopDispatcher.abort();
    await dispatcherRun;
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('gathers every task’s lines from both nodes, with docker’s stream, tail and since options', async () => {
    const all = collect(await broker.subscribe({ serviceId: 'web' }, options(), new AbortController().signal));
    assert.equal(await all.ended, undefined);
    assert.deepEqual(
      all.lines.map((l) => `${l.nodeId} ${l.taskId} ${l.stream} ${l.text} ${l.time}`).sort(),
      [
        'w1 t1 stderr w1 t1 err 1 2024-01-01T00:00:02Z',
        'w1 t1 stdout w1 t1 out 1 2024-01-01T00:00:01Z',
        'w1 t1 stdout w1 t1 out 2 2024-01-01T00:00:03Z',
        'w1 t3 stdout w1 t3 out 1 2024-01-01T00:00:01Z',
        'w2 t2 stdout w2 t2 out 1 2024-01-01T00:00:01Z',
        'w2 t2 stdout w2 t2 out 2 2024-01-01T00:00:02Z',
      ],
    );
    assert.ok(all.lines.every((l) => l.serviceId === 'web'));
    const t1 = all.lines.filter((l) => l.taskId === 't1').map((l) => l.text);
    assert.deepEqual(t1, ['w1 t1 out 1', 'w1 t1 err 1', 'w1 t1 out 2'], 'one task’s lines keep their order');

    const tail = collect(await broker.subscribe({ taskId: 't1' }, options({ tail: 1, stderr: false }), new AbortController().signal));
    assert.equal(await tail.ended, undefined);
    assert.deepEqual(tail.lines.map((l) => l.text), ['w1 t1 out 2'], 'tail counts the chosen stream only');
    const since = collect(await broker.subscribe({ serviceId: 'web' }, options({ since: Date.UTC(2024, 0, 1, 0, 0, 2) / 1000 }), new AbortController().signal));
    assert.equal(await since.ended, undefined);
    assert.deepEqual(since.lines.map((l) => l.text).sort(), ['w1 t1 err 1', 'w1 t1 out 2', 'w2 t2 out 2']);
    assert.equal(broker.size, 0);
  });

  void it('a large log arrives whole and in order, in publish calls of at most 64 KiB', async () => {
    const N = 3000;
    w1.write('t5', Array.from({ length: N }, (_, i): ['stdout', string] => ['stdout', `${String(i).padStart(5, '0')} ${'x'.repeat(200)}`]), 1, false);
    published.length = 0;
    const got = collect(await broker.subscribe({ taskId: 't5' }, options(), new AbortController().signal));
    assert.equal(await got.ended, undefined);
    assert.equal(got.lines.length, N);
    assert.ok(got.lines.every((l, i) => l.text.startsWith(String(i).padStart(5, '0'))), 'in order');
    assert.ok(published.length >= 10, `${published.length} calls`);
    assert.ok(Math.max(...published) <= 64 * 1024 + 200, `largest call ${Math.max(...published)} bytes`);
  });

  void it('follow streams new lines until the client goes away, then the agents stop reading', async () => {
    const client = new AbortController();
    const f = collect(await broker.subscribe({ serviceId: 'web' }, options({ follow: true, since: Date.UTC(2024, 0, 1, 0, 0, 5) / 1000 }), client.signal));
    await eventually('w2 reading', () => (w2.logs.active.size === 1 ? true : undefined));
    w2.write('t2', [['stdout', 'w2 t2 live']], 10);
    await eventually('the live line', () => f.lines.find((l) => l.text === 'w2 t2 live'));
    assert.deepEqual(f.lines.map((l) => l.text), ['w2 t2 live'], 'since: only the new line; w1’s stopped tasks gave nothing');
    client.abort();
    assert.equal(await f.ended, undefined);
    await eventually('w2 to stop reading', () => (w2.logs.active.size === 0 ? true : undefined));
    assert.equal(broker.size, 0);
    w2.write('t2', [['stdout', 'after the client left']], 11);
    assert.equal(f.lines.length, 1);
  });

  void it('a node that never connected is named in the warning while the others stream', async () => {
    await store.update((tx) => tx.create('tasks', aTask('t4', 'web', 'w3')));
    const got = collect(await broker.subscribe({ serviceId: 'web' }, options(), new AbortController().signal));
    const e = await got.ended;
    assert.deepEqual([e?.kind, e?.code], ['Unavailable', 'logs.incomplete']);
    assert.equal(e?.message, 'warning: incomplete log stream. some logs could not be retrieved for the following reasons: node w3 is not available');
    assert.deepEqual([...new Set(got.lines.map((l) => l.nodeId))].sort(), ['w1', 'w2'], 'both connected nodes gave their lines');
    assert.equal(got.lines.length, 8);
    await store.update((tx) => tx.delete('tasks', 't4'));
  });

  void it('an agent that disconnects: its follow subscription ends with the warning, and later calls name it too', async () => {
    const client = new AbortController();
    const f = collect(await broker.subscribe({ serviceId: 'web' }, options({ follow: true }), client.signal));
    await eventually('the history of both nodes', () => (f.lines.length === 8 ? true : undefined));
    await w2.close();
    await eventually('w2 gone from the broker', () => (broker.listening('w2') ? undefined : true));
    // w1's tasks have stopped: with w2 gone the follow has nothing left to wait for.
    const e = await f.ended;
    assert.match(e?.message ?? '', /: node w2 is not available$/);

    // w2's dispatcher session is still in its heartbeat grace: the broker waits for its stream, then gives up.
    const got = collect(await broker.subscribe({ serviceId: 'web' }, options(), new AbortController().signal));
    await eventually('w1 lines', () => (got.lines.length === 4 ? true : undefined));
    clock.advance(GRACE);
    const late = await got.ended;
    assert.match(late?.message ?? '', /: node w2 is not available$/);
    assert.deepEqual([...new Set(got.lines.map((l) => l.nodeId))], ['w1']);
    assert.equal(broker.size, 0);
    client.abort();
  });
});
