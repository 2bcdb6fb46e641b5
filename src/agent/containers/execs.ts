/**
 * docker's exec instances: created against a running container, started once (attached or detached), then
 * inspectable for their exit code.
 */
import { conflict, invalidArgument, notFound } from '../../api/errors.js';
import { newHexId } from '../../lib/ids.js';
import type { Random } from '../../lib/random.js';
import type { ExecProcess, Runtime } from '../exec/runtime.js';
import type { ContainerService } from './service.js';
import { resolveUser } from './user.js';

export interface ExecConfig {
  Cmd: string[];
  Env: string[];
  WorkingDir: string;
  User: string;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Privileged: boolean;
}

interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  process?: ExecProcess;
}

export function parseExecConfig(body: unknown): ExecConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('exec.config_invalid', 'exec config: expected a JSON object');
  const b = body as Record<string, unknown>;
  const strs = (v: unknown, f: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidArgument('exec.config_invalid', `${f}: expected an array of strings`);
    return v as string[];
  };
  const cmd = strs(b.Cmd, 'Cmd');
  if (cmd.length === 0) throw invalidArgument('exec.no_command', 'No exec command specified');
  return {
    Cmd: cmd,
    Env: strs(b.Env, 'Env'),
    WorkingDir: typeof b.WorkingDir === 'string' ? b.WorkingDir : '',
    User: typeof b.User === 'string' ? b.User : '',
    Tty: b.Tty === true,
    AttachStdin: b.AttachStdin === true,
    AttachStdout: b.AttachStdout === true,
    AttachStderr: b.AttachStderr === true,
    Privileged: b.Privileged === true,
  };
}

export class ExecRegistry {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(
    private readonly containers: ContainerService,
    private readonly runtime: Runtime,
    private readonly random: Random,
    private readonly layersOf: (containerRef: string) => Promise<string[]>,
  ) {}

  create(containerRef: string, body: unknown): { Id: string } {
    const config = parseExecConfig(body);
    const c = this.containers.runtimeFor(containerRef);
    if (!c.running) throw conflict('container.not_running', `Container ${c.id} is not running`);
    const id = newHexId(this.random);
    this.execs.set(id, { id, containerId: c.id, config, running: false, started: false, exitCode: null, pid: 0 });
    this.containers.addExecId(c.id, id, true);
    return { Id: id };
  }

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound('exec.not_found', `No such exec instance: ${id}`);
    return e;
  }

  /** Starts the process; the caller wires its streams. Resolves when it is running. */
  async start(id: string): Promise<ExecProcess> {
    const e = this.get(id);
    if (e.started) throw conflict('exec.already_started', `Error: Exec command ${id} ${e.running ? 'is already running' : 'has already run'}`);
    const c = this.containers.runtimeFor(e.containerId);
    if (!c.running) throw conflict('container.not_running', `Container ${c.id} is not running`);
    e.started = true;
    const user = resolveUser(e.config.User || c.config.User || '', await this.layersOf(c.id));
    const env = [...(c.config.Env ?? []), ...e.config.Env];
    const proc = await this.runtime.exec(c.id, {
      args: e.config.Cmd,
      env,
      cwd: e.config.WorkingDir || c.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      terminal: e.config.Tty,
    });
    e.process = proc;
    e.running = true;
    void proc.exited.then(
      (code) => {
        e.exitCode = code;
        e.running = false;
        this.containers.addExecId(c.id, id, false);
      },
      () => {
        e.exitCode = 126;
        e.running = false;
      },
    );
    return proc;
  }

  resize(id: string, rows: number, cols: number): void {
    this.get(id).process?.resize(rows, cols);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.config.Tty, entrypoint: e.config.Cmd[0], arguments: e.config.Cmd.slice(1), privileged: e.config.Privileged, user: e.config.User },
      OpenStdin: e.config.AttachStdin,
      OpenStderr: e.config.AttachStderr,
      OpenStdout: e.config.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: '',
      Pid: e.pid,
    };
  }
}
