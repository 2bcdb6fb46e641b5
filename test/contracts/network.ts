/**
 * The NetworkHost contract (DESIGN §4.3): the fake (test/fakes/network.ts) and the real HostNetwork
 * (src/agent/network/host-network.ts, on a netns the test makes) must both pass it. Register it from a test file
 * with `networkContract(name, make)`; `make` gives a fresh harness per test: a host, a probe that looks at what
 * the host made (the kernel for the real one), a way to open a second host on the same state (a restarted
 * daemon), and cleanup.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isShoalError } from '../../src/api/errors.js';
import type { ErrorKind } from '../../src/api/errors.js';
import type { Network } from '../../src/api/types.js';
import type { NetworkConfig, NetworkHost, NetworkViewEntry, NodeNetworkView, SandboxRequest } from '../../src/agent/exec/network.js';
import { macForIp, parseIp } from '../../src/lib/cidr.js';

export interface NetworkProbe {
  /** Container IDs (12 chars) that have a netns. */
  netns(): Promise<string[]>;
  /** The container side of a sandbox: IPv4 'a.b.c.d/len' and MAC per interface. */
  interfaces(containerId: string): Promise<{ name: string; addrs: string[]; mac: string }[]>;
  /** The IPv4 addresses on a network's bridge, sorted; undefined when there is no bridge. */
  bridge(networkId: string): Promise<string[] | undefined>;
  /** Whatever the host made and still exists (links, netns, tables, reservations), for "nothing left" checks. */
  leftovers(): Promise<string[]>;
  /** The DNS zones served, sorted by listen address: the network's name and the names it answers, sorted. */
  zones(): Promise<{ listen: string; network: string; names: string[] }[]>;
}

export interface NetworkHarness {
  host: NetworkHost;
  probe: NetworkProbe;
  reopen(): Promise<NetworkHost>;
  cleanup(): Promise<void>;
}

export function aNetwork(n: number, over: Partial<NetworkConfig> = {}): NetworkConfig {
  const id = `${n.toString(36).padStart(2, '0')}${randomBytes(12).toString('hex')}`.slice(0, 25);
  return { id, name: `net${n}`, subnet: `10.77.${n}.0/24`, gateway: `10.77.${n}.1`, internal: false, ingress: false, ...over };
}

export function aContainerId(): string {
  return randomBytes(32).toString('hex');
}

export function aRequest(networks: NetworkConfig[], host: number, over: Partial<SandboxRequest> = {}): SandboxRequest {
  return {
    containerId: aContainerId(),
    hostname: `host${host}`,
    endpoints: networks.map((network) => ({ network, address: `${network.subnet.split('.').slice(0, 3).join('.')}.${host}/24`, aliases: [] })),
    hostPorts: [],
    ...over,
  };
}

/** The names a zone entry answers (services, tasks, containers and their aliases), sorted: for `probe.zones`. */
export function zoneNames(e: NetworkViewEntry): string[] {
  const names = new Set<string>();
  for (const s of e.services) {
    for (const n of [s.name, ...s.aliases]) names.add(n);
    for (const t of s.tasks) names.add(t.name);
  }
  for (const c of e.containers ?? []) for (const n of [c.name, ...c.aliases]) names.add(n);
  return [...names].sort();
}

/** A local (bridge) network's entry for `setLocalNetworks`, with its containers. */
export function localEntry(c: NetworkConfig, containers: { name: string; aliases: string[]; addr: string }[] = []): NetworkViewEntry {
  return { network: { ...storedNetwork(c), Scope: 'local', Driver: 'bridge' }, services: [], containers };
}

/** A stored Network for views, from a NetworkConfig. */
export function storedNetwork(c: NetworkConfig): Network {
  return {
    Name: c.name,
    Id: c.id,
    Created: '2024-01-01T00:00:00Z',
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: c.subnet, Gateway: c.gateway }] },
    Internal: c.internal,
    Attachable: false,
    Ingress: c.ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e, kind), `expected a ${kind} ShoalError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

export function networkContract(name: string, make: () => Promise<NetworkHarness>): void {
  async function withHarness(fn: (h: NetworkHarness) => Promise<void>): Promise<void> {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  }

  describe(`NetworkHost contract: ${name}`, () => {
    it('creates a sandbox with its address, MAC, resolv.conf and hosts entry, idempotently', () =>
      withHarness(async ({ host, probe }) => {
        const net = aNetwork(1);
        const req = aRequest([net], 5);
        const sb = await host.createSandbox(req);
        assert.ok(sb.netnsPath.startsWith('/run/netns/'), sb.netnsPath);
        assert.ok(sb.netnsPath.endsWith(req.containerId.slice(0, 12)), sb.netnsPath);
        const lines = sb.resolvConf.split('\n');
        assert.deepEqual(lines.filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.11']);
        assert.ok(lines.includes('options ndots:0'), sb.resolvConf);
        assert.deepEqual(sb.hostsEntries, ['10.77.1.5\thost5']);
        assert.deepEqual(await probe.interfaces(req.containerId), [{ name: 'eth0', addrs: ['10.77.1.5/24'], mac: macForIp(parseIp('10.77.1.5') ?? 0) }]);
        assert.deepEqual(await probe.bridge(net.id), ['10.77.1.1/24']);
        assert.deepEqual(await host.createSandbox(req), sb);
        assert.deepEqual(await host.sandboxes(), [req.containerId]);
        assert.deepEqual(await probe.netns(), [req.containerId.slice(0, 12)]);
      }));

    it('gives one interface per network, in order', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const b = aNetwork(2, { internal: true });
        const req = aRequest([a, b], 7);
        await host.createSandbox(req);
        const ifs = await probe.interfaces(req.containerId);
        assert.deepEqual(
          ifs.map((i) => [i.name, i.addrs]),
          [
            ['eth0', ['10.77.1.7/24']],
            ['eth1', ['10.77.2.7/24']],
          ],
        );
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
      }));

    it('removes a sandbox idempotently, and keeps the others on the network', () =>
      withHarness(async ({ host, probe }) => {
        const net = aNetwork(1);
        const one = aRequest([net], 5);
        const two = aRequest([net], 6);
        await host.createSandbox(one);
        await host.createSandbox(two);
        assert.deepEqual(await host.sandboxes(), [one.containerId, two.containerId].sort());
        await host.removeSandbox(one.containerId);
        await host.removeSandbox(one.containerId);
        await host.removeSandbox(aContainerId());
        assert.deepEqual(await host.sandboxes(), [two.containerId]);
        assert.deepEqual(await probe.netns(), [two.containerId.slice(0, 12)]);
        assert.deepEqual(await probe.interfaces(two.containerId).then((i) => i.map((x) => x.addrs)), [['10.77.1.6/24']]);
      }));

    it('refuses bad requests naming the field, leaving nothing', () =>
      withHarness(async ({ host, probe }) => {
        const net = aNetwork(1);
        await rejectsWith(host.createSandbox({ ...aRequest([net], 5), containerId: 'nope' }), 'InvalidArgument', /containerId/);
        await rejectsWith(host.createSandbox(aRequest([], 5)), 'InvalidArgument', /endpoints/);
        const outside = aRequest([net], 5);
        const ep = outside.endpoints[0];
        assert.ok(ep);
        ep.address = '10.99.0.5/24';
        await rejectsWith(host.createSandbox(outside), 'InvalidArgument', /endpoints\[0\]\.address/);
        await rejectsWith(host.createSandbox(aRequest([{ ...net, gateway: '10.1.0.1' }], 5)), 'InvalidArgument', /endpoints\[0\]\.network\.gateway/);
        await rejectsWith(host.createSandbox(aRequest([net], 5, { hostPorts: [{ protocol: 'tcp', published: 70000, target: 80 }] })), 'InvalidArgument', /hostPorts\[0\]\.published/);
        await rejectsWith(host.removeSandbox('x'), 'InvalidArgument', /containerId/);
        assert.deepEqual(await host.sandboxes(), []);
        assert.deepEqual(await probe.leftovers(), []);
      }));

    it('refuses a host port another sandbox holds, with docker\'s message, and makes nothing for it', () =>
      withHarness(async ({ host, probe }) => {
        const net = aNetwork(1);
        const port = 20000 + Math.floor(Math.random() * 20000);
        const one = aRequest([net], 5, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] });
        const two = aRequest([net], 6, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] });
        await host.createSandbox(one);
        await rejectsWith(host.createSandbox(two), 'Conflict', new RegExp(`^Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated$`));
        assert.deepEqual(await host.sandboxes(), [one.containerId]);
        assert.deepEqual(await probe.netns(), [one.containerId.slice(0, 12)]);
        // The same port on udp is another port.
        const udp = aRequest([net], 7, { hostPorts: [{ protocol: 'udp', published: port, target: 53 }] });
        await host.createSandbox(udp);
        await rejectsWith(host.reserveIngress([{ protocol: 'tcp', published: port, target: 80 }]), 'Conflict', new RegExp(`ingress port ${port}/tcp`));
        await host.removeSandbox(one.containerId);
        await host.createSandbox(two);
        assert.deepEqual(await host.sandboxes(), [two.containerId, udp.containerId].sort());
        await host.removeSandbox(two.containerId);
        await host.reserveIngress([{ protocol: 'tcp', published: port, target: 80 }]);
        await host.reserveIngress([{ protocol: 'tcp', published: port, target: 80 }]);
        await rejectsWith(host.createSandbox(two), 'Conflict', /port is already allocated/);
      }));

    it('applies a view: gateway, node address and VIPs on bridges; stale ones and unused bridges go', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const b = aNetwork(2);
        const svc = (vip: string) => ({ id: 's1', name: 'web', aliases: [], mode: 'vip' as const, vip, ports: [], tasks: [{ id: 't1', name: 'web.1.t1', addr: '10.77.1.5', nodeId: 'n1' }] });
        await host.applyView({ networks: [{ network: storedNetwork(a), nodeAddr: '10.77.1.3/24', services: [svc('10.77.1.2')] }, { network: storedNetwork(b), services: [] }] }, 'n1');
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24', '10.77.1.2/32', '10.77.1.3/24']);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
        const req = aRequest([b], 9);
        await host.createSandbox(req);
        const next: NodeNetworkView = { networks: [{ network: storedNetwork(a), nodeAddr: '10.77.1.3/24', services: [svc('10.77.1.4')] }] };
        await host.applyView(next, 'n1');
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24', '10.77.1.3/24', '10.77.1.4/32']);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24'], 'a bridge with a sandbox on it stays');
        await host.removeSandbox(req.containerId);
        await host.applyView({ networks: [] }, 'n1');
        assert.equal(await probe.bridge(a.id), undefined);
        assert.equal(await probe.bridge(b.id), undefined);
      }));

    it('coalesces a burst of views into the last one', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const views = [1, 2, 3, 4].map((i) => ({ networks: [{ network: storedNetwork(a), nodeAddr: `10.77.1.${10 + i}/24`, services: [] }] }));
        await Promise.all(views.map((v) => host.applyView(v, 'n1')));
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24', '10.77.1.14/24']);
      }));

    it('finds its sandboxes again after a restart, and removes them', () =>
      withHarness(async (h) => {
        const { host, probe } = h;
        const net = aNetwork(1);
        const port = 20000 + Math.floor(Math.random() * 20000);
        const req = aRequest([net], 5, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] });
        await host.createSandbox(req);
        await host.close();
        const again = await h.reopen();
        try {
          assert.deepEqual(await again.sandboxes(), [req.containerId]);
          await rejectsWith(again.createSandbox(aRequest([net], 6, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] })), 'Conflict', /already allocated/);
          await again.removeSandbox(req.containerId);
          assert.deepEqual(await again.sandboxes(), []);
          assert.deepEqual(await probe.netns(), []);
        } finally {
          await again.teardown();
          await again.close();
        }
      }));

    it('local networks: bridges and DNS zones beside the swarm view; a bridge stays while a sandbox is on it', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const b = aNetwork(2);
        await host.applyView({ networks: [{ network: storedNetwork(a), nodeAddr: '10.77.1.3/24', services: [] }] }, 'n1');
        await host.setLocalNetworks([localEntry(b, [{ name: 'web', aliases: ['www', 'front'], addr: '10.77.2.5' }, { name: 'web2', aliases: ['www'], addr: '10.77.2.6' }])]);
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24', '10.77.1.3/24']);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
        assert.deepEqual(await probe.zones(), [
          { listen: '10.77.1.1', network: 'net1', names: [] },
          { listen: '10.77.2.1', network: 'net2', names: ['front', 'web', 'web2', 'www'] },
        ]);
        const req = aRequest([b], 5);
        await host.createSandbox(req);
        // A new swarm view keeps the local networks.
        await host.applyView({ networks: [] }, 'n1');
        assert.equal(await probe.bridge(a.id), undefined);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
        assert.deepEqual((await probe.zones()).map((z) => z.listen), ['10.77.2.1']);
        await host.setLocalNetworks([]);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24'], 'a bridge with a sandbox on it stays');
        assert.deepEqual(await probe.zones(), []);
        await host.removeSandbox(req.containerId);
        assert.equal(await probe.bridge(b.id), undefined, 'the last sandbox takes the bridge of a network that is gone');
      }));

    it('local networks without a swarm: the set alone makes bridges, host ports work, and an empty set leaves nothing', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const b = aNetwork(2, { internal: true });
        // A burst coalesces into the last set.
        await Promise.all([host.setLocalNetworks([localEntry(a)]), host.setLocalNetworks([localEntry(b)]), host.setLocalNetworks([localEntry(a), localEntry(b)])]);
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24']);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
        const port = 20000 + Math.floor(Math.random() * 20000);
        const req = aRequest([a], 5, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] });
        await host.createSandbox(req);
        await rejectsWith(host.createSandbox(aRequest([a], 6, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] })), 'Conflict', /port is already allocated/);
        await host.setLocalNetworks([localEntry(a, [{ name: 'web', aliases: [], addr: '10.77.1.5' }])]);
        assert.equal(await probe.bridge(b.id), undefined);
        assert.deepEqual(await probe.zones(), [{ listen: '10.77.1.1', network: 'net1', names: ['web'] }]);
        await host.removeSandbox(req.containerId);
        assert.deepEqual(await probe.bridge(a.id), ['10.77.1.1/24'], 'the bridge of a local network outlives its containers');
        await host.setLocalNetworks([]);
        assert.deepEqual(await probe.leftovers(), []);
        assert.deepEqual(await probe.zones(), []);
      }));

    it('teardown leaves nothing', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const b = aNetwork(2);
        await host.applyView({ networks: [{ network: storedNetwork(a), nodeAddr: '10.77.1.3/24', services: [] }] }, 'n1');
        await host.createSandbox(aRequest([a, b], 5, { hostPorts: [{ protocol: 'udp', published: 20000 + Math.floor(Math.random() * 20000), target: 53 }] }));
        await host.createSandbox(aRequest([b], 6));
        assert.notDeepEqual(await probe.leftovers(), []);
        await host.teardown();
        assert.deepEqual(await host.sandboxes(), []);
        assert.deepEqual(await probe.leftovers(), []);
        await host.teardown();
      }));
  });
}
