/**
 * A container's overlay root filesystem: `<dir>/rootfs` mounted over the image layers, with the container's own
 * `<dir>/upper` and `<dir>/work`. The mount is made by mount(8) from the agent's mount namespace (the one runc
 * runs in), so runc can pivot into it; it is unmounted and its directories removed on delete and on a failed
 * create. Node has no mount(2), so mount(8)/umount(8) are spawned (about 3-5 ms each).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ShoalError, internal, invalidArgument } from '../../../api/errors.js';
import { mountsUnder, readMountinfo } from './mountinfo.js';
import { planOverlay } from './overlay-plan.js';
import type { OverlayPlan } from './overlay-plan.js';

export interface RootfsLayout {
  /** The mount point: what config.json's root.path names. */
  rootfs: string;
  upper: string;
  work: string;
  /** Scratch directory for short layer links (only while mounting a very deep image). */
  links: string;
}

export function rootfsLayout(dir: string): RootfsLayout {
  return { rootfs: join(dir, 'rootfs'), upper: join(dir, 'upper'), work: join(dir, 'work'), links: join(dir, 'l') };
}

function run(cmd: string, args: readonly string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(new Error(err.message, { cause: err }), { stderr: stderr.trim() }));
      else resolve();
    });
  });
}

function stderrOf(e: unknown): string {
  if (e && typeof e === 'object' && 'stderr' in e && typeof e.stderr === 'string' && e.stderr !== '') return e.stderr;
  return e instanceof Error ? e.message : String(e);
}

export interface MountRootfsOptions {
  /** Layer directories, lowest first. */
  layers: readonly string[];
  /** The container's directory; rootfs/, upper/ and work/ are made inside it. */
  dir: string;
  pageSize?: number;
}

/** Mounts the overlay and returns its layout. On failure nothing it made is left behind. */
export async function mountRootfs(opts: MountRootfsOptions): Promise<RootfsLayout> {
  const layout = rootfsLayout(opts.dir);
  const plan: OverlayPlan = planOverlay({ layers: opts.layers, upper: layout.upper, work: layout.work, linkDir: layout.links, ...(opts.pageSize ? { pageSize: opts.pageSize } : {}) });
  for (const layer of opts.layers) {
    const st = await stat(layer).catch(() => undefined);
    if (!st?.isDirectory()) throw invalidArgument('rootfs.layer_missing', `image layer directory does not exist: ${layer}`);
  }
  try {
    await mkdir(layout.rootfs, { recursive: true });
    await mkdir(layout.upper, { recursive: true });
    await mkdir(layout.work, { recursive: true });
    if (plan.links.length > 0) {
      await mkdir(layout.links, { recursive: true });
      for (const l of plan.links) await symlink(l.target, l.path);
    }
    await run('mount', ['-t', 'overlay', 'overlay', '-o', plan.options, layout.rootfs], plan.cwd).catch((e: unknown) => {
      throw internal('rootfs.mount_failed', `mounting the overlay root filesystem failed: ${stderrOf(e)}`, e);
    });
  } catch (e) {
    await unmountRootfs(opts.dir).catch(() => undefined);
    throw e;
  } finally {
    if (plan.links.length > 0) await rm(layout.links, { recursive: true, force: true }).catch(() => undefined);
  }
  return layout;
}

/** True when something is mounted at `path` or below it. */
export async function hasMountsUnder(path: string): Promise<boolean> {
  return mountsUnder(await readMountinfo(), path).length > 0;
}

/**
 * Unmounts everything at or below `<dir>/rootfs` (deepest first; lazily if busy) and removes rootfs/, upper/,
 * work/ and l/. Idempotent. Refuses to delete anything while a mount remains, so a failed unmount never turns
 * into deleting through the mount into an image layer.
 */
export async function unmountRootfs(dir: string): Promise<void> {
  const layout = rootfsLayout(dir);
  for (const m of mountsUnder(await readMountinfo(), layout.rootfs)) {
    await run('umount', [m.mountPoint]).catch(async (e: unknown) => {
      await run('umount', ['-l', m.mountPoint]).catch(() => {
        throw internal('rootfs.umount_failed', `unmounting ${m.mountPoint} failed: ${stderrOf(e)}`, e);
      });
    });
  }
  if (await hasMountsUnder(layout.rootfs)) {
    throw new ShoalError('FailedPrecondition', 'rootfs.still_mounted', `${layout.rootfs} is still mounted; not removing it`);
  }
  await rm(layout.links, { recursive: true, force: true });
  await rm(layout.rootfs, { recursive: true, force: true });
  await rm(layout.work, { recursive: true, force: true });
  await rm(layout.upper, { recursive: true, force: true });
}
