/**
 * End to end on the real kernel: `shoal lab` (docs/design/cluster.md "The lab") through the bundled CLI. A 3-node
 * lab comes up (3 daemons in 3 netns, node 1 the manager, 3 Ready nodes through node 1's socket), runs containers
 * and a service, is listed, exec'd into, partitioned (node 3 Down within 3 × heartbeat) and healed (Ready again),
 * and `lab down` leaves no netns, link, mount, cgroup, process or file. Bad input is refused before anything is
 * made; a `lab up` that fails halfway removes what it made and says why. Then the test harness (startLab) itself.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { labDown, type LabState } from '../../src/lab/index.js';
import { cgroupParentOf, DEFAULT_BASES, labDataDir, labExecDir, nodeNetnsPrefix } from '../../src/lab/names.js';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, SHOAL_BUNDLE, type RunResult } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { startLab, uniqueLabName } from '../harness/lab.js';

const until = untilWithin(60_000);
const lab = (...args: string[]): Promise<RunResult> => run(process.execPath, [SHOAL_BUNDLE, 'lab', ...args], { timeoutMs: 120_000 });
const dockerOn = (socket: string, ...args: string[]): Promise<RunResult> => run('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` } });

function readState(name: string): LabState {
  return JSON.parse(readFileSync(`${labExecDir(DEFAULT_BASES, name)}/lab.json`, 'utf8')) as LabState;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function netnsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  return r.stdout.split('\n').filter((x) => /^\d+$/.test(x)).map(Number);
}

/** Everything of lab `name` still on the host: netns, links, mounts, cgroups, roots, and the given processes. */
async function leftovers(name: string, pids: readonly number[], containerPrefixes: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  for (const ns of netns) if (ns.startsWith(nodeNetnsPrefix(name)) || containerPrefixes.some((p) => ns.startsWith(p))) left.push(`netns ${ns}`);
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout || '[]') as { ifname: string }[];
  for (const l of links) if (l.ifname === `shlab-${name}` || l.ifname.startsWith(`shl${name}-`)) left.push(`link ${l.ifname}`);
  const roots = [labDataDir(DEFAULT_BASES, name), labExecDir(DEFAULT_BASES, name)];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const m = line.split(' ')[4] ?? '';
    if (roots.some((r) => m === r || m.startsWith(`${r}/`))) left.push(`mount ${m}`);
  }
  for (const h of readdirSync('/sys/fs/cgroup')) {
    for (let i = 1; i <= 9; i++) if (existsSync(`/sys/fs/cgroup/${h}/${cgroupParentOf(name, i)}`)) left.push(`cgroup ${h}/${cgroupParentOf(name, i)}`);
  }
  for (const r of roots) if (existsSync(r)) left.push(r);
  for (const p of pids) if (alive(p)) left.push(`process ${p} (${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')})`);
  return left;
}

/** A TCP connection from a node's netns (2 s at most); exit 0 when it connects. */
function reach(name: string, node: string, addr: string, port: number): Promise<RunResult> {
  return lab('exec', '--name', name, node, '--', 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${addr}/${port}`);
}

async function nodeStates(socket: string): Promise<Map<string, string>> {
  const out = ok(await dockerOn(socket, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}'), 'node ls');
  return new Map(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

describe('shoal lab: a 3-node cluster on one machine', { timeout: 600_000 }, () => {
  const name = uniqueLabName();
  let state: LabState;
  let node1Socket = '';
  /** Every process of the lab seen while it ran: daemons, conmons, containers. */
  const pids = new Set<number>();

  before(async () => {
    // Nothing of this name may exist before the test.
    assert.deepEqual(await leftovers(name, [], []), []);
  });
  after(async () => {
    // Whatever a failed test left behind.
    await labDown({ name }).catch(() => undefined);
  });

  it('lab up --nodes 3: three daemons in three netns, node 1 the manager, every node Ready', async () => {
    const t0 = Date.now();
    const up = await lab('up', '--nodes', '3', '--name', name, '--dispatcher-heartbeat', '1s');
    assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);
    console.log(`lab up --nodes 3 took ${Date.now() - t0} ms`);
    state = readState(name);
    assert.equal(state.nodes.length, 3);
    const [n1, n2, n3] = state.nodes;
    assert.ok(n1 && n2 && n3);
    node1Socket = n1.socket;
    assert.match(state.subnet, /^10\.(\d+)\.(\d+)\.0\/24$/);
    const net = state.subnet.replace(/\.0\/24$/, '');
    assert.deepEqual(
      state.nodes.map((n) => [n.name, n.addr, n.netns, n.socket]),
      [1, 2, 3].map((i) => [`node${i}`, `${net}.${i}`, `shlab-${name}-${i}`, `/run/shoal-lab/${name}/node${i}/docker.sock`]),
    );
    // The output names each node with its address and socket.
    for (const n of state.nodes) assert.match(up.stdout, new RegExp(`${n.name}\\s+${n.addr.replaceAll('.', '\\.')}\\s+(manager|worker)\\s+unix://${n.socket}`));
    // Three daemons, each in its own netns.
    for (const n of state.nodes) {
      assert.ok(n.pid !== undefined && alive(n.pid), `${n.name}'s daemon runs`);
      pids.add(n.pid);
      assert.ok((await netnsPids(n.netns)).includes(n.pid), `${n.name}'s netns holds its daemon`);
      assert.match(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8'), new RegExp(`daemon\0--data-root\0/var/lib/shoal-lab/${name}/${n.name}\0`));
    }
    // The cluster through node 1's socket: 3 Ready nodes, node 1 the leader, the others workers.
    const ls = ok(await dockerOn(n1.socket, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'), 'node ls');
    assert.deepEqual(ls.trim().split('\n').map((l) => l.trimEnd()).sort(), [`${name}-node1 Ready Leader`, `${name}-node2 Ready`, `${name}-node3 Ready`]);
    const info2 = ok(await dockerOn(n2.socket, 'info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'), 'info on node2');
    assert.equal(info2.trim(), 'active false');
    assert.equal(ok(await dockerOn(n1.socket, 'info', '--format', '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}'), 'info').trim(), '1s');
  });

  it('runs containers and a service across the nodes', async () => {
    const tar = (await buildImageTar('web')).path;
    for (const n of state.nodes) ok(await dockerOn(n.socket, 'load', '-i', tar), `load on ${n.name}`);
    const n2 = state.nodes[1];
    assert.ok(n2);
    ok(await dockerOn(n2.socket, 'run', '-d', '--name', 'solo', 'shoal-test/web:1'), 'docker run on node2');
    ok(await dockerOn(node1Socket, 'service', 'create', '-d', '--name', 'web', '--replicas', '4', 'shoal-test/web:1'), 'service create');
    await until('4 running tasks', async () => {
      const ps = ok(await dockerOn(node1Socket, 'service', 'ps', 'web', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}'), 'service ps');
      return ps.split('\n').filter((l) => l.startsWith('Running')).length === 4 ? true : undefined;
    });
    for (const n of state.nodes) for (const pid of await netnsPids(n.netns)) pids.add(pid);
    assert.ok(pids.size > 3, `conmon processes run in the nodes' netns (${[...pids].join(' ')})`);
  });

  it('lab ls lists the lab and its nodes, running', async () => {
    const out = ok(await lab('ls'), 'lab ls');
    assert.match(out, /^LAB\s+NODE\s+ADDRESS\s+PID\s+STATUS\s+SOCKET$/m);
    for (const n of state.nodes) assert.match(out, new RegExp(`^${name}\\s+${n.name}\\s+${n.addr.replaceAll('.', '\\.')}\\s+${n.pid}\\s+running\\s+unix://${n.socket}$`, 'm'));
    assert.match(ok(await lab('ls', '-q'), 'lab ls -q'), new RegExp(`^${name}$`, 'm'));
  });

  it("lab exec runs a command in the node's netns with DOCKER_HOST set to its socket", async () => {
    const n2 = state.nodes[1];
    assert.ok(n2);
    const addr = await lab('exec', '--name', name, 'node2', '--', 'ip', '-br', 'addr');
    assert.equal(addr.code, 0, addr.stderr);
    assert.match(addr.stdout, new RegExp(`^eth0@\\S+\\s+UP\\s+${n2.addr.replaceAll('.', '\\.')}/24`, 'm'));
    assert.doesNotMatch(addr.stdout, new RegExp(`${state.nodes[0]?.addr.replaceAll('.', '\\.')}/`));
    // The hostname form names the lab; the environment points clients at the node.
    const env = await lab('exec', `${name}-node2`, '--', 'sh', '-c', 'echo "$DOCKER_HOST $SHOAL_HOST"; exit 7');
    assert.equal(env.code, 7);
    assert.equal(env.stdout, `unix://${n2.socket} unix://${n2.socket}\n`);
    const ps = await lab('exec', '--name', name, '2', '--', 'docker', 'ps', '--format', '{{.Names}}');
    assert.match(ps.stdout, /^solo$/m);
  });

  it('lab partition node3 makes it Down within 3 × heartbeat; lab heal brings it back Ready', async () => {
    // The brief's way to set the period; lab up already set 1s, so this changes nothing the test depends on.
    ok(await dockerOn(node1Socket, 'swarm', 'update', '--dispatcher-heartbeat', '1s'), 'swarm update');
    const n3 = state.nodes[2];
    assert.ok(n3);
    assert.equal((await nodeStates(node1Socket)).get(n3.hostname), 'Ready');
    assert.equal((await reach(name, 'node3', `${state.nodes[0]?.addr}`, 2377)).code, 0, 'node3 reaches node1 before the partition');
    const cut = await lab('partition', '--name', name, 'node3');
    // The link goes down as the command ends: count from there (not from the CLI's own start-up).
    const t0 = Date.now();
    assert.equal(cut.code, 0, cut.stderr);
    assert.equal(cut.stdout, `node3 is cut off (link shl${name}-3 down)\n`);
    await until('node3 Down', async () => ((await nodeStates(node1Socket)).get(n3.hostname) === 'Down' ? true : undefined), 10_000);
    const downMs = Date.now() - t0;
    console.log(`partitioned node3 went Down after ${downMs} ms (heartbeat 1 s)`);
    assert.ok(downMs <= 3 * 1000 + 1500, `Down after ${downMs} ms, more than 3 × heartbeat (+1.5 s for polling)`);
    // Cut off for real: node 3 no longer reaches node 1's swarm port, which node 2 still reaches.
    assert.equal((await reach(name, 'node2', `${state.nodes[0]?.addr}`, 2377)).code, 0);
    assert.notEqual((await reach(name, 'node3', `${state.nodes[0]?.addr}`, 2377)).code, 0);
    assert.match(ok(await lab('ls'), 'lab ls'), new RegExp(`^${name}\\s+node3\\s+\\S+\\s+\\d+\\s+partitioned\\s`, 'm'));
    assert.equal(ok(await lab('partition', '--name', name, 'node3'), 'partition again'), 'node3 was already cut off\n');

    const t1 = Date.now();
    assert.equal(ok(await lab('heal', '--name', name, 'node3'), 'heal'), `node3 is back on the lab network (link shl${name}-3 up)\n`);
    await until('node3 Ready', async () => ((await nodeStates(node1Socket)).get(n3.hostname) === 'Ready' ? true : undefined), 60_000);
    console.log(`healed node3 was Ready again after ${Date.now() - t1} ms`);
    assert.equal(ok(await lab('heal', '--name', name, 'node3'), 'heal again'), 'node3 was not cut off\n');
  });

  it('refuses bad input before making anything', async () => {
    const cases: [string[], RegExp][] = [
      [['up', '--nodes', '0'], /invalid --nodes "0": must be a positive integer \(1 to 9\)/],
      [['up', '--nodes', 'three'], /invalid --nodes "three": must be a positive integer/],
      [['up', '--nodes', '2.5'], /invalid --nodes "2\.5"/],
      [['up', '--nodes', '10'], /--nodes 10 is too large: a lab has at most 9 nodes \(\d+ MiB of memory is available and a node needs about 200 MiB, so \d+ nodes fit\)/],
      [['up', '--nodes', '2', '--name', 'Lab-1'], /invalid lab name "Lab-1": use a lowercase letter, then lowercase letters and digits/],
      [['up', '--nodes', '2', '--name', 'labnameistoolong'], /invalid lab name "labnameistoolong": at most 9 characters/],
      [['up', '--nodes', '1', '--name', name], new RegExp(`lab name "${name}" is already in use \\(a lab with this name exists\\): remove it with "shoal lab down ${name}"`)],
      [['exec', '--name', name, 'node7', '--', 'true'], new RegExp(`lab "${name}" has no node "node7" \\(its nodes: node1, node2, node3\\)`)],
      [['exec', '--name', 'nosuchlab', 'node1', '--', 'true'], /no lab named "nosuchlab"/],
      [['exec', '--name', name, 'node1', '--'], /requires a command to run after the node/],
      [['partition', '--name', name, 'node4'], new RegExp(`lab "${name}" has no node "node4"`)],
      [['heal', '--name', name, 'x'], new RegExp(`lab "${name}" has no node "x"`)],
      [['down', 'nosuchlab'], /no lab named "nosuchlab"/],
      [['down', 'Bad_Name'], /invalid lab name "Bad_Name"/],
    ];
    for (const [args, text] of cases) {
      const r = await lab(...args);
      assert.notEqual(r.code, 0, `lab ${args.join(' ')} must fail`);
      assert.match(r.stderr, text, `lab ${args.join(' ')}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `lab ${args.join(' ')}: no stack trace`);
    }
    assert.ok(!existsSync(labExecDir(DEFAULT_BASES, 'nosuchlab')));
    // The refused `up` of a name in use left the lab as it was.
    assert.deepEqual([...(await nodeStates(node1Socket)).values()], ['Ready', 'Ready', 'Ready']);
  });

  it('refuses a name whose objects are left over, and lab down removes them by their names alone', async () => {
    const stale = uniqueLabName();
    try {
      ok(await run('ip', ['link', 'add', `shlab-${stale}`, 'type', 'bridge']), 'make a stale bridge');
      ok(await run('ip', ['netns', 'add', `shlab-${stale}-2`]), 'make a stale netns');
      const r = await lab('up', '--nodes', '1', '--name', stale);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`lab name "${stale}" is already in use \\(left over: link shlab-${stale}, netns shlab-${stale}-2\\): remove it with "shoal lab down ${stale}"`));
      const down = await lab('down', stale);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(await leftovers(stale, [], []), []);
    } finally {
      await run('ip', ['link', 'del', `shlab-${stale}`]);
      await run('ip', ['netns', 'del', `shlab-${stale}-2`]);
    }
  });

  it('lab down removes everything: containers, daemons, netns, links, mounts, cgroups, files', async () => {
    const containerPrefixes = state.nodes.map((n) => n.containerNetnsPrefix);
    for (const n of state.nodes) for (const pid of await netnsPids(n.netns)) pids.add(pid);
    const down = await lab('down', name);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`^Lab "${name}" removed \\(3 daemons, [1-9]\\d* containers?, `));
    assert.deepEqual(await leftovers(name, [...pids], containerPrefixes), []);
    assert.doesNotMatch(ok(await lab('ls', '-q'), 'lab ls'), new RegExp(`^${name}$`, 'm'));
    const again = await lab('down', name);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`no lab named "${name}"`));
  });

  it('a lab up that fails halfway removes what it made and says why', async () => {
    const bad = uniqueLabName();
    try {
      const r = await lab('up', '--nodes', '2', '--name', bad, '--daemon-arg=--log-level=loud');
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, new RegExp(`lab up "${bad}" failed: node\\d: the daemon exited \\(exit code 1\\) before it answered on /run/shoal-lab/${bad}/node\\d/docker\\.sock`));
      assert.match(r.stderr, /--log-level.*must be one of debug, info, warn, error, fatal/);
      assert.match(r.stderr, /\(everything it made was removed\)/);
      assert.deepEqual(await leftovers(bad, [], []), []);
    } finally {
      await labDown({ name: bad }).catch(() => undefined);
    }
  });
});

describe('lab down after a crash', { timeout: 120_000 }, () => {
  it("sweeps what a killed daemon's containers left: their netns, processes, mounts and cgroups", async () => {
    const l = await startLab({ nodes: 1 });
    try {
      const n = l.node(1);
      ok(await n.docker('load', '-i', (await buildImageTar('web')).path), 'load');
      ok(await n.docker('network', 'create', 'appnet'), 'network create');
      ok(await n.docker('run', '-d', '--network', 'appnet', '--name', 'web1', 'shoal-test/web:1'), 'run');
      const containerNetns = readdirSync('/run/netns').filter((ns) => ns.startsWith(n.state.containerNetnsPrefix));
      assert.equal(containerNetns.length, 1, 'the container has its netns');
      process.kill(n.pid, 'SIGKILL');
      await until('the daemon gone', () => Promise.resolve(alive(n.pid) ? undefined : true), 10_000);
      // What is left running: conmon in the node's netns, the container in its own.
      const orphans = [...(await netnsPids(n.state.netns)), ...(await netnsPids(containerNetns[0] ?? ''))];
      assert.ok(orphans.length >= 2, `conmon and the container outlive the daemon (${orphans.join(' ')})`);
      await l.down();
      assert.deepEqual(await leftovers(l.name, [n.pid, ...orphans], [n.state.containerNetnsPrefix]), []);
    } finally {
      await l.down().catch(() => undefined);
    }
  });
});

describe('the lab test harness', { timeout: 300_000 }, () => {
  it('startLab gives per-node runners, partition and heal, and removes everything on dispose', async () => {
    let name = '';
    let pidsSeen: number[] = [];
    let prefixes: string[] = [];
    {
      await using l = await startLab({ nodes: 2, heartbeatMs: 1000 });
      name = l.name;
      prefixes = l.state.nodes.map((n) => n.containerNetnsPrefix);
      pidsSeen = l.nodes.map((n) => n.pid);
      const ls = ok(await l.node(1).docker('node', 'ls', '--format', '{{.Hostname}} {{.Status}}'), 'node ls');
      assert.deepEqual(ls.trim().split('\n').sort(), [`${name}-node1 Ready`, `${name}-node2 Ready`]);
      assert.equal(ok(await l.node(2).shoal('info', '--format', '{{.Swarm.ControlAvailable}}'), 'info').trim(), 'false');
      assert.match(ok(await l.node(2).exec('ip', '-br', 'addr', 'show', 'eth0'), 'exec'), new RegExp(l.node(2).addr.replaceAll('.', '\\.')));
      assert.throws(() => l.node(3), /has no node 3/);
      await l.partition(2);
      await until('node2 Down', async () => ((await nodeStates(l.node(1).socket)).get(`${name}-node2`) === 'Down' ? true : undefined), 10_000);
      await l.heal(2);
      await until('node2 Ready', async () => ((await nodeStates(l.node(1).socket)).get(`${name}-node2`) === 'Ready' ? true : undefined), 60_000);
    }
    assert.deepEqual(await leftovers(name, pidsSeen, prefixes), []);
  });

  it('disposes the lab even when the test body throws', async () => {
    let name = '';
    let pidsSeen: number[] = [];
    await assert.rejects(async () => {
      await using l = await startLab({ nodes: 1 });
      name = l.name;
      pidsSeen = l.nodes.map((n) => n.pid);
      throw new Error('the test failed');
    }, /the test failed/);
    assert.notEqual(name, '');
    assert.deepEqual(await leftovers(name, pidsSeen, []), []);
  });
});
