import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aDescription, initializedControl } from '../../../test/builders/control.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { aService, aTask } from '../../../test/store/objects.js';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import type { Network } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { Store } from '../../store/core/store.js';
import { createMemoryBackend } from '../../store/memory/memory-backend.js';
import type { ControlDeps } from './deps.js';
import { createNetwork, getNetwork, listNetworks, pruneNetworks, removeNetwork } from './networks.js';
import { initCluster } from './swarm.js';

const VNI = 'com.docker.network.driver.overlay.vxlanid_list';

const overlay = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ Name: name, Driver: 'overlay', ...extra });
const withSubnet = (name: string, subnet: string, gateway?: string): Record<string, unknown> =>
  overlay(name, { IPAM: { Driver: 'default', Config: [{ Subnet: subnet, ...(gateway !== undefined ? { Gateway: gateway } : {}) }] } });

const fails = async (p: Promise<unknown>, kind: string, message: string | RegExp): Promise<void> => {
  await assert.rejects(p, (e) => isShoalError(e) && e.kind === kind && (typeof message === 'string' ? e.message === message : message.test(e.message)));
};

/** A cluster initialized with a custom address pool, as `swarm init --default-addr-pool P --default-addr-pool-mask-length N`. */
async function controlWithPool(pool: string[], subnetSize: number): Promise<ControlDeps> {
  const clock = new FakeClock();
  const random = seededRandom(7);
  const deps: ControlDeps = {
    store: new Store(createMemoryBackend({ clock })),
    clock,
    random,
    pki: { newTokenSecret: () => 'secret', formatJoinToken: (_c, s) => `SWMTKN-1-${s}`, tlsInfo: (ca) => ({ TrustRoot: ca, CertIssuerSubject: 'S', CertIssuerPublicKey: 'K' }) },
  };
  await initCluster(deps, {
    clusterId: 'c'.repeat(25),
    nodeId: 'n'.repeat(25),
    rootCA: { certPem: 'ROOT', keyPem: 'KEY' },
    spec: {},
    description: aDescription('m1'),
    advertiseAddr: '127.0.0.1:2377',
    nodeAddr: '127.0.0.1',
    defaultAddrPool: pool,
    subnetSize,
  });
  return deps;
}

const subnetOf = (n: Network): string => `${n.IPAM.Config[0]?.Subnet ?? ''} gw ${n.IPAM.Config[0]?.Gateway ?? ''} vni ${n.Options[VNI] ?? ''}`;

describe('controlapi networks', () => {
  it('swarm init makes the ingress network: 10.0.0.0/24, gateway .1, VNI 4097', async () => {
    const { deps } = await initializedControl();
    const [ingress, ...rest] = await listNetworks(deps);
    assert.equal(rest.length, 0);
    assert.ok(ingress);
    assert.equal(ingress.Name, 'ingress');
    assert.equal(ingress.Ingress, true);
    assert.equal(ingress.Id.length, 25);
    assert.equal(subnetOf(ingress), '10.0.0.0/24 gw 10.0.0.1 vni 4097');
  });

  it('creates overlays in the next free blocks with the next VNI, rendered as dockerd does', async () => {
    const { deps } = await initializedControl();
    const a = await createNetwork(deps, overlay('a', { Attachable: true, Labels: { team: 'x' } }));
    const b = await createNetwork(deps, overlay('b'));
    assert.equal(subnetOf(a), '10.0.1.0/24 gw 10.0.1.1 vni 4098');
    assert.equal(subnetOf(b), '10.0.2.0/24 gw 10.0.2.1 vni 4099');
    const shown = await getNetwork(deps, 'a');
    assert.deepEqual(Object.keys(shown), ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
    assert.deepEqual(
      { ...shown, Id: '', Created: '' },
      {
        Name: 'a',
        Id: '',
        Created: '',
        Scope: 'swarm',
        Driver: 'overlay',
        EnableIPv6: false,
        IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] },
        Internal: false,
        Attachable: true,
        Ingress: false,
        ConfigFrom: { Network: '' },
        ConfigOnly: false,
        Containers: {},
        Options: { [VNI]: '4098' },
        Labels: { team: 'x' },
      },
    );
    // An explicit subnet is taken as given; the pool then skips it.
    const c = await createNetwork(deps, withSubnet('c', '10.0.3.0/24', '10.0.3.254'));
    assert.equal(subnetOf(c), '10.0.3.0/24 gw 10.0.3.254 vni 4100');
    assert.equal(subnetOf(await createNetwork(deps, overlay('d'))), '10.0.4.0/24 gw 10.0.4.1 vni 4101');
    // A freed VNI and block are reused.
    await removeNetwork(deps, 'b');
    assert.equal(subnetOf(await createNetwork(deps, overlay('e'))), '10.0.2.0/24 gw 10.0.2.1 vni 4099');
  });

  it('refuses overlaps, duplicate names and a second ingress, writing nothing', async () => {
    const { deps } = await initializedControl();
    await createNetwork(deps, withSubnet('front', '10.0.9.0/24'));
    const before = await deps.store.rev();
    await fails(createNetwork(deps, withSubnet('back', '10.0.9.128/25')), 'InvalidArgument', 'invalid pool request: Pool overlaps with other one on this address space');
    await fails(createNetwork(deps, withSubnet('wide', '10.0.0.0/16')), 'InvalidArgument', 'invalid pool request: Pool overlaps with other one on this address space');
    await fails(createNetwork(deps, overlay('front')), 'AlreadyExists', 'network with name front already exists');
    await fails(createNetwork(deps, overlay('ingress2', { Ingress: true })), 'AlreadyExists', /^rpc error: code = AlreadyExists desc = ingress network \([0-9a-z]{25}\) is already present$/);
    await fails(createNetwork(deps, overlay('x', { Options: { [VNI]: '4097' } })), 'InvalidArgument', /VXLAN ID 4097 is already used by network ingress/);
    await fails(createNetwork(deps, withSubnet('gw', '10.0.10.0/24', '10.1.0.1')), 'InvalidArgument', 'invalid gateway 10.1.0.1: not within subnet 10.0.10.0/24');
    assert.equal(await deps.store.rev(), before);
    assert.deepEqual((await listNetworks(deps)).map((n) => n.Name).sort(), ['front', 'ingress']);
  });

  it('uses the cluster pool and subnet size from swarm init, and says when the pool is exhausted', async () => {
    const deps = await controlWithPool(['10.20.0.0/23'], 24);
    const [ingress] = await listNetworks(deps);
    assert.equal(ingress && subnetOf(ingress), '10.20.0.0/24 gw 10.20.0.1 vni 4097');
    assert.equal(subnetOf(await createNetwork(deps, overlay('a'))), '10.20.1.0/24 gw 10.20.1.1 vni 4098');
    await fails(createNetwork(deps, overlay('b')), 'InvalidArgument', /^could not find an available, non-overlapping IPv4 address pool/);
    const small = await controlWithPool(['172.30.0.0/16'], 28);
    assert.equal(subnetOf(await createNetwork(small, overlay('a'))), '172.30.0.16/28 gw 172.30.0.17 vni 4098');
    await assert.rejects(controlWithPool(['10.30.0.0/26'], 24), /DefaultAddrPool: 10.30.0.0\/26 cannot hold a \/24 subnet/);
  });

  it('lists with docker\'s filters and resolves by ID, name and prefix', async () => {
    const { deps } = await initializedControl();
    const web = await createNetwork(deps, overlay('web_net', { Labels: { tier: 'front' } }));
    await createNetwork(deps, overlay('db_net', { Labels: { tier: 'back' } }));
    const names = async (f: Record<string, string[]>): Promise<string[]> => (await listNetworks(deps, Filters.of(f))).map((n) => n.Name).sort();
    assert.deepEqual(await names({ name: ['web'] }), ['web_net']);
    assert.deepEqual(await names({ id: [web.Id.slice(0, 5)] }), ['web_net']);
    assert.deepEqual(await names({ label: ['tier=back'] }), ['db_net']);
    assert.deepEqual(await names({ label: ['tier'] }), ['db_net', 'web_net']);
    assert.deepEqual(await names({ driver: ['overlay'], scope: ['swarm'], type: ['custom'] }), ['db_net', 'ingress', 'web_net']);
    assert.deepEqual(await names({ driver: ['bridge'] }), []);
    assert.deepEqual(await names({ type: ['builtin'] }), []);
    assert.deepEqual(await names({ dangling: ['true'] }), ['db_net', 'web_net']);
    await fails(listNetworks(deps, Filters.of({ scope: ['moon'] })), 'InvalidArgument', "Invalid filter: 'scope'='moon'");
    await fails(listNetworks(deps, Filters.of({ colour: ['x'] })), 'InvalidArgument', "invalid filter 'colour'");

    assert.equal((await getNetwork(deps, web.Id)).Name, 'web_net');
    assert.equal((await getNetwork(deps, web.Id.slice(0, 6))).Name, 'web_net');
    assert.equal((await getNetwork(deps, 'web_net', { scope: 'swarm' })).Id, web.Id);
    await fails(getNetwork(deps, 'web_net', { scope: 'local' }), 'NotFound', 'network web_net not found');
    await fails(getNetwork(deps, 'foo'), 'NotFound', 'network foo not found');
    const verbose = await getNetwork(deps, 'ingress', { verbose: true });
    assert.deepEqual(verbose.Peers, [{ Name: `m1-${'m1'.padEnd(12, 'x')}`, IP: '10.0.0.1' }]);
    assert.equal((await getNetwork(deps, 'ingress')).Peers, undefined);
  });

  it('refuses to remove a network a service or a live task uses, and ingress while ports are published', async () => {
    const { deps } = await initializedControl();
    const net = await createNetwork(deps, overlay('web_net'));
    const svc = aService('s'.repeat(25), 'web');
    svc.Spec.TaskTemplate.Networks = [{ Target: net.Id }];
    svc.Spec.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] };
    const task = aTask('t'.repeat(25), 'o'.repeat(25), 1);
    task.Status.State = 'running';
    task.NetworksAttachments = [{ Network: net, Addresses: ['10.0.1.3/24'] }];
    await deps.store.update((tx) => {
      tx.create('services', svc);
      tx.create('tasks', task);
    });
    await fails(removeNetwork(deps, 'web_net'), 'FailedPrecondition', 'rpc error: code = FailedPrecondition desc = network web_net is in use by service web');
    await fails(removeNetwork(deps, 'ingress'), 'FailedPrecondition', 'rpc error: code = FailedPrecondition desc = ingress network cannot be removed because service web depend on it');
    assert.deepEqual(await pruneNetworks(deps), []);

    await deps.store.update((tx) => tx.delete('services', svc.ID));
    await fails(removeNetwork(deps, net.Id), 'FailedPrecondition', `rpc error: code = FailedPrecondition desc = network web_net is in use by task ${task.ID}`);
    // Its service removed, the task is on its way out (desired remove) while its container still stops: the
    // network may go (docker stack rm removes services, then networks at once).
    const leaving = await deps.store.view().get('tasks', task.ID);
    assert.ok(leaving);
    await deps.store.update((tx) => tx.update('tasks', { ...leaving, DesiredState: 'remove' }));
    await removeNetwork(deps, net.Id.slice(0, 8));
    await fails(removeNetwork(deps, 'web_net'), 'NotFound', 'network web_net not found');
    await removeNetwork(deps, 'ingress');
    assert.deepEqual(await listNetworks(deps), []);
  });

  it('prune removes every unused network but ingress, honouring label and until', async () => {
    const { deps, clock } = await initializedControl();
    await createNetwork(deps, overlay('old', { Labels: { keep: 'no' } }));
    clock.advance(3_600_000);
    await createNetwork(deps, overlay('new'));
    await createNetwork(deps, overlay('kept', { Labels: { keep: 'yes' } }));
    assert.deepEqual(await pruneNetworks(deps, Filters.of({ until: ['30m'] })), ['old']);
    assert.deepEqual(await pruneNetworks(deps, Filters.of({ 'label!': ['keep=yes'] })), ['new']);
    await fails(pruneNetworks(deps, Filters.of({ until: ['soon'] })), 'InvalidArgument', /failed to parse value as time or duration/);
    assert.deepEqual(await pruneNetworks(deps), ['kept']);
    assert.deepEqual((await listNetworks(deps)).map((n) => n.Name), ['ingress']);
  });
});
