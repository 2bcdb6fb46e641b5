/**
 * A real `shoal daemon` for end-to-end tests: its own data root, exec root and socket under a temp dir, in its own
 * process group so cleanup can kill it and everything it started. `await using d = await startDaemon()`.
 * It asks only registries on loopback for image digests (`--registry-lookup loopback`): a test's traffic stays on
 * the machine (`daemonArgs` may say otherwise).
 */
import { netnsPrefixFor, ownerAlias } from '../../src/agent/network/names.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const SHOAL_BUNDLE = join(REPO, 'dist/shoal.cjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`) and collects its output. */
export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs ?? 30000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A command that exits without reading its input must not fail the run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((res) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 500 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });
}

export interface TestDaemon extends AsyncDisposable {
  readonly dir: string;
  readonly socket: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly pid: number;
  /** The daemon's stderr (its structured log) so far. */
  log(): string;
  /** SIGKILL the daemon (the whole process group) and wait for it to be gone. */
  kill9(): Promise<void>;
  /** Start the daemon again on the same roots and socket. */
  restart(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  shoal(...args: string[]): Promise<RunResult>;
  docker(...args: string[]): Promise<RunResult>;
}

/**
 * Starts `shoal daemon` on private roots. With `netns`, the daemon runs in that network namespace (entered with
 * `nsenter --net`, so it shares the test's mount namespace and its mounts stay visible to cleanup): its bridges,
 * veths and nft tables live there, and deleting the namespace removes whatever a failed test left.
 */
export async function startDaemon(opts: { hostname?: string; netns?: string; daemonArgs?: string[] } = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-e2e-'));
  const socket = join(dir, 'exec', 'docker.sock');
  const dataRoot = join(dir, 'data');
  const hostname = opts.hostname ?? 'shoal-e2e';
  const cgroupParent = `shoal-e2e-${dir.slice(-6).toLowerCase()}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    const args = ['--enable-source-maps', SHOAL_BUNDLE, 'daemon', '--data-root', dataRoot, '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--hostname', hostname, '--log-level', 'debug', '--cgroup-parent', cgroupParent, '--registry-lookup', 'loopback', ...(opts.daemonArgs ?? [])];
    child =
      opts.netns === undefined
        ? spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn('nsenter', [`--net=/run/netns/${opts.netns}`, process.execPath, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}:\n${stderr}`);
      if (await ping(socket)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`daemon did not answer on ${socket} within 15 s:\n${stderr}`);
  };

  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    try {
      process.kill(-(c.pid ?? 0), signal);
    } catch {
      return;
    }
    await exited;
  };

  await launch();
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SHOAL_HOST: `unix://${socket}`, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') });
  const d: TestDaemon = {
    dir,
    socket,
    host: `unix://${socket}`,
    dataRoot,
    get pid() {
      return child?.pid ?? -1;
    },
    log: () => stderr,
    kill9: () => waitExit('SIGKILL'),
    stop: () => waitExit('SIGTERM'),
    restart: async () => {
      await waitExit('SIGKILL');
      await launch();
    },
    shoal: (...args) => run(process.execPath, [SHOAL_BUNDLE, ...args], { env: env() }),
    docker: (...args) => run('docker', args, { env: env() }),
    [Symbol.asyncDispose]: async () => {
      // Containers outlive the daemon by design, so remove them through it first, then stop it.
      if (child && child.exitCode === null && child.signalCode === null) {
        const ids = await run(process.execPath, [SHOAL_BUNDLE, 'ps', '-aq'], { env: env(), timeoutMs: 10000 }).catch(() => undefined);
        const list = ids?.stdout.split('\n').filter((x) => x !== '') ?? [];
        if (list.length > 0) await run(process.execPath, [SHOAL_BUNDLE, 'rm', '-f', ...list], { env: env(), timeoutMs: 30000 }).catch(() => undefined);
      }
      await waitExit('SIGKILL');
      cleanupHostState(dir, cgroupParent);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}

/**
 * Whatever a failed test may have left: processes in the test's cgroups (killed by PID), mounts under its
 * directory (lazily unmounted), and the cgroup directories themselves.
 */
export function cleanupHostState(dir: string, cgroupParent: string): void {
  cleanupNetworkState(join(dir, 'exec'));
  const roots = existsSync('/sys/fs/cgroup/unified') ? ['/sys/fs/cgroup/unified'] : [];
  for (const c of readdirSync('/sys/fs/cgroup')) if (c !== 'unified') roots.push(`/sys/fs/cgroup/${c}`);
  for (const root of roots) {
    const parent = `${root}/${cgroupParent}`;
    if (!existsSync(parent)) continue;
    for (const child of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      const procs = `${parent}/${child.name}/cgroup.procs`;
      try {
        for (const pid of readFileSync(procs, 'utf8').split('\n').filter((x) => x !== '')) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      } catch {
        // no procs file in this hierarchy
      }
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  for (const root of roots) {
    const parent = `${root}/${cgroupParent}`;
    if (!existsSync(parent)) continue;
    for (const child of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      try {
        rmdirSync(`${parent}/${child.name}`);
      } catch {
        // busy for a moment after its last process; the parent removal below reports nothing either way
      }
    }
    try {
      rmdirSync(parent);
    } catch {
      // left for the next run's cleanup
    }
  }
}

/**
 * What a daemon on these roots left in the current network namespace (a daemon outside a test netns, killed or not
 * told to leave its swarm): its links (they carry the alias `shoal <prefix>`), its node nft table and its
 * container netns. Containers' own netns go with them; this removes only what is this daemon's.
 */
export function cleanupNetworkState(execRoot: string): void {
  const prefix = netnsPrefixFor(execRoot);
  const links = spawnSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' });
  try {
    for (const l of JSON.parse(links.stdout || '[]') as { ifname: string; ifalias?: string }[]) {
      if (l.ifalias === ownerAlias(prefix)) spawnSync('ip', ['link', 'del', l.ifname]);
    }
  } catch {
    // no JSON: nothing to read
  }
  spawnSync('nft', ['delete', 'table', 'ip', `shoal-${prefix.slice(4, -1)}`], { stdio: 'ignore' });
  if (existsSync('/run/netns')) {
    for (const ns of readdirSync('/run/netns').filter((n) => n.startsWith(prefix))) spawnSync('ip', ['netns', 'del', ns]);
  }
}
