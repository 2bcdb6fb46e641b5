/**
 * bench/cluster: a 3-node Shoal cluster against a 3-node Docker swarm on this machine, in the same run, with the
 * numbers of both and their ratios (issue 7). Run as root: `npm run bench:cluster -- [--runs 3] [--duration 5]`.
 *
 * Shoal is a `shoal lab` (src/lab through test/harness/lab.ts: a netns, an address on a private bridge and a
 * `shoal daemon` per node, node 1 inits, the others join with the worker token; embedded DNS upstream 127.0.0.1:9 so
 * no query leaves the machine). Docker is the same shape (bench/lib/docker-cluster.ts): three dockerd (Debian's
 * docker.io, `--bridge=none --iptables=false --ip-masq=false --ip-forward=false`: swarm, its overlay and its
 * VXLAN work without them, and nothing lands in the host's iptables) in three netns on a bridge of their own, `swarm
 * init` on node 1 and `swarm join` on the others. One engine's cluster at a time, Shoal first; `shoal-test/web:1` and
 * `shoal-test/misbehave:1` (test/fixtures/images/build.ts) are loaded with `docker load` on every node (not timed).
 * Every service is created with the docker CLI against node 1 on both engines; states are polled through node 1's
 * socket (`GET /tasks`, `GET /nodes`) and each node's own socket (`GET /containers/json`), every --poll-ms.
 *
 * 1. stack: `stack deploy --resolve-image never` of examples/getting-started/docker-compose.yml, ports kept, with
 *    the engine's own CLI (`shoal stack deploy` / `docker stack deploy`) until 5/5 web tasks run (and then the
 *    monitor), then `stack rm` until no container of the stack is left on any node.
 * 2. mesh: a service of 3 web tasks on an overlay network publishing 8080:80 (one task per node). From the root
 *    netns, through the cluster's bridge: 30 single GETs to node 1's address on 8080 say which nodes' tasks answer,
 *    then `wrk` for --duration seconds. "direct" is the same against the overlay address of the task on node 1,
 *    from node 1's netns: a task's overlay address is not reachable from outside its node on either engine (Shoal
 *    drops forwarded traffic into overlay bridges, as Docker isolates its overlays). A path whose single GETs fail is
 *    not measured: it prints `n/a: <why>` (Docker's routing mesh needs IPVS, which this kernel lacks). busybox httpd
 *    ends each connection after one answer, so wrk counts a socket error per request; req/s are answers per second.
 * 3. failover: a service of 6 replicas (2 per node); node 3's link to the bridge goes down (partition) and the clock
 *    runs until 6 tasks run on nodes 1 and 2 (the time node 3 was seen Down is kept too); then it heals, and the run
 *    ends when node 3 runs none of the service's containers and exactly 6 run in all. --runs times with the default
 *    5 s heartbeat, then --runs times after `swarm update --dispatcher-heartbeat 1s` (and one old period's wait, so
 *    every agent has the new period). Median and each run are printed.
 * Every phase is bounded by --phase-timeout (it gives up and says so) and the run by --timeout; progress goes to
 * stderr; stdout gets the table and, last, one JSON line. Both clusters (daemons by PID, netns, links, mounts,
 * cgroups) are removed in `finally`; a watchdog kills what is left if that cleanup hangs.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { labDown } from '../src/lab/index.js';
import { saveImages } from '../test/fixtures/images/build.js';
import { REPO, run, SHOAL_BUNDLE } from '../test/harness/daemon.js';
import type { RunResult } from '../test/harness/daemon.js';
import { startLab } from '../test/harness/lab.js';
import type { TestLab } from '../test/harness/lab.js';
import { containerAddr, httpGet, nodeStates, runningByNode, serviceContainers, swarmNodeId } from './lib/cluster-probes.js';
import { ENGINE_RUN_OPTIONS, ensureBundle, engineRunOptions, firstLine, intOption, progress } from './lib/common.js';
import type { EngineName } from './lib/common.js';
import { DockerCluster } from './lib/docker-cluster.js';
import { dockerdVersion, ensureDockerd } from './lib/dockerd.js';
import { netnsWithPrefix } from './lib/netns.js';
import { bounded } from './lib/shoal-start.js';
import { containersWithLabel, stackProgress } from './lib/stack-probes.js';

const USAGE = `usage: node --import tsx bench/cluster.ts [options]   (as root)
  --only ENGINE     run only shoal or only docker (no ratios then)
  --part LIST       comma-separated parts: stack, mesh, failover (default all three)
  --runs N          failover runs per heartbeat setting (default 3, 1..10)
  --duration S      seconds per wrk run (default 5, 1..60)
  --connections C   wrk connections (default 32, 1..1000)
  --threads T       wrk threads (default 2, 1..16)
  --poll-ms P       poll interval (default 100, 20..1000)
  --phase-timeout S give up on one phase after S seconds (default 120, 10..600)
  --timeout S       overall bound in seconds (default 1800, 120..3600)
  --no-install      fail instead of installing docker.io when missing
  --build           run \`npm run build\` first (otherwise only when dist/shoal.cjs is missing)
  --help`;

type Part = 'stack' | 'mesh' | 'failover';
const PARTS: readonly Part[] = ['stack', 'mesh', 'failover'];

interface Options {
  engines: EngineName[];
  parts: Part[];
  runs: number;
  duration: number;
  connections: number;
  threads: number;
  pollMs: number;
  phaseTimeoutS: number;
  timeoutS: number;
  install: boolean;
  build: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...ENGINE_RUN_OPTIONS,
      part: { type: 'string' },
      runs: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
    },
    strict: true,
  });
  const run = engineRunOptions(values, USAGE, { engines: ['shoal', 'docker'], phaseTimeoutS: [120, 10, 600], timeoutS: [1800, 120, 3600] });
  const { part } = values;
  const parts = part === undefined ? [...PARTS] : part.split(',').map((p) => p.trim());
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--part takes ${PARTS.join(', ')} (comma-separated), not ${p}`);
  return {
    ...run,
    parts: PARTS.filter((p) => parts.includes(p)),
    runs: intOption(values.runs, 'runs', 3, 1, 10),
    duration: intOption(values.duration, 'duration', 5, 1, 60),
    connections: intOption(values.connections, 'connections', 32, 1, 1000),
    threads: intOption(values.threads, 'threads', 2, 1, 16),
  };
}

const NODES = 3;
/** The node that fails. */
const VICTIM = 3;
const STACK = 'gs';
const STACK_FILE = join(REPO, 'examples/getting-started/docker-compose.yml');
const WEB_REPLICAS = 5;
const FAILOVER_REPLICAS = 6;
const MESH_PORT = 8080;
const MESH_NET = 'benchmesh';
const HEARTBEATS = [
  { label: '5s', ms: 5000 },
  { label: '1s', ms: 1000 },
] as const;
const DOCKER_NETNS_PREFIX = 'shoal-bench-cluster';
const SHOAL_VERSION = `shoal ${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ClusterNode {
  index: number;
  addr: string;
  socket: string;
  nodeId: string;
  /** The node's network namespace. */
  netns: string;
}

/** One engine's 3-node cluster, driven the same way whatever the engine. */
interface Cluster {
  readonly name: EngineName;
  readonly version: string;
  readonly nodes: ClusterNode[];
  /** The docker CLI against node i. */
  docker(i: number, args: readonly string[], timeoutMs: number): Promise<RunResult>;
  /** The engine's own stack CLI against node 1. */
  stack(args: readonly string[], timeoutMs: number): Promise<RunResult>;
  readonly stackCommand: string;
  /** `swarm update --dispatcher-heartbeat` with the engine's own CLI. */
  setHeartbeat(period: string): Promise<RunResult>;
  partition(i: number): Promise<void>;
  heal(i: number): Promise<void>;
  /** Processes' logs, for a failure. */
  stop(): Promise<string[]>;
  emergencyStop(): void;
}

function shoalCluster(lab: TestLab, ids: string[]): Cluster {
  return {
    name: 'shoal',
    version: SHOAL_VERSION,
    nodes: lab.nodes.map((n, k) => ({ index: n.index, addr: n.addr, socket: n.socket, nodeId: ids[k] ?? '', netns: n.state.netns })),
    docker: (i, args, timeoutMs) => run('docker', args, { env: { ...process.env, DOCKER_HOST: lab.node(i).host }, timeoutMs }),
    stack: (args, timeoutMs) => run(process.execPath, [SHOAL_BUNDLE, 'stack', ...args], { env: { ...process.env, SHOAL_HOST: lab.node(1).host }, timeoutMs }),
    stackCommand: 'shoal stack deploy/rm (node dist/shoal.cjs)',
    setHeartbeat: (period) => run(process.execPath, [SHOAL_BUNDLE, 'swarm', 'update', '--dispatcher-heartbeat', period], { env: { ...process.env, SHOAL_HOST: lab.node(1).host }, timeoutMs: 30_000 }),
    partition: (i) => lab.partition(i),
    heal: (i) => lab.heal(i),
    stop: async () => {
      try {
        await lab.down();
        return [];
      } catch (e) {
        return [`shoal lab ${lab.name}: ${e instanceof Error ? e.message : String(e)}`];
      }
    },
    emergencyStop: () => undefined,
  };
}

function dockerCluster(c: DockerCluster, version: string): Cluster {
  return {
    name: 'docker',
    version,
    nodes: c.nodes.map((n) => ({ index: n.index, addr: n.addr, socket: n.dockerd.socket, nodeId: n.nodeId, netns: n.netns.name })),
    docker: (i, args, timeoutMs) => c.docker(i, args, timeoutMs),
    stack: (args, timeoutMs) => c.docker(1, ['stack', ...args], timeoutMs),
    stackCommand: `docker stack deploy/rm (${firstLine('docker', ['--version'])})`,
    setHeartbeat: (period) => c.docker(1, ['swarm', 'update', '--dispatcher-heartbeat', period], 30_000),
    partition: (i) => Promise.resolve(c.partition(i)),
    heal: (i) => Promise.resolve(c.heal(i)),
    stop: () => c.stop(),
    emergencyStop: () => c.emergencyStop(),
  };
}

/** A timed phase: reached (ms from the action to the first poll that saw the target) or given up. */
type Outcome = ({ ms: number; polls: number } | { gaveUp: string; afterMs: number }) & { marks: Record<string, number>; note?: string };
const reached = (o: Outcome | undefined): o is Extract<Outcome, { ms: number }> => o !== undefined && 'ms' in o;
const msOf = (o: Outcome | undefined, mark?: string): number | undefined => (reached(o) ? (mark === undefined ? o.ms : o.marks[mark]) : undefined);

interface WrkResult {
  requestsPerSec: number;
  requests: number;
  errors: string;
}
type Throughput = WrkResult | { na: string };
interface MeshResult {
  /** Requests through node 1's published port answered by a task on node i (by index). */
  spread: Record<string, number>;
  spreadErrors: Record<string, number>;
  mesh: Throughput;
  direct: Throughput;
  /** The task the direct path targets. */
  directTarget: string;
}
interface FailoverRun {
  /** Partition → 6 running on the other nodes; mark `down`: node 3 seen Down. */
  moved: Outcome;
  /** Heal → node 3 runs none of them and 6 run in all. */
  healed?: Outcome;
  /** Tasks per node index before the partition. */
  before: Record<string, number>;
}
interface EngineResult {
  version: string;
  stack?: { deploy: Outcome; rm?: Outcome; webPerNode: Record<string, number> };
  mesh?: MeshResult;
  failover?: Record<string, FailoverRun[]>;
  errors: string[];
}

/** What cleanup must undo; module-level so the watchdog can reach it. */
const state: { cluster?: Cluster | undefined; labName?: string | undefined } = {};

class Runner {
  constructor(
    private readonly o: Options,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Starts `action` and polls `poll` until `done`; `mark` may record intermediate times. A failing action fails
   * the phase. Bounded by --phase-timeout.
   */
  async timed<T>(what: string, action: () => Promise<RunResult | void>, poll: () => Promise<T>, check: { done: (v: T) => boolean; describe: (v: T) => string; mark?: (v: T, ms: number, marks: Record<string, number>) => void }): Promise<Outcome> {
    const marks: Record<string, number> = {};
    const t0 = performance.now();
    let actionError: Error | undefined;
    const act = action().then(
      (r) => {
        if (r !== undefined && r.code !== 0) actionError = new Error(`${what} failed (${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')}`);
      },
      (e: unknown) => {
        actionError = e instanceof Error ? e : new Error(String(e));
      },
    );
    const deadline = t0 + this.o.phaseTimeoutS * 1000;
    let polls = 0;
    let last = 'no poll answered yet';
    for (;;) {
      let v: T | undefined;
      try {
        v = await bounded(poll(), this.signal);
      } catch (e) {
        if (this.signal.aborted) throw e;
        last = `poll failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      polls++;
      const ms = performance.now() - t0;
      if (v !== undefined) {
        last = check.describe(v);
        check.mark?.(v, ms, marks);
        if (check.done(v)) {
          await bounded(act, this.signal);
          if (actionError !== undefined) throw actionError;
          return { ms, polls, marks };
        }
      }
      if (actionError !== undefined) throw actionError;
      if (performance.now() > deadline) {
        progress(`${what}: giving up after ${this.o.phaseTimeoutS} s (${last})`);
        return { gaveUp: `not done after ${this.o.phaseTimeoutS} s (${last})`, afterMs: ms, marks };
      }
      await bounded(sleep(this.o.pollMs), this.signal);
    }
  }

  /** Polls until `ok` (not timed); throws after --phase-timeout with the last state. */
  async until<T>(what: string, poll: () => Promise<T>, ok: (v: T) => boolean, describe: (v: T) => string): Promise<T> {
    const deadline = performance.now() + this.o.phaseTimeoutS * 1000;
    let last = 'no poll answered yet';
    for (;;) {
      try {
        const v = await bounded(poll(), this.signal);
        if (ok(v)) return v;
        last = describe(v);
      } catch (e) {
        if (this.signal.aborted) throw e;
        last = `poll failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (performance.now() > deadline) throw new Error(`${what}: not done after ${this.o.phaseTimeoutS} s (${last})`);
      await bounded(sleep(this.o.pollMs), this.signal);
    }
  }

  async must(c: Cluster, i: number, args: string[], timeoutMs = 60_000): Promise<string> {
    const r = await bounded(c.docker(i, args, timeoutMs), this.signal);
    if (r.code !== 0) throw new Error(`${c.name} node${i}: docker ${args.join(' ')} failed (${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')}`);
    return r.stdout.trim();
  }

  /** Node index by swarm node ID. */
  indexOf(c: Cluster): (nodeId: string) => string {
    return (id) => String(c.nodes.find((n) => n.nodeId === id)?.index ?? `?${id.slice(0, 6)}`);
  }

  perNode(c: Cluster, m: Map<string, number>): Record<string, number> {
    const idx = this.indexOf(c);
    const out: Record<string, number> = {};
    for (const [id, n] of m) out[idx(id)] = (out[idx(id)] ?? 0) + n;
    return out;
  }

  /** No container of the service (any state) on any node. */
  async gone(c: Cluster, serviceId: string, what: string): Promise<void> {
    await this.until(
      what,
      async () => (await Promise.all(c.nodes.map((n) => serviceContainers(n.socket, serviceId)))).reduce((a, l) => a + l.length, 0),
      (left) => left === 0,
      (left) => `${left} container(s) left`,
    );
  }

  // ---- 1. stack ----

  async stackPart(c: Cluster): Promise<NonNullable<EngineResult['stack']>> {
    const manager = c.nodes[0]?.socket ?? '';
    progress(`${c.name}: stack deploy ${STACK} (${WEB_REPLICAS} web, ports kept)`);
    const deploy = await this.timed(`${c.name}: stack deploy`, () => c.stack(['deploy', '--resolve-image', 'never', '-c', STACK_FILE, STACK], this.o.phaseTimeoutS * 1000), () => stackProgress(manager, STACK), {
      done: (p) => (p['web']?.running ?? 0) >= WEB_REPLICAS && (p['monitor']?.running ?? 0) >= 1,
      mark: (p, ms, marks) => {
        if (marks['web'] === undefined && (p['web']?.running ?? 0) >= WEB_REPLICAS) marks['web'] = ms;
      },
      describe: (p) => Object.entries(p).map(([s, x]) => `${s} ${x.running} running${x.failed > 0 ? `, ${x.failed} failed (${x.lastError})` : ''}`).join('; ') || 'no service yet',
    });
    let webPerNode: Record<string, number> = {};
    const webId = (await bounded(c.docker(1, ['service', 'inspect', '-f', '{{.ID}}', `${STACK}_web`], 30_000), this.signal)).stdout.trim();
    if (webId !== '') webPerNode = this.perNode(c, await runningByNode(manager, webId));
    progress(`${c.name}: web tasks per node ${JSON.stringify(webPerNode)}; stack rm ${STACK}`);
    const label = `com.docker.stack.namespace=${STACK}`;
    const count = async (): Promise<number> => (await Promise.all(c.nodes.map((n) => containersWithLabel(n.socket, label)))).reduce((a, l) => a + l.length, 0);
    if ((await bounded(count(), this.signal)) === 0) return { deploy, webPerNode };
    const rm = await this.timed(`${c.name}: stack rm`, () => c.stack(['rm', STACK], this.o.phaseTimeoutS * 1000), count, { done: (n) => n === 0, describe: (n) => `${n} container(s) left on the nodes` });
    if (!reached(rm)) await this.until(`${c.name}: stack containers gone`, count, (n) => n === 0, (n) => `${n} left`);
    // The stack's network must go before the next part (it is removed with the stack).
    return { deploy, rm, webPerNode };
  }

  // ---- 2. mesh ----

  /** `wrk` against url, from the root netns or from `netns`. */
  async wrk(url: string, netns: string | undefined): Promise<WrkResult> {
    const o = this.o;
    progress(`wrk -t${o.threads} -c${o.connections} -d${o.duration}s ${url}${netns === undefined ? '' : ` (in netns ${netns})`}`);
    const argv = ['wrk', `-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}s`, '--timeout', '2s', url];
    const [cmd, ...args] = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
    const r = await bounded(run(cmd ?? 'wrk', args, { timeoutMs: (o.duration + 20) * 1000 }), this.signal);
    if (r.code !== 0) throw new Error(`wrk ${url} exited ${r.code}: ${r.stderr.trim()}`);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const total = /(\d+) requests in/.exec(r.stdout);
    if (rps === null || total === null) throw new Error(`cannot read wrk's summary:\n${r.stdout}`);
    const errors = [/Socket errors:[^\n]*/.exec(r.stdout)?.[0], /Non-2xx or 3xx responses:[^\n]*/.exec(r.stdout)?.[0]].filter((x) => x !== undefined).join('; ');
    return { requestsPerSec: Number(rps[1]), requests: Number(total[1]), errors };
  }

  /** 30 single GETs: which node's task answered each (by container hostname), and the errors. */
  async spread(url: string, hostToNode: Map<string, string>, netns: string | undefined): Promise<{ counts: Record<string, number>; errors: Record<string, number> }> {
    const counts: Record<string, number> = {};
    const errors: Record<string, number> = {};
    for (let k = 0; k < 30; k++) {
      const r = netns === undefined ? await bounded(httpGet(url, 2000), this.signal) : await this.curlIn(netns, url);
      if (!r.ok) {
        errors[r.error] = (errors[r.error] ?? 0) + 1;
        // A path that does not answer at all is not worth 30 timeouts.
        if (k >= 2 && Object.keys(counts).length === 0) break;
        continue;
      }
      const host = /hostname=(\S+)/.exec(r.body)?.[1] ?? '?';
      const node = hostToNode.get(host) ?? `? (${host})`;
      counts[node] = (counts[node] ?? 0) + 1;
    }
    return { counts, errors };
  }

  /** One GET from inside a netns (curl, 2 s). */
  async curlIn(netns: string, url: string): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
    const r = await bounded(run('ip', ['netns', 'exec', netns, 'curl', '-sS', '-m', '2', '-f', url], { timeoutMs: 10_000 }), this.signal);
    return r.code === 0 ? { ok: true, body: r.stdout } : { ok: false, error: r.stderr.trim().replace(/^curl: \(\d+\) /, '') || `curl exited ${r.code}` };
  }

  /** The spread check, then wrk when every single GET was answered; `n/a: why` otherwise. */
  async throughput(c: Cluster, url: string, hostToNode: Map<string, string>, why: string, netns?: string): Promise<{ spread: { counts: Record<string, number>; errors: Record<string, number> }; t: Throughput }> {
    const spread = await this.spread(url, hostToNode, netns);
    progress(`${c.name}: ${url}: answered by nodes ${JSON.stringify(spread.counts)}${Object.keys(spread.errors).length > 0 ? `, errors ${JSON.stringify(spread.errors)}` : ''}`);
    const failed = Object.values(spread.errors).reduce((a, b) => a + b, 0);
    if (failed > 0) {
      const first = Object.keys(spread.errors)[0] ?? '?';
      return { spread, t: { na: `${failed} of ${failed + Object.values(spread.counts).reduce((a, b) => a + b, 0)} single GETs failed (${first})${why === '' ? '' : `; ${why}`}` } };
    }
    return { spread, t: await this.wrk(url, netns) };
  }

  async meshPart(c: Cluster): Promise<MeshResult> {
    const manager = c.nodes[0]?.socket ?? '';
    const node1 = c.nodes[0];
    if (node1 === undefined) throw new Error('no node 1');
    progress(`${c.name}: network ${MESH_NET} (overlay), service web ×3 publishing ${MESH_PORT}:80`);
    await this.must(c, 1, ['network', 'create', '-d', 'overlay', MESH_NET]);
    const id = await this.must(c, 1, ['service', 'create', '-d', '-q', '--name', 'benchweb', '--replicas', '3', '--network', MESH_NET, '--publish', `published=${MESH_PORT},target=80`, '--stop-grace-period', '1s', 'shoal-test/web:1']);
    try {
      const per = await this.until(`${c.name}: 3 web tasks running`, () => runningByNode(manager, id), (m) => [...m.values()].reduce((a, b) => a + b, 0) === 3, (m) => JSON.stringify(this.perNode(c, m)));
      if (per.size !== 3) progress(`${c.name}: note: the 3 web tasks are not one per node: ${JSON.stringify(this.perNode(c, per))}`);
      // Container hostnames (swarm sets the container ID's first 12 characters) → node index.
      const hostToNode = new Map<string, string>();
      let onNode1 = '';
      for (const n of c.nodes) {
        for (const ct of await bounded(serviceContainers(n.socket, id), this.signal)) {
          if (!ct.running) continue;
          hostToNode.set(ct.id.slice(0, 12), String(n.index));
          if (n.index === 1 && onNode1 === '') onNode1 = ct.id;
        }
      }
      const ipvs = spawnSync('sh', ['-c', 'test -e /proc/net/ip_vs'], { timeout: 5000 }).status === 0;
      const meshWhy = c.name === 'docker' && !ipvs ? "Docker's routing mesh needs IPVS and this kernel has none (/proc/net/ip_vs is missing)" : '';
      const mesh = await this.throughput(c, `http://${node1.addr}:${MESH_PORT}/`, hostToNode, meshWhy);
      let direct: Throughput = { na: 'no web task on node 1' };
      let directTarget = '-';
      if (onNode1 !== '') {
        // A task's overlay address is not reachable from outside its node on either engine (Shoal drops forwarded
        // traffic into overlay bridges, as docker isolates its overlays), so "direct" runs in node 1's netns.
        const addr = await bounded(containerAddr(node1.socket, onNode1, MESH_NET), this.signal);
        directTarget = `${addr} (node 1's task on ${MESH_NET}, from node 1's netns)`;
        const why = c.name === 'docker' ? "a Docker task's overlay address lives in the overlay's own sandbox netns, which the node's netns has no route into" : '';
        // Sent only when node 1 routes the address to a local link: via its default gateway it would leave the lab.
        const how = await bounded(run('ip', ['-n', node1.netns, '-j', 'route', 'get', addr], { timeoutMs: 10_000 }), this.signal);
        const route = (JSON.parse(how.code === 0 ? how.stdout || '[]' : '[]') as { dev?: string; gateway?: string }[])[0];
        if (route === undefined) direct = { na: `node 1's netns has no route to ${addr} (${how.stderr.trim()})${why === '' ? '' : `; ${why}`}` };
        else if (route.gateway !== undefined) direct = { na: `node 1's netns routes ${addr} only via its default gateway ${route.gateway}, off the node (not sent)${why === '' ? '' : `; ${why}`}` };
        else direct = (await this.throughput(c, `http://${addr}/`, hostToNode, why, node1.netns)).t;
      }
      return { spread: mesh.spread.counts, spreadErrors: mesh.spread.errors, mesh: mesh.t, direct, directTarget };
    } finally {
      await this.must(c, 1, ['service', 'rm', 'benchweb']);
      await this.gone(c, id, `${c.name}: web containers gone`);
      // The overlay may be released a moment after its last task.
      await this.until(`${c.name}: network ${MESH_NET} removed`, () => c.docker(1, ['network', 'rm', MESH_NET], 30_000), (r) => r.code === 0 || /not found/.test(r.stderr), (r) => r.stderr.trim());
    }
  }

  // ---- 3. failover ----

  async failoverRun(c: Cluster, name: string): Promise<FailoverRun> {
    const manager = c.nodes[0]?.socket ?? '';
    const victim = c.nodes.find((n) => n.index === VICTIM);
    if (victim === undefined) throw new Error(`no node ${VICTIM}`);
    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    const id = await this.must(c, 1, ['service', 'create', '-d', '-q', '--name', name, '--replicas', String(FAILOVER_REPLICAS), '--stop-grace-period', '1s', 'shoal-test/misbehave:1', 'sleep', '3600']);
    try {
      const before = this.perNode(c, await this.until(`${c.name}: ${name} ${FAILOVER_REPLICAS} running`, () => runningByNode(manager, id), (m) => total(m) === FAILOVER_REPLICAS, (m) => JSON.stringify(this.perNode(c, m))));
      if ((before[String(VICTIM)] ?? 0) === 0) throw new Error(`${c.name}: ${name}: no task on node ${VICTIM} to fail over (${JSON.stringify(before)})`);
      progress(`${c.name}: ${name}: tasks per node ${JSON.stringify(before)}; partition node ${VICTIM}`);
      let healed: Outcome | undefined;
      let moved: Outcome;
      try {
        moved = await this.timed(
          `${c.name}: ${name} failover`,
          () => c.partition(VICTIM),
          async () => ({ running: await runningByNode(manager, id), nodes: await nodeStates(manager) }),
          {
            done: (v) => total(v.running) === FAILOVER_REPLICAS && (v.running.get(victim.nodeId) ?? 0) === 0,
            mark: (v, ms, marks) => {
              if (marks['down'] === undefined && v.nodes.get(victim.nodeId) === 'down') marks['down'] = ms;
            },
            describe: (v) => `running ${JSON.stringify(this.perNode(c, v.running))}, node ${VICTIM} ${v.nodes.get(victim.nodeId) ?? '?'}`,
          },
        );
      } finally {
        progress(`${c.name}: ${name}: heal node ${VICTIM}`);
        healed = await this.timed(
          `${c.name}: ${name} heal`,
          () => c.heal(VICTIM),
          async () => {
            const state = (await nodeStates(manager)).get(victim.nodeId) ?? '?';
            const per = await Promise.all(c.nodes.map(async (n) => (await serviceContainers(n.socket, id)).filter((x) => x.running).length));
            return { state, per };
          },
          {
            done: (v) => v.state === 'ready' && (v.per[VICTIM - 1] ?? 0) === 0 && v.per.reduce((a, b) => a + b, 0) === FAILOVER_REPLICAS,
            describe: (v) => `node ${VICTIM} ${v.state}, running containers per node ${v.per.join('/')}`,
          },
        );
      }
      return { moved, healed, before };
    } finally {
      await this.must(c, 1, ['service', 'rm', name]);
      await this.gone(c, id, `${c.name}: ${name} containers gone`);
    }
  }

  async failoverPart(c: Cluster, res: EngineResult): Promise<Record<string, FailoverRun[]>> {
    const out: Record<string, FailoverRun[]> = {};
    res.failover = out;
    let previousMs = 5000;
    for (const hb of HEARTBEATS) {
      progress(`${c.name}: swarm update --dispatcher-heartbeat ${hb.label}`);
      const r = await bounded(c.setHeartbeat(hb.label), this.signal);
      if (r.code !== 0) throw new Error(`${c.name}: swarm update --dispatcher-heartbeat ${hb.label} failed (${r.code}): ${r.stderr.trim()}`);
      // Every agent learns the new period with its next heartbeat, at most one old period later.
      await bounded(sleep(previousMs + 1000), this.signal);
      previousMs = hb.ms;
      const runs: FailoverRun[] = [];
      out[hb.label] = runs;
      for (let k = 1; k <= this.o.runs; k++) {
        if (this.signal.aborted) break;
        const fr = await this.failoverRun(c, `fo${hb.label.replace(/\W/g, '')}r${k}`);
        runs.push(fr);
        progress(`${c.name}: heartbeat ${hb.label} run ${k}: ${cell(fr.moved)} (node ${VICTIM} Down after ${fmtMs(fr.moved.marks['down'])}), heal ${cell(fr.healed)}`);
      }
    }
    return out;
  }

  // ---- engines ----

  async startShoal(imagePath: string): Promise<Cluster> {
    const name = `bc${randomBytes(3).toString('hex')}`;
    state.labName = name;
    progress(`shoal: lab up --nodes ${NODES} --name ${name}`);
    const lab = await bounded(startLab({ nodes: NODES, name, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] }), this.signal);
    const ids = await Promise.all(lab.nodes.map((n) => swarmNodeId(n.socket)));
    const c = shoalCluster(lab, ids);
    state.cluster = c;
    await this.load(c, imagePath);
    return c;
  }

  async startDocker(imagePath: string): Promise<Cluster> {
    const version = dockerdVersion();
    const dc = await bounded(DockerCluster.start({ nodes: NODES, netnsPrefix: DOCKER_NETNS_PREFIX, signal: this.signal, say: progress }), this.signal);
    const c = dockerCluster(dc, `dockerd ${version.match(/version ([^,\s]+)/)?.[1] ?? '?'}`);
    state.cluster = c;
    await this.load(c, imagePath);
    return c;
  }

  async load(c: Cluster, imagePath: string): Promise<void> {
    progress(`${c.name}: docker load on every node`);
    await Promise.all(c.nodes.map((n) => this.must(c, n.index, ['load', '-i', imagePath], 180_000)));
  }
}

// ---- output ----

const r2 = (x: number): number => Math.round(x * 100) / 100;
const fmtMs = (ms: number | undefined): string => (ms === undefined ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
function cell(o: Outcome | undefined, mark?: string): string {
  if (o === undefined) return '-';
  if (!reached(o)) return 'gave up';
  return fmtMs(mark === undefined ? o.ms : o.marks[mark]);
}
function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
const rpsOf = (t: Throughput | undefined): number | undefined => (t !== undefined && 'requestsPerSec' in t ? t.requestsPerSec : undefined);

function report(o: Options, res: Partial<Record<EngineName, EngineResult>>, host: Record<string, unknown>): void {
  const engines = o.engines.filter((n) => res[n] !== undefined);
  const both = engines.length === 2;
  const W = 24;
  const lines: string[] = [`cluster bench: ${NODES} nodes on one machine (network namespaces on a bridge), node ${VICTIM} fails; polled every ${o.pollMs} ms`, ''];
  lines.push(`${''.padEnd(44)}${engines.map((n) => (res[n]?.version ?? n).padStart(W)).join('')}${both ? `${'docker/shoal'.padStart(14)}` : ''}`);
  const ratios: Record<string, number | null> = {};
  /** `higherIsBetter`: the ratio is shoal/docker (throughput); else docker/shoal (times). */
  const row = (key: string, title: string, get: (n: EngineName) => { text: string; value: number | undefined }, higherIsBetter = false): void => {
    let rat = '';
    if (both) {
      const s = get('shoal').value;
      const d = get('docker').value;
      const x = s !== undefined && d !== undefined && s > 0 && d > 0 ? (higherIsBetter ? s / d : d / s) : undefined;
      ratios[key] = x === undefined ? null : r2(x);
      rat = (x === undefined ? '-' : `${x.toFixed(1)}×`).padStart(14);
    }
    lines.push(`${title.padEnd(44)}${engines.map((n) => get(n).text.padStart(W)).join('')}${rat}`);
  };
  const notes: string[] = [];
  if (o.parts.includes('stack')) {
    row('stackDeployWebMs', `stack deploy: web ${WEB_REPLICAS}/${WEB_REPLICAS} running`, (n) => ({ text: cell(res[n]?.stack?.deploy, 'web'), value: msOf(res[n]?.stack?.deploy, 'web') }));
    row('stackDeployAllMs', 'stack deploy: + monitor running', (n) => ({ text: cell(res[n]?.stack?.deploy), value: msOf(res[n]?.stack?.deploy) }));
    row('stackRmMs', 'stack rm: no container left on any node', (n) => ({ text: cell(res[n]?.stack?.rm), value: msOf(res[n]?.stack?.rm) }));
    for (const n of engines) {
      const s = res[n]?.stack;
      if (s === undefined) continue;
      notes.push(`${n} stack: web tasks per node ${JSON.stringify(s.webPerNode)}${'gaveUp' in s.deploy ? `; deploy gave up: ${s.deploy.gaveUp}` : ''}${s.rm !== undefined && 'gaveUp' in s.rm ? `; rm gave up: ${s.rm.gaveUp}` : ''}`);
    }
  }
  if (o.parts.includes('mesh')) {
    const tp = (t: Throughput | undefined): { text: string; value: number | undefined } => ({ text: t === undefined ? '-' : 'na' in t ? 'n/a' : `${t.requestsPerSec.toFixed(0)} req/s`, value: rpsOf(t) });
    row('meshRps', `mesh: node 1:${MESH_PORT} → tasks on 3 nodes`, (n) => tp(res[n]?.mesh?.mesh), true);
    row('directRps', 'direct: node 1 → its own task', (n) => tp(res[n]?.mesh?.direct), true);
    lines.push(`${'mesh/direct'.padEnd(44)}${engines.map((n) => {
      const m = rpsOf(res[n]?.mesh?.mesh);
      const d = rpsOf(res[n]?.mesh?.direct);
      return (m !== undefined && d !== undefined ? `${(m / d).toFixed(2)}` : '-').padStart(W);
    }).join('')}`);
    for (const n of engines) {
      const m = res[n]?.mesh;
      if (m === undefined) continue;
      const na = (what: string, t: Throughput): string => ('na' in t ? `; ${what} n/a: ${t.na}` : t.errors !== '' ? `; ${what} wrk: ${t.errors}` : '');
      notes.push(`${n} mesh: 30 GETs to node 1:${MESH_PORT} answered by tasks on nodes ${JSON.stringify(m.spread)}${Object.keys(m.spreadErrors).length > 0 ? ` (errors ${JSON.stringify(m.spreadErrors)})` : ''}; direct target ${m.directTarget}${na('mesh', m.mesh)}${na('direct', m.direct)}`);
    }
    lines.push(`${''.padEnd(44)}(wrk -t${o.threads} -c${o.connections} -d${o.duration}s; mesh from the root netns, direct from node 1's netns; ${firstLine('wrk', ['--version']).split(' ').slice(0, 2).join(' ')})`);
  }
  if (o.parts.includes('failover')) {
    for (const hb of HEARTBEATS) {
      const runsOf = (n: EngineName): FailoverRun[] => res[n]?.failover?.[hb.label] ?? [];
      const med = (n: EngineName, pick: (r: FailoverRun) => number | undefined): number | undefined => {
        const rs = runsOf(n);
        const xs = rs.map(pick);
        return rs.length > 0 && xs.every((x) => x !== undefined) ? median(xs) : undefined;
      };
      row(`failover${hb.label}Ms`, `failover, heartbeat ${hb.label}: median of ${o.runs}`, (n) => {
        const m = med(n, (r) => msOf(r.moved));
        return { text: m === undefined ? (runsOf(n).length === 0 ? '-' : 'gave up') : fmtMs(m), value: m };
      });
      lines.push(`${'  each run'.padEnd(44)}${engines.map((n) => runsOf(n).map((r) => cell(r.moved)).join(' ').padStart(W)).join('')}`);
      row(`failover${hb.label}DownMs`, `  node ${VICTIM} seen Down (median)`, (n) => {
        const m = med(n, (r) => r.moved.marks['down']);
        return { text: fmtMs(m), value: m };
      });
      row(`heal${hb.label}Ms`, '  heal → no duplicate left (median)', (n) => {
        const m = med(n, (r) => msOf(r.healed));
        return { text: m === undefined ? (runsOf(n).length === 0 ? '-' : 'gave up') : fmtMs(m), value: m };
      });
      for (const n of engines) {
        for (const [k, r] of runsOf(n).entries()) {
          if (!reached(r.moved)) notes.push(`${n} failover ${hb.label} run ${k + 1}: ${r.moved.gaveUp}`);
          if (r.healed !== undefined && !reached(r.healed)) notes.push(`${n} heal ${hb.label} run ${k + 1}: ${r.healed.gaveUp}`);
        }
      }
    }
  }
  lines.push('', ...notes);
  for (const n of engines) for (const e of res[n]?.errors ?? []) lines.push(`error: ${n}: ${e}`);
  if (o.engines.includes('docker')) lines.push('docker: 3 dockerd with --bridge=none --iptables=false --ip-masq=false --ip-forward=false, each in its own netns');
  process.stdout.write(`${lines.join('\n')}\n`);

  const outJson = (x: Outcome | undefined): unknown => {
    if (x === undefined) return null;
    const marks = Object.fromEntries(Object.entries(x.marks).map(([k, v]) => [k, r2(v)]));
    return reached(x) ? { ms: r2(x.ms), polls: x.polls, marks } : { gaveUp: x.gaveUp, afterMs: r2(x.afterMs), marks };
  };
  const json = {
    bench: 'cluster',
    nodes: NODES,
    options: o,
    ...Object.fromEntries(
      engines.map((n) => {
        const e = res[n];
        return [
          n,
          {
            version: e?.version,
            stack: e?.stack === undefined ? null : { deploy: outJson(e.stack.deploy), rm: outJson(e.stack.rm), webPerNode: e.stack.webPerNode },
            mesh: e?.mesh ?? null,
            failover:
              e?.failover === undefined
                ? null
                : Object.fromEntries(Object.entries(e.failover).map(([hb, runs]) => [hb, runs.map((r) => ({ moved: outJson(r.moved), healed: outJson(r.healed), before: r.before }))])),
            errors: e?.errors ?? [],
          },
        ];
      }),
    ),
    ratios: both ? ratios : null,
    host,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/cluster needs root (network namespaces, links, runc, conmon, mounts, cgroups, dockerd)\n');
    return 1;
  }
  ensureBundle(o.build);
  if (o.engines.includes('docker')) {
    if (o.install) ensureDockerd(progress);
    else if (spawnSync('sh', ['-c', 'command -v dockerd'], { timeout: 5000 }).status !== 0) throw new Error('dockerd is missing (and --no-install was given)');
  }
  const rootLinks = readdirSync('/sys/class/net');
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`overall timeout of ${o.timeoutS} s reached`)), o.timeoutS * 1000);
  const watchdog = setTimeout(
    () => {
      process.stderr.write('[bench] cleanup did not finish in time; killing what is left\n');
      state.cluster?.emergencyStop();
      const lab = state.labName;
      if (lab === undefined) process.exit(2);
      setTimeout(() => process.exit(2), 60_000).unref();
      void labDown({ name: lab })
        .catch(() => undefined)
        .finally(() => process.exit(2));
    },
    o.timeoutS * 1000 + 180_000,
  );
  watchdog.unref();
  const onSignal = (sig: NodeJS.Signals): void => ac.abort(new Error(`interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const res: Partial<Record<EngineName, EngineResult>> = {};
  let code = 0;
  const runner = new Runner(o, ac.signal);
  try {
    progress('building the web and misbehave images (saveImages)');
    const images = await bounded(saveImages(['web', 'misbehave']), ac.signal);
    for (const n of o.engines) {
      if (ac.signal.aborted) break;
      const r: EngineResult = { version: n === 'shoal' ? SHOAL_VERSION : 'dockerd', errors: [] };
      res[n] = r;
      const fail = (what: string, e: unknown): void => {
        progress(`${n} ${what} failed: ${e instanceof Error ? (ac.signal.aborted ? e.message : (e.stack ?? e.message)) : String(e)}`);
        r.errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
        code = 1;
      };
      let c: Cluster | undefined;
      try {
        c = n === 'shoal' ? await runner.startShoal(images.path) : await runner.startDocker(images.path);
        r.version = c.version;
        for (const part of o.parts) {
          if (ac.signal.aborted) break;
          try {
            if (part === 'stack') r.stack = await runner.stackPart(c);
            else if (part === 'mesh') r.mesh = await runner.meshPart(c);
            else await runner.failoverPart(c, r);
          } catch (e) {
            fail(part, e);
            // A part that failed half-way may have left a node cut off.
            await c.heal(VICTIM).catch(() => undefined);
          }
        }
      } catch (e) {
        fail('cluster', e);
      } finally {
        progress(`${n}: taking the cluster down`);
        const cl = state.cluster;
        state.cluster = undefined;
        const problems = cl === undefined ? [] : await cl.stop();
        if (cl === undefined && n === 'shoal' && state.labName !== undefined) await labDown({ name: state.labName }).catch(() => undefined);
        for (const p of problems) {
          progress(`cleanup: ${p}`);
          r.errors.push(`cleanup: ${p}`);
          code = code === 0 ? 3 : code;
        }
        state.labName = undefined;
      }
    }
    if (ac.signal.aborted) {
      for (const n of o.engines) res[n]?.errors.push(`stopped early: ${(ac.signal.reason as Error).message}`);
      code = 1;
    }
    const host = {
      kernel: release(),
      cpus: cpus().length,
      memBytes: totalmem(),
      node: process.version,
      dockerCli: firstLine('docker', ['--version']),
      dockerd: o.engines.includes('docker') ? dockerdVersion() : null,
      runc: firstLine('runc', ['--version']),
      conmon: firstLine('conmon', ['--version']),
      wrk: firstLine('wrk', ['--version']),
      ipvs: spawnSync('sh', ['-c', 'test -e /proc/net/ip_vs'], { timeout: 5000 }).status === 0,
    };
    report(o, res, host);
  } catch (e) {
    progress(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 1;
  } finally {
    clearTimeout(timer);
    const cl = state.cluster;
    state.cluster = undefined;
    if (cl !== undefined) for (const p of await cl.stop()) progress(`cleanup: ${p}`);
    const leftNs = netnsWithPrefix(DOCKER_NETNS_PREFIX);
    if (leftNs.length > 0) {
      progress(`cleanup: network namespaces left: ${leftNs.join(', ')}`);
      code = code === 0 ? 3 : code;
    }
    const newLinks = readdirSync('/sys/class/net').filter((l) => !rootLinks.includes(l));
    const ours = newLinks.filter((l) => l.startsWith('shbc') || l.startsWith('shlab-bc') || l.startsWith('shlbc'));
    if (ours.length > 0) {
      progress(`cleanup: links of this benchmark left: ${ours.join(', ')}`);
      code = code === 0 ? 3 : code;
    }
    const others = newLinks.filter((l) => !ours.includes(l));
    if (others.length > 0) progress(`note: links that appeared in the root netns during the run (not this benchmark's names: other work on this machine; left alone): ${others.join(', ')}`);
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

process.exitCode = await main();
