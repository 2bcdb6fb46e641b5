/**
 * Spawned helpers (GNU tar, zstd, xz, sync) run in their own process group, so a kill reaches everything they
 * started; `exited` settles with the exit code and the tail of stderr.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { internal } from '../../../api/errors.js';

export interface Helper {
  child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** SIGKILL to the whole group; no-op once exited. */
  kill(): void;
}

const STDERR_MAX = 16 * 1024;

export function spawnHelper(cmd: string, args: readonly string[], opts: { stdio?: StdioOptions; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Helper {
  const child = spawn(cmd, args, {
    stdio: opts.stdio ?? ['ignore', 'ignore', 'pipe'],
    detached: true,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: opts.env ?? { ...process.env, LC_ALL: 'C' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_MAX) stderr += d.toString('utf8');
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('error', (e) => {
      done = true;
      resolve({ code: null, signal: null, stderr: `${stderr}${String(e)}` });
    });
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stderr });
    });
  });
  return {
    child,
    exited,
    kill() {
      if (done || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Runs a helper to completion; throws an Internal error with its stderr when it fails. */
export async function runHelper(cmd: string, args: readonly string[], what: string): Promise<void> {
  const h = spawnHelper(cmd, args);
  const r = await h.exited;
  if (r.code !== 0) throw internal('image.helper_failed', `${what}: ${cmd} exited with ${r.code ?? r.signal ?? 'error'}: ${r.stderr.trim()}`);
}
