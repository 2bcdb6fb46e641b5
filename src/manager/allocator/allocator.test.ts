import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../../api/types.js';
import type { Backend } from '../../store/index.js';
import { Store, createMemoryBackend } from '../../store/index.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { Allocator } from './allocator.js';
import { aService, aTask, host, ingress } from './fixtures.testkit.js';
import type { TaskWithEndpoint } from './task-ballot.js';

const DELAY = 20;

async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function put(store: Store, o: { services?: Service[]; tasks?: Task[] }): Promise<void> {
  await store.update((tx) => {
    for (const s of o.services ?? []) tx.create('services', s);
    for (const t of o.tasks ?? []) tx.create('tasks', t);
  });
}

interface Harness extends AsyncDisposable {
  store: Store;
  clock: FakeClock;
  task(id: string): Promise<TaskWithEndpoint>;
  service(id: string): Promise<Service>;
  pass(): Promise<void>;
}

async function harness(seed: { services?: Service[]; tasks?: Task[] } = {}, backend?: Backend, clock = new FakeClock()): Promise<Harness> {
  const store = new Store(backend ?? createMemoryBackend({ clock }));
  await put(store, seed);
  const allocator = new Allocator({ store, clock, batchDelayMs: DELAY, writeBatchSize: 2 });
  const ac = new AbortController();
  const running = allocator.run(ac.signal);
  const stop = async (): Promise<void> => {
    ac.abort();
    await running;
  };
  return {
    store,
    clock,
    task: async (id) => (await store.view().get('tasks', id)) as TaskWithEndpoint,
    service: async (id) => (await store.view().get('services', id)) as Service,
    pass: async () => {
      await eventually(() => clock.pendingSleeps > 0, 'the batch timer');
      clock.advance(DELAY);
    },
    [Symbol.asyncDispose]: stop,
  };
}

describe('Allocator component', () => {
  it('publishes ports, then moves NEW tasks to PENDING with the Endpoint they will bind', async () => {
    await using h = await harness({
      services: [aService('web', 'web', [ingress(80), host(9000, 9000)]), aService('plain', 'plain')],
      tasks: [aTask('w1', 'web'), aTask('w2', 'web'), aTask('p1', 'plain')],
    });
    await eventually(async () => (await h.task('w2')).Status.State === 'pending' && (await h.task('p1')).Status.State === 'pending', 'pending tasks');
    const web = await h.service('web');
    assert.deepEqual(web.Endpoint?.Ports, [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 30000, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 9000, PublishedPort: 9000, PublishMode: 'host' },
    ]);
    assert.deepEqual(web.Endpoint?.Spec, web.Spec.EndpointSpec);
    assert.deepEqual((await h.service('plain')).Endpoint, { Spec: {} });
    const w1 = await h.task('w1');
    assert.equal(w1.Status.Message, 'pending task scheduling');
    assert.equal(w1.Status.Timestamp, '2024-01-01T00:00:00Z');
    assert.deepEqual(w1.Endpoint, web.Endpoint);
    assert.equal((await h.task('p1')).Endpoint, undefined);
  });

  it('gives services created later the next ports, and tasks arriving later their move, after the batch delay', async () => {
    await using h = await harness({ services: [aService('a', 'a', [ingress(80)])] });
    await eventually(async () => (await h.service('a')).Endpoint?.Ports?.[0]?.PublishedPort === 30000, 'a allocated');
    await put(h.store, { services: [aService('b', 'b', [ingress(80), ingress(81, 8081, 'udp')])], tasks: [aTask('b1', 'b')] });
    await h.pass();
    await eventually(async () => (await h.task('b1')).Status.State === 'pending', 'b1 pending');
    assert.deepEqual((await h.service('b')).Endpoint?.Ports?.map((p) => `${p.PublishedPort}/${p.Protocol}`), ['30001/tcp', '8081/udp']);
  });

  it('leaves tasks of a service whose port is taken NEW with the reason, until the port is freed', async () => {
    await using h = await harness({
      services: [aService('a', 'a', [ingress(80, 8080)], '2024-01-01T00:00:00Z'), aService('b', 'b', [ingress(80, 8080)], '2024-01-01T00:00:01Z')],
      tasks: [aTask('b1', 'b')],
    });
    const reason = "port '8080' is already in use by service 'a' (a) as an ingress port";
    await eventually(async () => (await h.task('b1')).Status.Err === reason, 'the reason');
    const b1 = await h.task('b1');
    assert.equal(b1.Status.State, 'new');
    assert.deepEqual((await h.service('b')).Endpoint, { Spec: { Mode: 'vip', Ports: [ingress(80, 8080)] } }, 'b is left as it was');

    await h.store.update((tx) => tx.delete('services', 'a'));
    await h.pass();
    await eventually(async () => (await h.task('b1')).Status.State === 'pending', 'b1 pending once a is gone');
    assert.equal((await h.task('b1')).Status.Err, undefined);
    assert.equal((await h.service('b')).Endpoint?.Ports?.[0]?.PublishedPort, 8080);
  });

  it('re-allocates on a spec update, keeping the dynamic port of a port that stays', async () => {
    await using h = await harness({ services: [aService('a', 'a', [ingress(80)])] });
    await eventually(async () => (await h.service('a')).Endpoint?.Ports !== undefined, 'a allocated');
    const a = await h.service('a');
    await h.store.update((tx) => tx.update('services', { ...a, Spec: { ...a.Spec, EndpointSpec: { Mode: 'vip', Ports: [ingress(80), ingress(443)] } } }));
    await h.pass();
    await eventually(async () => (await h.service('a')).Endpoint?.Ports?.length === 2, 'a re-allocated');
    assert.deepEqual((await h.service('a')).Endpoint?.Ports?.map((p) => p.PublishedPort), [30000, 30001]);
  });

  it('keeps the ports it gave after a restart, and gives new ones past them', async () => {
    const clock = new FakeClock();
    const backend = createMemoryBackend({ clock });
    {
      await using h = await harness({ services: [aService('a', 'a', [ingress(80)])] }, backend, clock);
      await eventually(async () => (await h.service('a')).Endpoint?.Ports !== undefined, 'a allocated');
    }
    await using h = await harness({ services: [aService('b', 'b', [ingress(80)])] }, backend, clock);
    await eventually(async () => (await h.service('b')).Endpoint?.Ports !== undefined, 'b allocated');
    assert.equal((await h.service('a')).Endpoint?.Ports?.[0]?.PublishedPort, 30000);
    assert.equal((await h.service('b')).Endpoint?.Ports?.[0]?.PublishedPort, 30001);
  });

  it('leaves alone tasks that are unwanted, not NEW, or whose service is missing; job tasks go on', async () => {
    await using h = await harness({
      services: [aService('s', 's')],
      tasks: [aTask('down', 's', { desired: 'shutdown' }), aTask('orphan', 'gone'), aTask('job', 's', { desired: 'complete' }), aTask('late', 's', { state: 'running' })],
    });
    await eventually(async () => (await h.task('job')).Status.State === 'pending', 'the job task');
    assert.equal((await h.task('down')).Status.State, 'new');
    assert.equal((await h.task('orphan')).Status.State, 'new');
    assert.equal((await h.task('orphan')).Status.Err, undefined);
    assert.equal((await h.task('late')).Status.State, 'running');
  });
});
