import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Task } from '../../api/types.js';
import { captureLogger, nullLogger, type Logger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import type { Backend, Compare, MemoryBackend, Op } from '../../store/index.js';
import { Store, createMemoryBackend, objectKey } from '../../store/index.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { CPU, aNode, aTask, someTasks } from './fixtures.testkit.js';
import { ASSIGNED_MESSAGE, PREASSIGNED_MESSAGE, Scheduler } from './scheduler.js';

const DELAY = 20;

/** Awaits a condition with a real-time deadline (no fixed sleeps). */
async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

interface Harness extends AsyncDisposable {
  store: Store;
  clock: FakeClock;
  task(id: string): Promise<Task>;
  tasks(): Promise<Task[]>;
  /** Waits for the scheduler to arm its batch timer, then lets it fire. */
  pass(): Promise<void>;
  stop(): Promise<void>;
}

async function put(store: Store, objects: { nodes?: Node[]; tasks?: Task[] }): Promise<void> {
  await store.update((tx) => {
    for (const n of objects.nodes ?? []) tx.create('nodes', n);
    for (const t of objects.tasks ?? []) tx.create('tasks', t);
  });
}

async function harness(seed: { nodes?: Node[]; tasks?: Task[] } = {}, backend?: Backend, clock = new FakeClock(), logger: Logger = nullLogger): Promise<Harness> {
  const store = new Store(backend ?? createMemoryBackend({ clock }));
  await put(store, seed);
  const scheduler = new Scheduler({ store, clock, random: seededRandom(3), batchDelayMs: DELAY, writeBatchSize: 3, logger });
  const ac = new AbortController();
  const running = scheduler.run(ac.signal);
  const stop = async (): Promise<void> => {
    ac.abort();
    await running;
  };
  return {
    store,
    clock,
    task: async (id) => (await store.view().get('tasks', id)) as Task,
    tasks: () => store.view().list('tasks'),
    pass: async () => {
      await eventually(() => clock.pendingSleeps > 0, 'the batch timer');
      clock.advance(DELAY);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

const assignedCount = async (h: Harness): Promise<number> => (await h.tasks()).filter((t) => t.Status.State === 'assigned').length;

describe('Scheduler component', () => {
  it('places the tasks pending at start, spread, with swarm status messages', async () => {
    await using h = await harness({ nodes: [aNode('n1'), aNode('n2')], tasks: someTasks(4, 's1') });
    await eventually(async () => (await assignedCount(h)) === 4, 'four assignments');
    const tasks = await h.tasks();
    for (const t of tasks) {
      assert.equal(t.Status.State, 'assigned');
      assert.equal(t.Status.Message, ASSIGNED_MESSAGE);
      assert.equal(t.Status.Err, undefined);
      assert.equal(t.Status.Timestamp, '2024-01-01T00:00:00Z');
    }
    assert.deepEqual(tasks.map((t) => t.NodeID).sort(), ['n1', 'n1', 'n2', 'n2']);
  });

  it('gathers tasks that arrive for one batch delay, then places them in one pass', async () => {
    await using h = await harness({ nodes: [aNode('n1'), aNode('n2'), aNode('n3')] });
    for (const t of someTasks(3, 's1')) await put(h.store, { tasks: [t] });
    await eventually(() => h.clock.pendingSleeps === 1, 'one batch timer');
    assert.equal(await assignedCount(h), 0, 'nothing before the delay');
    h.clock.advance(DELAY);
    await eventually(async () => (await assignedCount(h)) === 3, 'three assignments');
    assert.deepEqual((await h.tasks()).map((t) => t.NodeID).sort(), ['n1', 'n2', 'n3']);
  });

  it('explains an unplaceable task once, and places it when room appears', async () => {
    await using h = await harness({ nodes: [aNode('n1', { nanoCPUs: CPU }), aNode('n2', { availability: 'drain', nanoCPUs: CPU })], tasks: [aTask('big', 's1', { nanoCPUs: 2 * CPU })] });
    const reason = 'no suitable node (1 node not available for new tasks; insufficient resources on 1 node)';
    await eventually(async () => (await h.task('big')).Status.Err === reason, 'the reason');
    const explained = await h.task('big');
    assert.equal(explained.Status.State, 'pending');
    assert.equal(explained.Status.Message, 'pending task scheduling', 'the message stays, the error explains');

    // A node change and a new task trigger a pass; big's reason is the same, so big is not written again.
    const n1 = (await h.store.view().get('nodes', 'n1')) as Node;
    await h.store.update((tx) => tx.update('nodes', { ...n1, Spec: { ...n1.Spec, Labels: { x: 'y' } } }));
    await put(h.store, { tasks: [aTask('probe', 's2')] });
    await h.pass();
    await eventually(async () => (await h.task('probe')).Status.State === 'assigned', 'the pass ran');
    assert.equal((await h.task('big')).Version.Index, explained.Version.Index, 'an unchanged reason is not written again');

    // A change of reason is written.
    const n2 = (await h.store.view().get('nodes', 'n2')) as Node;
    await h.store.update((tx) => tx.update('nodes', { ...n2, Spec: { ...n2.Spec, Availability: 'active' } }));
    await h.pass();
    await eventually(async () => (await h.task('big')).Status.Err === 'no suitable node (insufficient resources on 2 nodes)', 'the new reason');

    await put(h.store, { nodes: [aNode('n3', { nanoCPUs: 4 * CPU })] });
    await h.pass();
    await eventually(async () => (await h.task('big')).NodeID === 'n3', 'placement on the new node');
    const placed = await h.task('big');
    assert.equal(placed.Status.State, 'assigned');
    assert.equal(placed.Status.Err, undefined);
  });

  it('confirms pre-assigned (global) tasks on their node, or leaves them pending with the reason', async () => {
    await using h = await harness({
      nodes: [aNode('n1', { nanoCPUs: CPU }), aNode('n2', { state: 'down' })],
      tasks: [aTask('g1', 'g', { nodeId: 'n1', nanoCPUs: CPU }), aTask('g2', 'g', { nodeId: 'n2' })],
    });
    await eventually(async () => (await h.task('g1')).Status.State === 'assigned' && (await h.task('g2')).Status.Err !== undefined, 'both decided');
    assert.equal((await h.task('g1')).Status.Message, PREASSIGNED_MESSAGE);
    assert.equal((await h.task('g1')).NodeID, 'n1');
    const g2 = await h.task('g2');
    assert.equal(g2.Status.State, 'pending');
    assert.equal(g2.Status.Err, '1 node not available for new tasks');
  });

  it('gives room back when a task ends, and re-places the waiting task', async () => {
    await using h = await harness({ nodes: [aNode('n1', { nanoCPUs: CPU })], tasks: [aTask('a', 's', { nanoCPUs: CPU }), aTask('b', 's', { nanoCPUs: CPU, createdAt: '2024-01-02T00:00:00Z' })] });
    await eventually(async () => (await h.task('a')).Status.State === 'assigned' && (await h.task('b')).Status.Err !== undefined, 'a placed, b explained');
    assert.equal((await h.task('b')).Status.Err, 'no suitable node (insufficient resources on 1 node)');
    const a = await h.task('a');
    await h.store.update((tx) => tx.update('tasks', { ...a, Status: { ...a.Status, State: 'complete', Message: 'finished' } }));
    await h.pass();
    await eventually(async () => (await h.task('b')).Status.State === 'assigned', 'b placed');
  });

  it('does not place a task that another writer moved on while it was being decided', async () => {
    const clock = new FakeClock();
    const inner = createMemoryBackend({ clock });
    const racing = new RacingBackend(inner);
    await put(new Store(inner), { nodes: [aNode('n1')], tasks: [aTask('t', 's')] });
    racing.beforeNextTxn = async () => {
      await new Store(inner).update(async (tx) => {
        const cur = (await tx.get('tasks', 't')) as Task;
        tx.update('tasks', { ...cur, DesiredState: 'shutdown' });
      });
    };
    const logs = captureLogger();
    await using h = await harness({}, racing, clock, logs);
    await eventually(() => logs.records.some((r) => r.msg === 'scheduling pass'), 'the pass');
    assert.equal(racing.hooksRun, 1);
    assert.deepEqual(logs.records.find((r) => r.msg === 'scheduling pass')?.obj, { assigned: 0, unschedulable: 0, dropped: 1, waiting: 1 });
    const after = await h.task('t');
    assert.equal(after.DesiredState, 'shutdown');
    assert.equal(after.Status.State, 'pending', 'not assigned');
    assert.equal(after.NodeID, undefined);
  });

  it('keeps going when a task is deleted between its read and the commit', async () => {
    const clock = new FakeClock();
    const inner = createMemoryBackend({ clock });
    const racing = new RacingBackend(inner);
    await put(new Store(inner), { nodes: [aNode('n1')], tasks: [aTask('doomed', 's')] });
    // The store reads the task twice before committing: in the transaction, then when planning the commit.
    racing.beforeGet = {
      key: objectKey('tasks', 'doomed'),
      nth: 2,
      hook: async () => {
        await new Store(inner).update((tx) => tx.delete('tasks', 'doomed'));
      },
    };
    await using h = await harness({}, racing, clock);
    await eventually(() => racing.hooksRun === 1, 'the concurrent delete');
    await put(h.store, { tasks: [aTask('next', 's')] });
    await h.pass();
    await eventually(async () => (await h.task('next')).Status.State === 'assigned', 'the scheduler still places tasks');
    assert.equal(await h.store.view().get('tasks', 'doomed'), undefined);
  });

  it('starts again from a snapshot with what assigned tasks hold', async () => {
    const clock = new FakeClock();
    const backend = createMemoryBackend({ clock });
    {
      await using h = await harness({ nodes: [aNode('n1', { nanoCPUs: 2 * CPU })], tasks: [aTask('a', 's', { nanoCPUs: CPU })] }, backend, clock);
      await eventually(async () => (await h.task('a')).Status.State === 'assigned', 'a placed');
    }
    await using h = await harness({ tasks: someTasks(2, 's', { nanoCPUs: CPU }, 'more') }, backend, clock);
    await eventually(async () => (await h.task('more.2')).Status.Err !== undefined || (await h.task('more.1')).Status.Err !== undefined, 'one explained');
    assert.equal(await assignedCount(h), 2, 'a and one more: the node holds two CPUs');
  });

  it('stops when aborted, even while waiting on its timer', async () => {
    const h = await harness({ nodes: [aNode('n1')] });
    await put(h.store, { tasks: [aTask('t', 's')] });
    await eventually(() => h.clock.pendingSleeps === 1, 'the batch timer');
    await h.stop();
    assert.equal(h.clock.pendingSleeps, 0);
  });
});

/** A backend that runs a hook before one transaction or one read: another writer getting in between. */
class RacingBackend implements Backend {
  beforeNextTxn: (() => Promise<void>) | undefined;
  /** Runs `hook` before the `nth` read of `key`. */
  beforeGet: { key: string; nth: number; hook: () => Promise<void> } | undefined;
  hooksRun = 0;

  constructor(private readonly inner: MemoryBackend) {}

  async get(key: string): ReturnType<Backend['get']> {
    const b = this.beforeGet;
    if (b !== undefined && b.key === key && --b.nth === 0) {
      this.beforeGet = undefined;
      await b.hook();
      this.hooksRun++;
    }
    return this.inner.get(key);
  }
  range(prefix: string): ReturnType<Backend['range']> {
    return this.inner.range(prefix);
  }
  async txn(compares: readonly Compare[], ops: readonly Op[]): ReturnType<Backend['txn']> {
    const hook = this.beforeNextTxn;
    if (hook !== undefined) {
      this.beforeNextTxn = undefined;
      await hook();
      this.hooksRun++;
    }
    return this.inner.txn(compares, ops);
  }
  watch(prefix: string, afterRev: number, signal: AbortSignal): ReturnType<Backend['watch']> {
    return this.inner.watch(prefix, afterRev, signal);
  }
  rev(): ReturnType<Backend['rev']> {
    return this.inner.rev();
  }
  grantLease(ttlMs: number): ReturnType<Backend['grantLease']> {
    return this.inner.grantLease(ttlMs);
  }
  keepAlive(lease: string): ReturnType<Backend['keepAlive']> {
    return this.inner.keepAlive(lease);
  }
  revokeLease(lease: string): ReturnType<Backend['revokeLease']> {
    return this.inner.revokeLease(lease);
  }
  compact(rev: number): ReturnType<Backend['compact']> {
    return this.inner.compact(rev);
  }
  close(): ReturnType<Backend['close']> {
    return this.inner.close();
  }
}
