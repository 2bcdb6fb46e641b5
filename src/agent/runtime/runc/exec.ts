/**
 * Processes started inside a running container (`docker exec`).
 *
 * - Without a terminal: `runc exec --process` as the agent's child; the process inherits runc's stdio pipes, so
 *   stdin EOF, stdout and stderr are exact, and runc's exit code is the process's.
 * - With a terminal: conmon in exec mode (`-e -t --exec-attach`) owns the pty; the agent attaches through the
 *   attach bridge before conmon lets runc start, so no output is lost, and resizes through the session's `ctl`
 *   fifo. conmon reports the PID and then the exit code on the sync pipe.
 *
 * A process that cannot be started (no such binary, permission denied) still yields an ExecProcess: it exits
 * 127 (not found) or 126 (cannot invoke) with runc's reason on its error stream, the shell's convention and what
 * `docker exec` exits with.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import type { ExecProcess } from '../../exec/runtime.js';
import { openBridge } from './attach-bridge.js';
import { runcErrorMessage } from './command.js';
import { conmonExecArgs, launchConmon } from './conmon.js';
import { parseSignal } from './signals.js';

/** Writes a resize request to a conmon ctl fifo (`1 <rows> <cols>`); a vanished session is ignored. */
export function writeResize(ctlPath: string, rows: number, cols: number): void {
  const r = Math.max(0, Math.min(1000, Math.floor(rows)));
  const c = Math.max(0, Math.min(1000, Math.floor(cols)));
  let fd: number | undefined;
  try {
    fd = openSync(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, `1 ${r} ${c}\n`);
  } catch {
    /* the session is gone */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** 127 for "not found", 126 otherwise: the exit code of an exec that never started. */
export function startFailureCode(message: string): number {
  return /not found|no such file or directory/i.test(message) ? 127 : 126;
}

/**
 * The runtime's reason when an exec never started, read from the end of its stderr (runc: a logrus error line
 * about `exec failed` / `unable to start container process`; crun: `executable file … not found in $PATH`), or
 * undefined when the text is the process's own.
 */
export function execStartFailure(stderrTail: string): string | undefined {
  if (/level=error/.test(stderrTail)) {
    const msg = runcErrorMessage(stderrTail);
    if (/exec failed|unable to start container process/.test(msg)) return msg;
  }
  const lines = stderrTail.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (/^executable file .* not found in \$PATH|^exec(ve)? .*(No such file or directory|Permission denied)$/.test(last)) return last;
  return undefined;
}

function killPid(pid: number | undefined, signal: string): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, parseSignal(signal));
  } catch {
    /* gone */
  }
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface RuncExecOptions {
  runcPath: string;
  runcRoot: string;
  containerId: string;
  /** The session's scratch directory (removed when the process exits). */
  dir: string;
  processJson: string;
}

/** A process without a terminal, as the agent's child `runc exec`. */
export async function runcExec(o: RuncExecOptions): Promise<ExecProcess> {
  await mkdir(o.dir, { recursive: true });
  const processFile = join(o.dir, 'process.json');
  const pidFile = join(o.dir, 'pid');
  await writeFile(processFile, o.processJson);
  const child = spawn(o.runcPath, ['--root', o.runcRoot, 'exec', '--process', processFile, '--pid-file', pidFile, o.containerId], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const stderr = new PassThrough();
  let tail = '';
  child.stderr.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-8192);
  });
  child.stderr.pipe(stderr);
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => {
    let settled = false;
    const done = (code: number): void => {
      if (settled) return;
      settled = true;
      void rm(o.dir, { recursive: true, force: true }).catch(() => undefined);
      resolve(code);
    };
    child.on('error', (e) => {
      stderr.end(`exec failed: ${e.message}\n`);
      done(126);
    });
    child.on('close', (code, signal) => {
      if (signal !== null) return done(128 + parseSignal(signal));
      const failure = code === 255 ? execStartFailure(tail) : undefined;
      if (failure !== undefined) return done(startFailureCode(failure));
      done(code ?? 255);
    });
  });
  let pid: number | undefined;
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr,
    exited,
    resize: () => undefined,
    kill: (signal: string) => {
      pid ??= readPid(pidFile);
      if (pid !== undefined) killPid(pid, signal);
      else killPid(child.pid, signal);
    },
  };
}

export interface ConmonExecOptions {
  conmonPath: string;
  runcPath: string;
  runcRoot: string;
  perlPath: string;
  containerId: string;
  sessionId: string;
  dir: string;
  processJson: string;
  runtimeArgs?: readonly string[];
}

function readLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('utf8');
      if (text.includes('\n')) finish(text.split('\n')[0]);
    };
    const finish = (v: string | undefined): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      resolve(v);
    };
    const onEnd = (): void => finish(text === '' ? undefined : text);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
  });
}

/** A process with a terminal, through conmon's exec mode and the attach bridge. */
export async function conmonExec(o: ConmonExecOptions): Promise<ExecProcess> {
  const exitDir = join(o.dir, 'exit');
  await mkdir(exitDir, { recursive: true });
  const processFile = join(o.dir, 'process.json');
  const pidFile = join(o.dir, 'pid');
  await writeFile(processFile, o.processJson);
  const args = conmonExecArgs({
    containerId: o.containerId,
    sessionId: o.sessionId,
    runtimePath: o.runcPath,
    runcRoot: o.runcRoot,
    dir: o.dir,
    pidFile,
    exitDir,
    processSpec: processFile,
    terminal: true,
    ...(o.runtimeArgs ? { runtimeArgs: o.runtimeArgs } : {}),
  });
  const conmon = launchConmon(o.conmonPath, args, { cwd: o.dir, extraEnv: ['_OCI_STARTPIPE', '_OCI_ATTACHPIPE'] });
  const start = conmon.pipes[0] as Writable;
  const attachPipe = conmon.pipes[1] as Readable;
  start.on('error', () => undefined);
  const out = new PassThrough();
  const err = new PassThrough();
  let bridge: Awaited<ReturnType<typeof openBridge>> | undefined;
  /** An exec that never started: no output, the reason on stderr, and 126/127. */
  const fail = async (message: string, code: number): Promise<ExecProcess> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (bridge) {
      bridge.stdout.unpipe(out);
      bridge.stderr.unpipe(err);
      bridge.close();
    }
    conmon.release();
    await rm(o.dir, { recursive: true, force: true }).catch(() => undefined);
    stdout.end();
    stderr.end(`${message}\n`);
    const stdin = new PassThrough();
    stdin.resume();
    return { stdin, stdout, stderr, exited: Promise.resolve(code), resize: () => undefined, kill: () => undefined };
  };
  start.write('start\n');
  const ready = await readLine(attachPipe);
  if (ready === undefined) {
    await conmon.launched;
    const m = await conmon.sync.next();
    return fail(`exec failed: ${m?.message ?? conmon.stderr()}`, 126);
  }
  try {
    bridge = await openBridge(o.perlPath, o.dir, { stdin: true });
  } catch (e) {
    start.end();
    return fail(e instanceof Error ? e.message : String(e), 126);
  }
  bridge.stdout.pipe(out);
  bridge.stderr.pipe(err);
  start.end('go\n');
  const first = await conmon.sync.next();
  if (!first || first.data <= 0) {
    const raw = first?.message ?? 'conmon exited without starting the process';
    const message = execStartFailure(raw) ?? runcErrorMessage(raw);
    return fail(`OCI runtime exec failed: ${message}`, startFailureCode(message));
  }
  const pid = first.data;
  const session = bridge;
  const exited = (async (): Promise<number> => {
    const m = await conmon.sync.next();
    let code: number | undefined = m && m.data >= 0 ? m.data : undefined;
    if (code === undefined) {
      try {
        code = Number(readFileSync(join(exitDir, o.containerId), 'utf8').trim());
      } catch {
        code = 255;
      }
    }
    conmon.release();
    await session.exited;
    await rm(o.dir, { recursive: true, force: true }).catch(() => undefined);
    return code;
  })();
  return {
    stdin: session.stdin,
    stdout: out,
    stderr: err,
    exited,
    resize: (rows, cols) => writeResize(join(o.dir, 'ctl'), rows, cols),
    kill: (signal) => killPid(pid, signal),
  };
}
