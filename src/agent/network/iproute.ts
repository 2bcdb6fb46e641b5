/**
 * Spawning iproute2 (and the shell scripts that chain it with nft) for the host network: every call is one process
 * in its own process group with a deadline; a non-zero exit becomes a ShoalError carrying the command's stderr.
 * Reads use `ip -j` (JSON); writes go through `ip -batch -` so a reconcile step is one process, not N.
 */
import { spawn } from 'node:child_process';
import { internal } from '../../api/errors.js';

export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function spawnCapture(file: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

async function check(what: string, file: string, args: readonly string[], stdin?: string): Promise<string> {
  const r = await spawnCapture(file, args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw internal('network.command_failed', `${what} failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `-n <netns>` when the node side is a netns (tests), nothing for the daemon's own netns. */
function nsArgs(netns: string | undefined): string[] {
  return netns === undefined ? [] : ['-n', netns];
}

/** `ip [-n NS] -batch -` with the given lines; no-op for none. */
export async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await check(`ip -batch (${lines[0] ?? ''}${lines.length > 1 ? ', …' : ''})`, 'ip', [...nsArgs(netns), '-batch', '-'], lines.join('\n') + '\n');
}

/** `ip [-n NS] -j <args>` parsed; an empty output is an empty list. */
export async function ipJson<T>(netns: string | undefined, args: readonly string[]): Promise<T[]> {
  const out = await check(`ip ${args.join(' ')}`, 'ip', [...nsArgs(netns), '-j', ...args]);
  if (out.trim() === '') return [];
  return JSON.parse(out) as T[];
}

/** Runs a POSIX shell script (`sh -c`) in one process: the wiring of a container. */
export async function runScript(what: string, script: string): Promise<void> {
  await check(what, 'sh', ['-c', script]);
}

/** Like runScript, returning the script's stdout (several reads in one spawn). */
export function runScriptOutput(what: string, script: string): Promise<string> {
  return check(what, 'sh', ['-c', script]);
}

/** Single-quotes a word for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
