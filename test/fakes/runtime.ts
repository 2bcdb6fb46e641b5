/**
 * An in-memory Runtime (DESIGN §4.3: fakes only at process boundaries) that passes the same contract as runc +
 * conmon (test/contracts/runtime.ts). Containers live in a `FakeRuntimeHost`, the stand-in for the machine and its
 * conmons: a second `FakeRuntime` on the same host adopts them, as a restarted agent would.
 *
 * Processes are simulated. A command line starting with `fake` is a program this fake understands:
 *
 *   fake exit N                         exit N once started
 *   fake sleep [--ignore SIGNAL]...     run until a signal it does not ignore (exit 128+n)
 *   fake print stdout:TEXT stderr:TEXT… write each as a line to that stream, then exit 0 (or `exit:N`)
 *   fake oom                            exceed the memory limit: killed, 137 with oomKilled (needs a limit)
 *   fake cat                            copy stdin to stdout until EOF, then exit 0
 *
 * Any other command runs like `fake sleep`, except one for which `executable(path)` says false (by default, a path
 * containing "nonexistent"): create then fails as runc's does. Tests drive the rest from outside: `exit(id, code)`,
 * `oomKill(id)` and `write(id, stream, text)` (which goes to the k8s-file log at spec.logPath, like conmon's).
 * Exec processes run the same programs; `onExec` may script others.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { ShoalError, conflict, invalidArgument, notFound } from '../../src/api/errors.js';
import type { Clock } from '../../src/lib/clock.js';
import { systemClock } from '../../src/lib/clock.js';
import type { AttachStreams, ContainerSpec, ContainerState, ExecProcess, ExecSpec, ExitStatus, Runtime } from '../../src/agent/exec/runtime.js';
import { generateOciSpec } from '../../src/agent/runtime/oci/index.js';
import { formatK8sLogChunk, parseSignal } from '../../src/agent/runtime/runc/index.js';
import type { LogStream } from '../../src/agent/runtime/runc/index.js';

type Program =
  | { kind: 'exit'; code: number }
  | { kind: 'sleep'; ignore: Set<number> }
  | { kind: 'print'; lines: { stream: LogStream; text: string }[]; code: number }
  | { kind: 'oom' }
  | { kind: 'cat' };

export function parseFakeProgram(args: readonly string[]): Program {
  if (args[0] !== 'fake') return { kind: 'sleep', ignore: new Set() };
  const rest = args.slice(2);
  switch (args[1] ?? '') {
    case 'exit':
      return { kind: 'exit', code: Number(rest[0] ?? 0) };
    case 'print': {
      const lines: { stream: LogStream; text: string }[] = [];
      let code = 0;
      for (const a of rest) {
        if (a.startsWith('stdout:')) lines.push({ stream: 'stdout', text: a.slice(7) });
        else if (a.startsWith('stderr:')) lines.push({ stream: 'stderr', text: a.slice(7) });
        else if (a.startsWith('exit:')) code = Number(a.slice(5));
      }
      return { kind: 'print', lines, code };
    }
    case 'oom':
      return { kind: 'oom' };
    case 'cat':
      return { kind: 'cat' };
    default: {
      const ignore = new Set<number>();
      for (let i = 0; i < rest.length; i++) if (rest[i] === '--ignore' && rest[i + 1] !== undefined) ignore.add(parseSignal(rest[++i] ?? ''));
      return { kind: 'sleep', ignore };
    }
  }
}

interface Client {
  stdout: PassThrough;
  stderr: PassThrough | undefined;
}

interface FakeContainer {
  spec: ContainerSpec;
  program: Program;
  stdin: boolean;
  stdinOnce: boolean;
  pid: number;
  createdAt: number;
  startedAt?: number;
  exit?: ExitStatus;
  exited: Promise<ExitStatus>;
  resolveExit: (e: ExitStatus) => void;
  clients: Set<Client>;
  size?: { rows: number; cols: number };
}

export interface FakeRuntimeHostOptions {
  clock?: Clock;
  /** Whether a command exists in the rootfs; by default anything whose path does not contain "nonexistent". */
  executable?: (path: string) => boolean;
}

export type FakeExecScript = (containerId: string, spec: ExecSpec) => { stdout?: string; stderr?: string; exitCode?: number } | undefined;

/** The machine: containers and their (simulated) processes, shared by every FakeRuntime opened on it. */
export class FakeRuntimeHost {
  readonly containers = new Map<string, FakeContainer>();
  readonly clock: Clock;
  private readonly executable: (path: string) => boolean;
  private nextPid = 4200;
  /** Scripts exec processes the fake programs do not cover. */
  onExec: FakeExecScript | undefined;
  /** Every exec started, in order (for assertions). */
  readonly execs: { containerId: string; spec: ExecSpec }[] = [];

  constructor(opts: FakeRuntimeHostOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.executable = opts.executable ?? ((p) => !p.includes('nonexistent'));
  }

  runtime(): FakeRuntime {
    return new FakeRuntime(this);
  }

  /** What of the container is left on the "host" (state, mount, cgroup); empty once deleted. */
  traces(id: string): string[] {
    return this.containers.has(id) ? ['state', 'mount', 'cgroup'] : [];
  }

  /** The last terminal size set through attach, if any. */
  terminalSize(id: string): { rows: number; cols: number } | undefined {
    return this.containers.get(id)?.size;
  }

  // ---------------------------------------------------------------- test controls

  /** Ends the container's main process with `code` (as if it exited by itself). */
  exit(id: string, code: number, opts: { oomKilled?: boolean } = {}): void {
    const c = this.need(id);
    if (c.exit) return;
    this.finish(c, { exitCode: code, oomKilled: opts.oomKilled === true, finishedAt: this.clock.now() });
  }

  /** The kernel's OOM killer ends the container: 137, oomKilled. */
  oomKill(id: string): void {
    this.exit(id, 137, { oomKilled: true });
  }

  /** The container writes `text` to a stream: to its log file (k8s-file, like conmon) and attached clients. */
  write(id: string, stream: LogStream, text: string): void {
    const c = this.need(id);
    const terminal = c.spec.process.terminal;
    const out = terminal ? text.replaceAll(/\r?\n/g, '\r\n') : text;
    appendFileSync(c.spec.logPath, formatK8sLogChunk(this.clock.now(), terminal ? 'stdout' : stream, out));
    for (const client of c.clients) {
      const target = stream === 'stderr' && client.stderr ? client.stderr : client.stdout;
      target.write(out);
    }
  }

  /** Sends input to the main process (what an attached client's stdin does). */
  input(id: string, data: string): void {
    const c = this.need(id);
    if (c.exit || c.startedAt === undefined) return;
    if (c.program.kind === 'cat') this.write(id, 'stdout', data);
  }

  /** The attached stdin ended. */
  inputEnded(id: string): void {
    const c = this.containers.get(id);
    if (c && c.stdinOnce && c.program.kind === 'cat' && c.startedAt !== undefined) this.exit(id, 0);
  }

  // ---------------------------------------------------------------- used by FakeRuntime

  need(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw notFound('container.not_found', `No such container: ${id}`);
    return c;
  }

  add(spec: ContainerSpec, opts: { stdin?: boolean; stdinOnce?: boolean }): void {
    const cmd = spec.process.args[0] ?? '';
    if (!this.executable(cmd)) {
      throw invalidArgument(
        'container.command_not_found',
        `OCI runtime create failed: runc create failed: unable to start container process: exec: ${JSON.stringify(cmd)}: stat ${cmd}: no such file or directory`,
      );
    }
    let resolveExit!: (e: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
    mkdirSync(dirname(spec.logPath), { recursive: true });
    this.containers.set(spec.id, {
      spec: structuredClone(spec),
      program: parseFakeProgram(spec.process.args),
      stdin: opts.stdin === true,
      stdinOnce: opts.stdinOnce === true,
      pid: this.nextPid++,
      createdAt: this.clock.now(),
      exited,
      resolveExit,
      clients: new Set(),
    });
  }

  start(c: FakeContainer): void {
    c.startedAt = this.clock.now();
    const p = c.program;
    const id = c.spec.id;
    queueMicrotask(() => {
      if (!this.containers.has(id) || c.exit) return;
      switch (p.kind) {
        case 'exit':
          this.exit(id, p.code);
          break;
        case 'print':
          for (const l of p.lines) this.write(id, l.stream, `${l.text}\n`);
          this.exit(id, p.code);
          break;
        case 'oom':
          if (c.spec.resources.memoryBytes) this.oomKill(id);
          break;
        case 'sleep':
        case 'cat':
          break;
      }
    });
  }

  signal(c: FakeContainer, sig: number): void {
    if (c.exit) return;
    if (c.program.kind === 'sleep' && c.program.ignore.has(sig) && sig !== 9) return;
    if (sig === 28 || sig === 17 || sig === 23) return;
    this.exit(c.spec.id, 128 + sig);
  }

  finish(c: FakeContainer, e: ExitStatus): void {
    c.exit = e;
    for (const client of c.clients) {
      client.stdout.end();
      client.stderr?.end();
    }
    c.clients.clear();
    c.resolveExit(e);
  }
}

function canceled(signal: AbortSignal): ShoalError {
  return new ShoalError('Canceled', 'runtime.wait_canceled', 'waiting for the container was canceled', { cause: signal.reason });
}

/** One agent process's view of a FakeRuntimeHost. */
export class FakeRuntime implements Runtime {
  constructor(readonly host: FakeRuntimeHost = new FakeRuntimeHost()) {}

  async create(spec: ContainerSpec, opts: { stdin?: boolean; stdinOnce?: boolean } = {}): Promise<void> {
    generateOciSpec(spec, { rootfsPath: '/fake/rootfs', cgroupsPath: `/shoal/${spec.id}`, host: { limits: {} } });
    if (this.host.containers.has(spec.id)) throw conflict('container.exists', `container ${spec.id} already exists`);
    if (spec.rootfs.layers.length === 0) throw invalidArgument('rootfs.no_layers', 'an overlay root filesystem needs at least one layer');
    for (const m of spec.mounts) {
      if (m.type === 'bind' && !existsSync(m.source)) {
        throw invalidArgument('mount.source_missing', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      }
    }
    this.host.add(spec, opts);
  }

  async start(id: string): Promise<void> {
    const c = this.host.need(id);
    if (c.startedAt !== undefined) throw conflict('container.already_started', `container ${id} has already been started`);
    if (c.exit) throw conflict('container.not_running', `Container ${id} is not running`);
    this.host.start(c);
  }

  async kill(id: string, signal: string): Promise<void> {
    const sig = parseSignal(signal);
    const c = this.host.need(id);
    if (c.exit) throw conflict('container.not_running', `Container ${id} is not running`);
    this.host.signal(c, sig);
  }

  private stateOf(c: FakeContainer): ContainerState {
    const base = { id: c.spec.id, createdAt: c.createdAt, annotations: { ...(c.spec.annotations ?? {}) } };
    if (c.exit) {
      return {
        ...base,
        status: 'stopped',
        exitCode: c.exit.exitCode,
        oomKilled: c.exit.oomKilled,
        finishedAt: c.exit.finishedAt,
        ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      };
    }
    if (c.startedAt === undefined) return { ...base, status: 'created', pid: c.pid };
    return { ...base, status: 'running', pid: c.pid, startedAt: c.startedAt };
  }

  async state(id: string): Promise<ContainerState | undefined> {
    const c = this.host.containers.get(id);
    return c ? this.stateOf(c) : undefined;
  }

  async list(): Promise<ContainerState[]> {
    return [...this.host.containers.values()].map((c) => this.stateOf(c));
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const c = this.host.need(id);
    if (c.exit) return c.exit;
    if (signal?.aborted) throw canceled(signal);
    return new Promise<ExitStatus>((resolve, reject) => {
      const onAbort = (): void => reject(canceled(signal as AbortSignal));
      signal?.addEventListener('abort', onAbort, { once: true });
      void c.exited.then((e) => {
        signal?.removeEventListener('abort', onAbort);
        if (this.host.containers.get(id) === c) resolve(e);
        else reject(notFound('container.not_found', `No such container: ${id}`));
      });
    });
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    const c = this.host.need(id);
    if (c.exit || c.startedAt === undefined) throw conflict('container.not_running', `Container ${id} is not running`);
    this.host.execs.push({ containerId: id, spec: structuredClone(spec) });
    const tty = spec.terminal === true;
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = (s: PassThrough, text: string): void => {
      (tty ? stdout : s).write(tty ? text.replaceAll(/\r?\n/g, '\r\n') : text);
    };
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      stdout.end();
      stderr.end();
      resolveExit(code);
    };
    void c.exited.then(() => finish(137));
    const cmd = spec.args[0] ?? '';
    const scripted = this.host.onExec?.(id, spec);
    queueMicrotask(() => {
      if (scripted) {
        if (scripted.stdout) out(stdout, scripted.stdout);
        if (scripted.stderr) out(stderr, scripted.stderr);
        finish(scripted.exitCode ?? 0);
        return;
      }
      if (cmd.includes('nonexistent')) {
        stderr.write(`OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(cmd)}: stat ${cmd}: no such file or directory\n`);
        finish(127);
        return;
      }
      const p = parseFakeProgram(spec.args);
      switch (p.kind) {
        case 'exit':
          finish(p.code);
          break;
        case 'print':
          for (const l of p.lines) out(l.stream === 'stderr' ? stderr : stdout, `${l.text}\n`);
          finish(p.code);
          break;
        case 'cat':
          stdin.on('data', (d: Buffer) => out(stdout, d.toString()));
          stdin.on('end', () => finish(0));
          break;
        case 'oom':
        case 'sleep':
          if (spec.args[0] !== 'fake') finish(0);
          break;
      }
    });
    const program = spec.args[0] === 'fake' ? parseFakeProgram(spec.args) : undefined;
    return {
      stdin,
      stdout,
      stderr,
      exited,
      resize: () => undefined,
      kill: (signal: string) => {
        const sig = parseSignal(signal);
        if (program?.kind === 'sleep' && program.ignore.has(sig) && sig !== 9) return;
        finish(128 + sig);
      },
    };
  }

  async attach(id: string): Promise<AttachStreams> {
    const c = this.host.need(id);
    if (c.exit) throw conflict('container.not_running', 'You cannot attach to a stopped container, start it first');
    const terminal = c.spec.process.terminal;
    const client: Client = { stdout: new PassThrough(), stderr: terminal ? undefined : new PassThrough() };
    c.clients.add(client);
    let stdin: PassThrough | undefined;
    if (c.stdin) {
      stdin = new PassThrough();
      stdin.on('data', (d: Buffer) => this.host.input(id, d.toString()));
      stdin.on('end', () => this.host.inputEnded(id));
    }
    return {
      stdin,
      stdout: client.stdout,
      stderr: client.stderr,
      resize: (rows, cols) => {
        c.size = { rows, cols };
      },
      detach: () => {
        if (!c.clients.delete(client)) return;
        client.stdout.end();
        client.stderr?.end();
        if (c.stdinOnce) this.host.inputEnded(id);
      },
    };
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const c = this.host.containers.get(id);
    if (!c) return;
    if (!c.exit && c.startedAt !== undefined && opts.force !== true) {
      throw conflict('container.running', `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    }
    this.host.containers.delete(id);
    if (!c.exit) this.host.finish(c, { exitCode: 137, oomKilled: false, finishedAt: this.host.clock.now() });
  }
}
