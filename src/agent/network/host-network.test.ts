/**
 * HostNetwork on the real kernel: the NetworkHost contract, plus what only a kernel shows (ping between two
 * sandboxes, a DNS query to 127.0.0.11 reaching the gateway, a VIP reaching a task, the wiring cost). Everything
 * happens in a node netns each test makes (`hostNetns`), with netns/link names under a `shltest-hn<run>` prefix;
 * `after`/`finally` remove every netns, link, table, socket and child process, even on failure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { captureLogger } from '../../lib/logger.js';
import type { LogRecord } from '../../lib/logger.js';
import { aNetwork, aRequest, anEndpoint, networkContract, storedNetwork, zoneNames } from '../../../test/contracts/network.js';
import type { NetworkHarness, OverlayProbe } from '../../../test/contracts/network.js';
import type { NetworkViewEntry } from '../exec/network.js';
import { HostNetwork } from './host-network.js';
import { spawnCapture } from './iproute.js';
import { bridgeName } from './names.js';
import { vxlanName } from './overlay.js';
import { PortReservations } from './ports.js';

const RUN = randomBytes(3).toString('hex');
let seq = 0;
const made = new Set<string>();
const dirs = new Set<string>();

async function sh(file: string, args: string[]): Promise<string> {
  const r = await spawnCapture(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${String(r.code)}: ${r.stderr}`);
  return r.stdout;
}

function netnsWith(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

async function removeAll(prefix: string): Promise<void> {
  for (const ns of netnsWith(prefix)) await spawnCapture('ip', ['netns', 'del', ns]);
}

after(async () => {
  for (const p of made) await removeAll(p);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface RealHarness extends NetworkHarness {
  host: HostNetwork;
  nodeNs: string;
  prefix: string;
  records: LogRecord[];
}

async function makeHarness(): Promise<RealHarness> {
  const tag = `shltest-hn${RUN}${(seq++).toString(36)}`;
  made.add(tag);
  const nodeNs = `${tag}n`;
  const prefix = `${tag}c-`;
  await sh('ip', ['netns', 'add', nodeNs]);
  await sh('ip', ['-n', nodeNs, 'link', 'set', 'lo', 'up']);
  const execRoot = mkdtempSync(join(tmpdir(), 'shoal-hn-'));
  dirs.add(execRoot);
  const records: LogRecord[] = [];
  // The DNS server's side, recorded: the zones the host last asked for.
  let zones: { listen: string; network: string; names: string[] }[] = [];
  const dns = { setZones: (z: { listen: string; entry: NetworkViewEntry }[]) => void (zones = z.map((x) => ({ listen: x.listen, network: x.entry.network.Name, names: zoneNames(x.entry) })).sort((p, q) => p.listen.localeCompare(q.listen))) };
  const open = (ports: PortReservations): HostNetwork =>
    new HostNetwork({ execRoot, nodeTable: 'shoal_test', netnsPrefix: prefix, logger: captureLogger(records), hostNetns: nodeNs, ports, hostResolvConf: join(execRoot, 'no-resolv'), dns });
  const portsOf: PortReservations[] = [new PortReservations()];
  const host = open(portsOf[0] ?? new PortReservations());
  const hosts: HostNetwork[] = [host];
  return {
    host,
    nodeNs,
    prefix,
    records,
    probe: {
      netns: () => Promise.resolve(netnsWith(prefix).map((n) => n.slice(prefix.length)).sort()),
      interfaces: async (containerId) => {
        const out = JSON.parse(await sh('ip', ['-n', `${prefix}${containerId.slice(0, 12)}`, '-j', 'addr', 'show'])) as {
          ifname: string;
          address: string;
          addr_info: { family: string; local: string; prefixlen: number }[];
        }[];
        return out
          .filter((l) => l.ifname !== 'lo')
          .map((l) => ({ name: l.ifname, addrs: l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), mac: l.address }));
      },
      bridge: async (networkId) => {
        const r = await spawnCapture('ip', ['-n', nodeNs, '-j', 'addr', 'show', 'dev', bridgeName(networkId)]);
        if (r.code !== 0) return undefined;
        const [l] = JSON.parse(r.stdout) as { addr_info: { family: string; local: string; prefixlen: number }[] }[];
        return (l?.addr_info ?? [])
          .filter((a) => a.family === 'inet')
          .map((a) => `${a.local}/${a.prefixlen}`)
          .sort();
      },
      leftovers: async () => {
        const links = (JSON.parse(await sh('ip', ['-n', nodeNs, '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== 'lo');
        const tables = (await sh('ip', ['netns', 'exec', nodeNs, 'nft', 'list', 'tables'])).split('\n').filter((l) => l.trim() !== '');
        const ports = portsOf.flatMap((p) => p.list().map((r) => `port ${r.port}/${r.protocol}`));
        return [...netnsWith(prefix).map((n) => `netns ${n}`), ...links.map((l) => `link ${l}`), ...tables, ...ports];
      },
      zones: () => Promise.resolve(zones),
      mtus: async (containerId) => {
        const out = JSON.parse(await sh('ip', ['-n', `${prefix}${containerId.slice(0, 12)}`, '-j', 'link', 'show'])) as { ifname: string; mtu: number }[];
        return out.filter((l) => l.ifname !== 'lo').sort((x, y) => x.ifname.localeCompare(y.ifname, 'en', { numeric: true })).map((l) => l.mtu);
      },
      overlay: (networkId) => overlayOf(nodeNs, networkId),
      bridgeMac: async (networkId) => {
        const r = await spawnCapture('ip', ['-n', nodeNs, '-j', 'link', 'show', 'dev', bridgeName(networkId)]);
        return r.code !== 0 ? undefined : (JSON.parse(r.stdout) as { address: string }[])[0]?.address;
      },
    },
    isolatedProcess: () => isolatedProcess(),
    reopen: () => {
      const ports = new PortReservations();
      portsOf.push(ports);
      const h = open(ports);
      hosts.push(h);
      return Promise.resolve(h);
    },
    cleanup: async () => {
      for (const h of hosts) await h.close();
      for (const p of portsOf) await p.releaseAll();
      await removeAll(tag);
      rmSync(execRoot, { recursive: true, force: true });
    },
  };
}

/** `unshare --net sleep`: a process in a private netns of its own (unshare execs sleep: same pid), killed by `stop`. */
async function isolatedProcess(): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore', detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    kill(child);
    await gone;
  };
  const deadline = Date.now() + 5000;
  for (;;) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      /* not there yet */
    }
    if (comm === 'sleep') return { pid, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`unshare --net sleep did not start (comm ${JSON.stringify(comm)})`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The VXLAN device of a network in `nodeNs` as the kernel lists it, for the contract's `probe.overlay`. Checks on
 * the way that the bridge holds the same entries (a static FDB entry to the VXLAN port per remote MAC, the same
 * permanent neighbours) and that nothing was learned: the only other FDB entry on the port is its own address.
 */
export async function overlayOf(nodeNs: string, networkId: string): Promise<OverlayProbe | undefined> {
  const dev = vxlanName(networkId);
  const br = bridgeName(networkId);
  const r = await spawnCapture('ip', ['-n', nodeNs, '-j', '-d', 'link', 'show', 'dev', dev]);
  if (r.code !== 0) return undefined;
  const [link] = JSON.parse(r.stdout) as { mtu: number; master?: string; address: string; linkinfo: { info_data: { id: number; port: number; local?: string; learning: boolean; proxy: boolean } } }[];
  assert.ok(link !== undefined);
  assert.equal(link.master, br, `${dev} is a port of ${br}`);
  assert.equal(link.linkinfo.info_data.learning, false, 'nolearning');
  assert.equal(link.linkinfo.info_data.proxy, true, 'proxy');
  const fdb = JSON.parse(await sh('bridge', ['-n', nodeNs, '-j', 'fdb', 'show', 'dev', dev])) as { mac: string; dst?: string; master?: string; flags: string[]; state: string }[];
  const self = fdb.filter((f) => f.flags.includes('self'));
  const master = fdb.filter((f) => !f.flags.includes('self'));
  assert.ok(self.every((f) => f.state === 'permanent' && f.dst !== undefined), JSON.stringify(self));
  assert.deepEqual(
    master.filter((f) => f.mac !== link.address).map((f) => `${f.mac} ${f.state}`).sort(),
    self.map((f) => `${f.mac} static`).sort(),
    'the bridge forwards exactly the remote MACs to the VXLAN port, and learned nothing',
  );
  const neigh = (d: string): Promise<string[]> =>
    sh('ip', ['-n', nodeNs, '-j', 'neigh', 'show', 'dev', d]).then((o) =>
      (JSON.parse(o) as { dst: string; lladdr?: string; state: string[] }[]).filter((n) => n.state.includes('PERMANENT')).map((n) => `${n.dst} ${n.lladdr ?? ''}`).sort(),
    );
  const onDevice = await neigh(dev);
  assert.deepEqual(await neigh(br), onDevice, 'the bridge has the same neighbour entries');
  const [bridge] = JSON.parse(await sh('ip', ['-n', nodeNs, '-j', 'link', 'show', 'dev', br])) as { address: string }[];
  return {
    vni: link.linkinfo.info_data.id,
    port: link.linkinfo.info_data.port,
    local: link.linkinfo.info_data.local,
    mtu: link.mtu,
    fdb: self.map((f) => `${f.mac} ${f.dst ?? ''}`).sort(),
    neigh: onDevice,
    bridgeMac: bridge?.address,
  };
}

networkContract('HostNetwork (kernel)', makeHarness);

/** Spawns `ip netns exec NS python3 -c CODE`; resolves once it prints `ready`. */
function python(ns: string, code: string): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-u', '-c', code], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve({ child, output: () => out });
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (c) => {
      if (!out.includes('ready\n')) reject(new Error(`python exited ${String(c)}: ${err}`));
    });
  });
}

function kill(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function withReal(fn: (h: RealHarness) => Promise<void>): Promise<void> {
  const h = await makeHarness();
  try {
    await fn(h);
  } finally {
    await h.cleanup();
  }
}

describe('HostNetwork on the kernel', () => {
  it('two sandboxes on one bridge ping each other, with the default route via the gateway', () =>
    withReal(async ({ host, prefix }) => {
      const net = aNetwork(1);
      const one = aRequest([net], 5);
      const two = aRequest([net], 6);
      await host.createSandbox(one);
      await host.createSandbox(two);
      const out = await sh('ip', ['netns', 'exec', `${prefix}${one.containerId.slice(0, 12)}`, 'busybox', 'ping', '-c', '1', '-W', '2', '10.77.1.6']);
      assert.match(out, /1 packets received/);
      const route = await sh('ip', ['-n', `${prefix}${one.containerId.slice(0, 12)}`, 'route', 'show', 'default']);
      assert.match(route, /default via 10\.77\.1\.1 dev eth0/);
    }));

  it('a DNS query to 127.0.0.11 reaches the gateway of the first network, from the container address', () =>
    withReal(async ({ host, prefix, nodeNs }) => {
      const a = aNetwork(1);
      const b = aNetwork(2);
      const req = aRequest([a, b], 5);
      const sb = await host.createSandbox(req);
      assert.match(sb.resolvConf, /^nameserver 127\.0\.0\.11$/m);
      let server: ChildProcess | undefined;
      try {
        const s = await python(
          nodeNs,
          "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.77.1.1',53))\nprint('ready')\nd,a=s.recvfrom(512)\nprint('from',a[0])\ns.sendto(b'answer:'+d,a)\n",
        );
        server = s.child;
        const out = await sh('ip', [
          'netns',
          'exec',
          `${prefix}${req.containerId.slice(0, 12)}`,
          'python3',
          '-c',
          "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(5)\ns.sendto(b'q',('127.0.0.11',53))\nd,a=s.recvfrom(512)\nprint(d.decode(),a[0],a[1])\n",
        ]);
        assert.equal(out.trim(), 'answer:q 127.0.0.11 53');
        assert.match(s.output(), /from 10\.77\.1\.5/);
      } finally {
        kill(server);
      }
    }));

  it('a VIP in the view reaches a task through the node ruleset', () =>
    withReal(async ({ host, prefix }) => {
      const net = aNetwork(1);
      const client = aRequest([net], 5);
      const task = aRequest([net], 6);
      await host.createSandbox(client);
      await host.createSandbox(task);
      await host.applyView(
        {
          networks: [
            {
              network: storedNetwork(net),
              nodeAddr: '10.77.1.3/24',
              services: [{ id: 's', name: 'web', aliases: [], mode: 'vip', vip: '10.77.1.2', ports: [], tasks: [{ id: 't', name: 'web.1.t', addr: '10.77.1.6', nodeId: 'n1' }] }],
            },
          ],
        },
        'n1',
      );
      let server: ChildProcess | undefined;
      try {
        const s = await python(
          `${prefix}${task.containerId.slice(0, 12)}`,
          "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',8080))\ns.listen()\nprint('ready')\nc,a=s.accept()\nc.sendall(('peer '+a[0]).encode())\nc.close()\n",
        );
        server = s.child;
        const out = await sh('ip', [
          'netns',
          'exec',
          `${prefix}${client.containerId.slice(0, 12)}`,
          'python3',
          '-c',
          "import socket\nc=socket.create_connection(('10.77.1.2',8080),timeout=5)\nprint(c.recv(100).decode())\n",
        ]);
        assert.equal(out.trim(), 'peer 10.77.1.3', 'the task sees the node LB address (SNAT)');
      } finally {
        kill(server);
      }
    }));

  it('an empty view after a swarm one (the node left its swarm) leaves no bridge and no node table', () =>
    withReal(async ({ host, probe }) => {
      const net = aNetwork(1);
      await host.applyView({ networks: [{ network: storedNetwork(net), nodeAddr: '10.77.1.3/24', services: [] }] }, 'n1');
      assert.ok((await probe.leftovers()).some((l) => l.includes('shoal_test')), 'the node table exists while the view has a network');
      await host.applyView({ networks: [] }, 'n1');
      assert.deepEqual(await probe.leftovers(), []);
    }));

  it('connect and disconnect move the default route and the DNS table with the endpoints, and traffic flows at once', () =>
    withReal(async ({ host, prefix }) => {
      const a = aNetwork(1, { internal: true });
      const b = aNetwork(2);
      const c = aNetwork(3);
      const req = aRequest([a], 5);
      const peer = aRequest([b], 6);
      await host.createSandbox(req);
      await host.createSandbox(peer);
      const ns = `${prefix}${req.containerId.slice(0, 12)}`;
      const route = async (): Promise<string> => (await sh('ip', ['-n', ns, 'route', 'show', 'default'])).trim();
      const dns = async (): Promise<string> => {
        const r = await spawnCapture('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'shoal-dns']);
        return r.code === 0 ? r.stdout : '';
      };
      assert.equal(await route(), '', 'an internal network gives no default route');
      await host.connectSandbox(req.containerId, anEndpoint(b, 5));
      assert.match(await route(), /^default via 10\.77\.2\.1 dev eth1/);
      assert.match(await dns(), /dnat to 10\.77\.1\.1:53/, 'DNS still goes through the first network');
      const ping = await sh('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-c', '1', '-W', '2', '10.77.2.6']);
      assert.match(ping, /1 packets received/);
      await host.disconnectSandbox(req.containerId, a.id);
      assert.match(await dns(), /dnat to 10\.77\.2\.1:53/);
      assert.match(await dns(), /snat to 10\.77\.2\.5/);
      await host.connectSandbox(req.containerId, anEndpoint(c, 5));
      assert.match(await route(), /^default via 10\.77\.2\.1 dev eth1/, 'the route stays with the first routed network');
      await host.disconnectSandbox(req.containerId, b.id);
      assert.match(await route(), /^default via 10\.77\.3\.1 dev eth0/);
      assert.match(await dns(), /dnat to 10\.77\.3\.1:53/);
      await host.disconnectSandbox(req.containerId, c.id);
      assert.equal(await route(), '');
      assert.equal(await dns(), '', 'no endpoint, no DNS table');
      assert.deepEqual((await sh('ip', ['-n', ns, '-o', 'link', 'show'])).split('\n').filter((l) => l.trim() !== '').map((l) => l.split(':')[1]?.trim()), ['lo']);
    }));

  it('adopts a running process\'s own netns: it gets the interface, reaches a sandbox, and keeps its netns after removal', () =>
    withReal(async (h) => {
      const { host } = h;
      const a = aNetwork(1);
      const peer = aRequest([a], 6);
      await host.createSandbox(peer);
      const p = await h.isolatedProcess();
      try {
        const id = aRequest([a], 7).containerId;
        await host.connectSandbox(id, anEndpoint(a, 7), { pid: p.pid, hostname: 'adopted' });
        const inside = (...args: string[]): Promise<string> => sh('nsenter', ['-t', String(p.pid), '-n', ...args]);
        assert.match(await inside('ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'), /inet 10\.77\.1\.7\/24/);
        assert.match(await inside('busybox', 'ping', '-c', '1', '-W', '2', '10.77.1.6'), /1 packets received/);
        await host.removeSandbox(id);
        assert.doesNotMatch(await inside('ip', '-o', 'link', 'show'), /eth0/, 'its interface goes with the sandbox');
        assert.match(await inside('ip', '-o', 'link', 'show'), /lo/, 'the process keeps its own netns');
      } finally {
        await p.stop();
      }
    }));

  it('a wiring that fails part-way leaves no netns, veth, record or port behind', () =>
    withReal(async ({ host, prefix, nodeNs, probe }) => {
      const net = aNetwork(1);
      const port = 20000 + Math.floor(Math.random() * 20000);
      const req = aRequest([net, aNetwork(2)], 5, { hostPorts: [{ protocol: 'tcp', published: port, target: 80 }] });
      // A foreign link with the name of the second endpoint's veth makes the node-side batch fail.
      await sh('ip', ['-n', nodeNs, 'link', 'add', `v${req.containerId.slice(0, 12)}1`, 'type', 'bridge']);
      await assert.rejects(host.createSandbox(req), /File exists/);
      assert.deepEqual(netnsWith(prefix), []);
      assert.deepEqual(await host.sandboxes(), []);
      assert.deepEqual(
        (await probe.leftovers()).filter((l) => l.startsWith('link v') || l.startsWith('port') || l.startsWith('netns')),
        [`link v${req.containerId.slice(0, 12)}1`],
      );
      await sh('ip', ['-n', nodeNs, 'link', 'del', `v${req.containerId.slice(0, 12)}1`]);
      await host.createSandbox(req);
      assert.deepEqual(await host.sandboxes(), [req.containerId]);
    }));

  it('a connect that fails part-way leaves the sandbox as it was, and an adoption that fails leaves nothing', () =>
    withReal(async ({ host, prefix, nodeNs, probe }) => {
      const a = aNetwork(1);
      const b = aNetwork(2);
      const req = aRequest([a], 5);
      await host.createSandbox(req);
      // A foreign link with the name of the next veth makes the node-side batch fail.
      const veth = `v${req.containerId.slice(0, 12)}1`;
      await sh('ip', ['-n', nodeNs, 'link', 'add', veth, 'type', 'bridge']);
      await assert.rejects(host.connectSandbox(req.containerId, anEndpoint(b, 5)), /File exists/);
      assert.deepEqual((await probe.interfaces(req.containerId)).map((i) => i.name), ['eth0']);
      await sh('ip', ['-n', nodeNs, 'link', 'del', veth]);
      await host.connectSandbox(req.containerId, anEndpoint(b, 5));
      assert.deepEqual((await probe.interfaces(req.containerId)).map((i) => i.name).sort(), ['eth0', 'eth1'], 'the record did not take the failed endpoint');
      // No such process: `ip netns attach` fails, and nothing of the adoption is left.
      const id = aRequest([a], 7).containerId;
      await assert.rejects(host.connectSandbox(id, anEndpoint(a, 7), { pid: 2 ** 22 + 1, hostname: 'gone' }), /connect sandbox/);
      assert.deepEqual(await host.sandboxes(), [req.containerId]);
      assert.deepEqual(netnsWith(prefix), [`${prefix}${req.containerId.slice(0, 12)}`]);
      assert.deepEqual((await probe.leftovers()).filter((l) => l.startsWith(`link v${id.slice(0, 12)}`)), []);
    }));

  it('wires a container in one spawn: cost per sandbox, and teardown leaves no veth, bridge, netns or table', () =>
    withReal(async (h) => {
      const net = aNetwork(1);
      await h.host.createSandbox(aRequest([net], 4));
      const times: number[] = [];
      for (let i = 10; i < 20; i++) {
        const t0 = performance.now();
        await h.host.createSandbox(aRequest([net], i));
        times.push(performance.now() - t0);
      }
      times.sort((x, y) => x - y);
      const wired = h.records.filter((r) => r.msg === 'sandbox wired').map((r) => (r.obj as { ms: number }).ms);
      assert.equal(wired.length, 11);
      console.log(`# sandbox wiring: createSandbox p50 ${times[5]?.toFixed(1)} ms, max ${times[9]?.toFixed(1)} ms (the sh -c spawn alone: p50 ${wired.sort((x, y) => x - y)[5]} ms)`);
      await h.host.applyView({ networks: [{ network: storedNetwork(aNetwork(2)), nodeAddr: '10.77.2.3/24', services: [] }] }, 'n1');
      assert.equal((await h.host.sandboxes()).length, 11);
      await h.host.teardown();
      assert.deepEqual(await h.probe.leftovers(), []);
      assert.deepEqual(netnsWith(h.prefix), []);
      const links = JSON.parse(await sh('ip', ['-n', h.nodeNs, '-j', 'link', 'show'])) as { ifname: string }[];
      assert.deepEqual(
        links.map((l) => l.ifname),
        ['lo'],
      );
      assert.equal((await sh('ip', ['netns', 'exec', h.nodeNs, 'nft', 'list', 'tables'])).trim(), '');
    }));
});

