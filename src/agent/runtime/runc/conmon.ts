/**
 * One conmon per container (and per terminal exec session). conmon runs `runc create` (or `runc exec -d`), holds
 * the container's stdio, writes its output to the k8s-file log and to attach clients, reaps it and writes its
 * exit code to `<exit dir>/<container id>`. It double-forks and re-parents to PID 1, so the container outlives
 * the agent.
 *
 * The agent learns the outcome over the sync pipe (`_OCI_SYNCPIPE`, fd 3): one JSON message, `{"data": <pid>}`
 * or `{"data": -1, "message": "<runtime stderr>"}`. The message comes before EOF (the grandchild keeps the pipe
 * open), so the launcher resolves on the first complete message, never on EOF.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface ConmonCreateArgs {
  id: string;
  runtimePath: string;
  runcRoot: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when an attach client leaves (docker's StdinOnce=false). */
  leaveStdinOpen: boolean;
  /** Extra arguments for the runtime, before the verb. */
  runtimeArgs?: readonly string[];
}

/** conmon's command line for creating a container. */
export function conmonCreateArgs(a: ConmonCreateArgs): string[] {
  const args = [
    '--api-version', '1',
    '-c', a.id,
    '-u', a.id,
    '-n', a.id,
    '-r', a.runtimePath,
    '-b', a.bundle,
    '-p', a.pidFile,
    '-P', a.conmonPidFile,
    '-l', `k8s-file:${a.logPath}`,
    '--exit-dir', a.exitDir,
    '--socket-dir-path', a.socketDir,
    '--log-level', 'error',
    '--runtime-arg', `--root=${a.runcRoot}`,
  ];
  for (const r of a.runtimeArgs ?? []) args.push('--runtime-arg', r);
  if (a.terminal) args.push('-t');
  if (a.stdin) {
    args.push('-i');
    if (a.leaveStdinOpen) args.push('--leave-stdin-open');
  }
  return args;
}

export interface ConmonExecArgs {
  containerId: string;
  sessionId: string;
  runtimePath: string;
  runcRoot: string;
  /** The session's directory: its attach socket, ctl fifo and pid file live here. */
  dir: string;
  pidFile: string;
  exitDir: string;
  processSpec: string;
  terminal: boolean;
  runtimeArgs?: readonly string[];
}

/** conmon's command line for an exec session that a client attaches to before it starts (`--exec-attach`). */
export function conmonExecArgs(a: ConmonExecArgs): string[] {
  const args = [
    '--api-version', '1',
    '-c', a.containerId,
    '-u', a.sessionId,
    '-r', a.runtimePath,
    '-b', a.dir,
    '-p', a.pidFile,
    '-l', 'none',
    '--exit-dir', a.exitDir,
    '--socket-dir-path', a.dir,
    '--log-level', 'error',
    '--runtime-arg', `--root=${a.runcRoot}`,
    '-e',
    '--exec-process-spec', a.processSpec,
    '--exec-attach',
  ];
  for (const r of a.runtimeArgs ?? []) args.push('--runtime-arg', r);
  if (a.terminal) args.push('-t');
  return args;
}

export interface SyncMessage {
  data: number;
  message?: string;
}

/** Splits the sync pipe's newline-delimited JSON into messages, in order. */
export class SyncReader {
  private buf = '';
  private readonly queue: SyncMessage[] = [];
  private readonly waiters: ((m: SyncMessage | undefined) => void)[] = [];
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const nl = this.buf.indexOf('\n');
        if (nl < 0) break;
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        try {
          this.push(JSON.parse(line) as SyncMessage);
        } catch {
          this.push({ data: -1, message: `conmon sent an unreadable message: ${line}` });
        }
      }
    });
    const end = (): void => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  /** The next message, or undefined once the pipe has closed without one. */
  next(): Promise<SyncMessage | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface ConmonProcess {
  sync: SyncReader;
  /** Extra pipes (fd 4, 5, … in order), for exec's start and attach pipes. */
  pipes: (Readable | Writable)[];
  /** conmon's own stderr before it daemonized (errors in its arguments). */
  stderr(): string;
  /** Resolves when the launched (first) conmon process exits; the daemonized conmon lives on. */
  launched: Promise<number | null>;
  /** Stops listening so the agent's event loop does not wait on conmon. */
  release(): void;
  pid: number | undefined;
}

/** Starts conmon with the sync pipe on fd 3 and `extraPipes` more pipes from fd 4 (named by `extraEnv`). */
export function launchConmon(conmonPath: string, args: readonly string[], opts: { cwd: string; extraEnv?: string[] }): ConmonProcess {
  const extra = opts.extraEnv ?? [];
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3' };
  extra.forEach((name, i) => {
    env[name] = String(4 + i);
  });
  const child = spawn(conmonPath, args, {
    cwd: opts.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...extra.map(() => 'pipe' as const)],
  });
  const errs: Buffer[] = [];
  child.stderr?.on('data', (d: Buffer) => errs.push(d));
  const syncStream = child.stdio[3] as Readable;
  const launched = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      errs.push(Buffer.from(e.message));
      resolve(null);
    });
    child.on('exit', (code) => resolve(code));
  });
  return {
    sync: new SyncReader(syncStream),
    pipes: extra.map((_, i) => child.stdio[4 + i] as Readable | Writable),
    stderr: () => Buffer.concat(errs).toString('utf8').trim(),
    launched,
    pid: child.pid,
    release: () => {
      syncStream.destroy();
      for (let i = 4; i < 4 + extra.length; i++) child.stdio[i]?.destroy();
      child.stderr?.destroy();
      child.unref();
    },
  };
}
