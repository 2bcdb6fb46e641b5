/**
 * The real Runtime: runc under conmon, one conmon per container, state under one directory so a later agent
 * process adopts everything an earlier one made.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ShoalError, conflict, internal, invalidArgument, notFound } from '../../../api/errors.js';
import { nullLogger } from '../../../lib/logger.js';
import type { Logger } from '../../../lib/logger.js';
import type { AttachStreams, ContainerSpec, ContainerState, ExecProcess, ExecSpec, ExitStatus, Runtime } from '../../exec/runtime.js';
import { execProcessSpec, generateOciSpec, serializeOciSpec, validateContainerId } from '../oci/index.js';
import { mountRootfs, rootfsLayout, unmountRootfs } from '../rootfs/index.js';
import { openBridge } from './attach-bridge.js';
import { cgroupDirs, memoryCgroupDir, readOomKillCount, removeCgroupDirs } from './cgroups.js';
import { runCommand, runcErrorMessage } from './command.js';
import { conmonCreateArgs, launchConmon } from './conmon.js';
import { crunWrapper } from './crun-wrapper.js';
import { conmonExec, runcExec, startFailureCode, writeResize } from './exec.js';
import { ExitWatcher } from './exit-watcher.js';
import { readHostInfo } from './host-info.js';
import type { HostInfo } from './host-info.js';
import { containerPaths, stateLayout } from './layout.js';
import type { ContainerPaths, StateLayout } from './layout.js';
import { isAlive, readProcStat } from './proc.js';
import { readExitRecord, readRecord, writeExitRecord, writeRecord } from './record.js';
import type { ContainerRecord } from './record.js';
import { parseSignal } from './signals.js';

export interface RuncRuntimeOptions {
  /** Where runc's state, bundles, exit files and attach sockets live (e.g. `<exec-root>/runtime`). */
  stateDir: string;
  /**
   * The OCI runtime conmon drives: runc (default) or crun. On a hybrid cgroup host crun runs through a wrapper
   * that hides the cgroup2 mount in a private mount namespace (crun 1.8 refuses hybrid mode otherwise).
   */
  runtime?: 'runc' | 'crun';
  /** The crun binary when `runtime` is crun. */
  crunPath?: string;
  /** The cgroupfs parent: containers get `/<cgroupParent>/<id>` in every hierarchy. Default `shoal`. */
  cgroupParent?: string;
  runcPath?: string;
  conmonPath?: string;
  /** For the attach bridge (see attach-bridge.ts). */
  perlPath?: string;
  /** Extra global runtime arguments (before the verb), e.g. for a wrapped runtime. */
  runtimeArgs?: readonly string[];
  logger?: Logger;
  /** How often waits re-check besides inotify. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Host facts; read from /proc when omitted. */
  host?: HostInfo;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const CREATE_TIMEOUT_MS = 60_000;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function notRunning(id: string): ShoalError {
  return conflict('container.not_running', `Container ${id} is not running`);
}

export class RuncRuntime implements Runtime, AsyncDisposable {
  private readonly layout: StateLayout;
  private readonly parent: string;
  private readonly runc: string;
  private readonly conmon: string;
  private readonly perl: string;
  private readonly runtimeArgs: readonly string[];
  private readonly log: Logger;
  private readonly exits: ExitWatcher<ExitStatus>;
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(
    opts: RuncRuntimeOptions,
    private readonly host: HostInfo,
  ) {
    this.layout = stateLayout(opts.stateDir);
    this.parent = (opts.cgroupParent ?? 'shoal').replace(/^\/+|\/+$/g, '');
    this.runc = opts.runcPath ?? '/usr/sbin/runc';
    this.conmon = opts.conmonPath ?? '/usr/bin/conmon';
    this.perl = opts.perlPath ?? '/usr/bin/perl';
    this.runtimeArgs = opts.runtimeArgs ?? [];
    this.log = (opts.logger ?? nullLogger).child({ component: 'runtime.runc' });
    this.exits = new ExitWatcher<ExitStatus>(this.layout.exits, opts.pollIntervalMs ?? 1000, this.log);
  }

  static async open(opts: RuncRuntimeOptions): Promise<RuncRuntime> {
    const host = opts.host ?? (await readHostInfo());
    const l = stateLayout(opts.stateDir);
    for (const d of [l.root, l.runcRoot, l.exits, l.sockets, l.containers]) await mkdir(d, { recursive: true, mode: 0o711 });
    let runcPath = opts.runcPath;
    if (opts.runtime === 'crun') {
      const crun = opts.crunPath ?? '/usr/bin/crun';
      if (!existsSync(crun)) throw new ShoalError('FailedPrecondition', 'runtime.missing_binary', `crun not found at ${crun}`);
      runcPath = crunWrapper(l.root, crun, host.cgroups);
    }
    const rt = new RuncRuntime({ ...opts, ...(runcPath ? { runcPath } : {}) }, host);
    for (const [what, path] of [['runc', rt.runc], ['conmon', rt.conmon], ['perl', rt.perl]] as const) {
      if (!existsSync(path)) throw new ShoalError('FailedPrecondition', 'runtime.missing_binary', `${what} not found at ${path}`);
    }
    return rt;
  }

  /** The cgroupfs path a container gets. */
  cgroupsPath(id: string): string {
    return `/${this.parent}/${id}`;
  }

  /** The directories of a container's cgroup, one per hierarchy (for tests and diagnostics). */
  cgroupDirs(id: string): string[] {
    return cgroupDirs(this.host.cgroups, this.cgroupsPath(id));
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.layout, id);
  }

  /** Stops watching for exits; pending waits reject as canceled. Containers keep running. */
  close(): void {
    this.exits.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  private async record(id: string): Promise<ContainerRecord | undefined> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/.test(id)) return undefined;
    return readRecord(this.paths(id).record);
  }

  private async need(id: string): Promise<ContainerRecord> {
    const r = await this.record(id);
    if (!r) throw notFound('container.not_found', `No such container: ${id}`);
    return r;
  }

  // ------------------------------------------------------------------ create / start

  async create(spec: ContainerSpec, opts: { stdin?: boolean; stdinOnce?: boolean } = {}): Promise<void> {
    validateContainerId(spec.id);
    await this.locked(spec.id, async () => {
      const p = this.paths(spec.id);
      if (await this.record(spec.id)) throw conflict('container.exists', `container ${spec.id} already exists`);
      if (existsSync(p.bundle) || existsSync(join(this.layout.runcRoot, spec.id))) {
        this.log.warn({ id: spec.id }, 'removing leftovers of an earlier, unfinished create');
        await this.purge(spec.id, undefined);
      }
      const cgroupsPath = this.cgroupsPath(spec.id);
      const oci = generateOciSpec(spec, { rootfsPath: rootfsLayout(p.bundle).rootfs, cgroupsPath, host: this.host.oci });
      for (const m of spec.mounts) {
        if (m.type !== 'bind') continue;
        if (!(await stat(m.source).catch(() => undefined))) {
          throw invalidArgument('mount.source_missing', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
        }
      }
      if (!spec.logPath.startsWith('/')) throw invalidArgument('container.log_path', `log path must be absolute: ${spec.logPath}`);
      const logExisted = existsSync(spec.logPath);
      const stdin = opts.stdin === true;
      try {
        await mkdir(dirname(spec.logPath), { recursive: true });
        await mkdir(p.bundle, { recursive: true, mode: 0o711 });
        await mountRootfs({ layers: spec.rootfs.layers, dir: p.bundle });
        await writeFile(p.config, serializeOciSpec(oci), { mode: 0o600 });
        const conmon = launchConmon(
          this.conmon,
          conmonCreateArgs({
            id: spec.id,
            runtimePath: this.runc,
            runcRoot: this.layout.runcRoot,
            bundle: p.bundle,
            pidFile: p.pidFile,
            conmonPidFile: p.conmonPidFile,
            logPath: spec.logPath,
            exitDir: this.layout.exits,
            socketDir: this.layout.sockets,
            terminal: spec.process.terminal,
            stdin,
            leaveStdinOpen: opts.stdinOnce !== true,
            runtimeArgs: this.runtimeArgs,
          }),
          { cwd: p.bundle },
        );
        let timer: NodeJS.Timeout | undefined;
        const msg = await Promise.race([
          conmon.sync.next(),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), CREATE_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!msg || msg.data <= 0) {
          await conmon.launched;
          conmon.release();
          throw createFailure(msg?.message ?? (conmon.stderr() || 'conmon exited without reporting the container'));
        }
        conmon.release();
        const pid = msg.data;
        const st = readProcStat(pid);
        if (!st) throw internal('runtime.create_failed', `container process ${pid} vanished right after create`);
        const conmonPid = Number((await readFile(p.conmonPidFile, 'utf8').catch(() => '')).trim());
        const conmonStat = readProcStat(conmonPid);
        const record: ContainerRecord = {
          v: 1,
          spec,
          createdAt: Date.now(),
          stdin,
          cgroupsPath,
          pid,
          pidStartTime: st.startTime,
          conmonPid,
          ...(conmonStat ? { conmonStartTime: conmonStat.startTime } : {}),
        };
        writeRecord(p.record, record);
      } catch (e) {
        await this.purge(spec.id, undefined).catch((err: unknown) => this.log.error({ id: spec.id, err }, 'cleanup after a failed create failed'));
        if (!logExisted) await rm(spec.logPath, { force: true }).catch(() => undefined);
        throw e;
      }
    });
  }

  async start(id: string): Promise<void> {
    await this.locked(id, async () => {
      const r = await this.need(id);
      if (r.startedAt !== undefined) throw conflict('container.already_started', `container ${id} has already been started`);
      if (!isAlive(r.pid, r.pidStartTime)) throw notRunning(id);
      const p = this.paths(id);
      writeRecord(p.record, { ...r, startedAt: Date.now() });
      const res = await runCommand(this.runc, ['--root', this.layout.runcRoot, ...this.runtimeArgs, 'start', id]);
      if (res.code !== 0) {
        writeRecord(p.record, r);
        const msg = runcErrorMessage(res.stderr);
        if (/does not exist/.test(msg)) throw notFound('container.not_found', `No such container: ${id}`);
        if (/cannot start/.test(msg)) throw conflict('container.cannot_start', msg);
        throw internal('runtime.start_failed', `OCI runtime start failed: ${msg}`);
      }
    });
  }

  // ------------------------------------------------------------------ state

  /** The exit, once the container's init has exited (cached in exit.json); undefined while it runs. */
  private async exitOf(id: string, r: ContainerRecord): Promise<ExitStatus | undefined> {
    const p = this.paths(id);
    const cached = await readExitRecord(p.exit);
    if (cached) return cached;
    let exitCode: number;
    let finishedAt: number;
    const readExitFile = async (): Promise<{ code: number; at: number } | undefined> => {
      try {
        const [text, st] = await Promise.all([readFile(p.exitFile, 'utf8'), stat(p.exitFile)]);
        const code = Number(text.trim());
        // conmon may be between creating the file and writing the code: not an exit yet.
        if (text.trim() === '') return undefined;
        return { code: Number.isInteger(code) ? code : 255, at: Math.floor(st.mtimeMs) };
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
        return undefined;
      }
    };
    const first = await readExitFile();
    if (first !== undefined) {
      exitCode = first.code;
      finishedAt = first.at;
    } else {
      if (isAlive(r.pid, r.pidStartTime)) return undefined;
      if (r.conmonPid > 0 && isAlive(r.conmonPid, r.conmonStartTime)) return undefined;
      // conmon writes the exit file and then exits: it may have done both since the first look.
      const second = await readExitFile();
      if (second !== undefined) {
        exitCode = second.code;
        finishedAt = second.at;
      } else {
        this.log.warn({ id }, 'container and its conmon are gone without an exit file; exit code unknown');
        exitCode = 255;
        finishedAt = Date.now();
      }
    }
    const memory = memoryCgroupDir(this.host.cgroups, r.cgroupsPath);
    const kills = memory ? await readOomKillCount(memory) : undefined;
    const oomEvent = (kills ?? 0) > 0 || existsSync(p.oomFile);
    const exit: ExitStatus = { exitCode, oomKilled: exitCode === 137 && oomEvent, finishedAt };
    try {
      if (existsSync(p.record)) writeExitRecord(p.exit, exit);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
    return exit;
  }

  private async stateOf(id: string, r: ContainerRecord): Promise<ContainerState> {
    const base = { id, createdAt: r.createdAt, annotations: { ...(r.spec.annotations ?? {}) } };
    const exit = await this.exitOf(id, r);
    if (exit) {
      return {
        ...base,
        status: 'stopped',
        exitCode: exit.exitCode,
        oomKilled: exit.oomKilled,
        finishedAt: exit.finishedAt,
        ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
      };
    }
    if (r.startedAt === undefined) return { ...base, status: 'created', pid: r.pid };
    return { ...base, status: 'running', pid: r.pid, startedAt: r.startedAt };
  }

  async state(id: string): Promise<ContainerState | undefined> {
    const r = await this.record(id);
    return r ? this.stateOf(id, r) : undefined;
  }

  async list(): Promise<ContainerState[]> {
    const ids = await readdir(this.layout.containers).catch(() => [] as string[]);
    const out: ContainerState[] = [];
    for (const id of ids.sort()) {
      const r = await this.record(id);
      if (r) out.push(await this.stateOf(id, r));
    }
    return out;
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    await this.need(id);
    return this.exits.wait(
      id,
      async () => {
        const r = await this.record(id);
        if (!r) throw notFound('container.not_found', `No such container: ${id}`);
        return this.exitOf(id, r);
      },
      signal,
    );
  }

  // ------------------------------------------------------------------ signals, exec, attach

  async kill(id: string, signal: string): Promise<void> {
    const sig = parseSignal(signal);
    const r = await this.need(id);
    if ((await this.exitOf(id, r)) || !isAlive(r.pid, r.pidStartTime)) throw notRunning(id);
    try {
      process.kill(r.pid, sig);
    } catch (e) {
      if (errno(e) === 'ESRCH') throw notRunning(id);
      throw internal('runtime.kill_failed', `cannot signal container ${id}`, e);
    }
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    const r = await this.need(id);
    if (r.startedAt === undefined || (await this.exitOf(id, r)) || !isAlive(r.pid, r.pidStartTime)) throw notRunning(id);
    const processJson = serializeOciSpec(execProcessSpec(r.spec, spec, this.host.oci));
    const sessionId = randomBytes(8).toString('hex');
    const dir = join(this.paths(id).execs, sessionId);
    if (spec.terminal === true) {
      return conmonExec({
        conmonPath: this.conmon,
        runcPath: this.runc,
        runcRoot: this.layout.runcRoot,
        perlPath: this.perl,
        containerId: id,
        sessionId,
        dir,
        processJson,
        runtimeArgs: this.runtimeArgs,
      });
    }
    return runcExec({ runcPath: this.runc, runcRoot: this.layout.runcRoot, containerId: id, dir, processJson });
  }

  async attach(id: string): Promise<AttachStreams> {
    const r = await this.need(id);
    if (await this.exitOf(id, r)) throw conflict('container.not_running', 'You cannot attach to a stopped container, start it first');
    const p = this.paths(id);
    const bridge = await openBridge(this.perl, p.bundle, { stdin: r.stdin });
    const terminal = r.spec.process.terminal;
    return {
      stdin: r.stdin ? bridge.stdin : undefined,
      stdout: bridge.stdout,
      stderr: terminal ? undefined : bridge.stderr,
      resize: (rows, cols) => writeResize(p.ctl, rows, cols),
      detach: () => bridge.close(),
    };
  }

  // ------------------------------------------------------------------ delete

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/.test(id)) return;
    await this.locked(id, async () => {
      const r = await this.record(id);
      if (r && opts.force !== true && r.startedAt !== undefined && !(await this.exitOf(id, r)) && isAlive(r.pid, r.pidStartTime)) {
        throw conflict(
          'container.running',
          `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
        );
      }
      await this.purge(id, r);
    });
  }

  /** Removes every trace of a container, whatever state it is in. Idempotent. */
  private async purge(id: string, r: ContainerRecord | undefined): Promise<void> {
    const p = this.paths(id);
    if (r && isAlive(r.pid, r.pidStartTime)) {
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (existsSync(join(this.layout.runcRoot, id))) {
      const res = await runCommand(this.runc, ['--root', this.layout.runcRoot, ...this.runtimeArgs, 'delete', '--force', id]);
      if (res.code !== 0 && !/does not exist/.test(res.stderr)) {
        this.log.warn({ id, err: runcErrorMessage(res.stderr) }, 'runc delete failed');
      }
    }
    await this.reapConmon(p, r);
    await unmountRootfs(p.bundle);
    const left = await removeCgroupDirs(cgroupDirs(this.host.cgroups, r?.cgroupsPath ?? this.cgroupsPath(id)), sleep);
    if (left.length > 0) throw internal('runtime.cgroup_busy', `cannot remove cgroup directories: ${left.join(', ')}`);
    await rm(p.record, { force: true });
    await rm(p.exitFile, { force: true });
    await rm(p.socketLink, { force: true });
    await rm(p.bundle, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
  }

  /** Waits for the container's conmon to finish (it writes the exit file last), killing it after 5 s. */
  private async reapConmon(p: ContainerPaths, r: ContainerRecord | undefined): Promise<void> {
    let pid = r?.conmonPid ?? 0;
    let start = r?.conmonStartTime;
    if (pid <= 0) {
      pid = Number((await readFile(p.conmonPidFile, 'utf8').catch(() => '')).trim());
      start = undefined;
      if (!(pid > 0) || readProcStat(pid)?.comm !== 'conmon') return;
    }
    const deadline = Date.now() + 5000;
    while (isAlive(pid, start)) {
      if (Date.now() > deadline) {
        if (readProcStat(pid)?.comm === 'conmon') {
          this.log.warn({ pid }, 'conmon did not exit; killing it');
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        break;
      }
      await sleep(5);
    }
  }
}

/** A runtime-create failure as docker words it, InvalidArgument when the spec is at fault. */
function createFailure(raw: string): ShoalError {
  const msg = runcErrorMessage(raw);
  const text = `OCI runtime create failed: ${msg}`;
  if (/executable file not found|no such file or directory|permission denied|not a directory/i.test(msg)) {
    return invalidArgument(startFailureCode(msg) === 127 ? 'container.command_not_found' : 'container.command_not_executable', text);
  }
  return internal('runtime.create_failed', text);
}

export function createRuncRuntime(opts: RuncRuntimeOptions): Promise<RuncRuntime> {
  return RuncRuntime.open(opts);
}
