/**
 * A real etcd for tests: Debian's `etcd-server` (3.4) as a one-member cluster on 127.0.0.1 with free client and
 * peer ports and a temp data dir, in its own process group. `startEtcd()` resolves once `/health` says true;
 * `stop()` (or `await using`) kills the group by PID, waits for it to exit and removes the dir, whatever the test
 * did. Every started etcd is also killed when the test process exits, so a failed or cancelled test leaves none.
 *
 * Timings are tuned for tests (heartbeat 10 ms, election 100 ms): the member elects itself in a few ms and the
 * smallest lease TTL etcd grants is 1 s (etcd's floor is 1.5 × the election timeout, in whole seconds).
 *
 * `startEtcd(opts)` → TestEtcd { endpoint, pid, dir, log(), pause(), resume(), restart(), stop() }.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = '/usr/bin/etcd';

export interface EtcdOptions {
  /** Start within this time or fail (default 10 s). */
  startTimeoutMs?: number;
}

export interface TestEtcd extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: the client URL. */
  readonly endpoint: string;
  readonly pid: number;
  readonly dir: string;
  /** etcd's own output so far (for failure messages). */
  log(): string;
  /** SIGSTOP / SIGCONT the process group: a hung member, whose calls neither answer nor fail. */
  pause(): void;
  resume(): void;
  /** Kills etcd (SIGKILL) and starts it again on the same ports and data: a crash and recovery. */
  restart(): Promise<void>;
  /** Kills the process group, waits for it, removes the data dir. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) killGroup(pid);
});

export async function startEtcd(opts: EtcdOptions = {}): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-etcd-test-'));
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let output = '';
  const kill = async (): Promise<void> => {
    const c = child;
    const pid = c?.pid;
    if (c === undefined || pid === undefined || !running.has(pid)) return;
    const exited = c.exitCode === null && c.signalCode === null ? once(c, 'exit') : Promise.resolve();
    killGroup(pid);
    await exited;
    running.delete(pid);
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [clientPort, peerPort] = await freePorts(2);
    const endpoint = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const args = [
      '--name', 'test',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `shoal-test-${clientPort}`,
      '--heartbeat-interval', '10',
      '--election-timeout', '100',
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    const launch = async (): Promise<number> => {
      const c = spawn(ETCD_BIN, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.on('error', (e) => (output += `spawn error: ${e.message}\n`));
      const pid = c.pid;
      if (pid === undefined) throw new Error(`could not start ${ETCD_BIN} (is etcd-server installed?)`);
      running.add(pid);
      c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      await waitHealthy(endpoint, c, startTimeoutMs, () => output);
      return pid;
    };
    let pid = await launch();
    const signalGroup = (signal: NodeJS.Signals): void => {
      process.kill(-pid, signal);
    };
    return {
      endpoint,
      get pid() {
        return pid;
      },
      dir,
      log: () => output,
      pause: () => signalGroup('SIGSTOP'),
      resume: () => signalGroup('SIGCONT'),
      restart: async () => {
        await kill();
        pid = await launch();
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitHealthy(endpoint: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log()}`);
    }
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      last = await res.text();
      if (res.ok && (JSON.parse(last) as { health?: unknown }).health === 'true') return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`etcd at ${endpoint} was not healthy within ${timeoutMs} ms (last: ${last}):\n${log()}`);
}

/** `n` distinct free TCP ports on 127.0.0.1 (held open together so they differ, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = createServer();
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      return s;
    }),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
