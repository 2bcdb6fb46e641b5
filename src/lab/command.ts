/**
 * Running the host's tools (iproute2, umount): each run has a deadline (the process group is killed at it) and
 * collects its output. `mustRun` turns a non-zero exit into a ShoalError naming the command and its stderr.
 */
import { spawn } from 'node:child_process';
import { internal } from '../api/errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(file: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export async function mustRun(file: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runCommand(file, args, opts);
  if (r.code !== 0) {
    const what = opts.input !== undefined ? `${file} ${args.join(' ')} <<${JSON.stringify(opts.input.trim())}` : `${file} ${args.join(' ')}`;
    throw internal('lab.command_failed', `${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}
