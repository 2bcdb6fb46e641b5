/**
 * Property test of the allocator's IPAM on the memory store: seeded random sequences of what the orchestrator,
 * the agents and the user do (create services on random networks, scale, tasks running/failing/ending, task
 * deletion, network detach, service removal, nodes joining and leaving) over /28 pools, so pools run out and
 * addresses are reused. At EVERY committed revision, on every network, the stored holders (NodeAddrs, services'
 * VirtualIPs, attachments of tasks that have not ended) never share an address, and never hold the network,
 * gateway or broadcast address. At the end, with the sequence over, everything that can be allocated is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTerminal } from '../../api/task-state.js';
import type { Network, Node, Service, Task } from '../../api/types.js';
import { lastOf, parseAddrCidr, parseCidr, parseIp } from '../../lib/cidr.js';
import type { Random } from '../../lib/random.js';
import { seededRandom } from '../../lib/random.js';
import type { StoreEvent, WriteTx } from '../../store/index.js';
import { Store, createMemoryBackend } from '../../store/index.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { aWorker } from '../../../test/builders/control.js';
import { Allocator } from './allocator.js';
import { aTask, ingress } from './fixtures.testkit.js';
import { aNetwork, aNetworkedService } from './ipam/fixtures.testkit.js';

const DELAY = 20;
const CAPACITY = 13; // a /28 without network, gateway and broadcast
const NETWORKS = [
  aNetwork('in', 'ingress', '10.0.0.0/28', { ingress: true }),
  aNetwork('na', 'a_net', '10.0.1.0/28', { created: '2024-01-01T00:00:01Z' }),
  aNetwork('nb', 'b_net', '10.0.2.0/28', { created: '2024-01-01T00:00:02Z', gateway: '10.0.2.14' }),
];
const USER_NETS = ['na', 'nb'];

/** The stored state, as the watch tells it. */
class Mirror {
  readonly networks = new Map<string, Network>();
  readonly nodes = new Map<string, Node>();
  readonly services = new Map<string, Service>();
  readonly tasks = new Map<string, Task>();
  apply(e: StoreEvent): void {
    const m = (e.kind === 'networks' ? this.networks : e.kind === 'nodes' ? this.nodes : e.kind === 'services' ? this.services : e.kind === 'tasks' ? this.tasks : undefined) as
      | Map<string, unknown>
      | undefined;
    const id = e.kind === 'networks' ? e.object.Id : e.object.ID;
    if (e.action === 'remove') m?.delete(id);
    else m?.set(id, e.object);
  }

  /** Network ID → [holder, address] for everything stored that holds an address. */
  holders(): Map<string, [string, string][]> {
    const out = new Map<string, [string, string][]>([...this.networks.keys()].map((id) => [id, []]));
    const add = (net: string, holder: string, addr: string): void => {
      out.get(net)?.push([holder, addr]);
    };
    for (const n of this.networks.values()) for (const [node, a] of Object.entries(n.NodeAddrs ?? {})) add(n.Id, `node ${node}`, a);
    for (const s of this.services.values()) for (const v of s.Endpoint?.VirtualIPs ?? []) add(v.NetworkID, `vip ${s.ID}`, v.Addr);
    for (const t of this.tasks.values()) {
      if (isTerminal(t.Status.State)) continue;
      for (const a of t.NetworksAttachments ?? []) for (const addr of a.Addresses) add(a.Network.Id, `task ${t.ID}`, addr);
    }
    return out;
  }

  /** Every broken invariant, described. */
  violations(rev: number): string[] {
    const out: string[] = [];
    for (const [netId, held] of this.holders()) {
      const n = this.networks.get(netId);
      const subnet = parseCidr(n?.IPAM.Config[0]?.Subnet ?? '');
      const gateway = parseIp(n?.IPAM.Config[0]?.Gateway ?? '') ?? (subnet === undefined ? -1 : subnet.base + 1);
      if (subnet === undefined) continue;
      const seen = new Map<number, string>();
      for (const [holder, addr] of held) {
        const p = parseAddrCidr(addr);
        if (p === undefined || p.cidr.len !== subnet.len || p.cidr.base !== subnet.base) {
          out.push(`rev ${rev}: ${holder} holds ${addr}, not an address of ${netId}`);
          continue;
        }
        if (p.ip === subnet.base || p.ip === lastOf(subnet) || p.ip === gateway) out.push(`rev ${rev}: ${holder} holds the reserved ${addr} on ${netId}`);
        const other = seen.get(p.ip);
        if (other !== undefined) out.push(`rev ${rev}: ${addr} on ${netId} held by ${other} and ${holder}`);
        seen.set(p.ip, holder);
      }
    }
    return out;
  }

  full(netId: string): boolean {
    return (this.holders().get(netId)?.length ?? 0) >= CAPACITY;
  }

  wantedNetworks(s: Service): string[] {
    const nets = (s.Spec.TaskTemplate.Networks ?? []).map((a) => a.Target);
    return (s.Spec.EndpointSpec?.Ports ?? []).length > 0 ? [...nets, 'in'] : nets;
  }

  /** What is still not allocated though it could be (empty once the allocator has caught up). */
  unfinished(): string[] {
    const out: string[] = [];
    for (const n of this.networks.values()) {
      const addrs = n.NodeAddrs ?? {};
      for (const id of Object.keys(addrs)) if (!this.nodes.has(id)) out.push(`${n.Id} still has removed node ${id}`);
      for (const id of this.nodes.keys()) if (addrs[id] === undefined && !this.full(n.Id)) out.push(`node ${id} has no address on ${n.Id}`);
    }
    for (const s of this.services.values()) {
      const wanted = (s.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip' ? this.wantedNetworks(s) : [];
      const have = (s.Endpoint?.VirtualIPs ?? []).map((v) => v.NetworkID);
      // A service that cannot have all its VIPs is left as it was (its tasks wait), stale VIPs included.
      if (wanted.some((id) => !have.includes(id) && this.full(id))) continue;
      for (const id of have) if (!wanted.includes(id)) out.push(`service ${s.ID} keeps a VIP on ${id}`);
      for (const id of wanted) if (!have.includes(id)) out.push(`service ${s.ID} has no VIP on ${id}`);
    }
    for (const t of this.tasks.values()) {
      const s = this.services.get(t.ServiceID);
      if (t.Status.State !== 'new' || t.DesiredState !== 'running' || s === undefined) continue;
      if (this.wantedNetworks(s).some((id) => this.full(id))) continue;
      out.push(`task ${t.ID} is still NEW (${t.Status.Err ?? 'no reason'})`);
    }
    return out;
  }
}

interface World {
  store: Store;
  rnd: Random;
  next: () => number;
}

const pick = <T>(rnd: Random, xs: readonly T[]): T | undefined => xs[Math.floor(rnd.float() * xs.length)];
const stamp = (w: World): string => new Date(Date.UTC(2024, 0, 2) + w.next() * 1000).toISOString();

async function write(store: Store, fn: (tx: WriteTx) => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.update(fn);
      return;
    } catch (e) {
      if (attempt > 20) throw e;
    }
  }
}

/** One random step of the world around the allocator. */
async function step(w: World): Promise<string> {
  const { store, rnd } = w;
  const view = store.view();
  const [services, tasks, nodes] = await Promise.all([view.list('services'), view.list('tasks'), view.list('nodes')]);
  const live = tasks.filter((t) => !isTerminal(t.Status.State));
  const newTask = (serviceId: string): Task => aTask(`t${w.next()}`, serviceId, { createdAt: stamp(w) });
  const r = rnd.float();
  if (r < 0.16 || services.length === 0) {
    const nets = USER_NETS.filter(() => rnd.float() < 0.6);
    if (rnd.float() < 0.5) nets.reverse();
    const id = `s${w.next()}`;
    const svc = aNetworkedService(id, id, nets, { createdAt: stamp(w), ...(rnd.float() < 0.3 ? { ports: [ingress(80)] } : {}), ...(rnd.float() < 0.2 ? { mode: 'dnsrr' as const } : {}) });
    const n = 1 + Math.floor(rnd.float() * 3);
    await write(store, async (tx) => {
      tx.create('services', svc);
      for (let i = 0; i < n; i++) tx.create('tasks', newTask(id));
    });
    return `create ${id} on [${nets.join(',')}] ×${n}`;
  }
  const svc = pick(rnd, services);
  if (svc === undefined) return 'nothing';
  if (r < 0.3) {
    await write(store, async (tx) => tx.create('tasks', newTask(svc.ID)));
    return `scale up ${svc.ID}`;
  }
  if (r < 0.42) {
    const t = pick(rnd, live.filter((x) => x.Status.State === 'pending' || x.Status.State === 'running'));
    if (t === undefined) return 'nothing';
    const to = rnd.float() < 0.5 ? 'running' : 'failed';
    await write(store, async (tx) => {
      const cur = await tx.get('tasks', t.ID);
      if (cur === undefined || isTerminal(cur.Status.State) || cur.Status.State === to) return;
      tx.update('tasks', { ...cur, Status: { ...cur.Status, State: to } });
      if (to === 'failed' && (await tx.get('services', cur.ServiceID)) !== undefined) tx.create('tasks', newTask(cur.ServiceID));
    });
    return `${t.ID} ${to}`;
  }
  if (r < 0.54) {
    const t = pick(rnd, live);
    if (t === undefined) return 'nothing';
    await write(store, async (tx) => {
      const cur = await tx.get('tasks', t.ID);
      if (cur === undefined) return;
      if (cur.Status.State === 'new') tx.delete('tasks', cur.ID);
      else tx.update('tasks', { ...cur, DesiredState: 'shutdown', Status: { ...cur.Status, State: rnd.float() < 0.5 ? 'shutdown' : cur.Status.State } });
    });
    return `scale down ${t.ID}`;
  }
  if (r < 0.62) {
    const t = pick(rnd, tasks.filter((x) => isTerminal(x.Status.State) || x.DesiredState === 'shutdown'));
    if (t === undefined) return 'nothing';
    await write(store, async (tx) => {
      const cur = await tx.get('tasks', t.ID);
      if (cur === undefined) return;
      if (isTerminal(cur.Status.State)) tx.delete('tasks', cur.ID);
      else tx.update('tasks', { ...cur, Status: { ...cur.Status, State: 'shutdown' } });
    });
    return `reap ${t.ID}`;
  }
  if (r < 0.72) {
    const nets = USER_NETS.filter(() => rnd.float() < 0.5);
    await write(store, async (tx) => {
      const cur = await tx.get('services', svc.ID);
      if (cur === undefined) return;
      tx.update('services', { ...cur, Spec: { ...cur.Spec, TaskTemplate: { ...cur.Spec.TaskTemplate, Networks: nets.map((Target) => ({ Target })) } } });
      // A rolling update: the old tasks are told to stop, new ones come.
      for (const t of live.filter((x) => x.ServiceID === svc.ID)) {
        const ct = await tx.get('tasks', t.ID);
        if (ct === undefined) continue;
        if (ct.Status.State === 'new') tx.delete('tasks', ct.ID);
        else tx.update('tasks', { ...ct, DesiredState: 'shutdown' });
        tx.create('tasks', { ...newTask(svc.ID), Spec: { ...ct.Spec, Networks: nets.map((Target) => ({ Target })) } });
      }
    });
    return `update ${svc.ID} to [${nets.join(',')}]`;
  }
  if (r < 0.8) {
    await write(store, async (tx) => {
      if ((await tx.get('services', svc.ID)) === undefined) return;
      tx.delete('services', svc.ID);
      for (const t of live.filter((x) => x.ServiceID === svc.ID)) {
        const ct = await tx.get('tasks', t.ID);
        if (ct === undefined) continue;
        if (ct.Status.State === 'new') tx.delete('tasks', ct.ID);
        else tx.update('tasks', { ...ct, DesiredState: 'shutdown' });
      }
    });
    return `remove ${svc.ID}`;
  }
  if (r < 0.9 || nodes.length <= 1) {
    const id = `w${w.next()}`;
    await write(store, async (tx) => tx.create('nodes', aWorker(id, id)));
    return `node add ${id}`;
  }
  const node = pick(rnd, nodes);
  if (node === undefined) return 'nothing';
  await write(store, async (tx) => tx.delete('nodes', node.ID));
  return `node remove ${node.ID}`;
}

async function run(seed: number, steps: number): Promise<void> {
  const clock = new FakeClock();
  const store = new Store(createMemoryBackend({ clock }));
  await store.update((tx) => {
    for (const n of NETWORKS) tx.create('networks', n);
    tx.create('nodes', aWorker('w0', 'w0'));
  });
  const mirror = new Mirror();
  const violations: string[] = [];
  const ac = new AbortController();
  const watching = (async (): Promise<void> => {
    for await (const batch of store.watch(0, ac.signal)) {
      for (const e of batch) mirror.apply(e);
      violations.push(...mirror.violations(batch[0]?.rev ?? -1));
    }
  })().catch((e: unknown) => {
    if (!ac.signal.aborted) throw e;
  });
  const allocator = new Allocator({ store, clock, batchDelayMs: DELAY, writeBatchSize: 3 });
  const running = allocator.run(ac.signal);
  const rnd = seededRandom(seed);
  let counter = 0;
  const w: World = { store, rnd, next: () => ++counter };
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      if (clock.pendingSleeps > 0) clock.advance(DELAY);
      await new Promise((r) => setImmediate(r));
    }
  };
  const log: string[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      log.push(await step(w));
      await turns(Math.floor(rnd.float() * 12)); // sometimes the allocator catches up, sometimes not
      assert.deepEqual(violations, [], `seed ${seed} after: ${log.slice(-6).join('; ')}`);
    }
    const deadline = Date.now() + 10_000;
    let left = mirror.unfinished();
    while (left.length > 0 && Date.now() < deadline) {
      await turns(1);
      left = mirror.unfinished();
    }
    assert.deepEqual(left, [], `seed ${seed}: the allocator did not catch up`);
    assert.deepEqual(violations, [], `seed ${seed}`);
    assert.ok(log.some((l) => l.startsWith('create')), 'the sequence did something');
  } finally {
    ac.abort();
    await running;
    await watching;
  }
}

describe('Allocator IPAM property: no address is ever held twice, none reserved is ever held', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 120 random steps over /28 pools`, async () => {
      await run(seed, 120);
    });
  }

  it('the pools really run out and addresses really come back (the sequences exercise exhaustion and reuse)', async () => {
    // One deterministic run, watched: some task waits for a full pool, and some address is held by two holders
    // one after the other.
    const clock = new FakeClock();
    const store = new Store(createMemoryBackend({ clock }));
    await store.update((tx) => {
      tx.create('networks', aNetwork('na', 'a_net', '10.0.1.0/28'));
      tx.create('services', aNetworkedService('s', 's', ['na']));
      for (let i = 0; i < 14; i++) tx.create('tasks', aTask(`t${i}`, 's', { createdAt: `2024-01-01T00:00:${String(i).padStart(2, '0')}Z` }));
    });
    const ac = new AbortController();
    const running = new Allocator({ store, clock, batchDelayMs: DELAY }).run(ac.signal);
    const reason = 'could not allocate IP from IPAM: no available addresses on network a_net';
    try {
      const get = async (id: string): Promise<Task | undefined> => store.view().get('tasks', id);
      const until = async (cond: () => Promise<boolean>): Promise<void> => {
        const deadline = Date.now() + 5000;
        while (!(await cond())) {
          if (Date.now() > deadline) throw new Error('timed out');
          if (clock.pendingSleeps > 0) clock.advance(DELAY);
          await new Promise((r) => setImmediate(r));
        }
      };
      await until(async () => (await get('t13'))?.Status.Err === reason && (await get('t12'))?.Status.Err === reason);
      const t0 = await get('t0');
      assert.ok(t0 !== undefined);
      assert.equal(t0.NetworksAttachments?.[0]?.Addresses[0], '10.0.1.3/28');
      await store.update((tx) => tx.update('tasks', { ...t0, Status: { ...t0.Status, State: 'complete' } }));
      await until(async () => (await get('t12'))?.Status.State === 'pending');
      assert.equal((await get('t12'))?.NetworksAttachments?.[0]?.Addresses[0], '10.0.1.3/28');
      assert.equal((await get('t13'))?.Status.State, 'new');
    } finally {
      ac.abort();
      await running;
    }
  });
});
