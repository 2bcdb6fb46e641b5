/**
 * mount(8)/umount(8) for volumes and task files (Node has no mount(2)). Mounts are made in the agent's mount
 * namespace, the one runc runs in, so a container's bind of `_data` sees them.
 */
import { execFile } from 'node:child_process';
import { internal } from '../../api/errors.js';
import { readMountinfo } from '../runtime/rootfs/index.js';

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message, { cause: err }));
      else resolve();
    });
  });
}

/** `mount [-t type] [-o options] device target`. */
export async function mountAt(target: string, m: { type?: string; device: string; options: string }, what: string): Promise<void> {
  const args: string[] = [];
  if (m.type !== undefined) args.push('-t', m.type);
  if (m.options !== '') args.push('-o', m.options);
  args.push(m.device, target);
  await run('mount', args).catch((e: unknown) => {
    throw internal('volume.mount_failed', `${what}: mount ${m.device}:${target}: ${e instanceof Error ? e.message : String(e)}`, e);
  });
}

/** True when something is mounted exactly at `path`. */
export async function isMountPoint(path: string): Promise<boolean> {
  const base = path.endsWith('/') ? path.slice(0, -1) : path;
  return (await readMountinfo()).some((m) => m.mountPoint === base);
}

/** Unmounts every mount stacked at `path` (a no-op when none). */
export async function unmountAll(path: string): Promise<void> {
  while (await isMountPoint(path)) await run('umount', [path]);
}
