/**
 * `docker network connect/disconnect` in the container service, on the fake runtime and the fake NetworkHost (both
 * pass their contracts): a created container on a network gets the second one live, in order, and keeps both at
 * start; docker's rules for a container already on the network (refused while it runs, nothing to do otherwise) and
 * for network modes it cannot leave; a running container without a sandbox has its own netns adopted and its
 * resolv.conf switched to the embedded DNS; a stopped one gets its networks at the next start; the last disconnect
 * of a stopped container gives its sandbox back and its next run has loopback only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import type { NetworkConfig, SandboxEndpoint } from '../exec/network.js';
import { aContainerHarness, eventually, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { FakeNetworkHost } from '../../../test/fakes/network.js';
import { ifacesOf } from '../network/sandbox.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const net = (n: number, name: string): NetworkConfig => ({ id: `${n}`.repeat(25), name, subnet: `10.9.${n}.0/24`, gateway: `10.9.${n}.1`, internal: false, ingress: false });
const FRONT = net(1, 'front');
const BACK = net(2, 'back');
const ep = (network: NetworkConfig, host: number, aliases: string[] = []): SandboxEndpoint => ({ network, address: `${network.subnet.split('.').slice(0, 3).join('.')}.${host}/24`, aliases });

async function harness(): Promise<ContainerHarness & { network: FakeNetworkHost }> {
  const network = new FakeNetworkHost();
  const h = await aContainerHarness(images, { network });
  return Object.assign(h, { network });
}

/** `NetworkSettings.Networks` as name → IP address. */
function networksOf(h: ContainerHarness, id: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.inspect(id).NetworkSettings.Networks as Record<string, { IPAddress: string }>)) out[k] = v.IPAddress;
  return out;
}

/** The fake sandbox's endpoints as `eth<i> network address`. */
function wired(h: { network: FakeNetworkHost }, id: string): string[] {
  const rec = h.network.machine.sandboxes.get(id);
  if (rec === undefined) return [];
  const ifaces = ifacesOf(rec);
  return rec.endpoints.map((e, i) => `eth${ifaces[i] ?? i} ${e.network.name} ${e.address}`);
}

describe('containers: network connect and disconnect', () => {
  it('a created container on one network gets the second live, keeps both in order at start, and shows both', async () => {
    await using h = await harness();
    const { Id: id } = await h.svc.create({ Image: images.ref, ...fakeProgram('sleep') }, 'api', { network: { endpoints: [ep(FRONT, 5, ['api'])], hostPorts: [] } });
    assert.equal(await h.svc.connectNetwork(id, ep(BACK, 7, ['api'])), 'connected');
    assert.deepEqual(wired(h, id), ['eth0 front 10.9.1.5/24', 'eth1 back 10.9.2.7/24']);
    assert.deepEqual(networksOf(h, id), { front: '10.9.1.5', back: '10.9.2.7' });
    // Not running: a second connect to the same network has nothing to do (docker's rule for created containers).
    assert.equal(h.svc.connectable(id, { id: BACK.id, name: 'back' }), 'already');
    assert.equal(await h.svc.connectNetwork(id, ep(BACK, 8)), 'already');
    await h.svc.start(id);
    assert.deepEqual(wired(h, id), ['eth0 front 10.9.1.5/24', 'eth1 back 10.9.2.7/24']);
    assert.equal(h.spec(id).namespaces?.find((n) => n.type === 'network')?.path, '/run/netns/fake-' + id.slice(0, 12));
    assert.match(readFileSync(h.inspect(id).ResolvConfPath, 'utf8'), /^nameserver 127\.0\.0\.11$/m);
    assert.match(readFileSync(h.inspect(id).HostsPath, 'utf8'), new RegExp(`^10\\.9\\.1\\.5\\t${id.slice(0, 12)}$`, 'm'), 'the first network names the host');
  });

  it('running: connecting again is docker\'s "endpoint already exists"; disconnect is live and keeps the other interface', async () => {
    await using h = await harness();
    const { Id: id } = await h.svc.create({ Image: images.ref, ...fakeProgram('sleep') }, 'web', { network: { endpoints: [ep(FRONT, 5)], hostPorts: [] } });
    await h.svc.start(id);
    await h.svc.connectNetwork(id, ep(BACK, 6));
    await assert.rejects(h.svc.connectNetwork(id, ep(BACK, 9)), (e: unknown) => {
      assert.ok(isShoalError(e, 'Conflict'));
      assert.equal(e.code, 'network.endpoint_exists');
      assert.equal(e.message, 'endpoint with name web already exists in network back');
      return true;
    });
    assert.throws(() => h.svc.connectable('web', { id: FRONT.id, name: 'front' }), /endpoint with name web already exists in network front/);
    const gone = await h.svc.disconnectNetwork(id, FRONT.id);
    assert.equal(gone?.address, '10.9.1.5/24');
    assert.equal(await h.svc.disconnectNetwork(id, FRONT.id), undefined, 'not on it any more');
    assert.deepEqual(wired(h, id), ['eth1 back 10.9.2.6/24']);
    assert.deepEqual(networksOf(h, id), { back: '10.9.2.6' });
    // Even the last one: the running container keeps its (now empty) sandbox until it exits.
    await h.svc.disconnectNetwork(id, BACK.id);
    assert.deepEqual(networksOf(h, id), {});
    assert.ok(h.network.machine.sandboxes.has(id));
    assert.notEqual(h.inspect(id).NetworkSettings.SandboxKey, '');
    h.host.exit(id, 0);
    await eventually(() => !h.network.machine.sandboxes.has(id), 'the sandbox given back at exit');
  });

  it('a running container without a sandbox has its own netns adopted, and its resolv.conf and hosts follow', async () => {
    await using h = await harness();
    const id = await h.run({}, 'loner');
    assert.match(readFileSync(h.inspect(id).ResolvConfPath, 'utf8'), /192\.0\.2\.53/);
    await h.svc.connectNetwork(id, ep(FRONT, 9, ['alone']));
    assert.deepEqual(wired(h, id), ['eth0 front 10.9.1.9/24']);
    assert.deepEqual(networksOf(h, id), { front: '10.9.1.9' });
    assert.match(readFileSync(h.inspect(id).ResolvConfPath, 'utf8'), /^nameserver 127\.0\.0\.11$/m);
    assert.match(readFileSync(h.inspect(id).HostsPath, 'utf8'), new RegExp(`^10\\.9\\.1\\.9\\t${id.slice(0, 12)}$`, 'm'));
    assert.equal(h.inspect(id).NetworkSettings.SandboxKey, `/run/netns/fake-${id.slice(0, 12)}`);
    // Its next run joins a sandbox made for it like any other.
    await h.svc.stop(id, { timeoutS: 0 });
    await h.svc.start(id);
    assert.equal(h.spec(id).namespaces?.find((n) => n.type === 'network')?.path, `/run/netns/fake-${id.slice(0, 12)}`);
  });

  it('a stopped container gets its networks at its next start; the last disconnect gives the sandbox back', async () => {
    await using h = await harness();
    const { Id: id } = await h.svc.create({ Image: images.ref, ...fakeProgram('sleep') }, 'db', { network: { endpoints: [ep(BACK, 4)], hostPorts: [] } });
    await h.svc.start(id);
    await h.svc.stop(id, { timeoutS: 0 });
    await eventually(() => !h.network.machine.sandboxes.has(id), 'the sandbox given back at exit');
    await h.svc.connectNetwork(id, ep(FRONT, 4));
    assert.equal(h.network.machine.sandboxes.has(id), false, 'nothing is wired for a stopped container');
    assert.deepEqual(networksOf(h, id), { back: '10.9.2.4', front: '10.9.1.4' });
    await h.svc.start(id);
    assert.deepEqual(wired(h, id), ['eth0 back 10.9.2.4/24', 'eth1 front 10.9.1.4/24']);
    await h.svc.stop(id, { timeoutS: 0 });
    await h.svc.disconnectNetwork(id, BACK.id);
    await h.svc.disconnectNetwork(id, FRONT.id);
    assert.deepEqual(h.inspect(id).NetworkSettings, { Networks: {}, Ports: {}, SandboxKey: '' });
    await h.svc.start(id);
    assert.equal(h.network.machine.sandboxes.has(id), false);
    assert.equal(h.spec(id).namespaces?.find((n) => n.type === 'network')?.path, undefined, 'loopback only, in a netns of its own');
    assert.match(readFileSync(h.inspect(id).ResolvConfPath, 'utf8'), /192\.0\.2\.53/);
    // And it can come back: a created container that lost all its networks takes one again.
    await h.svc.stop(id, { timeoutS: 0 });
    await h.svc.connectNetwork(id, ep(BACK, 4));
    await h.svc.start(id);
    assert.deepEqual(wired(h, id), ['eth0 back 10.9.2.4/24']);
  });

  it('refuses containers in the host\'s or another container\'s network mode with docker\'s messages', async () => {
    await using h = await harness();
    const host = await h.create({ HostConfig: { NetworkMode: 'host' } });
    await assert.rejects(h.svc.connectNetwork(host, ep(FRONT, 5)), /^ShoalError: container cannot be disconnected from host network or connected to host network$/);
    const shared = await h.create({ HostConfig: { NetworkMode: `container:${host}` } });
    assert.throws(() => h.svc.connectable(shared, { id: FRONT.id, name: 'front' }), /container sharing network namespace with another container or host cannot be connected to any other network/);
    assert.equal(h.network.machine.sandboxes.size, 0);
  });

  it('without container networking on the node, connect says so', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create();
    assert.throws(() => h.svc.connectable(id, { id: FRONT.id, name: 'front' }), /this node has no container networking/);
  });
});
