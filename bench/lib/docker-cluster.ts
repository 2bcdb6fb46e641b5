/**
 * A real Docker swarm of N nodes on one machine, the same shape as `shoal lab` (docs/design/cluster.md "The lab"):
 * a bridge `shbc<6 hex>` in the root netns with `10.212.<x>.254/24` (the first /24 of 10.212.0.0/16 the host does not
 * route or address: Shoal's labs take theirs from 10.213.0.0 up, so the two never race for one), and per node a
 * netns of ours (bench/lib/netns.ts) joined to the bridge by a veth (`shbc<hex>-<i>` on the bridge ↔ `eth0` inside)
 * with `10.212.<x>.<i>/24` and a default route via `.254`. Each node runs its own dockerd (bench/lib/dockerd.ts:
 * Debian's docker.io, own roots, socket and cgroup parent, `--bridge=none --iptables=false --ip-masq=false
 * --ip-forward=false`) started inside its netns, so everything swarm makes (docker_gwbridge, the ingress sandbox,
 * VXLAN devices) lives in that netns and goes with it. Node 1 runs `swarm init --advertise-addr <its address>`, the
 * others `swarm join --token <worker token> <node 1>:2377`; `start` returns when every node is Ready.
 *
 * `partition(i)`/`heal(i)` set node i's root-side veth down and up, as `shoal lab partition/heal` do. `stop()` heals,
 * stops every dockerd (swarm leave, containers removed, processes by PID, mounts, cgroups), deletes the netns (their
 * veths go with them) and the bridge, and says what it could not remove. A `start` that fails stops what it made.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { firstFreeSubnet, formatIp, parseCidr } from '../../src/lib/cidr.js';
import { hostTaken } from '../../src/lab/network.js';
import type { RunResult } from '../../test/harness/daemon.js';
import type { TestDockerd } from './dockerd.js';
import { BenchNetns, startDockerdIn } from './netns.js';

export interface DockerClusterNode {
  /** 1-based. */
  readonly index: number;
  readonly addr: string;
  readonly netns: BenchNetns;
  /** The root-side end of its veth. */
  readonly veth: string;
  readonly dockerd: TestDockerd;
  /** The swarm node ID (`docker info`'s Swarm.NodeID). */
  nodeId: string;
}

function ip(args: string[], input?: string): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000, ...(input === undefined ? {} : { input }) });
  return { ok: r.status === 0, err: (r.stderr ?? '').trim() };
}

function must(args: string[], input?: string): void {
  const r = ip(args, input);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.err}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const linkExists = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

export class DockerCluster {
  readonly nodes: DockerClusterNode[] = [];
  private stopped = false;
  private readonly netnsList: BenchNetns[] = [];
  private bridgeMade = false;

  private constructor(
    readonly id: string,
    readonly bridge: string,
    readonly subnet: string,
    readonly gateway: string,
  ) {}

  /** Makes the network, starts the dockerds, forms the swarm; `say` gets progress lines. */
  static async start(o: { nodes: number; netnsPrefix: string; signal: AbortSignal; say: (line: string) => void; heartbeat?: string }): Promise<DockerCluster> {
    const pool = parseCidr('10.212.0.0/16');
    if (pool === undefined) throw new Error('bad pool');
    const free = firstFreeSubnet(pool, 24, (await hostTaken()).filter((t) => t.len > 0));
    if (free === undefined) throw new Error('no free /24 in 10.212.0.0/16 for the Docker cluster bridge');
    const id = randomBytes(3).toString('hex');
    const c = new DockerCluster(id, `shbc${id}`, `${formatIp(free.base)}/24`, formatIp(free.base + 254));
    try {
      await c.build(o, free.base);
      return c;
    } catch (e) {
      const problems = await c.stop();
      throw new Error(`${e instanceof Error ? e.message : String(e)}${problems.length > 0 ? `\ncleanup: ${problems.join('; ')}` : ''}`);
    }
  }

  private async build(o: { nodes: number; netnsPrefix: string; signal: AbortSignal; say: (line: string) => void; heartbeat?: string }, base: number): Promise<void> {
    const check = (): void => {
      if (o.signal.aborted) throw o.signal.reason as Error;
    };
    o.say(`docker: bridge ${this.bridge} (${this.gateway}/24), ${o.nodes} netns`);
    must(['-batch', '-'], [`link add ${this.bridge} type bridge`, `addr add ${this.gateway}/24 dev ${this.bridge}`, `link set ${this.bridge} up`].join('\n') + '\n');
    this.bridgeMade = true;
    const made: { index: number; addr: string; netns: BenchNetns; veth: string }[] = [];
    for (let i = 1; i <= o.nodes; i++) {
      const netns = BenchNetns.create(o.netnsPrefix);
      this.netnsList.push(netns);
      const veth = `shbc${this.id}-${i}`;
      const addr = formatIp(base + i);
      must(['-batch', '-'], [`link add ${veth} type veth peer name eth0 netns ${netns.name}`, `link set ${veth} master ${this.bridge}`, `link set ${veth} up`].join('\n') + '\n');
      must(['-n', netns.name, '-batch', '-'], [`addr add ${addr}/24 dev eth0`, 'link set eth0 up', `route add default via ${this.gateway}`].join('\n') + '\n');
      made.push({ index: i, addr, netns, veth });
    }
    check();
    o.say(`docker: starting ${o.nodes} dockerd, one in each netns`);
    // startDockerdIn swaps PATH only around a synchronous spawn, so the starts may overlap.
    const started = await Promise.allSettled(made.map((m) => startDockerdIn(m.netns)));
    for (const [k, s] of started.entries()) {
      const m = made[k];
      if (s.status === 'fulfilled' && m !== undefined) this.nodes.push({ ...m, dockerd: s.value, nodeId: '' });
    }
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    check();
    const [first, ...rest] = this.nodes;
    if (first === undefined) throw new Error('no nodes');
    o.say(`docker: node1: swarm init --advertise-addr ${first.addr}`);
    await this.must(first, ['swarm', 'init', '--advertise-addr', first.addr, '--listen-addr', `${first.addr}:2377`, ...(o.heartbeat === undefined ? [] : ['--dispatcher-heartbeat', o.heartbeat])], 60_000);
    const token = (await this.must(first, ['swarm', 'join-token', '-q', 'worker'], 30_000)).stdout.trim();
    o.say(`docker: ${rest.map((n) => `node${n.index}`).join(', ')}: swarm join ${first.addr}:2377`);
    await Promise.all(rest.map((n) => this.must(n, ['swarm', 'join', '--token', token, '--advertise-addr', n.addr, '--listen-addr', `${n.addr}:2377`, `${first.addr}:2377`], 60_000)));
    for (const n of this.nodes) n.nodeId = (await this.must(n, ['info', '--format', '{{.Swarm.NodeID}}'], 30_000)).stdout.trim();
    const deadline = Date.now() + 60_000;
    for (;;) {
      check();
      const ls = await this.must(first, ['node', 'ls', '--format', '{{.ID}} {{.Status}}'], 30_000);
      const ready = new Set(ls.stdout.split('\n').filter((l) => l.endsWith(' Ready')).map((l) => l.split(' ')[0]));
      if (this.nodes.every((n) => ready.has(n.nodeId))) return;
      if (Date.now() > deadline) throw new Error(`the Docker nodes were not all Ready within 60 s:\n${ls.stdout}`);
      await sleep(200);
    }
  }

  node(i: number): DockerClusterNode {
    const n = this.nodes.find((x) => x.index === i);
    if (n === undefined) throw new Error(`the Docker cluster has no node ${i}`);
    return n;
  }

  /** The docker CLI against node i. */
  docker(i: number, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return this.node(i).dockerd.docker(args, timeoutMs);
  }

  private async must(n: DockerClusterNode, args: string[], timeoutMs: number): Promise<RunResult> {
    const r = await n.dockerd.docker(args, timeoutMs);
    if (r.code !== 0) throw new Error(`docker node${n.index}: docker ${args.join(' ')} failed (${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')}`);
    return r;
  }

  partition(i: number): void {
    must(['link', 'set', 'dev', this.node(i).veth, 'down']);
  }

  heal(i: number): void {
    must(['link', 'set', 'dev', this.node(i).veth, 'up']);
  }

  /** Everything this cluster's engines run, for a last-resort kill. */
  emergencyStop(): void {
    for (const n of this.nodes) n.dockerd.emergencyStop();
    for (const ns of this.netnsList) ns.delete();
    if (this.bridgeMade) ip(['link', 'del', 'dev', this.bridge]);
  }

  /** Stops and removes everything (idempotent); what could not be removed. */
  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    const problems: string[] = [];
    for (const n of this.nodes) ip(['link', 'set', 'dev', n.veth, 'up']);
    // Workers first, so the manager does not wait on them while it leaves.
    const order = [...this.nodes].sort((a, b) => b.index - a.index);
    for (const n of order) problems.push(...(await n.dockerd.stop()).map((p) => `docker node${n.index}: ${p}`));
    // Deleting a netns frees its veths only once the kernel has torn it down; deleting them first is synchronous.
    for (const n of this.nodes) ip(['link', 'del', 'dev', n.veth]);
    for (const ns of this.netnsList) problems.push(...ns.delete());
    const veths = this.netnsList.map((_, k) => `shbc${this.id}-${k + 1}`);
    const deadline = Date.now() + 10_000;
    let left = veths.filter(linkExists);
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(100);
      left = veths.filter(linkExists);
    }
    if (left.length > 0) problems.push(`links left: ${left.join(', ')}`);
    if (this.bridgeMade) {
      const r = ip(['link', 'del', 'dev', this.bridge]);
      if (!r.ok && !/Cannot find device/.test(r.err)) problems.push(`ip link del ${this.bridge} failed: ${r.err}`);
    }
    return problems;
  }
}
