import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ShoalError, isShoalError } from '../../api/errors.js';
import type { Task } from '../../api/types.js';
import { waitFor } from '../../lib/async.js';
import { systemClock } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import type { RpcContext, RpcRoute, StreamWriter } from '../../rpc/index.js';
import type { PublishedLine, SubscribeMessage, SubscriptionMessage } from '../../rpc/logs-protocol.js';
import { Store, createMemoryBackend } from '../../store/index.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { LogBroker } from './broker.js';
import { HIGH_WATER_LINES } from './subscription.js';
import type { BrokerLogLine, BrokerLogOptions } from './types.js';

const T0 = '2024-01-01T00:00:00Z';
const GRACE = 2000;

function aTask(id: string, serviceId: string, nodeId: string | undefined): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Labels: {},
    Spec: { ContainerSpec: { Image: 'busybox' } },
    ServiceID: serviceId,
    Slot: 1,
    ...(nodeId === undefined ? {} : { NodeID: nodeId }),
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

const line = (taskId: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): PublishedLine => ({
  taskId,
  stream,
  time: '2024-01-01T00:00:01.000000001Z',
  line: text,
});

const eventually = <T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  waitFor(systemClock, check, { timeoutMs: 5000, intervalMs: 1, what });

/** A node's subscriptions stream, driven by hand. */
interface Listening {
  messages: SubscriptionMessage[];
  ended: Promise<ShoalError | undefined>;
  cancel(): void;
}

/** Collects a subscription's lines; `ended` resolves with the error it ended with (undefined when it just ended). */
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

async function rejection(p: Promise<unknown>): Promise<ShoalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

void describe('LogBroker', () => {
  let clock: FakeClock;
  let store: Store;
  let broker: LogBroker;
  let routes: Map<string, RpcRoute>;
  /** nodeId → [sessionId, its controller]: the dispatcher's sessions, faked at the broker's boundary. */
  let sessions: Map<string, { id: string; ac: AbortController }>;
  const calls: AbortController[] = [];

  const ctx = (nodeId: string): RpcContext => {
    const ac = new AbortController();
    calls.push(ac);
    return { peer: { nodeId, role: 'worker', clusterId: 'c1' }, remoteAddress: '10.0.0.5', signal: ac.signal };
  };
  const connect = (nodeId: string): string => {
    const s = { id: `sess-${nodeId}-${sessions.size}`, ac: new AbortController() };
    sessions.set(nodeId, s);
    return s.id;
  };
  const listen = (nodeId: string, sessionId = sessions.get(nodeId)?.id ?? 'none'): Listening => {
    const r = routes.get('/logs/subscriptions');
    assert.ok(r?.kind === 'stream');
    const c = ctx(nodeId);
    const messages: SubscriptionMessage[] = [];
    const out: StreamWriter<unknown> = { signal: c.signal, write: async (m) => void messages.push(m as SubscriptionMessage) };
    const ended = r.handle({ sessionId }, out, c).then(
      () => undefined,
      (e: unknown) => (isShoalError(e) ? e : new ShoalError('Internal', 'test.unexpected', String(e))),
    );
    const ac = calls.at(-1);
    return { messages, ended, cancel: () => ac?.abort() };
  };
  const publish = async (nodeId: string, body: Record<string, unknown>): Promise<unknown> => {
    const r = routes.get('/logs/publish');
    assert.ok(r?.kind === 'unary');
    return r.handle({ sessionId: sessions.get(nodeId)?.id ?? 'none', ...body }, ctx(nodeId));
  };
  const subscribeOf = async (l: Listening, n = 1): Promise<SubscribeMessage> => {
    const m = await eventually('a subscribe message', () => l.messages.filter((x) => x.type === 'subscribe')[n - 1]);
    assert.equal(m.type, 'subscribe');
    return m;
  };

  beforeEach(async () => {
    clock = new FakeClock();
    store = new Store(createMemoryBackend({ clock }));
    sessions = new Map();
    broker = new LogBroker({
      store,
      clock,
      logger: nullLogger,
      random: seededRandom(3),
      listenGraceMs: GRACE,
      session: (nodeId, sessionId) => {
        const s = sessions.get(nodeId);
        if (s === undefined || s.id !== sessionId || s.ac.signal.aborted) {
          throw new ShoalError('NotFound', 'dispatcher.session_invalid', 'session invalid');
        }
        return s.ac.signal;
      },
      isConnected: (nodeId) => sessions.has(nodeId) && sessions.get(nodeId)?.ac.signal.aborted !== true,
    });
    routes = new Map(broker.routes().map((r) => [r.path, r]));
    await store.update((tx) => {
      tx.create('tasks', aTask('t1', 's1', 'n1'));
      tx.create('tasks', aTask('t2', 's1', 'n2'));
      tx.create('tasks', aTask('t3', 's1', 'n1'));
      tx.create('tasks', aTask('t4', 's1', undefined));
      tx.create('tasks', aTask('t9', 's9', 'n2'));
    });
  });

  afterEach(() => {
    for (const c of calls) c.abort();
    calls.length = 0;
    for (const s of sessions.values()) s.ac.abort();
  });

  void it('sends each node the subscription for its own tasks, yields their lines with swarm IDs, and ends when all are done', async () => {
    connect('n1');
    connect('n2');
    const l1 = listen('n1');
    const l2 = listen('n2');
    await eventually('both streams', () => (broker.listening('n1') && broker.listening('n2') ? true : undefined));
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options({ tail: 5, since: 12.5, stderr: false }), new AbortController().signal));
    const m1 = await subscribeOf(l1);
    const m2 = await subscribeOf(l2);
    assert.deepEqual(m1.taskIds.sort(), ['t1', 't3']);
    assert.deepEqual(m2.taskIds, ['t2']);
    assert.equal(m1.id, m2.id);
    assert.deepEqual(
      { follow: m1.follow, tail: m1.tail, since: m1.since, streams: m1.streams, until: m1.until },
      { follow: false, tail: 5, since: 12.5, streams: ['stdout'], until: undefined },
    );
    assert.deepEqual(await publish('n1', { id: m1.id, messages: [line('t1', 'one'), line('t3', 'three', 'stderr')] }), {});
    await publish('n2', { id: m2.id, messages: [line('t2', 'two')], done: true });
    assert.equal(broker.size, 1, 'n1 is not done yet');
    await publish('n1', { id: m1.id, messages: [], done: true });
    assert.equal(await got.ended, undefined);
    assert.deepEqual(
      got.lines.map((l) => [l.nodeId, l.serviceId, l.taskId, l.stream, l.text, l.time]).sort(),
      [
        ['n1', 's1', 't1', 'stdout', 'one', '2024-01-01T00:00:01.000000001Z'],
        ['n1', 's1', 't3', 'stderr', 'three', '2024-01-01T00:00:01.000000001Z'],
        ['n2', 's1', 't2', 'stdout', 'two', '2024-01-01T00:00:01.000000001Z'],
      ],
    );
    assert.equal(broker.size, 0, 'nothing left in the registry');
    const late = await rejection(publish('n1', { id: m1.id, messages: [line('t1', 'late')] }));
    assert.equal(late.code, 'logs.subscription_not_found');
  });

  void it('one task: only its node is asked', async () => {
    connect('n1');
    connect('n2');
    const l1 = listen('n1');
    const l2 = listen('n2');
    await eventually('both streams', () => (broker.listening('n1') && broker.listening('n2') ? true : undefined));
    const got = collect(await broker.subscribe({ taskId: 't2' }, options(), new AbortController().signal));
    const m = await subscribeOf(l2);
    assert.deepEqual(m.taskIds, ['t2']);
    await publish('n2', { id: m.id, messages: [line('t2', 'x')], done: true });
    assert.equal(await got.ended, undefined);
    assert.equal(l1.messages.length, 0);
    assert.equal((await rejection(broker.subscribe({ taskId: 'nope' }, options(), new AbortController().signal))).code, 'logs.task_not_found');
  });

  void it('a node without a session is named in the closing warning while the other streams', async () => {
    connect('n1');
    const l1 = listen('n1');
    await eventually('the stream', () => (broker.listening('n1') ? true : undefined));
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options(), new AbortController().signal));
    const m1 = await subscribeOf(l1);
    await publish('n1', { id: m1.id, messages: [line('t1', 'from n1')], done: true });
    const e = await got.ended;
    assert.deepEqual([e?.kind, e?.code], ['Unavailable', 'logs.incomplete']);
    assert.equal(
      e?.message,
      'warning: incomplete log stream. some logs could not be retrieved for the following reasons: node n2 is not available',
    );
    assert.deepEqual(got.lines.map((l) => l.text), ['from n1']);
    assert.equal(broker.size, 0);
  });

  void it('a connected node whose stream does not come within the grace is missing; one that comes in time is asked', async () => {
    connect('n1');
    connect('n2');
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options(), new AbortController().signal));
    const l1 = listen('n1');
    const m1 = await subscribeOf(l1);
    await publish('n1', { id: m1.id, messages: [line('t1', 'a')], done: true });
    clock.advance(GRACE - 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(broker.size, 1, 'still waiting for n2');
    clock.advance(1);
    const e = await got.ended;
    assert.match(e?.message ?? '', /node n2 is not available$/);
  });

  void it('a node whose stream ends before it is done is missing', async () => {
    connect('n1');
    connect('n2');
    const l1 = listen('n1');
    const l2 = listen('n2');
    await eventually('both streams', () => (broker.listening('n1') && broker.listening('n2') ? true : undefined));
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options(), new AbortController().signal));
    const m1 = await subscribeOf(l1);
    const m2 = await subscribeOf(l2);
    await publish('n2', { id: m2.id, messages: [line('t2', 'before the cut')] });
    sessions.get('n2')?.ac.abort(new ShoalError('Unavailable', 'dispatcher.session_expired', 'heartbeat failure'));
    assert.equal((await l2.ended)?.code, 'dispatcher.session_expired', 'the agent learns why');
    await publish('n1', { id: m1.id, messages: [], done: true });
    const e = await got.ended;
    assert.match(e?.message ?? '', /: node n2 is not available$/);
    assert.deepEqual(got.lines.map((l) => l.text), ['before the cut']);
  });

  void it('follow: the client going away closes the nodes’ subscriptions and clears the registry', async () => {
    connect('n1');
    connect('n2');
    const l1 = listen('n1');
    const l2 = listen('n2');
    await eventually('both streams', () => (broker.listening('n1') && broker.listening('n2') ? true : undefined));
    const client = new AbortController();
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options({ follow: true }), client.signal));
    const m1 = await subscribeOf(l1);
    const m2 = await subscribeOf(l2);
    assert.equal(m1.follow, true);
    await publish('n1', { id: m1.id, messages: [line('t1', 'live')] });
    await eventually('the line', () => got.lines[0]);
    client.abort();
    assert.equal(await got.ended, undefined, 'a canceled follow just ends');
    await eventually('close messages', () => (l1.messages.at(-1)?.type === 'close' && l2.messages.at(-1)?.type === 'close' ? true : undefined));
    assert.deepEqual(l1.messages.at(-1), { type: 'close', id: m1.id });
    assert.deepEqual(l2.messages.at(-1), { type: 'close', id: m2.id });
    assert.equal(broker.size, 0);
    assert.equal((await rejection(publish('n2', { id: m2.id, messages: [line('t2', 'x')] }))).code, 'logs.subscription_not_found');
  });

  void it('follow: a node that connects later still gets the subscription (and is named in the warning)', async () => {
    connect('n1');
    const l1 = listen('n1');
    await eventually('the stream', () => (broker.listening('n1') ? true : undefined));
    const got = collect(await broker.subscribe({ serviceId: 's1' }, options({ follow: true }), new AbortController().signal));
    const m1 = await subscribeOf(l1);
    connect('n2');
    const l2 = listen('n2');
    const m2 = await subscribeOf(l2);
    assert.deepEqual(m2.taskIds, ['t2']);
    await publish('n2', { id: m2.id, messages: [line('t2', 'late node')], done: true });
    await publish('n1', { id: m1.id, messages: [], done: true });
    const e = await got.ended;
    assert.match(e?.message ?? '', /node n2 is not available$/);
    assert.deepEqual(got.lines.map((l) => l.text), ['late node']);
  });

  void it('scopes publishing to the calling node, its tasks and its session', async () => {
    connect('n1');
    connect('n2');
    const l1 = listen('n1');
    await eventually('the stream', () => (broker.listening('n1') ? true : undefined));
    const client = new AbortController();
    await broker.subscribe({ taskId: 't1' }, options({ follow: true }), client.signal);
    const m1 = await subscribeOf(l1);
    const other = await rejection(publish('n2', { id: m1.id, messages: [line('t1', 'forged')] }));
    assert.deepEqual([other.kind, other.code], ['FailedPrecondition', 'logs.not_subscribed']);
    const task = await rejection(publish('n1', { id: m1.id, messages: [line('t3', 'not asked for')] }));
    assert.deepEqual([task.kind, task.code], ['FailedPrecondition', 'logs.task_not_subscribed']);
    const r = routes.get('/logs/publish');
    assert.ok(r?.kind === 'unary');
    const stale = await rejection(r.handle({ sessionId: 'old', id: m1.id, messages: [] }, ctx('n1')));
    assert.equal(stale.code, 'dispatcher.session_invalid');
    const bad = await rejection(r.handle({ sessionId: 'x', id: m1.id, messages: [{ taskId: 't1', stream: 'stdin', time: T0, line: '' }] }, ctx('n1')));
    assert.deepEqual([bad.kind, bad.code], ['InvalidArgument', 'rpc.bad_request']);
    assert.match(bad.message, /messages\[0\]\.stream/);
    const noSession = listen('n1', 'forged');
    assert.equal((await noSession.ended)?.code, 'dispatcher.session_invalid');
    client.abort();
  });

  void it('a newer stream from the same node replaces the older one', async () => {
    connect('n1');
    const first = listen('n1');
    await eventually('the stream', () => (broker.listening('n1') ? true : undefined));
    const second = listen('n1');
    assert.equal(await first.ended, undefined);
    const client = new AbortController();
    await broker.subscribe({ taskId: 't1' }, options({ follow: true }), client.signal);
    await subscribeOf(second);
    assert.equal(first.messages.length, 0);
    client.abort();
  });

  void it('publishers wait while the client has more than the high-water mark untaken', async () => {
    connect('n1');
    const l1 = listen('n1');
    await eventually('the stream', () => (broker.listening('n1') ? true : undefined));
    const it = (await broker.subscribe({ taskId: 't1' }, options({ follow: true }), new AbortController().signal))[Symbol.asyncIterator]();
    const m1 = await subscribeOf(l1);
    const many = Array.from({ length: HIGH_WATER_LINES + 10 }, (_, i) => line('t1', `l${i}`));
    let returned = false;
    const call = publish('n1', { id: m1.id, messages: many }).then(() => {
      returned = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(returned, false, 'the publish waits for room');
    const first = await it.next();
    assert.equal(first.done, false);
    await call;
    assert.equal(returned, true);
    await it.return?.();
    assert.equal(broker.size, 0);
  });

  void it('a subscription with no placed tasks ends at once', async () => {
    await store.update((tx) => tx.create('tasks', aTask('p1', 'pending-only', undefined)));
    const got = collect(await broker.subscribe({ serviceId: 'pending-only' }, options(), new AbortController().signal));
    assert.equal(await got.ended, undefined);
    assert.deepEqual(got.lines, []);
    assert.equal(broker.size, 0);
  });
});
