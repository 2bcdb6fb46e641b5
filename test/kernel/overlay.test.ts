/**
 * Overlay networks across nodes on the real kernel, without daemons (docs/design/cluster.md "The overlay data
 * path"). Three network namespaces are the "nodes" A, B and C, each with `eth0` on an underlay bridge in a fourth
 * netns ("sw", 10.78.0.254/24; the nodes are .1, .2, .3). Each node runs the real HostNetwork on its netns, with its
 * own netns prefix, node table and exec root (as the daemon makes them), and applies the view the manager's
 * NetworkViews computes for it from plain store objects:
 * - `front` (10.77.1.0/24, VNI 4301): service `web` (VIP 10.77.1.2) with a task on each node, and a task `probe.1`
 *   on A;
 * - `ingress` (10.77.0.0/24, VNI 4300): service `api` publishing PORT → 80, with its only task on B.
 * Tasks are sandboxes the HostNetwork wires, each running busybox httpd answering its name. The checks: the probe
 * on A pings web.2 on B; the VIP from A reaches the tasks on all three nodes; PORT on A's (and C's) address reaches
 * the task on B; the VXLAN FDB holds exactly the programmed entries (nothing flooded or learned) after traffic; a
 * task on B that starts draining (out of the service, still in the entry's `unserved`) keeps the TCP connections
 * opened to it from A, directly and through the VIP, while new VIP connections avoid it; and a view without it (it
 * stopped) takes its FDB and neighbour entries away on the other nodes, which cuts those connections.
 * Everything made (netns, links, processes, the exec roots) is removed in `after`, even on failure.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Network, Node, Service, Task } from '../../src/api/types.js';
import { HostNetwork } from '../../src/agent/network/host-network.js';
import type { PortHolder } from '../../src/agent/network/host-network.js';
import { bridgeName } from '../../src/agent/network/names.js';
import { vxlanName } from '../../src/agent/network/overlay.js';
import { PortReservations } from '../../src/agent/network/ports.js';
import { networkConfigOf } from '../../src/agent/worker/task-network.js';
import { captureLogger } from '../../src/lib/logger.js';
import type { LogRecord } from '../../src/lib/logger.js';
import { macForIp, parseIp } from '../../src/lib/cidr.js';
import { NetworkViews } from '../../src/manager/dispatcher/network-views.js';
import { must, NetLab, run } from './netlab.js';
import type { HttpCounts, LabProcess } from './netlab.js';

const T0 = '2026-01-01T00:00:00Z';
const PORT = 20000 + Math.floor(Math.random() * 20000);
/** The tcp-echo port of the web tasks (inside their sandboxes). */
const ECHO_PORT = 7000;
const NODES = ['a', 'b', 'c'] as const;
type NodeName = (typeof NODES)[number];
const UNDERLAY: Record<NodeName, string> = { a: '10.78.0.1', b: '10.78.0.2', c: '10.78.0.3' };
const SW_ADDR = '10.78.0.254';
const lbOf = (net: string, i: number): string => `${net}.${250 + i}/24`;

function network(id: string, name: string, prefix: string, vni: number, ingress: boolean): Network {
  return {
    Id: id, Name: name, Created: T0, Scope: 'swarm', Driver: 'overlay', EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1` }] },
    Internal: false, Attachable: false, Ingress: ingress, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {},
    Options: { 'com.docker.network.driver.overlay.vxlanid_list': String(vni) }, Labels: {}, Version: { Index: 1 },
    NodeAddrs: Object.fromEntries(NODES.map((n, i) => [n, lbOf(prefix, i)])),
  };
}
const FRONT = network('frontovl0000000000000000a', 'front', '10.77.1', 4301, false);
const INGRESS = network('ingressovl00000000000000b', 'ingress', '10.77.0', 4300, true);

function service(id: string, name: string, networks: Network[], vips: Record<string, string>, ports: number[] = []): Service {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
    Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: networks.filter((n) => !n.Ingress).map((n) => ({ Target: n.Id })) }, EndpointSpec: { Mode: 'vip' } },
    Endpoint: {
      Spec: {},
      Ports: ports.map((p) => ({ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: p, PublishMode: 'ingress' as const })),
      VirtualIPs: Object.entries(vips).map(([NetworkID, Addr]) => ({ NetworkID, Addr })),
    },
  };
}

/** A task: its ID is also its container ID (64 hex: what HostNetwork takes). */
function task(n: number, serviceId: string, slot: number, node: NodeName, net: Network, addr: string): Task {
  return {
    ID: n.toString(16).padStart(2, '0').padEnd(64, 'e'), Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0, Labels: {}, Spec: {},
    ServiceID: serviceId, Slot: slot, NodeID: node, Status: { Timestamp: T0, State: 'running', Message: '' }, DesiredState: 'running',
    NetworksAttachments: [{ Network: net, Addresses: [`${addr}/24`] }],
  };
}

function node(id: NodeName): Node {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
    Spec: { Role: 'worker', Availability: 'active', Labels: {} },
    Description: { Hostname: id },
    Status: { State: 'ready', Addr: UNDERLAY[id] },
  } as unknown as Node;
}

const WEB = service('svcweb', 'web', [FRONT], { [FRONT.Id]: '10.77.1.2/24' });
const PROBE = service('svcprobe', 'probe', [FRONT], { [FRONT.Id]: '10.77.1.3/24' });
const API = service('svcapi', 'api', [INGRESS], { [INGRESS.Id]: '10.77.0.2/24' }, [PORT]);
const TASKS = {
  web1: task(1, WEB.ID, 1, 'a', FRONT, '10.77.1.10'),
  web2: task(2, WEB.ID, 2, 'b', FRONT, '10.77.1.11'),
  web3: task(3, WEB.ID, 3, 'c', FRONT, '10.77.1.12'),
  probe: task(4, PROBE.ID, 1, 'a', FRONT, '10.77.1.20'),
  api: task(5, API.ID, 1, 'b', INGRESS, '10.77.0.10'),
};
const mac = (ip: string): string => macForIp(parseIp(ip) ?? 0);
const addrOf = (t: Task): string => (t.NetworksAttachments?.[0]?.Addresses[0] ?? '').split('/')[0] ?? '';

/** Every name got at least `min` answers, and nothing failed. */
function spread(r: HttpCounts, names: string[], min: number): void {
  assert.deepEqual(r.errors, {}, JSON.stringify(r));
  assert.deepEqual(Object.keys(r.counts).sort(), [...names].sort(), JSON.stringify(r));
  for (const n of names) assert.ok((r.counts[n] ?? 0) >= min, `${n} got ${r.counts[n] ?? 0} (< ${min}): ${JSON.stringify(r)}`);
}

interface FdbLine {
  mac: string;
  dst?: string;
  flags: string[];
  state: string;
}

describe('overlay networks across nodes (VXLAN) in the kernel', () => {
  const lab = new NetLab('ovl');
  const views = new NetworkViews();
  const hosts = new Map<NodeName, HostNetwork>();
  const nodeNs = new Map<NodeName, string>();
  const ports: PortReservations[] = [];
  const roots: string[] = [];
  const records: LogRecord[] = [];
  /** The sandbox netns of a task (`<node prefix><id 12>`). */
  const sandboxNs = (t: Task): string => `${lab.prefix}-${t.NodeID ?? ''}-${t.ID.slice(0, 12)}`;
  let sw = '';

  async function applyViews(): Promise<void> {
    for (const n of NODES) await hosts.get(n)?.applyView(views.viewFor(n), n);
  }

  async function fdbOf(n: NodeName, networkId: string): Promise<FdbLine[]> {
    return JSON.parse(await must('bridge', ['-n', nodeNs.get(n) ?? '', '-j', 'fdb', 'show', 'dev', vxlanName(networkId)])) as FdbLine[];
  }

  async function neighOf(n: NodeName, dev: string): Promise<string[]> {
    const out = JSON.parse(await must('ip', ['-n', nodeNs.get(n) ?? '', '-j', 'neigh', 'show', 'dev', dev])) as { dst: string; lladdr?: string; state: string[] }[];
    return out.filter((e) => e.state.includes('PERMANENT')).map((e) => `${e.dst} ${e.lladdr ?? ''}`).sort();
  }

  /** The FDB of `networkId`'s VXLAN device on node `n` is exactly `entries` (remote IP → its node): the device's
   * own entries to the peers, the bridge's static ones to the VXLAN port, and otherwise only the port's own MAC. */
  async function assertProgrammed(n: NodeName, networkId: string, entries: Record<string, NodeName>): Promise<void> {
    const fdb = await fdbOf(n, networkId);
    const [link] = JSON.parse(await must('ip', ['-n', nodeNs.get(n) ?? '', '-j', 'link', 'show', 'dev', vxlanName(networkId)])) as { address: string }[];
    const want = Object.entries(entries).map(([ip, at]) => `${mac(ip)} ${UNDERLAY[at]}`).sort();
    assert.deepEqual(fdb.filter((f) => f.flags.includes('self')).map((f) => `${f.mac} ${f.dst ?? 'no-dst'}`).sort(), want, `${n}: VXLAN FDB (no all-zeros flood entry, nothing learned)`);
    assert.deepEqual(
      fdb.filter((f) => !f.flags.includes('self')).map((f) => `${f.mac} ${f.state}`).sort(),
      [...Object.keys(entries).map((ip) => `${mac(ip)} static`), `${link?.address ?? '?'} permanent`].sort(),
      `${n}: the bridge's entries on the VXLAN port are the programmed ones and the port's own address (nothing learned)`,
    );
    const neigh = Object.keys(entries).map((ip) => `${ip} ${mac(ip)}`).sort();
    assert.deepEqual(await neighOf(n, vxlanName(networkId)), neigh, `${n}: neighbours on the VXLAN device`);
    assert.deepEqual(await neighOf(n, bridgeName(networkId)), neigh, `${n}: permanent neighbours on the bridge`);
  }

  before(async () => {
    sw = await lab.addNetns('sw');
    await must('ip', ['-n', sw, '-batch', '-'], { stdin: ['link add ul type bridge', `addr add ${SW_ADDR}/24 dev ul`, 'link set ul up', ''].join('\n') });
    for (const n of NODES) {
      const ns = await lab.addNetns(n);
      nodeNs.set(n, ns);
      await must('ip', ['-n', sw, '-batch', '-'], { stdin: [`link add u${n} type veth peer name eth0 netns ${ns}`, `link set u${n} master ul up`, ''].join('\n') });
      await must('ip', ['-n', ns, '-batch', '-'], { stdin: [`addr add ${UNDERLAY[n]}/24 dev eth0`, 'link set eth0 up', `route add default via ${SW_ADDR}`, ''].join('\n') });
      const execRoot = mkdtempSync(join(tmpdir(), 'shoal-ovl-'));
      roots.push(execRoot);
      // Ingress reservations are real sockets, on a loopback address of each node's own (they share this netns).
      const reservations = new PortReservations();
      ports.push(reservations);
      const host = `127.0.0.${NODES.indexOf(n) + 2}`;
      const holder: PortHolder = { reserve: (p) => reservations.reserve(p, host), release: (p) => reservations.release(p, host), releaseAll: () => reservations.releaseAll() };
      hosts.set(
        n,
        new HostNetwork({ execRoot, nodeTable: `shoal-ovl-${n}`, netnsPrefix: `${lab.prefix}-${n}-`, logger: captureLogger(records), hostNetns: ns, ports: holder, hostResolvConf: join(execRoot, 'none') }),
      );
    }
    views.load([WEB, PROBE, API], [FRONT, INGRESS], Object.values(TASKS), NODES.map(node), []);
    await applyViews();
    for (const t of Object.values(TASKS)) {
      const host = hosts.get(t.NodeID as NodeName);
      assert.ok(host);
      const a = t.NetworksAttachments?.[0];
      assert.ok(a);
      await host.createSandbox({ containerId: t.ID, hostname: t.ID.slice(0, 12), endpoints: [{ network: networkConfigOf(a.Network), address: a.Addresses[0] ?? '', aliases: [] }], hostPorts: [] });
    }
    lab.httpd(sandboxNs(TASKS.web1), 'web1');
    lab.httpd(sandboxNs(TASKS.web2), 'web2');
    lab.httpd(sandboxNs(TASKS.web3), 'web3');
    lab.httpd(sandboxNs(TASKS.api), 'api-on-b');
    for (const t of [TASKS.web1, TASKS.web2, TASKS.web3, TASKS.api]) await lab.waitHttp(sandboxNs(t), [`http://${addrOf(t)}/`]);
  });

  after(async () => {
    for (const h of hosts.values()) {
      await h.teardown().catch((e: unknown) => console.error('teardown', e));
      await h.close();
    }
    for (const p of ports) await p.releaseAll();
    // Whatever a failed teardown left: the sandbox netns of the nodes (their processes first).
    const left = readdirSync('/run/netns').filter((x) => x.startsWith(`${lab.prefix}-`) && NODES.some((n) => x.startsWith(`${lab.prefix}-${n}-`)));
    for (const ns of left) {
      const pids = await run('ip', ['netns', 'pids', ns]);
      for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
      await run('ip', ['netns', 'del', ns]);
    }
    await lab.cleanup();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
    assert.deepEqual(left, [], 'teardown removed every sandbox');
    assert.deepEqual(await lab.leftovers(), []);
  });

  it('each node has a VXLAN device per network with peers: its VNI, port, local address, MTU 1450; containers get MTU 1450', async () => {
    for (const [i, n] of NODES.entries()) {
      const [link] = JSON.parse(await must('ip', ['-n', nodeNs.get(n) ?? '', '-j', '-d', 'link', 'show', 'dev', vxlanName(FRONT.Id)])) as {
        mtu: number;
        master: string;
        linkinfo: { info_data: { id: number; port: number; local: string; learning: boolean; proxy: boolean } };
      }[];
      assert.equal(link?.mtu, 1450);
      assert.equal(link.master, bridgeName(FRONT.Id));
      assert.deepEqual(link.linkinfo.info_data, { ...link.linkinfo.info_data, id: 4301, port: 4789, local: UNDERLAY[n], learning: false, proxy: true });
      const [br] = JSON.parse(await must('ip', ['-n', nodeNs.get(n) ?? '', '-j', 'link', 'show', 'dev', bridgeName(FRONT.Id)])) as { address: string }[];
      assert.equal(br?.address, mac(`10.77.1.${250 + i}`), 'the bridge MAC is 02:42 + the LB address');
    }
    const [eth0] = JSON.parse(await must('ip', ['-n', sandboxNs(TASKS.web1), '-j', 'link', 'show', 'dev', 'eth0'])) as { mtu: number }[];
    assert.equal(eth0?.mtu, 1450);
  });

  it('a container on A pings a container on B over the overlay', async () => {
    const out = await must('ip', ['netns', 'exec', sandboxNs(TASKS.probe), 'busybox', 'ping', '-c', '2', '-W', '2', addrOf(TASKS.web2)]);
    assert.match(out, /2 packets received/);
  });

  it('the VIP on A reaches the tasks on all three nodes', async () => {
    spread(await lab.httpCount(sandboxNs(TASKS.probe), 'http://10.77.1.2/', 60), ['web1', 'web2', 'web3'], 3);
  });

  it('the ingress port on A\'s and C\'s addresses reaches the task that runs only on B', async () => {
    assert.deepEqual(await lab.httpCount(sw, `http://${UNDERLAY.a}:${PORT}/`, 5), { counts: { 'api-on-b': 5 }, errors: {} });
    assert.deepEqual(await lab.httpCount(sw, `http://${UNDERLAY.c}:${PORT}/`, 5), { counts: { 'api-on-b': 5 }, errors: {} });
    assert.deepEqual(await lab.httpCount(nodeNs.get('a') ?? '', `http://127.0.0.1:${PORT}/`, 3), { counts: { 'api-on-b': 3 }, errors: {} }, 'from node A itself');
  });

  it('after the traffic, every FDB holds exactly the programmed entries: nothing flooded or learned', async () => {
    const lb = (net: string, n: NodeName): string => `${net}.${250 + NODES.indexOf(n)}`;
    await assertProgrammed('a', FRONT.Id, { '10.77.1.11': 'b', '10.77.1.12': 'c', [lb('10.77.1', 'b')]: 'b', [lb('10.77.1', 'c')]: 'c' });
    await assertProgrammed('b', FRONT.Id, { '10.77.1.10': 'a', '10.77.1.20': 'a', '10.77.1.12': 'c', [lb('10.77.1', 'a')]: 'a', [lb('10.77.1', 'c')]: 'c' });
    await assertProgrammed('a', INGRESS.Id, { '10.77.0.10': 'b', [lb('10.77.0', 'b')]: 'b', [lb('10.77.0', 'c')]: 'c' });
    await assertProgrammed('c', INGRESS.Id, { '10.77.0.10': 'b', [lb('10.77.0', 'a')]: 'a', [lb('10.77.0', 'b')]: 'b' });
  });

  it('a task on B that starts draining keeps its connections from A (VIP and direct) until it stops; the VIP picks it no more', async () => {
    const lb = (n: NodeName): string => `10.77.1.${250 + NODES.indexOf(n)}`;
    for (const [t, name] of [[TASKS.web1, 'web1'], [TASKS.web2, 'web2'], [TASKS.web3, 'web3']] as const) await lab.pyServer(sandboxNs(t), 'tcp-echo', '0.0.0.0', ECHO_PORT, name);
    // Two connections from the probe on A, opened while web.2 is served: one to its address, one through the VIP
    // that landed on it (the VIP picks at random: bounded tries).
    const direct = lab.hold(sandboxNs(TASKS.probe), addrOf(TASKS.web2), ECHO_PORT);
    direct.write('x');
    assert.equal(await direct.nextLine(), 'web2');
    let viaVip: LabProcess | undefined;
    for (let i = 0; i < 40 && viaVip === undefined; i++) {
      const h = lab.hold(sandboxNs(TASKS.probe), '10.77.1.2', ECHO_PORT);
      h.write('x');
      if ((await h.nextLine()) === 'web2') viaVip = h;
      else h.child.kill('SIGKILL');
    }
    assert.ok(viaVip, 'a VIP connection landed on web.2');

    // web.2 drains: its desired state leaves running while it still runs on B.
    const spawnsBefore = records.filter((r) => r.msg === 'network view applied').length;
    assert.ok(views.apply('tasks', 'update', { ...TASKS.web2, Version: { Index: 2 }, DesiredState: 'shutdown' }));
    const draining = views.viewFor('a').networks.find((e) => e.network.Id === FRONT.Id);
    assert.deepEqual(draining?.services.find((x) => x.id === WEB.ID)?.tasks.map((t) => t.addr), ['10.77.1.10', '10.77.1.12'], 'out of the service');
    assert.deepEqual(draining?.unserved, [{ addr: addrOf(TASKS.web2), nodeId: 'b' }], 'still reachable');
    await applyViews();
    assert.ok(records.filter((r) => r.msg === 'network view applied').length > spawnsBefore);
    // Nothing changes on the data path: B keeps its device and stays a peer of A and C.
    await assertProgrammed('a', FRONT.Id, { '10.77.1.11': 'b', '10.77.1.12': 'c', [lb('b')]: 'b', [lb('c')]: 'c' });
    await assertProgrammed('b', FRONT.Id, { '10.77.1.10': 'a', '10.77.1.20': 'a', '10.77.1.12': 'c', [lb('a')]: 'a', [lb('c')]: 'c' });
    for (const h of [direct, viaVip]) {
      for (let i = 0; i < 3; i++) {
        h.write('x');
        assert.equal(await h.nextLine(), 'web2', 'an established connection keeps exchanging data during the drain');
      }
    }
    // New connections through the VIP avoid it.
    spread(await lab.httpCount(sandboxNs(TASKS.probe), 'http://10.77.1.2/', 30), ['web1', 'web3'], 3);

    // web.2 stops (its server is left running to show that the view alone cuts the path): it leaves every view.
    assert.ok(views.apply('tasks', 'update', { ...TASKS.web2, Version: { Index: 3 }, DesiredState: 'shutdown', Status: { ...TASKS.web2.Status, State: 'shutdown' } }));
    await applyViews();
    await assertProgrammed('a', FRONT.Id, { '10.77.1.12': 'c', [lb('c')]: 'c' });
    await assertProgrammed('c', FRONT.Id, { '10.77.1.10': 'a', '10.77.1.20': 'a', [lb('a')]: 'a' });
    const onB = await run('ip', ['-n', nodeNs.get('b') ?? '', 'link', 'show', 'dev', vxlanName(FRONT.Id)]);
    assert.notEqual(onB.code, 0, 'B has no front network in its view: its VXLAN device is gone');
    assert.deepEqual(await neighOf('b', bridgeName(FRONT.Id)), [], 'B\'s bridge (kept for the stopped sandbox) holds no remote neighbour');
    // The held connections get no answer any more (netlab.py hold gives up after 5 s), and a new one finds nothing.
    for (const h of [direct, viaVip]) h.write('x');
    for (const h of [direct, viaVip]) await assert.rejects(h.nextLine(8000), /exited/, 'a connection to a task that stopped is cut');
    const fresh = await lab.tcpSend(sandboxNs(TASKS.probe), addrOf(TASKS.web2), ECHO_PORT);
    assert.ok(fresh.error === 'timeout' || fresh.error === 'OSError', `a new connection is unreachable: ${JSON.stringify(fresh)}`);
    // Its sandbox goes: the bridge goes with it.
    await hosts.get('b')?.removeSandbox(TASKS.web2.ID);
    await applyViews();
    const bridgeOnB = await run('ip', ['-n', nodeNs.get('b') ?? '', 'link', 'show', 'dev', bridgeName(FRONT.Id)]);
    assert.notEqual(bridgeOnB.code, 0, 'B\'s front bridge is gone with its last sandbox');
    await assertProgrammed('a', FRONT.Id, { '10.77.1.12': 'c', [lb('c')]: 'c' });
    assert.match(await must('ip', ['netns', 'exec', sandboxNs(TASKS.probe), 'busybox', 'ping', '-c', '1', '-W', '2', addrOf(TASKS.web3)]), /1 packets received/);
  });

  it('the last peer going takes the device away; the node keeps working alone', async () => {
    for (const id of [TASKS.web3.ID, TASKS.web1.ID]) {
      const t = id === TASKS.web3.ID ? TASKS.web3 : TASKS.web1;
      views.apply('tasks', 'update', { ...t, Version: { Index: 3 }, DesiredState: 'shutdown', Status: { ...t.Status, State: 'shutdown' } });
      await hosts.get(t.NodeID as NodeName)?.removeSandbox(id);
    }
    await applyViews();
    const onA = await run('ip', ['-n', nodeNs.get('a') ?? '', 'link', 'show', 'dev', vxlanName(FRONT.Id)]);
    assert.notEqual(onA.code, 0, 'A is alone on front: no VXLAN device');
    assert.deepEqual(await neighOf('a', bridgeName(FRONT.Id)), [], 'no permanent neighbour is left on the bridge');
    // Ingress still spans the nodes.
    assert.deepEqual(await lab.httpCount(sw, `http://${UNDERLAY.a}:${PORT}/`, 3), { counts: { 'api-on-b': 3 }, errors: {} });
  });
});
