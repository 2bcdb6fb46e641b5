/**
 * bench/stack: stacks and compose on Shoal and on real Docker in the same run, with the times of both and their
 * ratios. Run as root: `npm run bench:stack -- [--ports auto|keep|drop] [--phase-timeout 120]`.
 *
 * Every engine runs in a network namespace this benchmark makes (bench/lib/netns.ts), one engine at a time, each
 * started fresh for each part: Shoal is a real daemon from the e2e harness (test/harness/daemon.ts, entered with
 * nsenter, embedded DNS upstream 127.0.0.1:9 so no query leaves the machine); Docker is its own dockerd
 * (bench/lib/dockerd.ts: Debian's docker.io, installed with apt-get when missing, own roots and socket, no bridge,
 * no iptables) started inside the namespace. `shoal-test/web:1` and `shoal-test/misbehave:1` come from
 * `saveImages` (test/fixtures/images/build.ts) and are loaded with `docker load` first (not timed).
 *
 * 1. Stack (one-node swarm, `swarm init` on 127.0.0.1 in the namespace): `stack deploy --resolve-image never` of
 *    examples/getting-started/docker-compose.yml (web ×5 on 80:80, monitor on the manager, network webnet) with each
 *    engine's own CLI (`shoal stack deploy`; the docker CLI's `docker stack deploy` for Docker), until 5/5 web tasks
 *    run (and until the monitor runs too), polling `GET /services` + `GET /tasks` (what `service ls`/`service ps`
 *    read). Docker goes first: when its deploy cannot converge with the published port (`--ports auto`), both
 *    engines deploy a copy of the file without `ports:` instead, and the output says so. Then the engine's memory
 *    (PSS of the daemon processes and the per-container monitors); then `stack rm` until no container labelled
 *    `com.docker.stack.namespace=<stack>` is left (`GET /containers/json?all=1`, what `ps -a --filter` sends). On
 *    Shoal, the docker CLI's `docker stack deploy` and `docker stack rm` are measured as well.
 * 2. Compose (no swarm): a three-service app (db whose healthcheck passes after ~3 s; web depending on db
 *    `service_healthy`; client depending on web) with `shoal compose up -d --wait` and with Debian's
 *    `docker-compose up -d` (Compose v1, installed with apt-get when missing; it has no --wait), until every
 *    container runs and db is healthy (polled the same way on both); memory; then `compose down` until no container
 *    of the project is left.
 * A phase is bounded by --phase-timeout (it gives up and says so); the clock starts before the CLI command and stops
 * at the first poll that sees the target. Progress goes to stderr; stdout gets the table and, last, one JSON line.
 * Every engine, namespace, mount and cgroup is removed in `finally`; an overall timeout aborts the run and a
 * watchdog kills what is left if cleanup hangs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { saveImages } from '../test/fixtures/images/build.js';
import { REPO, run, SHOAL_BUNDLE, startDaemon } from '../test/harness/daemon.js';
import type { RunResult, TestDaemon } from '../test/harness/daemon.js';
import { ENGINE_RUN_OPTIONS, ensureBundle, engineRunOptions, firstLine, progress } from './lib/common.js';
import type { EngineName } from './lib/common.js';
import { dockerComposeVersion, ensureDockerCompose } from './lib/docker-compose.js';
import { dockerdVersion, ensureDockerd } from './lib/dockerd.js';
import type { TestDockerd } from './lib/dockerd.js';
import { BenchNetns, netnsWithPrefix, startDockerdIn } from './lib/netns.js';
import { memoryOf } from './lib/proc.js';
import { bounded, shoalDaemonParts } from './lib/shoal-start.js';
import { composeState, containersWithLabel, stackProgress } from './lib/stack-probes.js';
import type { ComposeState, ServiceProgress } from './lib/stack-probes.js';

const USAGE = `usage: node --import tsx bench/stack.ts [options]   (as root)
  --only ENGINE     run only shoal or only docker (no ratios then)
  --part PART       only stack or only compose (default both)
  --ports MODE      auto (default): keep the file's ports: unless Docker cannot converge with them, then drop them
                    on both sides; keep; drop
  --poll-ms P       poll interval (default 100, 20..1000)
  --phase-timeout S give up on one phase after S seconds (default 120, 10..600)
  --timeout S       overall bound in seconds (default 900, 60..3600)
  --no-install      fail instead of installing docker.io / docker-compose when missing
  --build           run \`npm run build\` first (otherwise only when dist/shoal.cjs is missing)
  --help`;

type Part = 'stack' | 'compose';
type PortsMode = 'auto' | 'keep' | 'drop';

interface Options {
  engines: EngineName[];
  parts: Part[];
  ports: PortsMode;
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
      ports: { type: 'string' },
    },
    strict: true,
  });
  // Docker first: its stack deploy decides which file both engines deploy.
  const run = engineRunOptions(values, USAGE, { engines: ['docker', 'shoal'], phaseTimeoutS: [120, 10, 600], timeoutS: [900, 60, 3600] });
  const { part, ports = 'auto' } = values;
  if (part !== undefined && part !== 'stack' && part !== 'compose') throw new Error(`--part must be stack or compose, not ${part}`);
  if (ports !== 'auto' && ports !== 'keep' && ports !== 'drop') throw new Error(`--ports must be auto, keep or drop, not ${ports}`);
  return {
    parts: part === undefined ? ['stack', 'compose'] : [part],
    ports,
    ...run,
  };
}

const STACK = 'gs';
const DOCKER_CLI_STACK = 'gsd';
const PROJECT = 'benchapp';
const STACK_FILE = join(REPO, 'examples/getting-started/docker-compose.yml');
const WEB_REPLICAS = 5;
const NETNS_PREFIX = 'shoal-bench-stack';
const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The compose app: db healthy after ~3 s, web once db is healthy, client once web started. */
const COMPOSE_APP = `services:
  db:
    image: shoal-test/misbehave:1
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 300ms
      timeout: 2s
      retries: 50
    stop_grace_period: 1s
  web:
    image: shoal-test/web:1
    depends_on:
      db:
        condition: service_healthy
    stop_grace_period: 1s
  client:
    image: shoal-test/misbehave:1
    depends_on: [web]
    command: ["sleep", "3600"]
    stop_grace_period: 1s
`;
const COMPOSE_SERVICES = ['client', 'db', 'web'];

/** One engine behind its docker-compatible socket, started in a namespace of ours. */
interface Engine {
  readonly name: EngineName;
  readonly version: string;
  readonly socket: string;
  /** The docker CLI against the engine. */
  docker(args: readonly string[], timeoutMs: number): Promise<RunResult>;
  /** The engine's own stack CLI: `shoal stack …` or `docker stack …`. */
  readonly stack: (args: readonly string[], timeoutMs: number) => Promise<RunResult>;
  /** The engine's own compose: `shoal compose up -d --wait` or `docker-compose up -d`. */
  composeUp(file: string, timeoutMs: number): Promise<RunResult>;
  composeDown(file: string, timeoutMs: number): Promise<RunResult>;
  readonly composeUpCommand: string;
  /** The engine's own processes, by group (containers excluded). */
  pids(): Record<string, number[]>;
  log(): string;
  stop(): Promise<string[]>;
  emergencyStop(): void;
}

const SHOAL_VERSION = `shoal ${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}`;

function shoalEngine(d: TestDaemon): Engine {
  const env = { ...process.env, SHOAL_HOST: d.host, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const shoal = (args: readonly string[], timeoutMs: number): Promise<RunResult> => run(process.execPath, [SHOAL_BUNDLE, ...args], { env, timeoutMs });
  return {
    name: 'shoal',
    version: SHOAL_VERSION,
    socket: d.socket,
    docker: (args, timeoutMs) => run('docker', ['-H', d.host, ...args], { env, timeoutMs }),
    stack: (args, timeoutMs) => shoal(['stack', ...args], timeoutMs),
    composeUp: (file, timeoutMs) => shoal(['compose', '-f', file, '-p', PROJECT, 'up', '-d', '--wait'], timeoutMs),
    composeDown: (file, timeoutMs) => shoal(['compose', '-f', file, '-p', PROJECT, 'down'], timeoutMs),
    composeUpCommand: 'shoal compose up -d --wait',
    ...shoalDaemonParts(d),
  };
}

function dockerEngine(d: TestDockerd, version: string): Engine {
  const composeEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const compose = (file: string, args: string[], timeoutMs: number): Promise<RunResult> => run('docker-compose', ['-f', file, '-p', PROJECT, ...args], { env: composeEnv, timeoutMs });
  return {
    name: 'docker',
    version,
    socket: d.socket,
    docker: (args, timeoutMs) => d.docker(args, timeoutMs),
    stack: (args, timeoutMs) => d.docker(['stack', ...args], timeoutMs),
    composeUp: (file, timeoutMs) => compose(file, ['up', '-d'], timeoutMs),
    composeDown: (file, timeoutMs) => compose(file, ['down'], timeoutMs),
    composeUpCommand: 'docker-compose up -d',
    pids: () => d.enginePids(),
    log: () => d.log(),
    stop: () => d.stop(),
    emergencyStop: () => d.emergencyStop(),
  };
}

interface MemorySampled {
  groups: Record<string, { count: number; bytes: number }>;
  totalBytes: number;
  kind: 'pss' | 'rss';
}

function sampleMemory(e: Engine): MemorySampled {
  const groups: MemorySampled['groups'] = {};
  let total = 0;
  let kind: 'pss' | 'rss' = 'pss';
  for (const [g, pids] of Object.entries(e.pids())) {
    let bytes = 0;
    let count = 0;
    for (const p of pids) {
      const m = memoryOf(p);
      if (m === undefined) continue;
      count++;
      bytes += m.bytes;
      if (m.kind === 'rss') kind = 'rss';
    }
    groups[g] = { count, bytes };
    total += bytes;
  }
  return { groups, totalBytes: total, kind };
}

/** A timed phase: reached (ms from before the command to the first poll that saw the target) or given up. */
type Outcome = ({ ms: number; cliMs: number; polls: number } | { gaveUp: string; afterMs: number }) & {
  marks: Record<string, number>;
  /** The command's failure, when the phase was allowed to go on polling after it (`cliMayFail`). */
  cliError?: string;
};

const reached = (o: Outcome | undefined): o is Extract<Outcome, { ms: number }> => o !== undefined && 'ms' in o;

/** What cleanup must undo; module-level so the watchdog can reach it. */
const state: { engine?: Engine | undefined; netns?: BenchNetns | undefined; tmp?: string | undefined } = {};

class Runner {
  constructor(
    private readonly o: Options,
    private readonly signal: AbortSignal,
    private readonly imagePath: string,
  ) {}

  /**
   * Runs `cmd` and polls `poll` until `done`; `mark(value, ms)` may record intermediate times; `hopeless` may end
   * the phase early (given up, with its reason). A failing command fails the phase, unless `cliMayFail`: then the
   * failure is recorded and the poll goes on (a `stack rm` that fails on a network may still remove the containers).
   */
  async timed<T>(
    what: string,
    cmd: () => Promise<RunResult>,
    poll: () => Promise<T>,
    check: { done: (v: T) => boolean; describe: (v: T) => string; mark?: (v: T, ms: number, marks: Record<string, number>) => void; hopeless?: (v: T) => string | undefined; cliMayFail?: boolean },
  ): Promise<Outcome> {
    const marks: Record<string, number> = {};
    const t0 = performance.now();
    let cliMs: number | undefined;
    let cliError: Error | undefined;
    const command = cmd().then(
      (r) => {
        cliMs = performance.now() - t0;
        if (r.code !== 0) cliError = new Error(`${what} failed (${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')}`);
      },
      (e: unknown) => {
        cliError = e instanceof Error ? e : new Error(String(e));
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
          // A detached command may still be finishing its output; its wall time is kept apart.
          await bounded(command, this.signal);
          if (cliError !== undefined && check.cliMayFail !== true) throw cliError;
          return { ms, cliMs: cliMs ?? ms, polls, marks, ...(cliError === undefined ? {} : { cliError: cliError.message }) };
        }
        const reason = check.hopeless?.(v);
        if (reason !== undefined) {
          progress(`${what}: giving up: ${reason}`);
          return { gaveUp: reason, afterMs: ms, marks, ...(cliError === undefined ? {} : { cliError: cliError.message }) };
        }
      }
      if (cliError !== undefined && check.cliMayFail !== true) throw cliError;
      if (performance.now() > deadline) {
        progress(`${what}: giving up after ${this.o.phaseTimeoutS} s (${last})`);
        return { gaveUp: `not done after ${this.o.phaseTimeoutS} s (${last})`, afterMs: ms, marks, ...(cliError === undefined ? {} : { cliError: cliError.message }) };
      }
      await bounded(sleep(this.o.pollMs), this.signal);
    }
  }

  /** A fresh engine in a fresh namespace, with the images loaded. */
  async start(name: EngineName, swarm: boolean): Promise<Engine> {
    const ns = BenchNetns.create(NETNS_PREFIX);
    state.netns = ns;
    let e: Engine;
    if (name === 'shoal') {
      progress(`shoal: starting a daemon in netns ${ns.name}`);
      e = shoalEngine(await bounded(startDaemon({ hostname: 'shoal-bench-stack', netns: ns.name, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] }), this.signal));
    } else {
      const version = dockerdVersion();
      progress(`docker: starting its own dockerd in netns ${ns.name} (${version})`);
      e = dockerEngine(await bounded(startDockerdIn(ns), this.signal), `dockerd ${version.match(/version ([^,\s]+)/)?.[1] ?? '?'}`);
    }
    state.engine = e;
    const load = await bounded(e.docker(['load', '-i', this.imagePath], 120_000), this.signal);
    if (load.code !== 0) throw new Error(`${name}: docker load failed (${load.code}): ${load.stderr.trim()}`);
    if (swarm) {
      const init = await bounded(e.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1:2377', '--listen-addr', '127.0.0.1:2377'], 60_000), this.signal);
      if (init.code !== 0) throw new Error(`${name}: swarm init failed (${init.code}): ${init.stderr.trim()}`);
    }
    return e;
  }

  /** Stops the engine and deletes its namespace; what could not be cleaned. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    const e = state.engine;
    state.engine = undefined;
    if (e !== undefined) problems.push(...(await e.stop()).map((p) => `${e.name}: ${p}`));
    if (state.netns !== undefined) {
      problems.push(...state.netns.delete());
      state.netns = undefined;
    }
    return problems;
  }

  /** Runs `body` on a fresh engine, then stops it, printing its log's tail on failure. */
  async withEngine<T>(name: EngineName, swarm: boolean, body: (e: Engine) => Promise<T>): Promise<T> {
    try {
      const e = await this.start(name, swarm);
      try {
        return await body(e);
      } catch (err) {
        if (!this.signal.aborted) {
          const log = e.log().trim();
          if (log !== '') progress(`${name}: engine log (last 20 lines):\n${log.split('\n').slice(-20).join('\n')}`);
        }
        throw err;
      }
    } finally {
      progress(`${name}: stopping the engine`);
      for (const p of await this.stop()) progress(`cleanup: ${p}`);
    }
  }

  /** `stack deploy` until web 5/5 (mark `web`) and the monitor (done), with `cli`'s stack command. */
  deploy(e: Engine, cli: (args: readonly string[], timeoutMs: number) => Promise<RunResult>, file: string, stack: string, what: string): Promise<Outcome> {
    return this.timed(
      what,
      () => cli(['deploy', '--resolve-image', 'never', '-c', file, stack], this.o.phaseTimeoutS * 1000),
      () => stackProgress(e.socket, stack),
      {
        done: (p) => (p['web']?.running ?? 0) >= WEB_REPLICAS && (p['monitor']?.running ?? 0) >= 1,
        mark: (p, ms, marks) => {
          if (marks['web'] === undefined && (p['web']?.running ?? 0) >= WEB_REPLICAS) marks['web'] = ms;
        },
        describe: (p) => describeStack(p),
        // A deploy that cannot converge keeps replacing failed or rejected tasks.
        hopeless: (p) => ((p['web']?.failed ?? 0) >= 2 * WEB_REPLICAS ? `web tasks keep failing (${p['web']?.failed ?? 0} so far; last error: ${p['web']?.lastError || 'none'})` : undefined),
      },
    );
  }

  /** `stack rm` until no container of the stack is left. */
  async remove(e: Engine, cli: (args: readonly string[], timeoutMs: number) => Promise<RunResult>, stack: string, what: string): Promise<Outcome> {
    // The measurement means something only if the containers carry the label it polls.
    const before = await bounded(containersWithLabel(e.socket, `com.docker.stack.namespace=${stack}`), this.signal);
    if (before.length === 0) throw new Error(`${what}: no container is labelled com.docker.stack.namespace=${stack} before the removal`);
    return this.timed(what, () => cli(['rm', stack], this.o.phaseTimeoutS * 1000), () => containersWithLabel(e.socket, `com.docker.stack.namespace=${stack}`), {
      done: (rows) => rows.length === 0,
      describe: (rows) => `${rows.length} container(s) left`,
      cliMayFail: true,
    });
  }

  async stackPart(name: EngineName, file: string): Promise<StackResult> {
    return this.withEngine(name, true, async (e) => {
      const own = name === 'shoal' ? 'shoal stack' : 'docker stack';
      progress(`${name}: ${own} deploy ${STACK}`);
      const deploy = await this.deploy(e, e.stack, file, STACK, `${name}: ${own} deploy`);
      let memory: MemorySampled | undefined;
      if (reached(deploy)) {
        await bounded(sleep(2000), this.signal);
        memory = sampleMemory(e);
        progress(`${name}: ${(memory.totalBytes / MiB).toFixed(1)} MiB with the stack running`);
      }
      progress(`${name}: ${own} rm ${STACK}`);
      const rm = await this.remove(e, e.stack, STACK, `${name}: ${own} rm`);
      const result: StackResult = { version: e.version, deploy, rm, memory };
      if (name === 'shoal' && reached(rm)) {
        // The unmodified docker CLI against the same daemon; a failure here is reported, not fatal.
        const docker = (args: readonly string[], timeoutMs: number): Promise<RunResult> => e.docker(['stack', ...args], timeoutMs);
        try {
          progress(`shoal: docker stack deploy ${DOCKER_CLI_STACK}`);
          result.dockerCliDeploy = await this.deploy(e, docker, file, DOCKER_CLI_STACK, 'shoal: docker stack deploy');
          progress(`shoal: docker stack rm ${DOCKER_CLI_STACK}`);
          result.dockerCliRm = await this.remove(e, docker, DOCKER_CLI_STACK, 'shoal: docker stack rm');
        } catch (err) {
          if (this.signal.aborted) throw err;
          result.dockerCliError = err instanceof Error ? err.message : String(err);
          progress(`shoal: the docker CLI's stack deploy/rm failed: ${result.dockerCliError}`);
        }
      }
      return result;
    });
  }

  async composePart(name: EngineName, file: string): Promise<ComposeResult> {
    return this.withEngine(name, false, async (e) => {
      progress(`${name}: ${e.composeUpCommand}`);
      const up = await this.timed(`${name}: ${e.composeUpCommand}`, () => e.composeUp(file, this.o.phaseTimeoutS * 1000), () => composeState(e.socket, PROJECT, ['db']), {
        done: (s: ComposeState) => COMPOSE_SERVICES.every((x) => s.ready.includes(x)),
        describe: (s) => s.summary,
      });
      let memory: MemorySampled | undefined;
      if (reached(up)) {
        await bounded(sleep(2000), this.signal);
        memory = sampleMemory(e);
        progress(`${name}: ${(memory.totalBytes / MiB).toFixed(1)} MiB with the app running`);
      }
      progress(`${name}: compose down`);
      const down = await this.timed(`${name}: compose down`, () => e.composeDown(file, this.o.phaseTimeoutS * 1000), () => containersWithLabel(e.socket, `com.docker.compose.project=${PROJECT}`), {
        done: (rows) => rows.length === 0,
        describe: (rows) => `${rows.length} container(s) left`,
      });
      return { version: e.version, command: e.composeUpCommand, up, down, memory };
    });
  }
}

function describeStack(p: Record<string, ServiceProgress>): string {
  const names = Object.keys(p).sort();
  if (names.length === 0) return 'no service of the stack yet';
  return names.map((n) => `${n} ${p[n]?.running ?? 0} running${(p[n]?.failed ?? 0) > 0 ? `, ${p[n]?.failed ?? 0} failed (${p[n]?.lastError ?? ''})` : ''}`).join('; ');
}

interface StackResult {
  version: string;
  deploy: Outcome;
  rm: Outcome;
  memory: MemorySampled | undefined;
  dockerCliDeploy?: Outcome;
  dockerCliRm?: Outcome;
  dockerCliError?: string;
}

interface ComposeResult {
  version: string;
  command: string;
  up: Outcome;
  down: Outcome;
  memory: MemorySampled | undefined;
}

/** The getting-started file without any service's `ports:` (comments and everything else kept). */
function withoutPorts(src: string): string {
  const doc = parseDocument(src);
  const services = doc.toJS() as { services?: Record<string, { ports?: unknown }> };
  for (const [name, svc] of Object.entries(services.services ?? {})) if (svc?.ports !== undefined) doc.deleteIn(['services', name, 'ports']);
  return `# bench/stack: ${STACK_FILE} without ports: (real Docker's routing mesh cannot work here)\n${doc.toString()}`;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A headline number of a phase: the time it took, or undefined when it was given up. */
function msOf(o: Outcome | undefined, mark?: string): number | undefined {
  if (o === undefined) return undefined;
  if (mark !== undefined && o.marks[mark] !== undefined) return o.marks[mark];
  return reached(o) ? o.ms : undefined;
}

function cell(o: Outcome | undefined, mark?: string): string {
  if (o === undefined) return '-';
  const ms = msOf(o, mark);
  if (ms !== undefined) return secs(ms);
  return 'gaveUp' in o ? `gave up @${secs(o.afterMs)}` : '-';
}

interface Results {
  stack: Partial<Record<EngineName, StackResult>>;
  compose: Partial<Record<EngineName, ComposeResult>>;
  errors: string[];
  stackFile: { path: string; ports: boolean; why: string } | undefined;
}

function report(o: Options, res: Results, host: Record<string, unknown>): void {
  const engines = o.engines;
  const both = engines.includes('shoal') && engines.includes('docker');
  const label = (n: EngineName): string => res.stack[n]?.version ?? res.compose[n]?.version ?? n;
  type Row = { key: string; title: string; get: (n: EngineName) => { text: string; value: number | undefined } };
  const time = (title: string, key: string, pick: (n: EngineName) => Outcome | undefined, mark?: string): Row => ({
    key,
    title,
    get: (n) => ({ text: cell(pick(n), mark), value: msOf(pick(n), mark) }),
  });
  const mem = (title: string, key: string, pick: (n: EngineName) => MemorySampled | undefined): Row => ({
    key,
    title,
    get: (n) => {
      const m = pick(n);
      return { text: m === undefined ? '-' : `${(m.totalBytes / MiB).toFixed(1)} MiB`, value: m?.totalBytes };
    },
  });
  const rows: Row[] = [];
  if (o.parts.includes('stack')) {
    rows.push(time(`stack deploy: web ${WEB_REPLICAS}/${WEB_REPLICAS} running`, 'stackDeployWebMs', (n) => res.stack[n]?.deploy, 'web'));
    rows.push(time('stack deploy: + monitor running', 'stackDeployAllMs', (n) => res.stack[n]?.deploy));
    rows.push(mem('memory, stack running (PSS)', 'stackMemoryBytes', (n) => res.stack[n]?.memory));
    rows.push(time('stack rm: no container left', 'stackRmMs', (n) => res.stack[n]?.rm));
  }
  if (o.parts.includes('compose')) {
    rows.push(time('compose up: db healthy, all running', 'composeUpMs', (n) => res.compose[n]?.up));
    rows.push(mem('memory, app running (PSS)', 'composeMemoryBytes', (n) => res.compose[n]?.memory));
    rows.push(time('compose down: no container left', 'composeDownMs', (n) => res.compose[n]?.down));
  }
  const lines: string[] = [];
  const W = 22;
  lines.push(`${''.padEnd(38)}${engines.map((n) => label(n).padStart(W)).join('')}${both ? `${'shoal/docker'.padStart(14)}${'docker/shoal'.padStart(14)}` : ''}`);
  const ratios: Record<string, { shoalOverDocker: number | null; dockerOverShoal: number | null }> = {};
  for (const row of rows) {
    const cells = engines.map((n) => row.get(n).text.padStart(W)).join('');
    let rat = '';
    if (both) {
      const s = row.get('shoal').value;
      const d = row.get('docker').value;
      const sd = s !== undefined && d !== undefined && d > 0 ? s / d : undefined;
      const ds = s !== undefined && d !== undefined && s > 0 ? d / s : undefined;
      ratios[row.key] = { shoalOverDocker: sd === undefined ? null : r2(sd), dockerOverShoal: ds === undefined ? null : r2(ds) };
      rat = `${(sd === undefined ? '-' : `${sd.toFixed(2)}×`).padStart(14)}${(ds === undefined ? '-' : `${ds.toFixed(1)}×`).padStart(14)}`;
    }
    lines.push(`${row.title.padEnd(38)}${cells}${rat}`);
  }
  if (res.stackFile !== undefined) lines.push(`stack file (both engines): ${res.stackFile.path}${res.stackFile.ports ? ' (with its ports: 80:80)' : ', a copy of it WITHOUT ports:'} — ${res.stackFile.why}`);
  if (o.parts.includes('stack')) {
    const cmds = engines.map((n) => (n === 'shoal' ? 'shoal `shoal stack deploy/rm` (node dist/shoal.cjs)' : `docker \`docker stack deploy/rm\` (${String(host['dockerCli'])})`));
    lines.push(`stack commands: ${cmds.join('; ')}; --resolve-image never, detached, polled every ${o.pollMs} ms`);
  }
  if (o.parts.includes('compose')) lines.push(`compose commands: ${engines.map((n) => `${n} \`${res.compose[n]?.command ?? '-'}\``).join('; ')} (docker-compose ${typeof host['dockerCompose'] === 'string' ? host['dockerCompose'] : '-'}; Compose v1 has no --wait: polled)`);
  const sh = res.stack.shoal;
  if (sh?.dockerCliDeploy !== undefined) {
    lines.push(`shoal with the docker CLI: \`docker stack deploy\` web ${WEB_REPLICAS}/${WEB_REPLICAS} ${cell(sh.dockerCliDeploy, 'web')}, + monitor ${cell(sh.dockerCliDeploy)}; \`docker stack rm\` ${cell(sh.dockerCliRm)}${sh.dockerCliError !== undefined ? `; failed: ${sh.dockerCliError}` : ''}`);
  }
  for (const n of engines) {
    const parts: string[] = [];
    const s = res.stack[n];
    const c = res.compose[n];
    if (s !== undefined && reached(s.deploy)) parts.push(`stack deploy CLI ${secs(s.deploy.cliMs)}`);
    if (c !== undefined && reached(c.up)) parts.push(`compose up CLI ${secs(c.up.cliMs)}`);
    if (s?.memory !== undefined) parts.push(`stack memory: ${Object.entries(s.memory.groups).map(([g, v]) => `${g} ×${v.count} ${(v.bytes / MiB).toFixed(1)} MiB`).join(', ')}`);
    if (c?.memory !== undefined) parts.push(`app memory: ${Object.entries(c.memory.groups).map(([g, v]) => `${g} ×${v.count} ${(v.bytes / MiB).toFixed(1)} MiB`).join(', ')}`);
    const phases = [['stack deploy', s?.deploy], ['stack rm', s?.rm], ['docker stack deploy', s?.dockerCliDeploy], ['docker stack rm', s?.dockerCliRm], ['compose up', c?.up], ['compose down', c?.down]] as const;
    for (const [what, out] of phases) {
      if (out !== undefined && 'gaveUp' in out) parts.push(`${what} gave up: ${out.gaveUp}`);
      if (out?.cliError !== undefined) parts.push(`${what}: the command failed (the poll went on): ${out.cliError.replace(/\s+/g, ' ')}`);
    }
    if (parts.length > 0) lines.push(`${n}: ${parts.join('; ')}`);
  }
  for (const e of res.errors) lines.push(`error: ${e}`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const outJson = (x: Outcome | undefined): unknown => {
    if (x === undefined) return null;
    const extra = { marks: Object.fromEntries(Object.entries(x.marks).map(([k, v]) => [k, r2(v)])), ...(x.cliError === undefined ? {} : { cliError: x.cliError }) };
    return reached(x) ? { ms: r2(x.ms), cliMs: r2(x.cliMs), polls: x.polls, ...extra } : { gaveUp: x.gaveUp, afterMs: r2(x.afterMs), ...extra };
  };
  const memJson = (m: MemorySampled | undefined): unknown => (m === undefined ? null : { kind: m.kind, totalBytes: m.totalBytes, groups: m.groups });
  const json = {
    bench: 'stack',
    stackFile: res.stackFile ?? null,
    pollMs: o.pollMs,
    phaseTimeoutS: o.phaseTimeoutS,
    ...Object.fromEntries(
      engines.map((n) => {
        const s = res.stack[n];
        const c = res.compose[n];
        return [
          n,
          {
            version: label(n),
            stack:
              s === undefined
                ? null
                : { deploy: outJson(s.deploy), rm: outJson(s.rm), memory: memJson(s.memory), ...(n === 'shoal' ? { dockerCliDeploy: outJson(s.dockerCliDeploy), dockerCliRm: outJson(s.dockerCliRm), dockerCliError: s.dockerCliError ?? null } : {}) },
            compose: c === undefined ? null : { command: c.command, up: outJson(c.up), down: outJson(c.down), memory: memJson(c.memory) },
          },
        ];
      }),
    ),
    ratios: both ? ratios : null,
    errors: res.errors,
    host,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/stack needs root (network namespaces, runc, conmon, overlay mounts, cgroups, dockerd)\n');
    return 1;
  }
  ensureBundle(o.build);
  if (o.engines.includes('docker')) {
    if (o.install) {
      ensureDockerd(progress);
      if (o.parts.includes('compose')) ensureDockerCompose(progress);
    } else {
      for (const cmd of ['dockerd', ...(o.parts.includes('compose') ? ['docker-compose'] : [])]) {
        if (spawnSync('sh', ['-c', `command -v ${cmd}`], { timeout: 5000 }).status !== 0) throw new Error(`${cmd} is missing (and --no-install was given)`);
      }
    }
  }
  // Read only: the engines live in namespaces of ours; other work on the machine may add links here meanwhile.
  const rootLinks = readdirSync('/sys/class/net');
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`overall timeout of ${o.timeoutS} s reached`)), o.timeoutS * 1000);
  const watchdog = setTimeout(
    () => {
      process.stderr.write('[bench] cleanup did not finish in time; killing what is left\n');
      state.engine?.emergencyStop();
      state.netns?.delete();
      if (state.tmp !== undefined) rmSync(state.tmp, { recursive: true, force: true });
      process.exit(2);
    },
    o.timeoutS * 1000 + 120_000,
  );
  watchdog.unref();
  const onSignal = (sig: NodeJS.Signals): void => ac.abort(new Error(`interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const res: Results = { stack: {}, compose: {}, errors: [], stackFile: undefined };
  let code = 0;
  const fail = (what: string, e: unknown): void => {
    const detail = e instanceof Error ? (ac.signal.aborted ? e.message : (e.stack ?? e.message)) : String(e);
    progress(`${what} failed: ${detail}`);
    res.errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  };
  try {
    state.tmp = mkdtempSync(join(tmpdir(), 'shoal-bench-stack-'));
    const noPorts = join(state.tmp, 'docker-compose.no-ports.yml');
    writeFileSync(noPorts, withoutPorts(readFileSync(STACK_FILE, 'utf8')));
    const appFile = join(state.tmp, 'compose.yaml');
    writeFileSync(appFile, COMPOSE_APP);
    progress('building the web and misbehave images (saveImages)');
    const images = await bounded(saveImages(['web', 'misbehave']), ac.signal);
    const runner = new Runner(o, ac.signal, images.path);

    if (o.parts.includes('stack')) {
      let file = o.ports === 'drop' ? { path: noPorts, ports: false, why: '--ports drop' } : { path: STACK_FILE, ports: true, why: o.ports === 'keep' ? '--ports keep' : o.engines.includes('docker') ? "the file as it is (--ports auto; Docker's deploy was not measured)" : 'the file as it is (--ports auto, Docker not run)' };
      for (const n of o.engines) {
        if (ac.signal.aborted) break;
        try {
          let r = await runner.stackPart(n, file.path);
          if (n === 'docker' && o.ports === 'auto' && file.ports && !reached(r.deploy)) {
            const why = `Docker could not converge with the published port 80:80 (${'gaveUp' in r.deploy ? r.deploy.gaveUp : '?'}); both engines deploy a copy without ports:`;
            progress(why);
            file = { path: noPorts, ports: false, why };
            r = await runner.stackPart(n, file.path);
          } else if (n === 'docker' && o.ports === 'auto' && file.ports) {
            file.why = 'Docker converged with the published port (its tasks run; without IPVS its mesh cannot forward here, which is not measured)';
          }
          res.stack[n] = r;
        } catch (e) {
          fail(`${n} stack`, e);
        }
      }
      res.stackFile = { ...file, path: 'examples/getting-started/docker-compose.yml' };
    }
    if (o.parts.includes('compose')) {
      for (const n of o.engines) {
        if (ac.signal.aborted) break;
        try {
          res.compose[n] = await runner.composePart(n, appFile);
        } catch (e) {
          fail(`${n} compose`, e);
        }
      }
    }
    if (ac.signal.aborted) {
      res.errors.push(`stopped early: ${(ac.signal.reason as Error).message}`);
      code = 1;
    }
    if (Object.values(res.stack).some((s) => s.dockerCliError !== undefined)) code = 1;
    for (const x of [...Object.values(res.stack).flatMap((s) => [s.deploy, s.rm, s.dockerCliDeploy, s.dockerCliRm]), ...Object.values(res.compose).flatMap((c) => [c.up, c.down])]) {
      if (x !== undefined && (!reached(x) || x.cliError !== undefined)) code = 1;
    }
    const docker = o.engines.includes('docker');
    const host = {
      kernel: release(),
      cpus: cpus().length,
      memBytes: totalmem(),
      node: process.version,
      dockerCli: firstLine('docker', ['--version']),
      dockerd: docker ? dockerdVersion() : null,
      containerd: docker ? firstLine('containerd', ['--version']) : null,
      dockerCompose: docker && o.parts.includes('compose') ? dockerComposeVersion() : null,
      runc: firstLine('runc', ['--version']),
      conmon: firstLine('conmon', ['--version']),
    };
    report(o, res, host);
  } catch (e) {
    fail('bench', e);
  } finally {
    clearTimeout(timer);
    const problems: string[] = [];
    const e = state.engine;
    state.engine = undefined;
    if (e !== undefined) problems.push(...(await e.stop()).map((p) => `${e.name}: ${p}`));
    problems.push(...(state.netns?.delete() ?? []));
    state.netns = undefined;
    if (state.tmp !== undefined) rmSync(state.tmp, { recursive: true, force: true });
    state.tmp = undefined;
    const leftNs = netnsWithPrefix(NETNS_PREFIX);
    if (leftNs.length > 0) problems.push(`network namespaces left: ${leftNs.join(', ')}`);
    for (const p of problems) progress(`cleanup: ${p}`);
    const newLinks = readdirSync('/sys/class/net').filter((l) => !rootLinks.includes(l));
    if (newLinks.length > 0) progress(`note: links that appeared in the root netns during the run (this benchmark's engines ran in namespaces of their own: probably other work on this machine; left alone): ${newLinks.join(', ')}`);
    if (problems.length > 0) code = code === 0 ? 3 : code;
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

process.exitCode = await main();
