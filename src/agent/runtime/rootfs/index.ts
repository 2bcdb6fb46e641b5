/**
 * Container root filesystems: an overlayfs per container over its image's unpacked layer directories.
 *
 * Owns: `<container dir>/rootfs` (the mount point runc pivots into), `<container dir>/upper` and `work`, the
 * spelling of the overlay mount options (page-size limit: absolute, relative or short-link lowerdirs), and
 * reading /proc/self/mountinfo.
 *
 * Invariants:
 * - lowerdir lists the image's TOP layer first and its lowest layer last.
 * - Mounts are made in the agent's mount namespace, the one runc runs in.
 * - A failed mount leaves nothing; `unmountRootfs` is idempotent and never deletes through a live mount.
 */
export { hasMountsUnder, mountRootfs, rootfsLayout, unmountRootfs } from './overlay.js';
export type { MountRootfsOptions, RootfsLayout } from './overlay.js';
export { MAX_LAYERS, planOverlay } from './overlay-plan.js';
export type { OverlayPlan, OverlayPlanInput } from './overlay-plan.js';
export { mountsUnder, parseMountinfo, readMountinfo } from './mountinfo.js';
export type { MountEntry } from './mountinfo.js';
