import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Network, Node, Service, Task } from '../../api/types.js';
import type { Backend } from '../../store/index.js';
import { Store, createMemoryBackend } from '../../store/index.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { aWorker } from '../../../test/builders/control.js';
import { Allocator } from './allocator.js';
import { aTask, ingress } from './fixtures.testkit.js';
import { aNetwork, aNetworkedService } from './ipam/fixtures.testkit.js';
import type { TaskWithEndpoint } from './task-ballot.js';

const DELAY = 20;

async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

interface Seed {
  networks?: Network[];
  nodes?: Node[];
  services?: Service[];
  tasks?: Task[];
}

async function put(store: Store, o: Seed): Promise<void> {
  await store.update((tx) => {
    for (const n of o.networks ?? []) tx.create('networks', n);
    for (const n of o.nodes ?? []) tx.create('nodes', n);
    for (const s of o.services ?? []) tx.create('services', s);
    for (const t of o.tasks ?? []) tx.create('tasks', t);
  });
}

interface Harness extends AsyncDisposable {
  store: Store;
  task(id: string): Promise<TaskWithEndpoint>;
  service(id: string): Promise<Service>;
  network(id: string): Promise<Network>;
  /** Lets the allocator's batch timer fire whenever it waits on it, until `cond` holds. */
  until(cond: () => Promise<boolean>, what: string): Promise<void>;
}

async function harness(seed: Seed = {}, backend?: Backend, clock = new FakeClock()): Promise<Harness> {
  const store = new Store(backend ?? createMemoryBackend({ clock }));
  await put(store, seed);
  const allocator = new Allocator({ store, clock, batchDelayMs: DELAY, writeBatchSize: 2 });
  const ac = new AbortController();
  const running = allocator.run(ac.signal);
  const view = store.view();
  return {
    store,
    task: async (id) => (await view.get('tasks', id)) as TaskWithEndpoint,
    service: async (id) => (await view.get('services', id)) as Service,
    network: async (id) => (await view.get('networks', id)) as Network,
    until: async (cond, what) =>
      eventually(async () => {
        if (clock.pendingSleeps > 0) clock.advance(DELAY);
        return cond();
      }, what),
    [Symbol.asyncDispose]: async () => {
      ac.abort();
      await running;
    },
  };
}

const addrs = (t: Task): string[] => (t.NetworksAttachments ?? []).map((a) => `${a.Network.Name}=${a.Addresses.join(',')}`);
const vips = (s: Service): string[] => (s.Endpoint?.VirtualIPs ?? []).map((v) => `${v.NetworkID}=${v.Addr}`);

describe('Allocator component: networks and IPAM', () => {
  it('gives a container attached with docker run --network an address, and frees it when it detaches', async () => {
    const att = aNetwork('na', 'att', '10.0.9.0/29', { created: '2024-01-01T00:00:01Z' });
    await using h = await harness({ networks: [att], nodes: [aWorker('w1', 'one')] });
    await h.until(async () => (await h.network('na')).NodeAddrs?.['w1'] !== undefined, 'the node address');
    const ask = async (id: string): Promise<void> => {
      await h.store.update(async (tx) => {
        const n = (await tx.get('networks', 'na')) as Network;
        tx.update('networks', { ...n, Attachments: { ...(n.Attachments ?? {}), [id]: { NodeID: 'w1', Name: id } } });
      });
    };
    await ask('c1');
    await h.until(async () => (await h.network('na')).Attachments?.['c1']?.Addr !== undefined, 'c1 to get an address');
    const first = (await h.network('na')).Attachments?.['c1']?.Addr;
    assert.notEqual(first, (await h.network('na')).NodeAddrs?.['w1'], 'never the node address');
    // Detach c1; c2 then gets the address c1 gave back (the lowest free one).
    await h.store.update(async (tx) => {
      const n = (await tx.get('networks', 'na')) as Network;
      tx.update('networks', { ...n, Attachments: {} });
    });
    await ask('c2');
    await h.until(async () => (await h.network('na')).Attachments?.['c2']?.Addr !== undefined, 'c2 to get an address');
    assert.equal((await h.network('na')).Attachments?.['c2']?.Addr, first);
  });

  it('gives a service its VIPs beside its ports, every node an LB address, and tasks their addresses in order', async () => {
    await using h = await harness({
      networks: [aNetwork('in', 'ingress', '10.0.0.0/24', { ingress: true }), aNetwork('nf', 'front', '10.0.1.0/24', { created: '2024-01-01T00:00:01Z' })],
      nodes: [aWorker('w1', 'one'), aWorker('w2', 'two')],
      services: [aNetworkedService('web', 'web', ['nf'], { ports: [ingress(80)] }), aNetworkedService('plain', 'plain', [])],
      tasks: [aTask('t1', 'web'), aTask('t2', 'web'), aTask('p1', 'plain')],
    });
    await h.until(async () => (await h.task('t2')).Status.State === 'pending' && (await h.task('p1')).Status.State === 'pending', 'pending tasks');
    const web = await h.service('web');
    assert.deepEqual(vips(web), ['in=10.0.0.2/24', 'nf=10.0.1.2/24']);
    assert.deepEqual(web.Endpoint?.Ports, [{ ...ingress(80), PublishedPort: 30000 }], 'the ports, in the same Endpoint');
    assert.deepEqual((await h.network('in')).NodeAddrs, { w1: '10.0.0.3/24', w2: '10.0.0.4/24' });
    assert.deepEqual((await h.network('nf')).NodeAddrs, { w1: '10.0.1.3/24', w2: '10.0.1.4/24' });
    assert.deepEqual(addrs(await h.task('t1')), ['front=10.0.1.5/24', 'ingress=10.0.0.5/24']);
    assert.deepEqual(addrs(await h.task('t2')), ['front=10.0.1.6/24', 'ingress=10.0.0.6/24']);
    assert.deepEqual((await h.task('t1')).Endpoint?.VirtualIPs, web.Endpoint?.VirtualIPs);
    const plain = await h.task('p1');
    assert.equal(plain.NetworksAttachments, undefined, 'a task of a service without networks is as before');
    assert.deepEqual((await h.service('plain')).Endpoint, { Spec: {} });
  });

  it('keeps a task NEW with the reason while its pool is full, and gives it the address of a task that ended', async () => {
    // 10.0.5.0/29: .0 network, .1 gateway, .7 broadcast; .2 the VIP, .3 the node, .4–.6 three tasks.
    await using h = await harness({
      networks: [aNetwork('nt', 'web_net', '10.0.5.0/29')],
      nodes: [aWorker('w1', 'one')],
      services: [aNetworkedService('s', 'web', ['nt'])],
      tasks: ['a', 'b', 'c', 'd'].map((id, i) => aTask(id, 's', { createdAt: `2024-01-01T00:00:0${i}Z` })),
    });
    const reason = 'could not allocate IP from IPAM: no available addresses on network web_net';
    await h.until(async () => (await h.task('d')).Status.Err === reason, 'the reason on d');
    assert.equal((await h.task('d')).Status.State, 'new');
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map(async (id) => addrs(await h.task(id))[0])), ['web_net=10.0.5.4/29', 'web_net=10.0.5.5/29', 'web_net=10.0.5.6/29']);

    const b = await h.task('b');
    await h.store.update((tx) => tx.update('tasks', { ...b, Status: { ...b.Status, State: 'running' } }));
    assert.equal((await h.task('d')).Status.State, 'new', 'b still holds its address while it runs');
    const running = await h.task('b');
    await h.store.update((tx) => tx.update('tasks', { ...running, Status: { ...running.Status, State: 'failed' } }));
    await h.until(async () => (await h.task('d')).Status.State === 'pending', 'd pending');
    assert.deepEqual(addrs(await h.task('d')), ['web_net=10.0.5.5/29']);
    assert.equal((await h.task('d')).Status.Err, undefined);
  });

  it('leaves a service whose VIP finds no free address unallocated, its tasks NEW with the reason', async () => {
    // 10.0.6.0/30 has one address to give (.2): the older service's VIP takes it.
    await using h = await harness({
      networks: [aNetwork('nt', 'tiny_net', '10.0.6.0/30')],
      services: [aNetworkedService('a', 'a', ['nt']), aNetworkedService('b', 'b', ['nt'], { createdAt: '2024-01-01T00:00:01Z' })],
      tasks: [aTask('b1', 'b')],
    });
    const reason = 'could not allocate IP from IPAM: no available addresses on network tiny_net';
    await h.until(async () => (await h.task('b1')).Status.Err === reason && vips(await h.service('a')).length === 1, 'the reason on b1');
    assert.deepEqual(vips(await h.service('a')), ['nt=10.0.6.2/30']);
    assert.deepEqual((await h.service('b')).Endpoint, { Spec: {} }, 'b is left as it was');
    await h.store.update((tx) => tx.delete('services', 'a'));
    await h.until(async () => vips(await h.service('b')).length === 1, 'b gets the VIP a had');
    assert.deepEqual(vips(await h.service('b')), ['nt=10.0.6.2/30']);
    await h.until(async () => (await h.task('b1')).Status.Err === reason, 'b1 still waits, now for its own address');
    assert.equal((await h.task('b1')).Status.State, 'new');
  });

  it('waits for a missing network with docker’s reason, and goes on once it exists', async () => {
    await using h = await harness({ services: [aNetworkedService('s', 'web', ['1xyz'])], tasks: [aTask('t', 's')] });
    await h.until(async () => (await h.task('t')).Status.Err === 'network 1xyz not found', 'the reason');
    await put(h.store, { networks: [aNetwork('1xyz', 'late', '10.0.7.0/24')] });
    await h.until(async () => (await h.task('t')).Status.State === 'pending', 't pending');
    assert.deepEqual(vips(await h.service('s')), ['1xyz=10.0.7.2/24'], 'the service got its VIP first');
    assert.deepEqual(addrs(await h.task('t')), ['late=10.0.7.3/24']);
  });

  it('frees a VIP when its service leaves the network or is removed, and a node’s address when the node is removed', async () => {
    await using h = await harness({
      networks: [aNetwork('na', 'a_net', '10.0.8.0/24'), aNetwork('nb', 'b_net', '10.0.9.0/24', { created: '2024-01-01T00:00:01Z' })],
      nodes: [aWorker('w1', 'one'), aWorker('w2', 'two')],
      services: [aNetworkedService('s', 'web', ['na', 'nb'])],
    });
    await h.until(async () => vips(await h.service('s')).length === 2 && (await h.network('nb')).NodeAddrs !== undefined, 'VIPs and node addresses');
    assert.deepEqual(vips(await h.service('s')), ['na=10.0.8.2/24', 'nb=10.0.9.2/24']);

    const s = await h.service('s');
    await h.store.update((tx) => tx.update('services', { ...s, Spec: { ...s.Spec, TaskTemplate: { ...s.Spec.TaskTemplate, Networks: [{ Target: 'nb' }] } } }));
    await h.until(async () => vips(await h.service('s')).length === 1, 'the VIP on a_net dropped');
    assert.deepEqual(vips(await h.service('s')), ['nb=10.0.9.2/24'], 'the VIP it keeps is unchanged');
    await put(h.store, { services: [aNetworkedService('x', 'other', ['na'], { createdAt: '2024-01-02T00:00:00Z' })] });
    await h.until(async () => vips(await h.service('x')).length === 1, 'x allocated');
    assert.deepEqual(vips(await h.service('x')), ['na=10.0.8.2/24'], 'the freed VIP is the lowest free address');

    await h.store.update((tx) => tx.delete('services', 'x'));
    await h.store.update((tx) => tx.delete('nodes', 'w1'));
    await h.until(async () => Object.keys((await h.network('na')).NodeAddrs ?? {}).join() === 'w2', 'w1 dropped from NodeAddrs');
    assert.deepEqual((await h.network('nb')).NodeAddrs, { w2: '10.0.9.4/24' });
    await put(h.store, { nodes: [aWorker('w3', 'three')], services: [aNetworkedService('y', 'y', ['na'], { createdAt: '2024-01-03T00:00:00Z' })] });
    await h.until(async () => vips(await h.service('y')).length === 1 && (await h.network('na')).NodeAddrs?.['w3'] !== undefined, 'y and w3');
    assert.deepEqual(
      [...vips(await h.service('y')), (await h.network('na')).NodeAddrs?.['w3']].sort(),
      ['10.0.8.3/24', 'na=10.0.8.2/24'],
      'the removed service’s VIP and the removed node’s address are handed out again',
    );
  });

  it('keeps every address it gave across a restart and gives new ones past them', async () => {
    const clock = new FakeClock();
    const backend = createMemoryBackend({ clock });
    {
      await using h = await harness({ networks: [aNetwork('n', 'net', '10.0.4.0/24')], nodes: [aWorker('w1', 'one')], services: [aNetworkedService('s', 'web', ['n'])], tasks: [aTask('t1', 's')] }, backend, clock);
      await h.until(async () => (await h.task('t1')).Status.State === 'pending', 't1 pending');
    }
    await using h = await harness({ services: [aNetworkedService('s2', 'web2', ['n'])], tasks: [aTask('t2', 's')] }, backend, clock);
    await h.until(async () => (await h.task('t2')).Status.State === 'pending' && vips(await h.service('s2')).length === 1, 't2 and s2');
    assert.deepEqual(vips(await h.service('s')), ['n=10.0.4.2/24']);
    assert.deepEqual((await h.network('n')).NodeAddrs, { w1: '10.0.4.3/24' });
    assert.deepEqual(addrs(await h.task('t1')), ['net=10.0.4.4/24']);
    assert.deepEqual([vips(await h.service('s2'))[0], addrs(await h.task('t2'))[0]].sort(), ['n=10.0.4.5/24', 'net=10.0.4.6/24']);
  });
});
