/**
 * A private real Docker engine for benchmarks: Debian's `docker.io` dockerd (installed with apt-get when missing),
 * started with its own data root, exec root, unix socket and pidfile in a temp dir, with the default bridge, iptables,
 * IP masquerading and IP forwarding off, so it touches no host networking it would not give back. dockerd starts and
 * manages its own containerd (no `--containerd`); that containerd's root, state, socket and runc root are under the
 * same temp dir (dockerd writes them into `<exec-root>/containerd/containerd.toml`, which `start()` checks).
 *
 * `stop()` leaves the host as it was: the swarm is left and the containers are removed through the API, then dockerd
 * (its process group), its containerd and every shim are stopped by PID, container processes in its cgroup parent are
 * killed, mounts under the temp dir are lazily unmounted, the cgroups and the temp dir are removed. A `HostNetState`
 * taken before the start tells what to give back afterwards: network links dockerd created (swarm's
 * `docker_gwbridge`, which it creates even with `--bridge=none`, for the ingress sandbox), sysctls, iptables rules.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupHostState, run } from '../../test/harness/daemon.js';
import type { RunResult } from '../../test/harness/daemon.js';
import { statusOf } from './proc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', timeout: 5000 }).status === 0;
}

/**
 * Makes sure `dockerd` and a `docker` CLI exist: when either is missing, installs Debian's `docker.io` (after
 * `apt-get update`), printing that it does so. The package's init script must not start a system dockerd (that one
 * would create docker0 and iptables rules): when the host has no `/usr/sbin/policy-rc.d`, one that denies every
 * start is put there for the install and removed afterwards.
 */
export function ensureDockerd(progress: (msg: string) => void): void {
  if (onPath('dockerd') && onPath('docker')) return;
  if (process.getuid?.() !== 0) throw new Error('dockerd is missing, and installing docker.io needs root');
  progress("dockerd is missing: installing Debian's docker.io (apt-get update; apt-get install -y --no-install-recommends docker.io)");
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# shoal bench/scale: no service starts during the docker.io install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 2, 2], env, timeout: 300_000 });
    if (update.status !== 0) throw new Error(`apt-get update failed (${update.status ?? update.signal ?? 'unknown'})`);
    const install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker.io'], { stdio: ['ignore', 2, 2], env, timeout: 600_000 });
    if (install.status !== 0) throw new Error(`apt-get install docker.io failed (${install.status ?? install.signal ?? 'unknown'})`);
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  if (!onPath('dockerd')) throw new Error('docker.io is installed but dockerd is still not on PATH');
}

/** `dockerd --version`, e.g. `Docker version 20.10.24+dfsg1, build 297e128`. */
export function dockerdVersion(): string {
  const r = spawnSync('dockerd', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return (r.stdout ?? '').trim();
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Processes (not this one) whose command line mentions `dir`. */
export function processesMentioning(dir: string): number[] {
  return allPids().filter((p) => p !== process.pid && cmdline(p).includes(dir));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return statusOf(pid) !== undefined;
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function cgroupDirs(name: string): string[] {
  if (!existsSync('/sys/fs/cgroup')) return [];
  return readdirSync('/sys/fs/cgroup')
    .map((c) => `/sys/fs/cgroup/${c}/${name}`)
    .filter((p) => existsSync(p));
}

export interface DockerdOptions {
  /** How long dockerd may take to answer `docker info` (default 60 s). */
  startTimeoutMs?: number;
  /** The docker CLI (default `docker` from PATH). */
  cli?: string;
}

export class TestDockerd {
  readonly dir: string;
  readonly socket: string;
  readonly host: string;
  readonly cgroupParent: string;
  private readonly cli: string;
  private readonly logPath: string;
  private child: ChildProcess | undefined;
  private stopped = false;

  private constructor(o: DockerdOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'shoal-bench-dockerd-'));
    this.socket = join(this.dir, 'docker.sock');
    this.host = `unix://${this.socket}`;
    this.cgroupParent = `shoal-bench-dockerd-${this.dir.slice(-6).toLowerCase()}`;
    this.cli = o.cli ?? 'docker';
    this.logPath = join(this.dir, 'dockerd.log');
  }

  /** Starts dockerd and waits until `docker info` answers. On failure everything is stopped and removed again. */
  static async start(o: DockerdOptions = {}): Promise<TestDockerd> {
    const d = new TestDockerd(o);
    try {
      await d.launch(o.startTimeoutMs ?? 60_000);
    } catch (e) {
      const problems = await d.stop();
      const log = d.log().trim().split('\n').slice(-20).join('\n');
      throw new Error(`${e instanceof Error ? e.message : String(e)}${problems.length > 0 ? `\ncleanup: ${problems.join('; ')}` : ''}\ndockerd log (last 20 lines):\n${log}`);
    }
    return d;
  }

  private async launch(timeoutMs: number): Promise<void> {
    // dockerd 20.10 uses a system containerd instead of starting its own when this socket exists.
    if (existsSync('/run/containerd/containerd.sock')) throw new Error('/run/containerd/containerd.sock exists: dockerd would use that system containerd instead of its own; stop it first');
    const fd = openSync(this.logPath, 'a');
    try {
      this.child = spawn(
        'dockerd',
        [
          '--data-root', join(this.dir, 'data'),
          '--exec-root', join(this.dir, 'exec'),
          '-H', this.host,
          '--pidfile', join(this.dir, 'docker.pid'),
          '--bridge=none',
          '--iptables=false',
          '--ip6tables=false',
          '--ip-masq=false',
          '--ip-forward=false',
          '--cgroup-parent', this.cgroupParent,
          '--log-level', 'warn',
        ],
        { detached: true, stdio: ['ignore', fd, fd], cwd: this.dir },
      );
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', () => undefined);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dockerd exited (${child.exitCode ?? child.signalCode ?? '?'}) before answering`);
      if (existsSync(this.socket)) {
        const r = await Promise.race([this.docker(['info', '--format', '{{.ServerVersion}}'], 5000).catch(() => undefined), exited.then(() => undefined)]);
        if (r?.code === 0 && r.stdout.trim() !== '') break;
      }
      if (Date.now() > deadline) throw new Error(`dockerd did not answer \`docker info\` on ${this.socket} within ${timeoutMs / 1000} s`);
      await sleep(100);
    }
    // Its containerd must be its own, with everything under the temp dir.
    const toml = readFileSync(join(this.dir, 'exec', 'containerd', 'containerd.toml'), 'utf8');
    for (const key of ['root', 'state', 'address', 'runtime_root']) {
      const v = toml.match(new RegExp(`^\\s*${key} = "([^"]*)"`, 'm'))?.[1];
      if (v === undefined || !v.startsWith(this.dir)) throw new Error(`dockerd's containerd ${key} is ${v ?? 'unset'}, not under ${this.dir}`);
    }
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /** The containerd that dockerd started (from its pidfile), if it is running. */
  containerdPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').trim());
      return pid > 0 && alive(pid) && cmdline(pid).includes(this.dir) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The running `containerd-shim-runc-v2` processes of this engine. */
  shimPids(): number[] {
    return processesMentioning(this.dir).filter((p) => (statusOf(p)?.comm ?? '').startsWith('containerd-shim'));
  }

  /** dockerd, its containerd and the shims: what the engine costs besides the containers themselves. */
  enginePids(): { dockerd: number[]; containerd: number[]; shims: number[] } {
    const c = this.containerdPid();
    return { dockerd: this.pid > 0 && alive(this.pid) ? [this.pid] : [], containerd: c === undefined ? [] : [c], shims: this.shimPids() };
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** The docker CLI against this engine, with a config dir of its own. */
  docker(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(this.cli, ['-H', this.host, ...args], { env: { ...process.env, DOCKER_CONFIG: join(this.dir, 'docker-config'), DOCKER_HOST: this.host }, timeoutMs });
  }

  /**
   * Stops everything this engine started and removes the temp dir; idempotent. Resolves with what could not be
   * cleaned (empty when the host is as before, apart from what `HostNetState` checks).
   */
  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    const problems: string[] = [];
    const child = this.child;
    const running = child !== undefined && child.exitCode === null && child.signalCode === null;
    if (running) {
      // Politely first: leave the swarm and remove the containers, so dockerd and containerd stop their shims.
      await this.docker(['swarm', 'leave', '--force'], 30_000).catch(() => undefined);
      const ids = await this.docker(['ps', '-aq'], 15_000).catch(() => undefined);
      const list = ids?.stdout.split('\n').filter((x) => x !== '') ?? [];
      if (list.length > 0) await this.docker(['rm', '-f', ...list], 60_000).catch(() => undefined);
    }
    const containerd = this.containerdPid();
    if (running && child.pid !== undefined) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      kill(-child.pid, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(30_000).then(() => true)]);
      if (timedOut) {
        problems.push('dockerd did not stop within 30 s of SIGTERM; killed');
        kill(-child.pid, 'SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
    }
    if (containerd !== undefined && alive(containerd) && cmdline(containerd).includes(this.dir)) {
      kill(containerd, 'SIGTERM');
      if (!(await waitGone([containerd], 10_000))) kill(containerd, 'SIGKILL');
    }
    // Shims (their own sessions) and anything else of this engine's: by PID.
    const rest = processesMentioning(this.dir);
    for (const p of rest) kill(p, 'SIGKILL');
    if (!(await waitGone(rest, 10_000))) problems.push(`processes still alive: ${rest.filter(alive).join(', ')}`);
    // Container processes in its cgroups, mounts under the dir (umount -l), the cgroup dirs.
    cleanupHostState(this.dir, this.cgroupParent);
    const mounts = mountsUnder(this.dir);
    if (mounts.length > 0) problems.push(`mounts left under ${this.dir}: ${mounts.join(', ')} (the dir is kept)`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (existsSync(this.dir) && mounts.length === 0) problems.push(`${this.dir} could not be removed`);
    const cgroups = cgroupDirs(this.cgroupParent);
    if (cgroups.length > 0) problems.push(`cgroups left: ${cgroups.join(', ')}`);
    const left = processesMentioning(this.dir);
    if (left.length > 0) problems.push(`processes left: ${left.join(', ')}`);
    return problems;
  }

  /** Last resort when cleanup hangs: synchronous, kills rather than asks. */
  emergencyStop(): void {
    this.stopped = true;
    if (this.pid > 0) kill(-this.pid, 'SIGKILL');
    for (const p of processesMentioning(this.dir)) kill(p, 'SIGKILL');
    cleanupHostState(this.dir, this.cgroupParent);
    if (mountsUnder(this.dir).length === 0) rmSync(this.dir, { recursive: true, force: true });
  }
}

const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'];

function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function linkNames(): string[] {
  return readdirSync('/sys/class/net').sort();
}

function iptablesRules(): string | undefined {
  const out: string[] = [];
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    if (!onPath(cmd)) continue;
    const r = spawnSync(cmd, [], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) continue;
    // Comments carry timestamps, chain lines carry counters.
    out.push(...r.stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\s\[\d+:\d+\]$/, '')));
  }
  return out.length === 0 ? undefined : out.join('\n');
}

/** The host network state dockerd could change: links, a few sysctls, iptables rules. */
export class HostNetState {
  private constructor(
    private readonly links: string[],
    private readonly sysctls: Map<string, string | undefined>,
    private readonly iptables: string | undefined,
  ) {}

  static take(): HostNetState {
    return new HostNetState(linkNames(), new Map(SYSCTLS.map((k) => [k, readSysctl(k)])), iptablesRules());
  }

  /**
   * Gives back what differs: deletes `docker_gwbridge` when it is new, writes changed sysctls back; reports every
   * difference it could not undo (new links, iptables rules).
   */
  restore(): string[] {
    const problems: string[] = [];
    if (!this.links.includes('docker_gwbridge') && linkNames().includes('docker_gwbridge')) {
      const r = spawnSync('ip', ['link', 'delete', 'docker_gwbridge'], { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) problems.push(`ip link delete docker_gwbridge failed: ${(r.stderr ?? '').trim()}`);
    }
    // Veth peers of deleted namespaces disappear a moment later.
    const deadline = Date.now() + 5000;
    let extra = linkNames().filter((l) => !this.links.includes(l));
    while (extra.length > 0 && Date.now() < deadline) {
      spawnSync('sleep', ['0.1']);
      extra = linkNames().filter((l) => !this.links.includes(l));
    }
    if (extra.length > 0) problems.push(`network links left: ${extra.join(', ')}`);
    for (const [k, v] of this.sysctls) {
      const now = readSysctl(k);
      if (v === undefined || now === v) continue;
      try {
        writeFileSync(`/proc/sys/${k}`, v);
        problems.push(`sysctl ${k.replaceAll('/', '.')} had changed to ${now ?? '?'}; set back to ${v}`);
      } catch {
        problems.push(`sysctl ${k.replaceAll('/', '.')} changed from ${v} to ${now ?? '?'} and could not be set back`);
      }
    }
    const rules = iptablesRules();
    if (this.iptables !== undefined && rules !== this.iptables) problems.push('iptables rules changed');
    return problems;
  }
}
