/**
 * The host state of a lab outside the network: processes (by PID, through /proc: a zombie counts as gone, since
 * the lab's daemons are reparented to whatever reaps, or does not reap, orphans), the nodes' cgroups in every
 * hierarchy, and mounts under the lab's roots. Everything here ignores what is already gone.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { runCommand } from './command.js';

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain ") ".
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The process's command line, arguments joined by spaces ('' when it is gone). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Waits until none of `pids` is alive, or the deadline; resolves with those still alive. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function cgroupRoots(): string[] {
  if (!existsSync('/sys/fs/cgroup')) return [];
  // cgroup v2 alone: one hierarchy at the top. v1 or hybrid: one directory per hierarchy (symlinks skipped).
  if (existsSync('/sys/fs/cgroup/cgroup.procs')) return ['/sys/fs/cgroup'];
  return readdirSync('/sys/fs/cgroup', { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `/sys/fs/cgroup/${e.name}`);
}

/** The cgroup directories of a parent, deepest first, the parent last, in every hierarchy. */
function cgroupDirs(parent: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(`${dir}/${e.name}`);
    out.push(dir);
  };
  for (const root of cgroupRoots()) {
    const dir = `${root}/${parent}`;
    if (existsSync(dir)) {
      try {
        walk(dir);
      } catch {
        // removed while walking
      }
    }
  }
  return out;
}

/** The PIDs in a cgroup parent and below, in every hierarchy. */
export function cgroupPids(parent: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(parent)) {
    try {
      for (const p of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n')) if (/^\d+$/.test(p)) pids.add(Number(p));
    } catch {
      // no procs file here
    }
  }
  return [...pids];
}

/** True when the cgroup parent exists in some hierarchy. */
export function cgroupExists(parent: string): boolean {
  return cgroupDirs(parent).length > 0;
}

/** Removes the cgroup parent and its children (empty by now), retrying briefly while the kernel lets go. */
export async function removeCgroups(parent: string, timeoutMs = 3000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed: string[] = [];
    for (const dir of cgroupDirs(parent)) {
      try {
        rmdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(dir);
      }
    }
    if (failed.length === 0 || Date.now() >= deadline) return failed;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Mount points at or under any of `dirs`, deepest first. */
export function mountsUnder(dirs: readonly string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m !== '' && dirs.some((d) => m === d || m.startsWith(`${d}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts each (lazily when busy); resolves with the ones still mounted. */
export async function unmountAll(points: readonly string[]): Promise<string[]> {
  for (const m of points) {
    const r = await runCommand('umount', [m]);
    if (r.code !== 0) await runCommand('umount', ['-l', m]);
  }
  const still = new Set(mountsUnder(points));
  return points.filter((p) => still.has(p));
}
