/**
 * End to end over real mutual TLS on 127.0.0.1: an rpc server with the Dispatcher on a memory store, and an
 * AgentSession. Time (heartbeats, expiry, backoff, batching) runs on a fake clock the test drives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Task, TaskStatus } from '../../src/api/types.js';
import { waitFor } from '../../src/lib/async.js';
import { systemClock } from '../../src/lib/clock.js';
import { nullLogger } from '../../src/lib/logger.js';
import { Dispatcher } from '../../src/manager/dispatcher/index.js';
import { dispatcherPaths, startRpcServer, type RpcContext, type RpcRoute, type RpcServer, type RpcTls } from '../../src/rpc/index.js';
import { Store, createMemoryBackend } from '../../src/store/index.js';
import { aDescription } from '../builders/control.js';
import { FakeClock } from '../fakes/clock.js';
import { makePki } from '../harness/pki.js';
import { AgentSession } from '../../src/agent/session/index.js';

const PERIOD = 5000;
const T0 = '2024-01-01T00:00:00Z';

function aNode(id: string, role: 'manager' | 'worker'): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: { Labels: {}, Role: role, Availability: 'active' },
    Description: aDescription(`old-${id}`),
    Status: { State: 'down', Addr: '' },
  };
}

const status = (State: TaskStatus['State'], second: number): TaskStatus => ({
  State,
  Timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(),
  Message: State === 'running' ? 'started' : State,
});

void describe('AgentSession with a Dispatcher over mutual TLS', { timeout: 60_000 }, () => {
  const clock = new FakeClock();
  const store = new Store(createMemoryBackend({ clock }));
  const dispatcher = new Dispatcher({ store, clock, logger: nullLogger, heartbeatPeriodMs: PERIOD, batchMs: 100 });
  const stopDispatcher = new AbortController();
  const stopAgent = new AbortController();
  const servers: RpcServer[] = [];
  let managerTls: RpcTls;
  let agent: AgentSession;
  let dispatcherRun: Promise<void> = Promise.resolve();
  let agentRun: Promise<void> = Promise.resolve();
  let consumer: Promise<void> = Promise.resolve();
  /** The agent's view of its tasks, built from the assignment messages. */
  const tasks = new Map<string, Task>();
  let completeSets = 0;

  let heartbeats = 0;
  /** The dispatcher's routes, counting heartbeats. */
  const routes = (): RpcRoute[] =>
    dispatcher.routes().map((r) =>
      r.kind === 'unary' && r.path === dispatcherPaths.heartbeat
        ? {
            ...r,
            handle: (body: unknown, ctx: RpcContext) => {
              heartbeats++;
              return r.handle(body, ctx);
            },
          }
        : r,
    );
  const serve = async (listen: string): Promise<RpcServer> => {
    const s = await startRpcServer({ listen, tls: managerTls, routes: routes(), logger: nullLogger });
    servers.push(s);
    return s;
  };
  const node = async (): Promise<Node> => {
    const n = await store.view().get('nodes', 'w1');
    assert.ok(n);
    return n;
  };
  /** Waits (real time) for `check`, moving the fake clock `stepMs` between looks. */
  const drive = <T>(what: string, stepMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> =>
    waitFor(
      systemClock,
      async () => {
        const v = await check();
        if (v === undefined) clock.advance(stepMs);
        return v;
      },
      { timeoutMs: 20_000, intervalMs: 2, what },
    );

  before(async () => {
    const pki = await makePki();
    managerTls = await pki.node('m1', 'manager');
    const workerTls = await pki.node('w1', 'worker');
    await store.update((tx) => {
      tx.create('nodes', aNode('m1', 'manager'));
      tx.create('nodes', aNode('w1', 'worker'));
    });
    dispatcherRun = dispatcher.run(stopDispatcher.signal);
    // A manager address where nothing listens comes first: the agent must move on to the next one.
    const gone = await serve('127.0.0.1:0');
    const deadAddr = gone.addr;
    await gone.close();
    const server = await serve('127.0.0.1:0');
    agent = new AgentSession({
      managers: [deadAddr, server.addr],
      tls: workerTls,
      nodeId: 'w1',
      description: aDescription('worker-one'),
      clock,
      logger: nullLogger,
    });
    agentRun = agent.run(stopAgent.signal);
    consumer = (async () => {
      for await (const m of agent.assignments(stopAgent.signal)) {
        if (m.type === 'complete') {
          completeSets++;
          tasks.clear();
          for (const t of m.tasks) tasks.set(t.ID, t);
        } else if (m.type === 'incremental') {
          for (const c of m.changes) {
            if (c.action === 'remove') tasks.delete(c.task.ID);
            else tasks.set(c.task.ID, c.task);
          }
        }
      }
    })();
  });

  after(async () => {
    stopAgent.abort();
    await agentRun;
    await consumer;
    stopDispatcher.abort();
    await dispatcherRun;
    await Promise.all(servers.map((s) => s.close()));
  });

  void it('the node goes ready, gets its tasks, reports status; down when the manager is gone, back when it returns', async () => {
    // 1. The session opens (after the dead manager failed): the node is ready, at its peer address, as described.
    const ready = await drive('the node to be ready', 50, async () => {
      const n = await node();
      return n.Status.State === 'ready' && agent.sessionId !== undefined ? n : undefined;
    });
    assert.deepEqual(ready.Status, { State: 'ready', Addr: '127.0.0.1' });
    assert.equal(ready.Description.Hostname, 'worker-one');
    const firstSession = agent.sessionId;
    assert.ok(firstSession !== undefined);

    // 2. A task assigned to the node in the store reaches the agent.
    await store.update((tx) =>
      tx.create('tasks', {
        ID: 'task1',
        Version: { Index: 0 },
        CreatedAt: T0,
        UpdatedAt: T0,
        Labels: {},
        Spec: { ContainerSpec: { Image: 'busybox' } },
        ServiceID: 'svc1',
        Slot: 1,
        NodeID: 'w1',
        Status: { Timestamp: T0, State: 'assigned', Message: 'scheduler assigned task to node' },
        DesiredState: 'running',
      }),
    );
    const arrived = await drive('the task to reach the agent', 10, () => tasks.get('task1'));
    assert.equal(arrived.Status.State, 'assigned');

    // 3. The agent reports it running; the store shows it.
    agent.reportStatus([{ taskId: 'task1', status: status('accepted', 1) }]);
    agent.reportStatus([{ taskId: 'task1', status: status('running', 2) }]);
    const running = await drive('the store to show the task running', 10, async () => {
      const t = await store.view().get('tasks', 'task1');
      return t?.Status.State === 'running' ? t : undefined;
    });
    assert.equal(running.Status.Message, 'started');
    assert.equal(agent.pendingReports, 0);

    // Heartbeats keep the node ready across many periods.
    for (let i = 0; i < 8; i++) {
      const seen = heartbeats;
      await drive('a heartbeat', 100, () => (heartbeats > seen ? true : undefined));
    }
    assert.equal((await node()).Status.State, 'ready');
    assert.equal(agent.sessionId, firstSession);

    // 4. The manager's server dies. The dispatcher marks the node down once 3 periods pass without a heartbeat.
    const [server] = servers.slice(-1);
    assert.ok(server);
    const addr = server.addr;
    await server.close();
    const killedAt = clock.now();
    await drive('the session to drop', 10, () => (agent.sessionId === undefined ? true : undefined));
    agent.reportStatus([{ taskId: 'task1', status: status('complete', 3) }]);
    const down = await drive('the node to go down', 250, async () => {
      const n = await node();
      return n.Status.State === 'down' ? n : undefined;
    });
    const after = clock.now() - killedAt;
    assert.ok(after >= 2 * PERIOD && after <= 3 * PERIOD + 1000, `down ${after} ms after the kill`);
    assert.equal(down.Status.Message, 'heartbeat failure');
    assert.equal(agent.pendingReports, 1, 'the report waits for a session');

    // 5. The server comes back on the same address: the agent reconnects, the node is ready again, the report
    //    made while disconnected lands, and the new session starts with a complete set.
    const setsBefore = completeSets;
    await serve(addr);
    await drive('the node to be ready again', 250, async () => {
      const n = await node();
      return n.Status.State === 'ready' && agent.sessionId !== undefined ? n : undefined;
    });
    assert.notEqual(agent.sessionId, firstSession);
    const complete = await drive('the report made while disconnected', 10, async () => {
      const t = await store.view().get('tasks', 'task1');
      return t?.Status.State === 'complete' ? t : undefined;
    });
    assert.equal(complete.Status.State, 'complete');
    await drive('a new complete set', 10, () => (completeSets > setsBefore ? true : undefined));
    assert.deepEqual([...tasks.keys()], ['task1']);
  });
});
