/**
 * A real `shoal daemon` for end-to-end tests: its own data root, exec root and socket under a temp dir, in its own
 * process group so cleanup can kill it and everything it started. `await using d = await startDaemon()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

export async function startDaemon(opts: { hostname?: string } = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-e2e-'));
  const socket = join(dir, 'exec', 'docker.sock');
  const dataRoot = join(dir, 'data');
  const hostname = opts.hostname ?? 'shoal-e2e';
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    child = spawn(
      process.execPath,
      ['--enable-source-maps', SHOAL_BUNDLE, 'daemon', '--data-root', dataRoot, '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--hostname', hostname, '--log-level', 'debug'],
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
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
      await waitExit('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}
