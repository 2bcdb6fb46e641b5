import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ShoalError, isShoalError, outOfSequence } from '../../api/errors.js';
import type { TaskStateName } from '../../api/task-state.js';
import type { Cluster, Node, Task, TaskStatus } from '../../api/types.js';
import { waitFor } from '../../lib/async.js';
import { systemClock } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import type {
  AssignmentMessage,
  RpcContext,
  RpcRoute,
  SessionMessage,
  StreamWriter,
} from '../../rpc/index.js';
import { Store, createMemoryBackend, type WriteTx } from '../../store/index.js';
import { aDescription, aWorker } from '../../../test/builders/control.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { Dispatcher } from './dispatcher.js';

const PERIOD = 1000;
const T0 = '2024-01-01T00:00:00Z';

function aTask(id: string, nodeId: string | undefined, state: TaskStateName, extra: Partial<Task> = {}): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Labels: {},
    Spec: { ContainerSpec: { Image: 'busybox' } },
    ServiceID: 'svc1',
    Slot: 1,
    ...(nodeId === undefined ? {} : { NodeID: nodeId }),
    Status: { Timestamp: T0, State: state, Message: state },
    DesiredState: 'running',
    ...extra,
  };
}

const status = (State: TaskStateName, at = 1): TaskStatus => ({
  State,
  Timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, at)).toISOString(),
  Message: State,
});

/** Awaits a condition that async work will make true (real time, short polls). */
const eventually = <T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  waitFor(systemClock, check, { timeoutMs: 5000, intervalMs: 1, what });

async function rejection(p: Promise<unknown>): Promise<ShoalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

/** A store that fails the next `failNext` updates with a version conflict, as a concurrent writer would. */
class ContendedStore extends Store {
  failNext = 0;
  override update<T>(fn: (tx: WriteTx) => Promise<T> | T): Promise<{ rev: number; result: T }> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(outOfSequence());
    }
    return super.update(fn);
  }
}

/** A server stream driven by hand: what the handler wrote, and how it ended. */
interface OpenStream<T> {
  messages: T[];
  /** Resolves with the error the handler ended with (undefined when it returned). */
  ended: Promise<ShoalError | undefined>;
  cancel(): void;
}

void describe('Dispatcher', () => {
  let clock: FakeClock;
  let store: ContendedStore;
  let dispatcher: Dispatcher;
  let routes: Map<string, RpcRoute>;
  let stop: AbortController;
  let running: Promise<void>;
  const calls: AbortController[] = [];

  const ctx = (nodeId: string, remoteAddress = '10.0.0.5'): RpcContext => {
    const ac = new AbortController();
    calls.push(ac);
    return { peer: { nodeId, role: 'worker', clusterId: 'c1' }, remoteAddress, signal: ac.signal };
  };
  const unary = async <T>(path: string, body: unknown, c: RpcContext): Promise<T> => {
    const r = routes.get(path);
    assert.ok(r?.kind === 'unary');
    return (await r.handle(body, c)) as T;
  };
  const stream = <T>(path: string, body: unknown, c: RpcContext): OpenStream<T> => {
    const r = routes.get(path);
    assert.ok(r?.kind === 'stream');
    const messages: T[] = [];
    const out: StreamWriter<unknown> = { signal: c.signal, write: async (m) => void messages.push(m as T) };
    const ended = r.handle(body, out, c).then(
      () => undefined,
      (e: unknown) => (isShoalError(e) ? e : new ShoalError('Internal', 'test.unexpected', String(e))),
    );
    const ac = calls.at(-1);
    return { messages, ended, cancel: () => ac?.abort() };
  };
  const node = async (id: string): Promise<Node> => {
    const n = await store.view().get('nodes', id);
    assert.ok(n);
    return n;
  };
  const task = async (id: string): Promise<Task> => {
    const t = await store.view().get('tasks', id);
    assert.ok(t);
    return t;
  };
  const put = async (...objects: (Node | Task)[]): Promise<void> => {
    await store.update((tx) => {
      for (const o of objects) {
        if ('DesiredState' in o) tx.create('tasks', o);
        else tx.create('nodes', o);
      }
    });
  };
  const start = async (): Promise<void> => {
    dispatcher = new Dispatcher({
      store,
      clock,
      logger: nullLogger,
      heartbeatPeriodMs: PERIOD,
      batchMs: 100,
      random: seededRandom(7),
    });
    routes = new Map(dispatcher.routes().map((r) => [r.path, r]));
    stop = new AbortController();
    running = dispatcher.run(stop.signal);
    await eventually('the dispatcher to start', async () => {
      try {
        await unary('/dispatcher/heartbeat', { sessionId: 'probe' }, ctx('nobody'));
      } catch (e) {
        return isShoalError(e) && e.code === 'dispatcher.session_invalid' ? true : undefined;
      }
      return undefined;
    });
  };
  /** Opens a session for `nodeId`; resolves with its first message once the node is ready. */
  const openSession = async (nodeId: string, remote = '10.0.0.5'): Promise<OpenStream<SessionMessage> & { id: string }> => {
    const s = stream<SessionMessage>('/dispatcher/session', { description: aDescription(`host-${nodeId}`) }, ctx(nodeId, remote));
    const first = await eventually('the first session message', () => s.messages[0]);
    return { ...s, id: first.sessionId };
  };

  beforeEach(async () => {
    clock = new FakeClock();
    store = new ContendedStore(createMemoryBackend({ clock }));
    const manager = aWorker('m1', 'mgr', 'down');
    manager.Spec.Role = 'manager';
    manager.ManagerStatus = { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' };
    await put(manager, aWorker('w1', 'one', 'down'), aWorker('w2', 'two', 'down'));
  });

  afterEach(async () => {
    for (const c of calls) c.abort();
    calls.length = 0;
    stop.abort();
    await running;
  });

  void it('refuses calls while it is not running', async () => {
    dispatcher = new Dispatcher({ store, clock, logger: nullLogger, heartbeatPeriodMs: PERIOD });
    routes = new Map(dispatcher.routes().map((r) => [r.path, r]));
    stop = new AbortController();
    running = Promise.resolve();
    const e = await rejection(unary('/dispatcher/heartbeat', { sessionId: 'x' }, ctx('w1')));
    assert.deepEqual([e.kind, e.code], ['Unavailable', 'dispatcher.stopped']);
  });

  void it('a session marks its node ready with the peer address and description; an unknown node is refused', async () => {
    await start();
    const s = await openSession('w1', '10.0.0.7');
    assert.deepEqual(s.messages[0], { sessionId: s.id, heartbeatPeriodMs: PERIOD, managers: [] });
    const n = await node('w1');
    assert.deepEqual(n.Status, { State: 'ready', Addr: '10.0.0.7' });
    assert.equal(n.Description.Hostname, 'host-w1');
    assert.equal(n.UpdatedAt, '2024-01-01T00:00:00Z');

    const unknown = stream('/dispatcher/session', { description: aDescription('x') }, ctx('stranger'));
    const e = await unknown.ended;
    assert.deepEqual([e?.kind, e?.code], ['NotFound', 'dispatcher.node_not_found']);

    const bad = stream('/dispatcher/session', { description: { Hostname: 1 } }, ctx('w2'));
    assert.equal((await bad.ended)?.code, 'rpc.bad_request');
  });

  void it('the session stream announces the managers and their changes', async () => {
    await start();
    const s = await openSession('w1');
    const m1 = await node('m1');
    await store.update((tx) => tx.update('nodes', { ...m1, Status: { State: 'ready', Addr: '10.0.0.1' } }));
    await eventually('a second session message', () => s.messages[1]);
    assert.deepEqual(s.messages[1], { sessionId: s.id, heartbeatPeriodMs: PERIOD, managers: ['10.0.0.1:2377'] });
  });

  void it('a loopback peer keeps the address the node already has', async () => {
    await start();
    const w1 = await node('w1');
    await store.update((tx) => tx.update('nodes', { ...w1, Status: { ...w1.Status, Addr: '192.0.2.4' } }));
    await openSession('w1', '127.0.0.1');
    assert.equal((await node('w1')).Status.Addr, '192.0.2.4');
  });

  void it('heartbeats keep a node ready; missing 3 periods marks it down and ends its session', async () => {
    await start();
    const s = await openSession('w1');
    for (let i = 0; i < 10; i++) {
      clock.advance(PERIOD - 1);
      assert.deepEqual(await unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')), { periodMs: PERIOD });
    }
    assert.equal((await node('w1')).Status.State, 'ready');
    clock.advance(3 * PERIOD - 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal((await node('w1')).Status.State, 'ready', 'not before 3 periods');
    clock.advance(1);
    const down = await eventually('the node to go down', async () => {
      const n = await node('w1');
      return n.Status.State === 'down' ? n : undefined;
    });
    assert.deepEqual(down.Status, { State: 'down', Message: 'heartbeat failure', Addr: '10.0.0.5' });
    assert.equal((await s.ended)?.code, 'dispatcher.session_expired');
    const e = await rejection(unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')));
    assert.equal(e.code, 'dispatcher.session_invalid');
    // The agent opens a new session: ready again.
    await openSession('w1');
    assert.equal((await node('w1')).Status.State, 'ready');
  });

  void it('on start, nodes that were up go unknown, and down if they do not come back within 3 periods', async () => {
    const w1 = await node('w1');
    const w2 = await node('w2');
    await store.update((tx) => {
      tx.update('nodes', { ...w1, Status: { State: 'ready', Addr: '10.0.0.5' } });
      tx.update('nodes', { ...w2, Status: { State: 'ready', Addr: '10.0.0.6' } });
    });
    await start();
    assert.equal((await node('w1')).Status.State, 'unknown');
    assert.equal((await node('w1')).Status.Message, 'Node moved to "unknown" state due to leadership change in cluster');
    assert.equal((await node('m1')).Status.State, 'down', 'down nodes stay down');
    const s2 = await openSession('w2');
    clock.advance(3 * PERIOD - 10);
    await unary('/dispatcher/heartbeat', { sessionId: s2.id }, ctx('w2'));
    clock.advance(10);
    const n = await eventually('w1 to go down', async () => {
      const x = await node('w1');
      return x.Status.State === 'down' ? x : undefined;
    });
    assert.equal(n.Status.Message, 'heartbeat failure for node in "unknown" state');
    assert.equal((await node('w2')).Status.State, 'ready');
  });

  void it('a new session replaces the old one, whose streams end', async () => {
    await start();
    const first = await openSession('w1');
    const assignments = stream<AssignmentMessage>('/dispatcher/assignments', { sessionId: first.id }, ctx('w1'));
    await eventually('the complete set', () => assignments.messages[0]);
    const second = await openSession('w1');
    assert.notEqual(second.id, first.id);
    assert.equal((await first.ended)?.code, 'dispatcher.session_replaced');
    assert.equal((await assignments.ended)?.code, 'dispatcher.session_replaced');
    const e = await rejection(unary('/dispatcher/heartbeat', { sessionId: first.id }, ctx('w1')));
    assert.equal(e.code, 'dispatcher.session_invalid');
  });

  void it('streams the node’s assigned tasks: a complete set, then incremental changes', async () => {
    await put(
      aTask('t1', 'w1', 'assigned'),
      aTask('t2', 'w1', 'running'),
      aTask('t3', 'w2', 'assigned'),
      aTask('t4', 'w1', 'pending'),
      aTask('t5', undefined, 'pending'),
    );
    await start();
    const s = await openSession('w1');
    const a = stream<AssignmentMessage>('/dispatcher/assignments', { sessionId: s.id }, ctx('w1'));
    const complete = await eventually('the complete set', () => a.messages[0]);
    assert.equal(complete.type, 'complete');
    assert.deepEqual(complete.type === 'complete' ? complete.tasks.map((t) => t.ID) : [], ['t1', 't2']);

    // The scheduler assigns t4 to w1 and t5 to w2.
    const t4 = await task('t4');
    const t5 = await task('t5');
    await store.update((tx) => {
      tx.update('tasks', { ...t4, Status: status('assigned') });
      tx.update('tasks', { ...t5, NodeID: 'w2', Status: status('assigned') });
    });
    const tasksOnly = (): AssignmentMessage[] => a.messages.filter((m) => m.type !== 'networks');
    assert.deepEqual(a.messages[1], { type: 'networks', view: { dataPathPort: 4789, nodeAddr: '10.0.0.5', networks: [] } }, 'the network view follows the complete set');
    const inc = await eventually('an incremental change', () => tasksOnly()[1]);
    assert.deepEqual(inc.type === 'incremental' ? inc.changes.map((c) => [c.action, c.task.ID, c.task.Status.State]) : [], [
      ['update', 't4', 'assigned'],
    ]);

    // A status the agent reported itself is not echoed; a desired-state change is sent; a deletion is a remove.
    const t2 = await task('t2');
    await store.update((tx) => tx.update('tasks', { ...t2, Status: status('complete') }));
    const t1 = await task('t1');
    await store.update((tx) => tx.update('tasks', { ...t1, DesiredState: 'shutdown' }));
    await store.update((tx) => tx.delete('tasks', 't2'));
    await eventually('two more messages', () => (tasksOnly().length >= 3 ? true : undefined));
    const changes = tasksOnly().slice(1).flatMap((m) => (m.type === 'incremental' ? m.changes : []));
    assert.deepEqual(
      changes.map((c) => [c.action, c.task.ID, c.task.DesiredState]),
      [
        ['update', 't4', 'running'],
        ['update', 't1', 'shutdown'],
        ['remove', 't2', 'running'],
      ],
    );
    a.cancel();
    assert.equal(await a.ended, undefined, 'a client cancel ends the stream quietly');
  });

  void it('writes status reports in batches, ignores backward moves, refuses other nodes’ tasks', async () => {
    await put(aTask('t1', 'w1', 'assigned'), aTask('t2', 'w1', 'assigned'), aTask('t3', 'w2', 'assigned'));
    await start();
    const s = await openSession('w1');
    const report = (updates: { taskId: string; status: TaskStatus }[]): Promise<unknown> =>
      unary('/dispatcher/status', { sessionId: s.id, updates }, ctx('w1'));

    // The first report after a quiet spell is written at once.
    await report([{ taskId: 't1', status: status('accepted') }]);
    assert.equal((await task('t1')).Status.State, 'accepted');

    // The next ones, within 100 ms, wait and go out together in one transaction.
    const a = report([{ taskId: 't1', status: status('preparing', 2) }]);
    const b = report([
      { taskId: 't2', status: status('running', 3) },
      { taskId: 't1', status: status('starting', 3) },
    ]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal((await task('t1')).Status.State, 'accepted', 'held until the batch interval');
    clock.advance(100);
    await Promise.all([a, b]);
    const [t1, t2] = [await task('t1'), await task('t2')];
    assert.equal(t1.Status.State, 'starting');
    assert.equal(t2.Status.State, 'running');
    assert.equal(t1.Version.Index, t2.Version.Index, 'one transaction');

    // Backwards: ignored, not an error.
    clock.advance(100);
    await report([{ taskId: 't1', status: status('preparing', 4) }]);
    assert.equal((await task('t1')).Status.State, 'starting');

    // Another node's task: the whole call is refused.
    clock.advance(100);
    const e = await rejection(
      report([
        { taskId: 't2', status: status('complete', 5) },
        { taskId: 't3', status: status('running', 5) },
      ]),
    );
    assert.deepEqual([e.kind, e.code], ['FailedPrecondition', 'dispatcher.task_not_assigned']);
    assert.equal((await task('t2')).Status.State, 'running');
    assert.equal((await task('t3')).Status.State, 'assigned');

    // States the agent may not set, and stale sessions, are refused.
    const pending = await rejection(report([{ taskId: 't2', status: status('pending', 6) }]));
    assert.equal(pending.code, 'dispatcher.state_not_allowed');
    const stale = await rejection(
      unary('/dispatcher/status', { sessionId: 'old', updates: [{ taskId: 't2', status: status('complete', 6) }] }, ctx('w1')),
    );
    assert.equal(stale.code, 'dispatcher.session_invalid');
  });

  void it('retries a status batch that hits a version conflict', async () => {
    await put(aTask('t1', 'w1', 'assigned'));
    await start();
    const s = await openSession('w1');
    store.failNext = 2;
    await unary('/dispatcher/status', { sessionId: s.id, updates: [{ taskId: 't1', status: status('running') }] }, ctx('w1'));
    assert.equal(store.failNext, 0);
    assert.equal((await task('t1')).Status.State, 'running');
  });

  void it('ends the session of a node removed from the swarm', async () => {
    await start();
    const s = await openSession('w1');
    await store.update((tx) => tx.delete('nodes', 'w1'));
    assert.equal((await s.ended)?.code, 'dispatcher.node_removed');
    const e = await rejection(unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')));
    assert.equal(e.code, 'dispatcher.session_invalid');
  });

  void it('follows the cluster spec’s heartbeat period', async () => {
    const cluster = { ID: 'c1', Version: { Index: 0 }, CreatedAt: T0, UpdatedAt: T0, Spec: { Dispatcher: {} } };
    await store.update((tx) => tx.create('cluster', cluster as unknown as Cluster));
    await start();
    const s = await openSession('w1');
    assert.equal(s.messages[0]?.heartbeatPeriodMs, PERIOD, 'no period in the spec: the configured one');
    const c = await store.view().get('cluster', 'c1');
    assert.ok(c);
    await store.update((tx) => tx.update('cluster', { ...c, Spec: { ...c.Spec, Dispatcher: { HeartbeatPeriod: 2e9 } } }));
    await eventually('the new period', () => (dispatcher.heartbeatPeriodMs === 2000 ? true : undefined));
    assert.deepEqual(await unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')), { periodMs: 2000 });
    clock.advance(3 * 2000 - 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal((await node('w1')).Status.State, 'ready');
    clock.advance(1);
    await eventually('the node to go down after 3 new periods', async () =>
      (await node('w1')).Status.State === 'down' ? true : undefined,
    );
  });

  void it('a shorter period takes hold at the next heartbeat: a node is down 3 new periods after it', async () => {
    const cluster = { ID: 'c1', Version: { Index: 0 }, CreatedAt: T0, UpdatedAt: T0, Spec: { Dispatcher: { HeartbeatPeriod: 5e9 } } };
    await store.update((tx) => tx.create('cluster', cluster as unknown as Cluster));
    await start();
    const s = await openSession('w1');
    assert.deepEqual(await unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')), { periodMs: 5000 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    const c = await store.view().get('cluster', 'c1');
    assert.ok(c);
    await store.update((tx) => tx.update('cluster', { ...c, Spec: { ...c.Spec, Dispatcher: { HeartbeatPeriod: 1e9 } } }));
    await eventually('the new period', () => (dispatcher.heartbeatPeriodMs === 1000 ? true : undefined));
    clock.advance(4000);
    assert.deepEqual(await unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')), { periodMs: 1000 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    // The expiry timer was set for the old deadline (15 s after the first heartbeat); the new one is earlier.
    clock.advance(3000);
    await eventually('the node to go down 3 new periods after its last heartbeat', async () =>
      (await node('w1')).Status.State === 'down' ? true : undefined,
    );
  });

  void it('stopping ends every session and refuses new calls', async () => {
    await start();
    const s = await openSession('w1');
    stop.abort();
    await running;
    assert.equal((await s.ended)?.code, 'dispatcher.stopped');
    const e = await rejection(unary('/dispatcher/heartbeat', { sessionId: s.id }, ctx('w1')));
    assert.equal(e.code, 'dispatcher.stopped');
  });
});
