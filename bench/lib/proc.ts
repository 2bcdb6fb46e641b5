/**
 * What /proc says about a process: proportional and resident set sizes, its parent and name, its children, and the
 * members of its cgroup (v1 hierarchies first, then the unified one). Every reader returns undefined (or an empty
 * list) for a process that is gone, so a sample never throws half-way.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function kbField(text: string | undefined, field: string): number | undefined {
  const m = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

export interface MemorySample {
  /** Bytes. */
  bytes: number;
  /** `pss` from smaps_rollup, or `rss` from status when smaps_rollup is unreadable. */
  kind: 'pss' | 'rss';
}

/** PSS from `/proc/<pid>/smaps_rollup`, falling back to VmRSS. */
export function memoryOf(pid: number): MemorySample | undefined {
  const pss = kbField(read(`/proc/${pid}/smaps_rollup`), 'Pss');
  if (pss !== undefined) return { bytes: pss, kind: 'pss' };
  const rss = kbField(read(`/proc/${pid}/status`), 'VmRSS');
  return rss === undefined ? undefined : { bytes: rss, kind: 'rss' };
}

/** VmRSS in bytes. */
export function rssOf(pid: number): number | undefined {
  return kbField(read(`/proc/${pid}/status`), 'VmRSS');
}

/** PSS in bytes (no fallback). */
export function pssOf(pid: number): number | undefined {
  return kbField(read(`/proc/${pid}/smaps_rollup`), 'Pss');
}

export interface ProcStatus {
  comm: string;
  ppid: number;
}

export function statusOf(pid: number): ProcStatus | undefined {
  const text = read(`/proc/${pid}/status`);
  if (text === undefined) return undefined;
  const comm = text.match(/^Name:\s+(.*)$/m)?.[1] ?? '';
  const ppid = Number(text.match(/^PPid:\s+(\d+)$/m)?.[1] ?? '0');
  return { comm, ppid };
}

/** The process and all its descendants (through `/proc/<pid>/task/<tid>/children`). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 10_000) {
    const p = queue.shift() as number;
    if (out.includes(p)) continue;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      for (const c of (read(`/proc/${p}/task/${t}/children`) ?? '').split(/\s+/)) if (c !== '') queue.push(Number(c));
    }
  }
  return out;
}

/**
 * The PIDs in the same cgroup as `pid`: the memory controller's v1 hierarchy if there is one, else the unified
 * hierarchy. Undefined when neither can be read.
 */
export function cgroupMembers(pid: number): number[] | undefined {
  const lines = (read(`/proc/${pid}/cgroup`) ?? '').split('\n').filter((l) => l !== '');
  const candidates: string[] = [];
  for (const l of lines) {
    const [, controllers = '', path = ''] = l.split(':');
    if (controllers.split(',').includes('memory')) candidates.unshift(`/sys/fs/cgroup/memory${path}`);
    else if (controllers === '') candidates.push(existsSync('/sys/fs/cgroup/unified') ? `/sys/fs/cgroup/unified${path}` : `/sys/fs/cgroup${path}`);
  }
  for (const dir of candidates) {
    const procs = read(`${dir}/cgroup.procs`);
    if (procs === undefined) continue;
    const list = procs.split('\n').filter((x) => x !== '').map(Number);
    if (list.includes(pid)) return list;
  }
  return undefined;
}
