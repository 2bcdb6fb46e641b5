/**
 * How to spell an overlay mount so the kernel accepts it. The mount data (`lowerdir=…,upperdir=…,workdir=…`) must
 * fit in one page including its NUL: 4095 bytes on x86-64 (measured: 4095 mounts, 4096 fails). Image layers live
 * at long paths (~90 bytes each in a content-addressed store), so an image of ~40 layers does not fit. The plan
 * tries, in order: absolute paths; paths relative to the layers' common parent, with `mount` run in that
 * directory; and one-or-two-character symlinks to each layer in a scratch directory, with `mount` run there
 * (docker's overlay2 uses the same short-link idea). Pure.
 *
 * Overlay order: the first lowerdir is the TOP layer; the image's lowest layer goes LAST.
 */
import { invalidArgument } from '../../../api/errors.js';

export interface OverlayPlanInput {
  /** Image layer directories, lowest first (the port's order). */
  layers: readonly string[];
  upper: string;
  work: string;
  /** A scratch directory for short symlinks, used only when the other spellings do not fit. */
  linkDir: string;
  /** The kernel's limit for mount data including the NUL, i.e. the page size. */
  pageSize?: number;
}

export interface OverlayPlan {
  strategy: 'absolute' | 'relative' | 'links';
  /** The `-o` argument for mount(8). */
  options: string;
  /** Run mount(8) in this directory (relative lowerdirs resolve against the mounting process's cwd). */
  cwd?: string;
  /** Symlinks to create before mounting (path → target); they may be removed once mounted. */
  links: { path: string; target: string }[];
}

/** The most layers overlayfs stacks (fs/overlayfs OVL_MAX_STACK). */
export const MAX_LAYERS = 500;

function commonParent(paths: readonly string[]): string {
  const split = paths.map((p) => p.split('/').slice(0, -1));
  const first = split[0] ?? [];
  let n = first.length;
  for (const s of split) {
    let i = 0;
    while (i < n && i < s.length && s[i] === first[i]) i++;
    n = i;
  }
  const dir = first.slice(0, n).join('/');
  return dir === '' ? '/' : dir;
}

function checkPath(p: string, what: string): void {
  if (!p.startsWith('/')) throw invalidArgument('rootfs.invalid_layer', `${what} must be an absolute path: ${p}`);
  if (/[,:\\]/.test(p)) throw invalidArgument('rootfs.invalid_layer', `${what} contains a character overlayfs cannot take (',', ':' or '\\'): ${p}`);
}

export function planOverlay(input: OverlayPlanInput): OverlayPlan {
  const { layers, upper, work, linkDir } = input;
  const limit = (input.pageSize ?? 4096) - 1;
  if (layers.length === 0) throw invalidArgument('rootfs.no_layers', 'an overlay root filesystem needs at least one layer');
  if (layers.length > MAX_LAYERS) throw invalidArgument('rootfs.too_many_layers', `an image may have at most ${MAX_LAYERS} layers, got ${layers.length}`);
  for (const l of layers) checkPath(l, 'layer directory');
  checkPath(upper, 'upper directory');
  checkPath(work, 'work directory');
  checkPath(linkDir, 'link directory');
  const topFirst = [...layers].reverse();
  const spell = (lower: readonly string[]): string => `lowerdir=${lower.join(':')},upperdir=${upper},workdir=${work}`;

  const absolute = spell(topFirst);
  if (Buffer.byteLength(absolute) <= limit) return { strategy: 'absolute', options: absolute, links: [] };

  const parent = commonParent(topFirst);
  if (parent !== '/') {
    const relative = spell(topFirst.map((l) => l.slice(parent.length + 1)));
    if (Buffer.byteLength(relative) <= limit) return { strategy: 'relative', options: relative, cwd: parent, links: [] };
  }

  const names = topFirst.map((_, i) => (topFirst.length - 1 - i).toString(36));
  const links = topFirst.map((target, i) => ({ path: `${linkDir}/${names[i] ?? ''}`, target }));
  const viaLinks = spell(names);
  if (Buffer.byteLength(viaLinks) > limit) {
    throw invalidArgument('rootfs.options_too_long', `overlay mount options do not fit in ${limit} bytes even with short links`);
  }
  return { strategy: 'links', options: viaLinks, cwd: linkDir, links };
}
