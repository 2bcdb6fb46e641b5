/**
 * `docker network connect/disconnect` at the daemon level (src/daemon/container-networks.ts): the Engine-API
 * container backend over the real ContainerService and the local network store, on the fake runtime and the fake
 * NetworkHost (the process boundaries), with no swarm, as a node running `docker compose`. A container created on
 * one network and connected to a second is in both networks' DNS and `Containers`; disconnect gives the address
 * back; a connect that fails after the address was reserved gives it back too; docker's refusals and messages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError, messages, unavailable } from '../api/errors.js';
import type { Network } from '../api/types.js';
import type { NetworkHost } from '../agent/exec/network.js';
import { nullLogger } from '../lib/logger.js';
import { seededRandom } from '../lib/random.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import type { ContainerBackend } from '../server/routes/backend.js';
import { aContainerHarness, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../test/builders/containers.js';
import { FakeNetworkHost } from '../../test/fakes/network.js';
import { containerBackend } from './container-backend.js';
import { withSwarmNetworks } from './container-networks.js';
import { LocalNetworks } from './local-networks.js';

let images: FixtureImages;
const dirs: string[] = [];
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  h: ContainerHarness;
  host: FakeNetworkHost;
  local: LocalNetworks;
  backend: Required<Pick<ContainerBackend, 'networkConnect' | 'networkDisconnect'>> & ContainerBackend;
  front: Network;
  back: Network;
  /** Creates a container on `front` (with the alias `api`), as compose does for a service's first network. */
  createOnFront(name: string): Promise<string>;
  /** The names DNS answers on a network, sorted. */
  names(n: Network): string[];
}

async function setup(network: NetworkHost = new FakeNetworkHost()): Promise<Setup & AsyncDisposable> {
  const host = network instanceof FakeNetworkHost ? network : new FakeNetworkHost();
  const h = await aContainerHarness(images, { network });
  const dir = mkdtempSync(join(tmpdir(), 'shoal-ctrnet-'));
  dirs.push(dir);
  const local = new LocalNetworks({ dir, clock: h.clock, random: seededRandom(7), logger: nullLogger, host: network });
  const base = containerBackend(h.svc, h.execs);
  const backend = withSwarmNetworks(base, {
    deps: (): ControlDeps => {
      throw unavailable('swarm.not_manager', messages.notManager);
    },
    nodeId: () => undefined,
    containers: h.svc,
    clock: h.clock,
    logger: nullLogger,
    local,
  }) as Setup['backend'];
  const front = await local.create({ Name: 'proj_front', Driver: 'bridge' });
  const back = await local.create({ Name: 'proj_back', Driver: 'bridge' });
  return {
    h,
    host,
    local,
    backend,
    front,
    back,
    createOnFront: async (name) =>
      (
        await backend.create(
          { Image: images.ref, ...fakeProgram('sleep'), HostConfig: { NetworkMode: 'proj_front' }, NetworkingConfig: { EndpointsConfig: { proj_front: { Aliases: ['api'] } } } },
          name,
        )
      ).Id,
    names: (n) => {
      const e = local.entries().find((x) => x.network.Id === n.Id);
      return (e?.containers ?? []).flatMap((c) => [c.name, ...c.aliases]).sort();
    },
    [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('daemon: network connect and disconnect on local networks', () => {
  it('a container created on one network and connected to a second is in both DNS zones and both networks', async () => {
    await using s = await setup();
    const id = await s.createOnFront('proj-api-1');
    await s.backend.networkConnect(s.back, { Container: 'proj-api-1', Aliases: ['api', 'db-client'] });
    const short = id.slice(0, 12);
    assert.deepEqual(s.names(s.front), ['api', 'proj-api-1', short].sort());
    assert.deepEqual(s.names(s.back), ['api', 'db-client', 'proj-api-1', short].sort());
    assert.deepEqual(Object.keys(s.local.findExact('proj_back')?.Containers ?? {}), [id]);
    const nets = s.h.inspect(id).NetworkSettings.Networks as Record<string, { IPAddress: string; Aliases: string[] | null; NetworkID: string }>;
    assert.deepEqual(Object.keys(nets), ['proj_front', 'proj_back']);
    assert.deepEqual([nets.proj_back?.IPAddress, nets.proj_back?.Aliases, nets.proj_back?.NetworkID], ['172.18.0.2', ['api', 'db-client'], s.back.Id]);
    assert.equal(s.host.machine.sandboxes.get(id)?.endpoints.length, 2, 'wired live on the created container');
    // Connecting a created container again is nothing to do: no second address.
    await s.backend.networkConnect(s.back, { Container: id, Aliases: [] });
    assert.equal(Object.keys(s.local.findExact('proj_back')?.Containers ?? {}).length, 1);
    await s.backend.start(id);
    await rejectsWith(s.backend.networkConnect(s.back, { Container: id, Aliases: [] }), 'network.endpoint_exists', 'endpoint with name proj-api-1 already exists in network proj_back');
  });

  it('disconnect gives the address back; a running container not on the network is told so, a stopped one is not', async () => {
    await using s = await setup();
    const id = await s.createOnFront('web');
    await s.backend.networkConnect(s.back, { Container: 'web', Aliases: [], IPv4Address: '172.18.0.40' });
    await s.backend.start(id);
    await s.backend.networkDisconnect(s.front, 'proj_front', { Container: 'web', Force: false });
    assert.deepEqual(s.names(s.front), []);
    assert.deepEqual(Object.keys(s.local.findExact('proj_front')?.Containers ?? {}), []);
    assert.deepEqual(s.host.machine.sandboxes.get(id)?.endpoints.map((e) => e.address), ['172.18.0.40/16']);
    await rejectsWith(s.backend.networkDisconnect(s.front, 'proj_front', { Container: 'web', Force: false }), 'network.not_connected', `container ${id} is not connected to network proj_front`);
    await s.backend.stop(id, { timeoutS: 0 });
    await s.backend.networkDisconnect(s.front, 'proj_front', { Container: 'web', Force: false });
    // The network is free to go now that nothing is on it.
    await s.local.remove(s.front.Id);
  });

  it('a forced disconnect finds the endpoint by the network name the client gave', async () => {
    await using s = await setup();
    const id = await s.createOnFront('web');
    await s.backend.networkDisconnect(undefined, 'proj_front', { Container: id, Force: true });
    assert.deepEqual(s.h.inspect(id).NetworkSettings.Networks, {});
    assert.deepEqual(s.names(s.front), []);
    await rejectsWith(s.backend.networkDisconnect(undefined, 'gone', { Container: id, Force: true }), 'network.not_found', 'network gone not found');
  });

  it('a connect that fails after the address was reserved gives it back', async () => {
    const failing = new (class extends FakeNetworkHost {
      override connectSandbox(): never {
        throw new Error('wiring failed');
      }
    })();
    await using s = await setup(failing);
    await s.createOnFront('web');
    await assert.rejects(s.backend.networkConnect(s.back, { Container: 'web', Aliases: [] }), /wiring failed/);
    assert.deepEqual(Object.keys(s.local.findExact('proj_back')?.Containers ?? {}), []);
    assert.deepEqual(s.names(s.back), []);
  });

  it('refuses what docker refuses, naming it: a chosen address on a swarm network, a swarm task, no swarm', async () => {
    await using s = await setup();
    const id = await s.createOnFront('web');
    const swarmNet: Network = { ...s.back, Id: 'x'.repeat(25), Name: 'ov', Scope: 'swarm', Driver: 'overlay' };
    await rejectsWith(s.backend.networkConnect(swarmNet, { Container: id, Aliases: [], IPv4Address: '10.0.0.5' }), 'network.address_unsupported', /IPv4Address: a chosen address is supported on local \(bridge\) networks only/);
    await rejectsWith(s.backend.networkConnect(swarmNet, { Container: id, Aliases: [] }), 'network.not_found', 'network ov not found');
    const task = await s.h.create({ Labels: { 'com.docker.swarm.task.id': 't1' } });
    await rejectsWith(s.backend.networkConnect(s.back, { Container: task, Aliases: [] }), 'network.task_container', /is a swarm task and cannot be connected by hand/);
    await rejectsWith(s.backend.networkConnect(s.back, { Container: 'nope', Aliases: [] }), 'container.not_found', 'No such container: nope');
    assert.deepEqual(Object.keys(s.local.findExact('proj_back')?.Containers ?? {}), []);
  });
});
