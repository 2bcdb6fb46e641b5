/**
 * bench/container-start: how long a container start takes through Shoal (create → running, over the Engine API on
 * the unix socket), next to the floor measured in the same run on the same image layers, and how much memory a
 * running container costs. Run as root: `npm run bench:container-start -- [--count 30] [--running 10]`.
 *
 * 1. A real daemon from the e2e harness (test/harness/daemon.ts) with the `misbehave` fixture image loaded.
 * 2. N sequential starts of `docker run -d shoal-test/misbehave:1` as the CLI sends it (the command `sleep` keeps it
 *    running): create, start, inspect until State.Running. Each container is force-removed (untimed) before the
 *    next start.
 * 3. The floor, interleaved with step 2 (one of each per round, so drift on the host hits both alike): `runc run`
 *    of /bin/true on an overlay of the image's own unpacked layers, and conmon + `runc create` + `runc start`.
 * 4. K containers running `sleep`: PSS (smaps_rollup; RSS when unreadable) of each one's conmon and its own
 *    processes, divided by K; the daemon's RSS before and after starting them.
 * Progress goes to stderr; stdout gets the table and, last, one JSON line. Everything it creates is removed in
 * `finally`; an overall timeout (default 300 s) aborts the run, and a watchdog kills what is left if cleanup hangs.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import { createClient } from '../src/client/index.js';
import type { EngineClient } from '../src/client/index.js';
import { buildImageTar } from '../test/fixtures/images/build.js';
import { buildBusyboxRootfs } from '../test/fixtures/rootfs/busybox-rootfs.js';
import type { BusyboxRootfs } from '../test/fixtures/rootfs/busybox-rootfs.js';
import { cleanupHostState, startDaemon } from '../test/harness/daemon.js';
import type { TestDaemon } from '../test/harness/daemon.js';
import { imageLayerDirs } from './lib/image-layers.js';
import { pssOf, rssOf } from './lib/proc.js';
import { RuncFloor } from './lib/runc-floor.js';
import { bounded, containerMemory, runDetachedBody, ShoalStarter } from './lib/shoal-start.js';
import type { ContainerMemory, StartTiming } from './lib/shoal-start.js';
import { formatSummary, rounded, summarize } from './lib/stats.js';
import type { Summary } from './lib/stats.js';
import { intOption, ensureBundle, firstLine, progress } from './lib/common.js';

const USAGE = `usage: node --import tsx bench/container-start.ts [options]   (as root)
  --count N      container starts measured, and floor runs of each kind (default 30, 1..1000)
  --warmup W     unmeasured rounds first (default 2, 0..20)
  --running K    containers kept running for the memory sample (default 10, 1..200)
  --timeout S    overall bound in seconds (default 300, 10..3600)
  --no-conmon    skip the conmon + runc create + start floor
  --build        run \`npm run build\` first (otherwise only when dist/shoal.cjs is missing)
  --help`;

interface Options {
  count: number;
  warmup: number;
  running: number;
  timeoutS: number;
  conmon: boolean;
  build: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      warmup: { type: 'string' },
      running: { type: 'string' },
      timeout: { type: 'string' },
      'no-conmon': { type: 'boolean' },
      build: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    count: intOption(values.count, 'count', 30, 1, 1000),
    warmup: intOption(values.warmup, 'warmup', 2, 0, 20),
    running: intOption(values.running, 'running', 10, 1, 200),
    timeoutS: intOption(values.timeout, 'timeout', 300, 10, 3600),
    conmon: values['no-conmon'] !== true,
    build: values.build === true,
  };
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

function pgrep(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8', timeout: 5000 });
  return (r.stdout ?? '').split('\n').filter((x) => x !== '').map(Number);
}

/** What cleanup must undo; module-level so the watchdog can reach it. */
const state: { daemon?: TestDaemon; floor?: RuncFloor; busybox?: BusyboxRootfs; client?: EngineClient; starter?: ShoalStarter } = {};

/** Last resort when cleanup itself hangs: synchronous, kills rather than asks. */
function emergencyCleanup(): void {
  state.floor?.cleanup();
  const d = state.daemon;
  if (d !== undefined) {
    try {
      process.kill(-d.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    // The harness names the daemon's cgroup parent after its temp dir; kill what is in it and unmount.
    cleanupHostState(d.dir, `shoal-e2e-${d.dir.slice(-6).toLowerCase()}`);
    rmSync(d.dir, { recursive: true, force: true });
  }
  state.busybox?.remove();
}

interface Results {
  shoal: StartTiming[];
  removeMs: number[];
  runTrue: number[];
  conmon: number[];
  memory: ContainerMemory[];
  daemonBefore: { rss: number | undefined; pss: number | undefined };
  daemonAfter: { rss: number | undefined; pss: number | undefined };
  rootfs: string;
}

async function measure(o: Options, tag: string, signal: AbortSignal): Promise<Results> {
  progress('starting the daemon (test/harness/daemon.ts)');
  const daemon = await bounded(startDaemon({ hostname: 'shoal-bench' }), signal);
  state.daemon = daemon;
  const image = await bounded(buildImageTar('misbehave'), signal);
  const load = await bounded(daemon.shoal('image', 'load', '-i', image.path), signal);
  if (load.code !== 0) throw new Error(`shoal image load failed (${load.code}): ${load.stderr}`);
  const client = createClient({ host: daemon.host });
  state.client = client;
  const starter = new ShoalStarter(client, runDetachedBody(image.repoTag), signal);
  state.starter = starter;

  let layers = imageLayerDirs(daemon.dataRoot, image.diffIds);
  let rootfs = `the image's ${layers?.length ?? 0} unpacked layers (overlay)`;
  if (layers === undefined) {
    progress('the image layers are not where expected under the data root; using the busybox fixture rootfs');
    state.busybox = buildBusyboxRootfs();
    layers = state.busybox.layers;
    rootfs = 'the busybox fixture rootfs (overlay of 2 layers)';
  }
  const floor = RuncFloor.create({ layers, tag });
  state.floor = floor;

  const r: Results = { shoal: [], removeMs: [], runTrue: [], conmon: [], memory: [], daemonBefore: { rss: undefined, pss: undefined }, daemonAfter: { rss: undefined, pss: undefined }, rootfs };
  const rounds = o.warmup + o.count;
  progress(`${o.warmup} warm-up + ${o.count} measured rounds (shoal start, runc run${o.conmon ? ', conmon + runc' : ''})`);
  for (let i = 0; i < rounds; i++) {
    if (signal.aborted) throw signal.reason as Error;
    const measured = i >= o.warmup;
    const s = await starter.start(`${tag}-${i}`);
    const rm = await starter.remove(s.id);
    const t = await bounded(floor.runTrue(`${tag}-run-${i}`), signal);
    const c = o.conmon ? await bounded(floor.conmonStart(`${tag}-cm-${i}`), signal) : undefined;
    if (measured) {
      r.shoal.push(s);
      r.removeMs.push(rm);
      r.runTrue.push(t);
      if (c !== undefined) r.conmon.push(c);
    }
    if ((i + 1) % 10 === 0) progress(`round ${i + 1}/${rounds}`);
  }

  progress(`memory: starting ${o.running} containers running sleep`);
  r.daemonBefore = { rss: rssOf(daemon.pid), pss: pssOf(daemon.pid) };
  const ids: string[] = [];
  for (let k = 0; k < o.running; k++) ids.push((await starter.start(`${tag}-mem-${k}`)).id);
  r.daemonAfter = { rss: rssOf(daemon.pid), pss: pssOf(daemon.pid) };
  for (const id of ids) r.memory.push(containerMemory(await starter.pid(id), id, pgrep));
  progress(`removing the ${ids.length} running containers`);
  for (const id of ids) await starter.remove(id);
  return r;
}

function report(o: Options, r: Results, host: Record<string, string | number>): void {
  const shoal = summarize(r.shoal.map((s) => s.total));
  const create = summarize(r.shoal.map((s) => s.create));
  const start = summarize(r.shoal.map((s) => s.start));
  const confirm = summarize(r.shoal.map((s) => s.confirm));
  const remove = summarize(r.removeMs);
  const runTrue = summarize(r.runTrue);
  const conmon = r.conmon.length > 0 ? summarize(r.conmon) : undefined;
  const n = shoal.n;
  const rows: [string, Summary][] = [
    [`container start (create→running), n=${n}:`, shoal],
    ['  POST /containers/create:', create],
    ['  POST /containers/{id}/start:', start],
    ['  inspect until State.Running:', confirm],
    ['  (untimed) DELETE ?force=1:', remove],
    [`floor: runc run /bin/true, n=${runTrue.n}:`, runTrue],
    ...(conmon ? ([[`floor: conmon + runc create + start, n=${conmon.n}:`, conmon]] as [string, Summary][]) : []),
  ];
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const out: string[] = [];
  out.push(`host: ${String(host.kernel)}, ${String(host.cpus)} cpus, ${String(host.runc)}, ${String(host.conmon)}; floor rootfs: ${r.rootfs}`);
  for (const [label, s] of rows) out.push(`${label.padEnd(width)}${formatSummary(s)}`);
  const ratioRun = shoal.p50 / runTrue.p50;
  const ratioConmon = conmon ? shoal.p50 / conmon.p50 : undefined;
  out.push(`ratio shoal/floor p50: ${ratioRun.toFixed(2)}x (runc run /bin/true)${ratioConmon !== undefined ? `; ${ratioConmon.toFixed(2)}x (conmon + runc create + start)` : ''}`);

  const k = r.memory.length;
  const conmonBytes = r.memory.reduce((s, m) => s + (m.conmon?.bytes ?? 0), 0);
  const containerBytes = r.memory.reduce((s, m) => s + m.container.bytes, 0);
  const missingConmon = r.memory.filter((m) => m.conmon === undefined).length;
  const kind = r.memory.some((m) => m.container.kind === 'rss' || m.conmon?.kind === 'rss') ? 'RSS (no smaps_rollup)' : 'PSS';
  const rssBytes = r.memory.reduce((s, m) => s + m.rssBytes, 0);
  const procs = r.memory.reduce((s, m) => s + m.pids.length, 0) / Math.max(k, 1);
  const { rss: before, pss: pssBefore } = r.daemonBefore;
  const { rss: after, pss: pssAfter } = r.daemonAfter;
  const daemonDelta = before !== undefined && after !== undefined ? (after - before) / k : undefined;
  const daemonPssDelta = pssBefore !== undefined && pssAfter !== undefined ? (pssAfter - pssBefore) / k : undefined;
  out.push(
    `memory per running container (k=${k}): ${mib((conmonBytes + containerBytes) / k)} MiB ${kind} (conmon ${mib(conmonBytes / k)} + container ${mib(containerBytes / k)}, ${procs.toFixed(1)} processes; RSS ${mib(rssBytes / k)})` +
      `; daemon RSS ${daemonDelta !== undefined ? `${daemonDelta >= 0 ? '+' : ''}${mib(daemonDelta)}` : '?'} MiB/container` +
      ` (${before !== undefined ? mib(before) : '?'} → ${after !== undefined ? mib(after) : '?'} MiB)` +
      (missingConmon > 0 ? `; conmon not found for ${missingConmon}` : ''),
  );
  process.stdout.write(`${out.join('\n')}\n`);

  const round2 = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);
  const json = {
    bench: 'container-start',
    unit: 'ms',
    n,
    warmup: o.warmup,
    shoal: rounded(shoal),
    shoalSegments: { create: rounded(create), start: rounded(start), confirm: rounded(confirm) },
    removeUntimed: rounded(remove),
    floor: { runcRunTrue: rounded(runTrue), ...(conmon ? { conmonRuncCreateStart: rounded(conmon) } : {}) },
    ratioP50: { runcRunTrue: round2(ratioRun), ...(ratioConmon !== undefined ? { conmonRuncCreateStart: round2(ratioConmon) } : {}) },
    memory: {
      k,
      kind: kind === 'PSS' ? 'pss' : 'rss',
      perContainerBytes: Math.round((conmonBytes + containerBytes) / k),
      conmonBytes: Math.round(conmonBytes / k),
      containerBytes: Math.round(containerBytes / k),
      processesPerContainer: round2(procs),
      rssPerContainerBytes: Math.round(rssBytes / k),
      daemonRssBeforeBytes: before ?? null,
      daemonRssAfterBytes: after ?? null,
      daemonRssDeltaPerContainerBytes: daemonDelta === undefined ? null : Math.round(daemonDelta),
      daemonPssDeltaPerContainerBytes: daemonPssDelta === undefined ? null : Math.round(daemonPssDelta),
    },
    host,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function cleanup(): Promise<string[]> {
  const problems: string[] = [];
  if (state.starter && state.starter.live.size > 0) {
    const failed = await state.starter.removeAll(15_000);
    if (failed.length > 0) problems.push(`containers not removed through the API: ${failed.join(', ')}`);
  }
  await state.client?.close();
  state.floor?.cleanup();
  problems.push(...(state.floor?.leftovers() ?? []).map((l) => `floor left ${l}`));
  if (state.daemon) {
    await state.daemon[Symbol.asyncDispose]();
    if (existsSync(state.daemon.dir)) problems.push(`daemon dir left: ${state.daemon.dir}`);
  }
  state.busybox?.remove();
  return problems;
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/container-start needs root (runc, conmon, overlay mounts, cgroups)\n');
    return 1;
  }
  ensureBundle(o.build);
  const tag = `shoal-bench-${randomBytes(3).toString('hex')}`;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`overall timeout of ${o.timeoutS} s reached`)), o.timeoutS * 1000);
  // If cleanup itself hangs, kill what is left and leave.
  const watchdog = setTimeout(
    () => {
      process.stderr.write('[bench] cleanup did not finish in time; killing what is left\n');
      emergencyCleanup();
      process.exit(2);
    },
    o.timeoutS * 1000 + 90_000,
  );
  watchdog.unref();
  const onSignal = (sig: NodeJS.Signals): void => ac.abort(new Error(`interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const host = {
    kernel: release(),
    cpus: cpus().length,
    node: process.version,
    runc: firstLine('runc', ['--version']),
    conmon: firstLine('conmon', ['--version']),
  };
  let code = 0;
  try {
    const r = await measure(o, tag, ac.signal);
    report(o, r, host);
  } catch (e) {
    const detail = e instanceof Error ? (ac.signal.aborted ? e.message : (e.stack ?? e.message)) : String(e);
    process.stderr.write(`[bench] failed: ${detail}\n`);
    const log = ac.signal.aborted ? '' : (state.daemon?.log() ?? '');
    if (log !== '') process.stderr.write(`[bench] daemon log (last 20 lines):\n${log.trim().split('\n').slice(-20).join('\n')}\n`);
    code = 1;
  } finally {
    clearTimeout(timer);
    progress('cleaning up');
    const problems = await cleanup();
    for (const p of problems) progress(`cleanup: ${p}`);
    if (problems.length > 0) code = code === 0 ? 3 : code;
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

process.exitCode = await main();
