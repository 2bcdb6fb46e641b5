/**
 * AgentSession against a scripted dispatcher (rpc routes written here) over real mutual TLS. The real Dispatcher
 * end to end is test/integration/dispatcher-session.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ShoalError } from '../../api/errors.js';
import type { TaskStatus } from '../../api/types.js';
import { waitFor } from '../../lib/async.js';
import { systemClock } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import {
  dispatcherPaths,
  startRpcServer,
  streamRoute,
  unaryRoute,
  type AssignmentMessage,
  type RpcServer,
  type RpcTls,
  type SessionMessage,
  type StatusRequest,
} from '../../rpc/index.js';
import { aDescription } from '../../../test/builders/control.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { makePki } from '../../../test/harness/pki.js';
import { AgentSession } from './agent-session.js';

const status = (State: TaskStatus['State'], second = 1): TaskStatus => ({
  State,
  Timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(),
  Message: State,
});

/** What the scripted dispatcher saw, with the fake time of each call. */
interface Script {
  sessions: { at: number; id: string; node: string }[];
  heartbeats: { at: number; sessionId: string }[];
  statusCalls: StatusRequest[];
  /** Heartbeat reply period; undefined = refuse with session_invalid. */
  replyPeriodMs: number | undefined;
  /** Status calls including this task are refused outright. */
  refuseTask: string | undefined;
  /** Pushed to every assignments stream. */
  assignments: AssignmentMessage[];
}

void describe('AgentSession', { timeout: 30_000 }, () => {
  let clock: FakeClock;
  let script: Script;
  let managerTls: RpcTls;
  let workerTls: RpcTls;
  let otherTls: RpcTls;
  let server: RpcServer;
  /** Two addresses where nothing listens. */
  let deadAddrs: string[];
  const stops: AbortController[] = [];
  const runs: Promise<void>[] = [];

  const eventually = <T>(what: string, check: () => T | undefined): Promise<T> =>
    waitFor(systemClock, check, { timeoutMs: 10_000, intervalMs: 1, what });

  /** Moves the fake clock to the next pending deadline once something sleeps on it. */
  const tick = async (): Promise<void> => {
    const next = await eventually('a pending sleep', () => clock.nextDeadline);
    clock.advance(Math.max(0, next - clock.now()));
  };

  const start = (managers: string[], extra: { statusIntervalMs?: number; tls?: () => RpcTls } = {}): AgentSession => {
    const agent = new AgentSession({
      managers,
      tls: extra.tls ?? workerTls,
      nodeId: 'w1',
      description: aDescription('w1'),
      clock,
      logger: nullLogger,
      ...extra,
    });
    const stop = new AbortController();
    stops.push(stop);
    runs.push(agent.run(stop.signal));
    return agent;
  };

  before(async () => {
    const pki = await makePki();
    managerTls = await pki.node('m1', 'manager');
    workerTls = await pki.node('w1', 'worker');
    // Stands for a renewed certificate; another CN, so the server can tell which one a session came with.
    otherTls = await pki.node('w1-renewed', 'worker');
    let n = 0;
    server = await startRpcServer({
      listen: '127.0.0.1:0',
      tls: managerTls,
      logger: nullLogger,
      routes: [
        streamRoute<unknown, SessionMessage>({
          path: dispatcherPaths.session,
          decode: (b) => b,
          handler: async (_req, out, ctx) => {
            const id = `s${++n}`;
            script.sessions.push({ at: clock.now(), id, node: ctx.peer.nodeId });
            await out.write({ sessionId: id, heartbeatPeriodMs: 1000, managers: [] });
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          },
        }),
        unaryRoute<{ sessionId: string }, { periodMs: number }>({
          path: dispatcherPaths.heartbeat,
          decode: (b) => b as { sessionId: string },
          handler: (req) => {
            script.heartbeats.push({ at: clock.now(), sessionId: req.sessionId });
            if (script.replyPeriodMs === undefined) throw new ShoalError('NotFound', 'dispatcher.session_invalid', 'session invalid');
            return { periodMs: script.replyPeriodMs };
          },
        }),
        streamRoute<unknown, AssignmentMessage>({
          path: dispatcherPaths.assignments,
          decode: (b) => b,
          handler: async (_req, out, ctx) => {
            for (const m of script.assignments) await out.write(m);
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          },
        }),
        unaryRoute<StatusRequest, Record<string, never>>({
          path: dispatcherPaths.status,
          decode: (b) => b as StatusRequest,
          handler: (req) => {
            script.statusCalls.push(req);
            if (script.refuseTask !== undefined && req.updates.some((u) => u.taskId === script.refuseTask)) {
              throw new ShoalError('FailedPrecondition', 'dispatcher.task_not_assigned', 'not yours');
            }
            return {};
          },
        }),
      ],
    });
    const gone = await Promise.all(
      [0, 1].map(() => startRpcServer({ listen: '127.0.0.1:0', tls: managerTls, routes: [], logger: nullLogger })),
    );
    deadAddrs = gone.map((g) => g.addr);
    await Promise.all(gone.map((g) => g.close()));
  });

  beforeEach(() => {
    clock = new FakeClock();
    script = {
      sessions: [],
      heartbeats: [],
      statusCalls: [],
      replyPeriodMs: 1000,
      refuseTask: undefined,
      assignments: [],
    };
  });

  after(async () => {
    for (const s of stops) s.abort();
    await Promise.all(runs);
    await server.close();
  });

  void it('tries the managers in turn, backing off 100 ms, then 200 ms', async () => {
    const agent = start([...deadAddrs, server.addr]);
    const t0 = clock.now();
    for (const after of ['the first dead manager', 'the second']) {
      await eventually(`backoff after ${after}`, () => (agent.state === 'backoff' ? true : undefined));
      await tick();
    }
    await eventually('the session', () => agent.sessionId);
    assert.deepEqual(
      script.sessions.map((s) => s.at - t0),
      [300],
    );
    stops.at(-1)?.abort();
  });

  void it('heartbeats at the period the dispatcher returns; a refused heartbeat opens a new session', async () => {
    const agent = start([server.addr]);
    await eventually('the session', () => agent.sessionId);
    const t0 = clock.now();
    script.replyPeriodMs = 3000;
    await tick();
    await eventually('heartbeat 1', () => script.heartbeats[0]);
    await tick();
    await eventually('heartbeat 2', () => script.heartbeats[1]);
    assert.deepEqual(
      script.heartbeats.map((h) => h.at - t0),
      [1000, 4000],
    );
    script.replyPeriodMs = undefined;
    await tick();
    await eventually('the backoff after the session dropped', () => (agent.state === 'backoff' ? true : undefined));
    await tick();
    const second = await eventually('a second session', () => script.sessions[1]);
    await eventually('the agent on the second session', () => (agent.sessionId === second.id ? true : undefined));
    stops.at(-1)?.abort();
  });

  void it('asks a tls function again for each new session: a renewed certificate is used from the next one', async () => {
    let current = workerTls;
    const agent = start([server.addr], { tls: () => current });
    await eventually('the session', () => agent.sessionId);
    current = otherTls;
    script.replyPeriodMs = undefined;
    await tick();
    await eventually('the backoff after the session dropped', () => (agent.state === 'backoff' ? true : undefined));
    script.replyPeriodMs = 1000;
    await tick();
    await eventually('a second session', () => script.sessions[1]);
    assert.deepEqual(
      script.sessions.map((x) => x.node),
      ['w1', 'w1-renewed'],
    );
    stops.at(-1)?.abort();
  });

  void it('delivers assignments; coalesces status per task; drops only what the dispatcher refuses', async () => {
    const task = { ID: 't1', Status: status('assigned') };
    script.assignments = [
      { type: 'incremental', changes: [] },
      { type: 'complete', tasks: [task as never] },
    ];
    const agent = start([server.addr]);
    const seen: AssignmentMessage[] = [];
    const consumer = (async () => {
      for await (const m of agent.assignments(stops.at(-1)?.signal)) seen.push(m);
    })();
    await eventually('two messages', () => (seen.length >= 2 ? true : undefined));
    assert.deepEqual(
      seen.map((m) => m.type),
      ['incremental', 'complete'],
    );

    // The first report goes at once; the next ones within 100 ms wait and coalesce (latest per task wins).
    agent.reportStatus([{ taskId: 't1', status: status('accepted') }]);
    await eventually('the first status call', () => script.statusCalls[0]);
    agent.reportStatus([{ taskId: 't1', status: status('preparing', 2) }]);
    agent.reportStatus([
      { taskId: 't1', status: status('running', 3) },
      { taskId: 't2', status: status('running', 3) },
    ]);
    await tick();
    await eventually('the second status call', () => script.statusCalls[1]);
    assert.deepEqual(
      script.statusCalls[1]?.updates.map((u) => [u.taskId, u.status.State]),
      [
        ['t1', 'running'],
        ['t2', 'running'],
      ],
    );

    // A batch with a refused report is retried one by one; only the refused one is dropped.
    script.refuseTask = 'bad';
    clock.advance(100);
    agent.reportStatus([
      { taskId: 'bad', status: status('running', 4) },
      { taskId: 't1', status: status('complete', 4) },
    ]);
    await eventually('the split calls', () => (script.statusCalls.length >= 5 ? true : undefined));
    assert.deepEqual(
      script.statusCalls.slice(2).map((c) => c.updates.map((u) => u.taskId)),
      [['bad', 't1'], ['bad'], ['t1']],
    );
    assert.equal(agent.pendingReports, 0);
    assert.equal(script.sessions.length, 1, 'a refusal does not end the session');
    stops.at(-1)?.abort();
    await consumer;
  });
});
