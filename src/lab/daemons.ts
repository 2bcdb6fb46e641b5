/**
 * The nodes' `shoal daemon`s: each started detached (its own session, output to its log file, so it outlives the
 * `lab up` that started it) inside its node's netns with `nsenter --net` (the host's mount namespace, so its
 * mounts stay visible to `lab down`), on the node's roots, socket, cgroup parent and hostname. `waitUp` pings the
 * socket until it answers; a daemon that exits or stays silent fails with the tail of its log.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { unavailable } from '../api/errors.js';
import { createClient } from '../client/index.js';
import { canceled } from './cancel.js';
import { isAlive } from './host.js';
import type { LabNodeState } from './state.js';

/** How to run the shoal executable: e.g. `{file: process.execPath, args: ['/path/to/dist/shoal.cjs']}`. */
export interface ShoalCommand {
  file: string;
  args: string[];
}

export interface StartedDaemon {
  pid: number;
  /** The exit code or signal once it has exited, else undefined. */
  exited(): string | undefined;
}

export function daemonArgs(node: LabNodeState, extra: readonly string[]): string[] {
  return [
    'daemon',
    '--data-root', node.dataRoot,
    '--exec-root', node.execRoot,
    '-H', `unix://${node.socket}`,
    '--hostname', node.hostname,
    '--cgroup-parent', node.cgroupParent,
    // the nodes reach only the lab bridge: image digests are looked up on loopback registries only (`extra` may widen it)
    '--registry-lookup', 'loopback',
    ...extra,
  ];
}

export function spawnDaemon(node: LabNodeState, cmd: ShoalCommand, extra: readonly string[]): StartedDaemon {
  const fd = openSync(node.log, 'a', 0o644);
  let exit: string | undefined;
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${node.netns}`, '--', cmd.file, ...cmd.args, ...daemonArgs(node, extra)], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('error', (e) => (exit = e.message));
    child.on('exit', (code, sig) => (exit = sig !== null ? `signal ${sig}` : `exit code ${String(code)}`));
    child.unref();
    if (child.pid === undefined) throw unavailable('lab.daemon_spawn', `${node.name}: could not start nsenter`);
    return { pid: child.pid, exited: () => exit };
  } finally {
    closeSync(fd);
  }
}

export function logTail(path: string, lines = 12): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether the daemon on `socket` answers `/_ping` within a second. */
export async function answers(socket: string): Promise<boolean> {
  const client = createClient({ host: `unix://${socket}` });
  try {
    await client.ping(AbortSignal.timeout(1000));
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

/** Resolves once the node's daemon answers `/_ping`; throws (with its log's tail) when it exits or times out. */
export async function waitUp(node: LabNodeState, d: StartedDaemon, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted === true) throw canceled();
    const exit = d.exited() ?? (isAlive(d.pid) ? undefined : 'gone');
    if (exit !== undefined) {
      throw unavailable('lab.daemon_failed', `${node.name}: the daemon exited (${exit}) before it answered on ${node.socket}; the end of its log (${node.log}):\n${logTail(node.log)}`);
    }
    if (await answers(node.socket)) return;
    if (Date.now() >= deadline) {
      throw unavailable('lab.daemon_timeout', `${node.name}: the daemon did not answer on ${node.socket} within ${timeoutMs / 1000} s; the end of its log (${node.log}):\n${logTail(node.log)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
