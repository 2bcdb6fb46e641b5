/**
 * cgroupfs paths of a container: one directory per v1 hierarchy (cpu, memory, pids, …, name=systemd) and one in
 * the cgroup2 tree of a hybrid host. runc creates and removes the leaf; the agent removes whatever runc left
 * (after a failed create, or a `runc delete` that did not run) and reads the OOM-kill counter.
 */
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountEntry } from '../rootfs/index.js';

export interface CgroupMount {
  path: string;
  version: 1 | 2;
  /** v1 controllers on this hierarchy (`cpu`, `memory`, `name=systemd`); empty for v2. */
  controllers: string[];
}

const V1_CONTROLLERS = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc']);

export function cgroupMounts(entries: readonly MountEntry[]): CgroupMount[] {
  const out: CgroupMount[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.mountPoint)) continue;
    if (e.fsType === 'cgroup2') {
      out.push({ path: e.mountPoint, version: 2, controllers: [] });
      seen.add(e.mountPoint);
    } else if (e.fsType === 'cgroup') {
      const controllers = e.superOptions.split(',').filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
      out.push({ path: e.mountPoint, version: 1, controllers });
      seen.add(e.mountPoint);
    }
  }
  return out;
}

/** Every directory a container's cgroup may have, one per hierarchy. */
export function cgroupDirs(mounts: readonly CgroupMount[], cgroupsPath: string): string[] {
  return mounts.map((m) => join(m.path, cgroupsPath));
}

export function memoryCgroupDir(mounts: readonly CgroupMount[], cgroupsPath: string): string | undefined {
  const m = mounts.find((x) => x.version === 1 && x.controllers.includes('memory'));
  return m ? join(m.path, cgroupsPath) : undefined;
}

/** The `oom_kill` counter of a v1 memory cgroup (kernel ≥ 4.13), or undefined when the cgroup is gone. */
export async function readOomKillCount(memoryDir: string): Promise<number | undefined> {
  try {
    const text = await readFile(join(memoryDir, 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Removes the directories (leaf first is the caller's order). A cgroup is busy for a moment after its last task
 * exits, so EBUSY is retried briefly; a missing directory is fine.
 */
export async function removeCgroupDirs(dirs: readonly string[], sleep: (ms: number) => Promise<void>): Promise<string[]> {
  const left: string[] = [];
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && attempt < 50) {
          await sleep(20);
          continue;
        }
        left.push(dir);
        break;
      }
    }
  }
  return left;
}
