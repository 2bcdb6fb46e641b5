/**
 * bench/scale: scaling a swarm service on Shoal and on real Docker in the same run, through each engine's own
 * docker-compatible unix socket with the same docker CLI, and the ratio docker / shoal of every time. Run as root:
 * `npm run bench:scale -- [--from 5] [--to 50] [--rounds 1]`.
 *
 * Per engine, one after the other (never both at once):
 * 1. The engine on a one-node swarm: for Shoal a real daemon from the e2e harness (test/harness/daemon.ts); for
 *    Docker its own dockerd (bench/lib/dockerd.ts: Debian's docker.io, installed with apt-get when missing, with its
 *    own data root, exec root, socket and containerd, no bridge, no iptables). `swarm init` on 127.0.0.1 at a free
 *    port; the `misbehave` fixture image loaded with `docker load -i` (its default command `sleep` keeps running).
 * 2. `service create -d --name s --replicas FROM shoal-test/misbehave:1 sleep`, until FROM containers run (timed,
 *    not the headline).
 * 3. Each round: `service scale -d s=TO` until TO containers of the service run; the engine's memory at TO running
 *    (PSS of the daemon processes and the per-container monitors: shoal daemon + conmons, dockerd + containerd +
 *    containerd-shim-runc-v2); `service scale -d s=FROM` until only FROM containers run, and until the extra
 *    containers are gone (removed, `docker ps -a`).
 * 4. `service rm s` until no container of the service is left.
 * The clock starts before the CLI command and stops at the first poll that sees the target; the poll is the Engine
 * API's `GET /containers/json?all=1` filtered on the label `com.docker.swarm.service.name=s` (what `docker ps -a
 * --filter label=…` sends), every --poll-ms. The CPU time of the engine's processes during each phase is read from
 * /proc (utime+stime and reaped children; processes that exit inside a phase are not counted).
 * Progress goes to stderr; stdout gets the table and, last, one JSON line. Everything is removed in `finally`; an
 * overall timeout (default 600 s) aborts the run, and a watchdog kills what is left if cleanup hangs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildImageTar } from '../test/fixtures/images/build.js';
import { REPO, run, startDaemon } from '../test/harness/daemon.js';
import type { RunResult, TestDaemon } from '../test/harness/daemon.js';
import { freePort } from '../test/harness/registry.js';
import { dockerdVersion, ensureDockerd, HostNetState, TestDockerd } from './lib/dockerd.js';
import { memoryOf } from './lib/proc.js';
import { bounded, shoalDaemonParts } from './lib/shoal-start.js';
import { ENGINE_RUN_OPTIONS, engineRunOptions, intOption, ensureBundle, firstLine, progress } from './lib/common.js';
import type { EngineName } from './lib/common.js';

const USAGE = `usage: node --import tsx bench/scale.ts [options]   (as root)
  --from N          replicas before and after scaling up (default 5, 1..100)
  --to M            replicas to scale up to (default 50, FROM+1..200)
  --rounds R        scale FROM → TO → FROM cycles per engine (default 1, 1..5); the table shows the median
  --only ENGINE     run only shoal or only docker (no ratios then)
  --poll-ms P       poll interval (default 100, 20..1000)
  --phase-timeout S bound on one phase in seconds (default 240, 10..1800)
  --timeout S       overall bound in seconds (default 600, 30..3600)
  --no-install      fail instead of installing docker.io when dockerd is missing
  --build           run \`npm run build\` first (otherwise only when dist/shoal.cjs is missing)
  --help`;


interface Options {
  from: number;
  to: number;
  rounds: number;
  engines: EngineName[];
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
      from: { type: 'string' },
      to: { type: 'string' },
      rounds: { type: 'string' },
      ...ENGINE_RUN_OPTIONS,
    },
    strict: true,
  });
  const run = engineRunOptions(values, USAGE, { engines: ['shoal', 'docker'], phaseTimeoutS: [240, 10, 1800], timeoutS: [600, 30, 3600] });
  const from = intOption(values.from, 'from', 5, 1, 100);
  return {
    from,
    to: intOption(values.to, 'to', Math.max(50, from + 1), from + 1, 200),
    rounds: intOption(values.rounds, 'rounds', 1, 1, 5),
    ...run,
  };
}

const SERVICE = 's';
const LABEL = `com.docker.swarm.service.name=${SERVICE}`;
const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One engine behind its docker-compatible socket. */
interface Engine {
  readonly name: EngineName;
  readonly version: string;
  readonly socket: string;
  docker(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** The engine's own processes, by group (containers excluded). */
  pids(): Record<string, number[]>;
  log(): string;
  stop(): Promise<string[]>;
  emergencyStop(): void;
}

function shoalEngine(d: TestDaemon): Engine {
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  return {
    name: 'shoal',
    version: `shoal ${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}`,
    socket: d.socket,
    docker: (args, timeoutMs = 60_000) => run('docker', ['-H', d.host, ...args], { env, timeoutMs }),
    ...shoalDaemonParts(d),
  };
}

function dockerEngine(d: TestDockerd, version: string): Engine {
  return {
    name: 'docker',
    version,
    socket: d.socket,
    docker: (args, timeoutMs) => d.docker(args, timeoutMs),
    pids: () => d.enginePids(),
    log: () => d.log(),
    stop: () => d.stop(),
    emergencyStop: () => d.emergencyStop(),
  };
}

/** `GET /containers/json?all=1` with the service's label: how many of its containers exist, and how many run. */
function countContainers(socket: string): Promise<{ running: number; total: number }> {
  const filters = encodeURIComponent(JSON.stringify({ label: [LABEL] }));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: `/containers/json?all=1&filters=${filters}`, method: 'GET', timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET /containers/json: ${res.statusCode ?? '?'} ${body.trim()}`));
          return;
        }
        try {
          const list = JSON.parse(body) as { State?: string }[];
          resolve({ running: list.filter((c) => c.State === 'running').length, total: list.length });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('GET /containers/json timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** CPU seconds (utime + stime + reaped children) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14..17 of stat(5); f[0] is field 3.
    const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i] ?? 0), 0);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

function cpuSnapshot(e: Engine): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of Object.values(e.pids()).flat()) {
    const c = cpuSeconds(p);
    if (c !== undefined) m.set(p, c);
  }
  return m;
}

/** CPU seconds the engine's processes used between two snapshots (processes born in between count from zero). */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let s = 0;
  for (const [p, c] of after) s += c - (before.get(p) ?? 0);
  return s;
}

interface MemorySampled {
  /** Bytes by process group (PSS, or RSS where smaps_rollup is unreadable). */
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

interface PhaseTiming {
  /** From the command's start until the target was first seen, ms. */
  ms: number;
  /** The CLI command's own wall time, ms. */
  cliMs: number;
  /** CPU seconds of the engine's processes during the phase. */
  cpuS: number;
  polls: number;
}

interface ScaleDown extends PhaseTiming {
  /** Until only FROM containers run (the rest may still exist, stopped), ms. */
  runningMs: number;
}

interface Round {
  up: PhaseTiming;
  down: ScaleDown;
  memory: MemorySampled;
}

interface EngineResult {
  version: string;
  create: PhaseTiming;
  rounds: Round[];
  rm: PhaseTiming;
}

class Scenario {
  constructor(
    private readonly e: Engine,
    private readonly o: Options,
    private readonly signal: AbortSignal,
  ) {}

  private async cli(args: string[], what: string): Promise<{ r: RunResult; ms: number }> {
    const t0 = performance.now();
    const r = await bounded(this.e.docker(args, this.o.phaseTimeoutS * 1000), this.signal);
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`${this.e.name}: docker ${args.join(' ')} (${what}) failed (${r.code}): ${r.stderr.trim()}`);
    return { r, ms };
  }

  /**
   * Runs `args` and polls until `done(counts)`; `mark` sees every poll and may record intermediate times. The
   * clock starts before the command.
   */
  private async phase(args: string[], what: string, done: (c: { running: number; total: number }) => boolean, mark?: (c: { running: number; total: number }, ms: number) => void): Promise<PhaseTiming> {
    const cpu0 = cpuSnapshot(this.e);
    const t0 = performance.now();
    const cmd = this.cli(args, what);
    // The poll runs while the command does: a detached CLI returns once its request is answered; its wall time is
    // kept apart.
    let cliMs: number | undefined;
    let cliError: Error | undefined;
    cmd.then(
      (x) => (cliMs = x.ms),
      (e: unknown) => (cliError = e instanceof Error ? e : new Error(String(e))),
    );
    const deadline = t0 + this.o.phaseTimeoutS * 1000;
    let polls = 0;
    for (;;) {
      // The target is never met before the command (the scenario always moves away from the current count).
      const c = await bounded(countContainers(this.e.socket), this.signal);
      polls++;
      const ms = performance.now() - t0;
      mark?.(c, ms);
      if (done(c)) {
        const cpuS = cpuBetween(cpu0, cpuSnapshot(this.e));
        await cmd;
        return { ms, cliMs: cliMs ?? performance.now() - t0, cpuS, polls };
      }
      if (cliError !== undefined) throw cliError;
      if (performance.now() > deadline) throw new Error(`${this.e.name}: ${what} not done after ${this.o.phaseTimeoutS} s (last poll: ${c.running} running, ${c.total} existing)`);
      await bounded(sleep(this.o.pollMs), this.signal);
    }
  }

  async run(): Promise<EngineResult> {
    const { from, to } = this.o;
    progress(`${this.e.name}: service create --replicas ${from}`);
    const create = await this.phase(['service', 'create', '-d', '--name', SERVICE, '--replicas', String(from), IMAGE, 'sleep'], `create ${from}`, (c) => c.running >= from);
    const rounds: Round[] = [];
    for (let i = 0; i < this.o.rounds; i++) {
      progress(`${this.e.name}: round ${i + 1}/${this.o.rounds}: scale ${from} → ${to}`);
      const up = await this.phase(['service', 'scale', '-d', `${SERVICE}=${to}`], `scale ${from} → ${to}`, (c) => c.running >= to);
      // A moment for the last starts to settle before the memory sample (untimed).
      await bounded(sleep(2000), this.signal);
      const memory = sampleMemory(this.e);
      progress(`${this.e.name}: ${(memory.totalBytes / MiB).toFixed(1)} MiB at ${to} running; scale ${to} → ${from}`);
      let runningMs: number | undefined;
      const down = await this.phase(
        ['service', 'scale', '-d', `${SERVICE}=${from}`],
        `scale ${to} → ${from}`,
        (c) => c.running <= from && c.total <= from,
        (c, ms) => {
          if (runningMs === undefined && c.running <= from) runningMs = ms;
        },
      );
      rounds.push({ up, down: { ...down, runningMs: runningMs ?? down.ms }, memory });
    }
    progress(`${this.e.name}: service rm`);
    const rm = await this.phase(['service', 'rm', SERVICE], 'service rm', (c) => c.total === 0);
    return { version: this.e.version, create, rounds, rm };
  }
}

const IMAGE = 'shoal-test/misbehave:1';

/** What cleanup must undo; module-level so the watchdog can reach it. */
const state: { engine?: Engine | undefined; net?: HostNetState | undefined } = {};

async function startEngine(name: EngineName, o: Options, signal: AbortSignal): Promise<Engine> {
  if (name === 'shoal') {
    progress('shoal: starting the daemon (test/harness/daemon.ts)');
    const d = await bounded(startDaemon({ hostname: 'shoal-bench-scale' }), signal);
    return shoalEngine(d);
  }
  if (o.install) ensureDockerd(progress);
  else if (spawnSync('sh', ['-c', 'command -v dockerd'], { timeout: 5000 }).status !== 0) throw new Error('dockerd is missing (and --no-install was given)');
  const version = dockerdVersion();
  progress(`docker: starting its own dockerd (${version})`);
  state.net = HostNetState.take();
  const d = await bounded(TestDockerd.start(), signal);
  return dockerEngine(d, `dockerd ${version.match(/version ([^,\s]+)/)?.[1] ?? '?'}`);
}

async function stopEngine(): Promise<string[]> {
  const problems: string[] = [];
  const e = state.engine;
  state.engine = undefined;
  if (e !== undefined) problems.push(...(await e.stop()).map((p) => `${e.name}: ${p}`));
  if (state.net !== undefined) {
    problems.push(...state.net.restore().map((p) => `host: ${p}`));
    state.net = undefined;
  }
  return problems;
}

async function measureEngine(name: EngineName, o: Options, imagePath: string, signal: AbortSignal): Promise<EngineResult> {
  const e = await startEngine(name, o, signal);
  state.engine = e;
  try {
    const load = await bounded(e.docker(['load', '-i', imagePath], 120_000), signal);
    if (load.code !== 0) throw new Error(`${name}: docker load failed (${load.code}): ${load.stderr.trim()}`);
    const port = await freePort();
    const init = await bounded(e.docker(['swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`], 60_000), signal);
    if (init.code !== 0) throw new Error(`${name}: swarm init failed (${init.code}): ${init.stderr.trim()}`);
    return await new Scenario(e, o, signal).run();
  } catch (err) {
    if (!signal.aborted) {
      const log = e.log().trim();
      if (log !== '') progress(`${name}: engine log (last 20 lines):\n${log.split('\n').slice(-20).join('\n')}`);
    }
    throw err;
  } finally {
    progress(`${name}: stopping the engine`);
    for (const p of await stopEngine()) progress(`cleanup: ${p}`);
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;
const secs = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (d: number | undefined, s: number | undefined): number | undefined => (d === undefined || s === undefined || !(s > 0) ? undefined : d / s);
const times = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(1)}×`);

/** The headline numbers of one engine (medians over rounds). */
function headline(r: EngineResult): Record<string, number> {
  return {
    createMs: r.create.ms,
    upMs: median(r.rounds.map((x) => x.up.ms)),
    downRunningMs: median(r.rounds.map((x) => x.down.runningMs)),
    downGoneMs: median(r.rounds.map((x) => x.down.ms)),
    rmMs: r.rm.ms,
    memoryBytes: median(r.rounds.map((x) => x.memory.totalBytes)),
    upCpuS: median(r.rounds.map((x) => x.up.cpuS)),
    downCpuS: median(r.rounds.map((x) => x.down.cpuS)),
  };
}

function report(o: Options, results: Partial<Record<EngineName, EngineResult>>, errors: Partial<Record<EngineName, string>>, host: Record<string, unknown>): void {
  const h: Partial<Record<EngineName, Record<string, number>>> = {};
  for (const n of o.engines) {
    const r = results[n];
    if (r !== undefined) h[n] = headline(r);
  }
  const rows: [string, string, (x: number) => string][] = [
    ['createMs', `create ${o.from} → ${o.from} running`, secs],
    ['upMs', `scale ${o.from} → ${o.to}: ${o.to} running`, secs],
    ['downRunningMs', `scale ${o.to} → ${o.from}: ${o.from} running`, secs],
    ['downGoneMs', `scale ${o.to} → ${o.from}: extra ${o.to - o.from} gone`, secs],
    ['rmMs', `service rm: all gone`, secs],
    ['memoryBytes', `memory at ${o.to} running (PSS)`, (x) => `${(x / MiB).toFixed(1)} MiB`],
    ['upCpuS', `engine CPU during ${o.from} → ${o.to}`, (x) => `${x.toFixed(2)} s`],
    ['downCpuS', `engine CPU during ${o.to} → ${o.from}`, (x) => `${x.toFixed(2)} s`],
  ];
  const lines: string[] = [];
  const label = (n: EngineName): string => results[n]?.version ?? n;
  lines.push(`service ${SERVICE} of ${IMAGE} (sleep) on a one-node swarm, ${o.rounds} round(s) (medians), poll every ${o.pollMs} ms, ${String(host['dockerCli'])} on both`);
  lines.push(`${''.padEnd(36)}${o.engines.map((n) => label(n).padStart(24)).join('')}${o.engines.length === 2 ? 'docker/shoal'.padStart(14) : ''}`);
  for (const [key, title, fmt] of rows) {
    const cells = o.engines.map((n) => {
      const v = h[n]?.[key];
      return (v === undefined ? '-' : fmt(v)).padStart(24);
    });
    const rat = o.engines.length === 2 ? times(ratio(h.docker?.[key], h.shoal?.[key])).padStart(14) : '';
    lines.push(`${title.padEnd(36)}${cells.join('')}${rat}`);
  }
  for (const n of o.engines) {
    const r = results[n];
    if (r === undefined) {
      lines.push(`${n}: not measured: ${errors[n] ?? 'unknown error'}`);
      continue;
    }
    const m = r.rounds[0]?.memory;
    if (m !== undefined) lines.push(`${n} memory, round 1: ${Object.entries(m.groups).map(([g, v]) => `${g} ×${v.count} ${(v.bytes / MiB).toFixed(1)} MiB`).join(', ')}${m.kind === 'rss' ? ' (RSS: smaps_rollup unreadable)' : ''}`);
    if (o.rounds > 1) lines.push(`${n} per round: up ${r.rounds.map((x) => secs(x.up.ms)).join(', ')}; down ${r.rounds.map((x) => secs(x.down.ms)).join(', ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const engineJson = (n: EngineName): unknown => {
    const r = results[n];
    if (r === undefined) return { error: errors[n] ?? 'not run' };
    const ph = (p: PhaseTiming): Record<string, number> => ({ ms: r2(p.ms), cliMs: r2(p.cliMs), cpuS: r2(p.cpuS), polls: p.polls });
    return {
      version: r.version,
      create: ph(r.create),
      rounds: r.rounds.map((x) => ({
        up: ph(x.up),
        down: { ...ph(x.down), runningMs: r2(x.down.runningMs) },
        memory: { kind: x.memory.kind, totalBytes: x.memory.totalBytes, groups: x.memory.groups },
      })),
      rm: ph(r.rm),
      median: Object.fromEntries(Object.entries(headline(r)).map(([k, v]) => [k, r2(v)])),
    };
  };
  const ratios: Record<string, number | null> = {};
  if (h.docker !== undefined && h.shoal !== undefined) {
    for (const [key] of rows) {
      const x = ratio(h.docker[key], h.shoal[key]);
      ratios[key] = x === undefined ? null : r2(x);
    }
  }
  const json = {
    bench: 'scale',
    from: o.from,
    to: o.to,
    rounds: o.rounds,
    pollMs: o.pollMs,
    image: IMAGE,
    ...Object.fromEntries(o.engines.map((n) => [n, engineJson(n)])),
    ratioDockerOverShoal: o.engines.length === 2 ? ratios : null,
    host,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/scale needs root (runc, conmon, overlay mounts, cgroups, dockerd)\n');
    return 1;
  }
  ensureBundle(o.build);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`overall timeout of ${o.timeoutS} s reached`)), o.timeoutS * 1000);
  // If cleanup itself hangs, kill what is left and leave.
  const watchdog = setTimeout(
    () => {
      process.stderr.write('[bench] cleanup did not finish in time; killing what is left\n');
      state.engine?.emergencyStop();
      for (const p of state.net?.restore() ?? []) process.stderr.write(`[bench] cleanup: host: ${p}\n`);
      process.exit(2);
    },
    o.timeoutS * 1000 + 120_000,
  );
  watchdog.unref();
  const onSignal = (sig: NodeJS.Signals): void => ac.abort(new Error(`interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: Partial<Record<EngineName, EngineResult>> = {};
  const errors: Partial<Record<EngineName, string>> = {};
  let code = 0;
  try {
    const image = await bounded(buildImageTar('misbehave'), ac.signal);
    for (const n of o.engines) {
      if (ac.signal.aborted) {
        errors[n] = (ac.signal.reason as Error).message;
        continue;
      }
      try {
        results[n] = await measureEngine(n, o, image.path, ac.signal);
      } catch (e) {
        const detail = e instanceof Error ? (ac.signal.aborted ? e.message : (e.stack ?? e.message)) : String(e);
        progress(`${n} failed: ${detail}`);
        errors[n] = e instanceof Error ? e.message : String(e);
        code = 1;
      }
    }
    const host = {
      kernel: release(),
      cpus: cpus().length,
      memBytes: totalmem(),
      node: process.version,
      dockerCli: firstLine('docker', ['--version']),
      dockerd: o.engines.includes('docker') ? dockerdVersion() : null,
      containerd: o.engines.includes('docker') ? firstLine('containerd', ['--version']) : null,
      runc: firstLine('runc', ['--version']),
      conmon: firstLine('conmon', ['--version']),
    };
    report(o, results, errors, host);
  } catch (e) {
    progress(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 1;
  } finally {
    clearTimeout(timer);
    const problems = await stopEngine();
    for (const p of problems) progress(`cleanup: ${p}`);
    if (problems.length > 0) code = code === 0 ? 3 : code;
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

process.exitCode = await main();
