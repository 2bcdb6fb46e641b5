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
import type { NetworkConfig, NetworkHost, NetworkViewEntry, NodeNetworkView, SandboxEndpoint, SandboxRequest } from '../../src/agent/exec/network.js';
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
  /** The MTU of each of a sandbox's interfaces, in interface order. */
  mtus(containerId: string): Promise<number[]>;
  /**
   * The VXLAN device on a network's bridge (undefined when there is none): its parameters, its FDB as sorted
   * 'mac dst' lines and its neighbour entries as sorted 'ip mac' lines, and the bridge's MAC. The real probe also
   * checks that the bridge's own FDB and neighbour entries say the same and that nothing else was learned.
   */
  overlay(networkId: string): Promise<OverlayProbe | undefined>;
  /** The MAC of a network's bridge (undefined when there is no bridge). */
  bridgeMac(networkId: string): Promise<string | undefined>;
}

export interface OverlayProbe {
  vni: number;
  port: number;
  local: string | undefined;
  mtu: number;
  fdb: string[];
  neigh: string[];
  bridgeMac: string | undefined;
}

export interface NetworkHarness {
  host: NetworkHost;
  probe: NetworkProbe;
  reopen(): Promise<NetworkHost>;
  /** A process in a private netns of its own (a running container without a sandbox), stopped by `stop`. */
  isolatedProcess(): Promise<{ pid: number; stop(): Promise<void> }>;
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

/** The endpoint `aRequest` would give host number `host` on `network`. */
export function anEndpoint(network: NetworkConfig, host: number, aliases: string[] = []): SandboxEndpoint {
  return { network, address: `${network.subnet.split('.').slice(0, 3).join('.')}.${host}/24`, aliases };
}

/** A probe's interfaces as [name, addresses] pairs, sorted by name. */
async function ifaces(probe: NetworkProbe, containerId: string): Promise<[string, string[]][]> {
  return (await probe.interfaces(containerId)).map((i): [string, string[]] => [i.name, i.addrs]).sort(([x], [y]) => x.localeCompare(y));
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

    it('connects and disconnects endpoints of a live sandbox: the lowest free ethN, the others untouched, across a restart', () =>
      withHarness(async (h) => {
        const { host, probe } = h;
        const [a, b, c] = [aNetwork(1), aNetwork(2), aNetwork(3)];
        const req = aRequest([a], 5);
        const made = await host.createSandbox(req);
        const sb = await host.connectSandbox(req.containerId, anEndpoint(b, 5));
        assert.equal(sb?.netnsPath, made.netnsPath);
        assert.deepEqual(sb?.hostsEntries, ['10.77.1.5\thost5'], 'the first endpoint still names the host');
        assert.deepEqual(await ifaces(probe, req.containerId), [
          ['eth0', ['10.77.1.5/24']],
          ['eth1', ['10.77.2.5/24']],
        ]);
        assert.deepEqual(await probe.bridge(b.id), ['10.77.2.1/24']);
        assert.deepEqual((await probe.interfaces(req.containerId)).find((i) => i.name === 'eth1')?.mac, macForIp(parseIp('10.77.2.5') ?? 0));
        await host.connectSandbox(req.containerId, anEndpoint(b, 5));
        assert.equal((await probe.interfaces(req.containerId)).length, 2, 'connecting twice is one interface');
        await host.disconnectSandbox(req.containerId, a.id);
        await host.disconnectSandbox(req.containerId, a.id);
        assert.deepEqual(await ifaces(probe, req.containerId), [['eth1', ['10.77.2.5/24']]]);
        await host.close();
        const again = await h.reopen();
        try {
          await again.connectSandbox(req.containerId, anEndpoint(c, 5));
          assert.deepEqual(await ifaces(probe, req.containerId), [
            ['eth0', ['10.77.3.5/24']],
            ['eth1', ['10.77.2.5/24']],
          ]);
          await again.disconnectSandbox(req.containerId, b.id);
          await again.disconnectSandbox(req.containerId, c.id);
          assert.deepEqual(await probe.interfaces(req.containerId), [], 'the last endpoint leaves loopback only');
          assert.deepEqual(await again.sandboxes(), [req.containerId], 'the sandbox stays: its container still runs in it');
          await again.connectSandbox(req.containerId, anEndpoint(a, 5));
          assert.deepEqual(await ifaces(probe, req.containerId), [['eth0', ['10.77.1.5/24']]]);
          await again.removeSandbox(req.containerId);
          assert.deepEqual(await again.sandboxes(), []);
          assert.deepEqual(await probe.netns(), []);
        } finally {
          await again.teardown();
          await again.close();
        }
      }));

    it('connect without a sandbox makes nothing unless it adopts; bad input is refused naming the field', () =>
      withHarness(async ({ host, probe }) => {
        const a = aNetwork(1);
        const id = aContainerId();
        assert.equal(await host.connectSandbox(id, anEndpoint(a, 5)), undefined);
        await host.disconnectSandbox(id, a.id);
        assert.deepEqual(await host.sandboxes(), []);
        await rejectsWith(host.connectSandbox('nope', anEndpoint(a, 5)), 'InvalidArgument', /containerId/);
        await rejectsWith(host.connectSandbox(id, { ...anEndpoint(a, 5), address: '10.99.0.5/24' }), 'InvalidArgument', /endpoint\.address/);
        await rejectsWith(host.connectSandbox(id, anEndpoint({ ...a, gateway: '10.1.0.1' }, 5)), 'InvalidArgument', /endpoint\.network\.gateway/);
        await rejectsWith(host.connectSandbox(id, anEndpoint(a, 5), { pid: 0, hostname: 'x' }), 'InvalidArgument', /adopt\.pid/);
        await rejectsWith(host.connectSandbox(id, anEndpoint(a, 5), { pid: 1, hostname: 'a b' }), 'InvalidArgument', /adopt\.hostname/);
        await rejectsWith(host.disconnectSandbox('x', a.id), 'InvalidArgument', /containerId/);
        assert.deepEqual(await host.sandboxes(), []);
        assert.deepEqual(await probe.leftovers(), []);
      }));

    it('adopts the private netns of a running container on its first connect', () =>
      withHarness(async (h) => {
        const { host, probe } = h;
        const a = aNetwork(1);
        const b = aNetwork(2);
        const p = await h.isolatedProcess();
        try {
          const id = aContainerId();
          const sb = await host.connectSandbox(id, anEndpoint(a, 7), { pid: p.pid, hostname: 'adopted' });
          assert.ok(sb?.netnsPath.endsWith(id.slice(0, 12)), sb?.netnsPath);
          assert.deepEqual(sb?.hostsEntries, ['10.77.1.7\tadopted']);
          assert.deepEqual(await host.sandboxes(), [id]);
          await host.connectSandbox(id, anEndpoint(b, 7), { pid: p.pid, hostname: 'adopted' });
          assert.deepEqual(await ifaces(probe, id), [
            ['eth0', ['10.77.1.7/24']],
            ['eth1', ['10.77.2.7/24']],
          ]);
          await host.removeSandbox(id);
          assert.deepEqual(await host.sandboxes(), []);
          assert.deepEqual(await probe.netns(), []);
        } finally {
          await p.stop();
        }
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

    overlayCases(withHarness);
  });
}

/** A swarm overlay network (it has a VNI) for the overlay cases. */
export function anOverlay(n: number, vni: number): { config: NetworkConfig; stored: Network } {
  const config = aNetwork(n, { vxlanId: vni });
  const stored = storedNetwork(config);
  stored.Options = { 'com.docker.network.driver.overlay.vxlanid_list': String(vni) };
  return { config, stored };
}

const mac = (ip: string): string => macForIp(parseIp(ip) ?? 0);

/** The overlay data path (docs/design/cluster.md "The overlay data path"). */
function overlayCases(withHarness: (fn: (h: NetworkHarness) => Promise<void>) => Promise<void>): void {
  const task = (id: string, addr: string, nodeId: string) => ({ id, name: `web.${id}`, addr, nodeId });

  it('overlay: no peer, no VXLAN device; container interfaces on an overlay get MTU 1450, on a local network 1500', () =>
    withHarness(async ({ host, probe }) => {
      const o = anOverlay(1, 4101);
      const local = aNetwork(2);
      await host.applyView({ dataPathPort: 4789, nodeAddr: '192.0.2.1', networks: [{ network: o.stored, nodeAddr: '10.77.1.3/24', services: [], peers: [] }] }, 'n1');
      const req = aRequest([o.config, local], 5);
      await host.createSandbox(req);
      assert.equal(await probe.overlay(o.config.id), undefined);
      assert.equal(await probe.bridgeMac(o.config.id), mac('10.77.1.3'), 'the bridge MAC is 02:42 + the LB address from the start');
      assert.deepEqual(await probe.mtus(req.containerId), [1450, 1500]);
    }));

  it('overlay: peers make a VXLAN device with FDB and neighbour entries for remote tasks and peers\' LB addresses; stale ones go', () =>
    withHarness(async ({ host, probe }) => {
      const o = anOverlay(1, 4102);
      const svc = (tasks: ReturnType<typeof task>[]) => ({ id: 's1', name: 'web', aliases: [], mode: 'vip' as const, vip: '10.77.1.2', ports: [], tasks });
      const view = (tasks: ReturnType<typeof task>[], peers: { nodeId: string; addr: string; lbAddr?: string }[], containers: { name: string; aliases: string[]; addr: string; nodeId?: string }[] = []): NodeNetworkView => ({
        dataPathPort: 4790,
        nodeAddr: '192.0.2.1',
        networks: [{ network: o.stored, nodeAddr: '10.77.1.3/24', services: [svc(tasks)], containers, peers }],
      });
      await host.applyView(
        view(
          [task('t1', '10.77.1.10', 'n1'), task('t2', '10.77.1.11', 'n2'), task('t3', '10.77.1.12', 'n3'), task('t4', '10.77.1.13', 'n4')],
          [
            { nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.77.1.4/24' },
            { nodeId: 'n3', addr: '192.0.2.3' },
          ],
          [{ name: 'c1', aliases: [], addr: '10.77.1.20', nodeId: 'n3' }],
        ),
        'n1',
      );
      assert.deepEqual(await probe.overlay(o.config.id), {
        vni: 4102,
        port: 4790,
        local: '192.0.2.1',
        mtu: 1450,
        // Not t1 (local) nor t4 (its node is no peer).
        fdb: [`${mac('10.77.1.11')} 192.0.2.2`, `${mac('10.77.1.12')} 192.0.2.3`, `${mac('10.77.1.20')} 192.0.2.3`, `${mac('10.77.1.4')} 192.0.2.2`].sort(),
        neigh: [`10.77.1.11 ${mac('10.77.1.11')}`, `10.77.1.12 ${mac('10.77.1.12')}`, `10.77.1.20 ${mac('10.77.1.20')}`, `10.77.1.4 ${mac('10.77.1.4')}`].sort(),
        bridgeMac: mac('10.77.1.3'),
      });
      // t2 goes, t3 moves to n2's address (a node's address changed), the container goes.
      await host.applyView(view([task('t1', '10.77.1.10', 'n1'), task('t3', '10.77.1.12', 'n2')], [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.77.1.4/24' }, { nodeId: 'n3', addr: '192.0.2.3' }]), 'n1');
      const after = await probe.overlay(o.config.id);
      assert.deepEqual(after?.fdb, [`${mac('10.77.1.12')} 192.0.2.2`, `${mac('10.77.1.4')} 192.0.2.2`].sort());
      assert.deepEqual(after?.neigh, [`10.77.1.12 ${mac('10.77.1.12')}`, `10.77.1.4 ${mac('10.77.1.4')}`].sort());
      // The same view again changes nothing.
      await host.applyView(view([task('t1', '10.77.1.10', 'n1'), task('t3', '10.77.1.12', 'n2')], [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.77.1.4/24' }, { nodeId: 'n3', addr: '192.0.2.3' }]), 'n1');
      assert.deepEqual(await probe.overlay(o.config.id), after);
      // The last peer goes: the device goes, the bridge stays.
      await host.applyView(view([task('t1', '10.77.1.10', 'n1')], []), 'n1');
      assert.equal(await probe.overlay(o.config.id), undefined);
      assert.deepEqual(await probe.bridge(o.config.id), ['10.77.1.1/24', '10.77.1.2/32', '10.77.1.3/24']);
    }));

  it('overlay: a task that drains (unserved) keeps its FDB and neighbour entries until it leaves the view', () =>
    withHarness(async ({ host, probe }) => {
      const o = anOverlay(1, 4105);
      const peers = [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.77.1.4/24' }];
      const view = (tasks: ReturnType<typeof task>[], unserved: { addr: string; nodeId: string }[]): NodeNetworkView => ({
        dataPathPort: 4789,
        nodeAddr: '192.0.2.1',
        networks: [{ network: o.stored, nodeAddr: '10.77.1.3/24', services: [{ id: 's1', name: 'web', aliases: [], mode: 'vip', vip: '10.77.1.2', ports: [], tasks }], unserved, peers }],
      });
      await host.applyView(view([task('t1', '10.77.1.10', 'n1'), task('t2', '10.77.1.11', 'n2')], []), 'n1');
      const served = await probe.overlay(o.config.id);
      assert.deepEqual(served?.fdb, [`${mac('10.77.1.11')} 192.0.2.2`, `${mac('10.77.1.4')} 192.0.2.2`].sort());
      // t2 drains on n2: out of the service's tasks, in `unserved`; a task starting on n2 is there too.
      await host.applyView(view([task('t1', '10.77.1.10', 'n1')], [{ addr: '10.77.1.11', nodeId: 'n2' }, { addr: '10.77.1.12', nodeId: 'n2' }]), 'n1');
      const draining = await probe.overlay(o.config.id);
      assert.deepEqual(draining?.fdb, [`${mac('10.77.1.11')} 192.0.2.2`, `${mac('10.77.1.12')} 192.0.2.2`, `${mac('10.77.1.4')} 192.0.2.2`].sort());
      assert.deepEqual(draining?.neigh, [`10.77.1.11 ${mac('10.77.1.11')}`, `10.77.1.12 ${mac('10.77.1.12')}`, `10.77.1.4 ${mac('10.77.1.4')}`].sort());
      // t2 stopped: it leaves the view, its entries go.
      await host.applyView(view([task('t1', '10.77.1.10', 'n1')], [{ addr: '10.77.1.12', nodeId: 'n2' }]), 'n1');
      assert.deepEqual((await probe.overlay(o.config.id))?.fdb, [`${mac('10.77.1.12')} 192.0.2.2`, `${mac('10.77.1.4')} 192.0.2.2`].sort());
    }));

  it('overlay: a new data path port re-makes the device; the network leaving the view takes it and the bridge', () =>
    withHarness(async ({ host, probe }) => {
      const o = anOverlay(1, 4103);
      const v = (port: number): NodeNetworkView => ({
        dataPathPort: port,
        nodeAddr: '192.0.2.1',
        networks: [{ network: o.stored, nodeAddr: '10.77.1.3/24', services: [{ id: 's', name: 'web', aliases: [], mode: 'dnsrr', ports: [], tasks: [task('t2', '10.77.1.11', 'n2')] }], peers: [{ nodeId: 'n2', addr: '192.0.2.2' }] }],
      });
      await host.applyView(v(4789), 'n1');
      assert.equal((await probe.overlay(o.config.id))?.port, 4789);
      await host.applyView(v(4800), 'n1');
      const o2 = await probe.overlay(o.config.id);
      assert.equal(o2?.port, 4800);
      assert.deepEqual(o2?.fdb, [`${mac('10.77.1.11')} 192.0.2.2`]);
      await host.applyView({ dataPathPort: 4800, networks: [] }, 'n1');
      assert.equal(await probe.overlay(o.config.id), undefined);
      assert.equal(await probe.bridge(o.config.id), undefined);
    }));

  it('overlay: teardown removes the VXLAN devices with the rest', () =>
    withHarness(async ({ host, probe }) => {
      const o = anOverlay(1, 4104);
      await host.applyView({ dataPathPort: 4789, nodeAddr: '192.0.2.1', networks: [{ network: o.stored, nodeAddr: '10.77.1.3/24', services: [], peers: [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.77.1.4/24' }] }] }, 'n1');
      await host.createSandbox(aRequest([o.config], 5));
      assert.deepEqual((await probe.overlay(o.config.id))?.fdb, [`${mac('10.77.1.4')} 192.0.2.2`]);
      await host.teardown();
      assert.equal(await probe.overlay(o.config.id), undefined);
      assert.deepEqual(await probe.leftovers(), []);
    }));
}
