/**
 * The local network store (src/daemon/local-networks.ts) and the merged Engine-API network backend over it, on a
 * temp directory and the in-memory NetworkHost (the process boundary); no swarm (the control API answers
 * "not a swarm manager"), as on a node running `docker compose`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isShoalError, messages, unavailable } from '../api/errors.js';
import { Filters } from '../api/filters.js';
import type { Network } from '../api/types.js';
import { nullLogger } from '../lib/logger.js';
import { seededRandom } from '../lib/random.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { FakeNetworkHost } from '../../test/fakes/network.js';
import { LocalNetworks, type LocalNetworksOptions } from './local-networks.js';
import { networkBackend } from './network-backend.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function make(over: Partial<LocalNetworksOptions> = {}): { store: LocalNetworks; host: FakeNetworkHost; dir: string; clock: FakeClock; reopen: () => LocalNetworks } {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-localnet-'));
  dirs.push(dir);
  const host = new FakeNetworkHost();
  const clock = new FakeClock();
  const opts: LocalNetworksOptions = { dir, clock, random: seededRandom(7), logger: nullLogger, host, ...over };
  return { store: new LocalNetworks(opts), host, dir, clock, reopen: () => new LocalNetworks({ ...opts, random: seededRandom(8) }) };
}

const composeBody = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Name: name,
  Driver: 'bridge',
  Labels: { 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'proj' },
  ...extra,
});

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

describe('local networks: the store', () => {
  it('creates bridge networks from docker\'s local pools, persists them, and wires them on the host', async () => {
    const { store, host, dir, reopen } = make();
    const a = await store.create(composeBody('proj_default'));
    assert.match(a.Id, /^[0-9a-f]{64}$/);
    assert.deepEqual([a.Name, a.Scope, a.Driver, a.IPAM.Config], ['proj_default', 'local', 'bridge', [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]]);
    assert.equal(a.Labels['com.docker.compose.project'], 'proj');
    const b = await store.create({ Name: 'inner', Internal: true, IPAM: { Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254' }] } });
    assert.deepEqual([b.Internal, b.IPAM.Config[0]?.Gateway], [true, '10.9.0.254']);
    assert.deepEqual(readdirSync(dir).sort(), [`${a.Id}.json`, `${b.Id}.json`].sort());
    assert.deepEqual(host.machine.bridges.get(a.Id), new Set(['172.17.0.1/16']));
    assert.deepEqual([...host.machine.zones.keys()].sort(), ['10.9.0.254', '172.17.0.1']);
    // A restarted daemon finds them again.
    const again = reopen();
    assert.deepEqual(again.list().map((n) => n.Name), ['inner', 'proj_default']);
    assert.equal((await again.create(composeBody('next'))).IPAM.Config[0]?.Subnet, '172.18.0.0/16');
  });

  it('never overlaps a swarm network, nor takes a swarm network\'s name', async () => {
    const swarm = [{ Name: 'web_net', IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '172.17.9.0/24' }] } }] as Pick<Network, 'Name' | 'IPAM'>[];
    const { store } = make({ swarmNetworks: () => Promise.resolve(swarm) });
    assert.equal((await store.create(composeBody('a'))).IPAM.Config[0]?.Subnet, '172.18.0.0/16');
    await rejectsWith(store.create(composeBody('web_net')), 'network.name_conflict', /^network with name web_net already exists$/);
    await rejectsWith(store.create(composeBody('a')), 'network.name_conflict', /^network with name a already exists$/);
    await rejectsWith(store.create(composeBody('b', { IPAM: { Config: [{ Subnet: '172.17.9.128/25' }] } })), 'network.overlap', /^invalid pool request: Pool overlaps/);
    await rejectsWith(store.create(composeBody('c', { IPAM: { Config: [{ Subnet: '172.18.3.0/24' }] } })), 'network.overlap', /Pool overlaps/);
    assert.deepEqual(store.list().map((n) => n.Name), ['a']);
  });

  it('gives containers the lowest free address; DNS knows their name, aliases and short ID; addresses come back', async () => {
    const { store, host } = make();
    const n = await store.create(composeBody('proj_default'));
    const id1 = 'a1'.repeat(32);
    const id2 = 'b2'.repeat(32);
    const e1 = await store.attach('proj_default', { containerId: id1, name: 'proj-web-1', aliases: ['web', 'proj-web-1'] });
    assert.deepEqual(e1, {
      network: { id: n.Id, name: 'proj_default', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false, ingress: false },
      address: '172.17.0.2/16',
      aliases: ['web', 'proj-web-1'],
    });
    assert.deepEqual(await store.attach(n.Id, { containerId: id1, name: 'proj-web-1', aliases: [] }), e1, 'idempotent per container');
    assert.equal((await store.attach(n.Id, { containerId: id2, name: 'proj-web-2', aliases: ['web'] })).address, '172.17.0.3/16');
    assert.deepEqual(host.machine.zones.get('172.17.0.1')?.containers, [
      { name: 'proj-web-1', aliases: ['web', 'proj-web-1', id1.slice(0, 12)], addr: '172.17.0.2' },
      { name: 'proj-web-2', aliases: ['web', id2.slice(0, 12)], addr: '172.17.0.3' },
    ]);
    const shown = store.findExact('proj_default')?.Containers[id1] as { Name: string; IPv4Address: string; MacAddress: string };
    assert.deepEqual(shown, { Name: 'proj-web-1', EndpointID: '', MacAddress: '02:42:ac:11:00:02', IPv4Address: '172.17.0.2/16', IPv6Address: '' });
    await rejectsWith(store.attach(n.Id, { containerId: 'c3'.repeat(32), name: 'x', aliases: [], ip: '172.17.0.3' }), 'network.address_in_use', /^Address already in use$/);
    await rejectsWith(store.attach('nope', { containerId: id1, name: 'x', aliases: [] }), 'network.not_found', /^network nope not found$/);
    await store.detach(id1);
    await store.detach(id1);
    assert.equal((await store.attach(n.Id, { containerId: 'd4'.repeat(32), name: 'again', aliases: [] })).address, '172.17.0.2/16');
  });

  it('refuses to remove a network with containers (docker\'s message); prune takes only unused ones', async () => {
    const { store, host, clock } = make();
    const used = await store.create(composeBody('used'));
    await store.create(composeBody('idle', { Labels: { keep: 'yes' } }));
    clock.advance(3_600_000);
    await store.create(composeBody('fresh'));
    const cid = 'e5'.repeat(32);
    await store.attach(used.Id, { containerId: cid, name: 'c', aliases: [] });
    await rejectsWith(store.remove(used.Id), 'network.active_endpoints', new RegExp(`^error while removing network: network used id ${used.Id} has active endpoints$`));
    assert.deepEqual(await store.prune(Filters.of({ until: ['30m'] })), ['idle']);
    assert.deepEqual(await store.prune(Filters.of({ 'label!': ['keep'] })), ['fresh']);
    await store.detach(cid);
    await store.remove(used.Id);
    assert.deepEqual(store.list(), []);
    assert.equal(host.machine.bridges.size, 0);
    assert.equal(host.machine.tables.size, 0, 'no networks, no sandboxes: no node table');
  });

  it('lists with docker\'s filters', async () => {
    const { store } = make();
    const a = await store.create(composeBody('alpha', { Labels: { tier: 'front' } }));
    await store.create(composeBody('beta'));
    await store.attach(a.Id, { containerId: 'f6'.repeat(32), name: 'c', aliases: [] });
    const names = (f: Record<string, string[]>): string[] => store.list(Filters.of(f)).map((n) => n.Name);
    assert.deepEqual(names({ driver: ['bridge'], scope: ['local'] }), ['alpha', 'beta']);
    assert.deepEqual(names({ scope: ['swarm'] }), []);
    assert.deepEqual(names({ label: ['tier=front'] }), ['alpha']);
    assert.deepEqual(names({ dangling: ['true'] }), ['beta']);
    assert.deepEqual(names({ name: ['bet'] }), ['beta']);
    assert.deepEqual(names({ id: [a.Id.slice(0, 6)] }), ['alpha']);
    assert.throws(() => store.list(Filters.of({ colour: ['blue'] })), /colour/);
  });

  it('a create the host cannot wire leaves no network behind', async () => {
    const host = new FakeNetworkHost();
    let fail = true;
    const failing = { setLocalNetworks: async (e: Parameters<FakeNetworkHost['setLocalNetworks']>[0]) => (fail ? Promise.reject(new Error('nft: boom')) : host.setLocalNetworks(e)) };
    const { store, dir } = make({ host: failing });
    await assert.rejects(store.create(composeBody('x')), /boom/);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(readdirSync(dir), []);
    fail = false;
    assert.equal((await store.create(composeBody('x'))).Name, 'x');
  });
});

describe('local networks: the merged Engine-API backend without a swarm', () => {
  const notManager = (): ControlDeps => {
    throw unavailable('swarm.not_manager', messages.notManager);
  };

  it('creates bridge networks by default, refuses overlays outside a swarm, and resolves ID, name and prefix', async () => {
    const { store } = make();
    const b = networkBackend(notManager, store);
    const { Id } = await b.create({ Name: 'appnet' });
    const viaBridge = await b.create({ Name: 'other', Driver: 'bridge' });
    await rejectsWith(b.create({ Name: 'ov', Driver: 'overlay' }), 'swarm.not_manager', /not a swarm manager/);
    await rejectsWith(b.create({ Name: 'appnet' }), 'network.name_conflict', /already exists/);
    assert.deepEqual((await b.list(Filters.empty())).map((n) => n.Name), ['appnet', 'other']);
    assert.equal((await b.inspect('appnet', { verbose: false, scope: '' })).Id, Id);
    assert.equal((await b.inspect(Id.slice(0, 8), { verbose: false, scope: 'local' })).Name, 'appnet');
    await rejectsWith(b.inspect('appnet', { verbose: false, scope: 'swarm' }), 'network.not_found', /^network appnet not found$/);
    await rejectsWith(b.inspect('nope', { verbose: false, scope: '' }), 'network.not_found', /^network nope not found$/);
    await b.remove(viaBridge.Id.slice(0, 10));
    assert.deepEqual(await b.prune(Filters.empty()), ['appnet']);
    assert.deepEqual(await b.list(Filters.empty()), []);
  });
});
