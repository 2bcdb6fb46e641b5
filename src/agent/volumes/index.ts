/**
 * src/agent/volumes: the local volume driver (docker's `/volumes` API and the volumes containers name).
 *
 * Owns `<volumes root>/<name>/{_data,volume.json}`; mounts tmpfs and bind volumes at `_data` while a container
 * that uses them runs (mount-ops.ts); options are checked by options.ts (pure). ContainerService references,
 * activates, deactivates and releases volumes per container; the Engine-API backend calls create, inspect, list,
 * remove and prune. Consumes and produces no events.
 */
export { ANONYMOUS_LABEL, LIST_FILTERS, PRUNE_FILTERS, VolumeStore } from './volume-store.js';
export type { Volume, VolumeCreateRequest, VolumeStoreOptions, VolumeUse } from './volume-store.js';
export { checkVolumeName, planVolumeMount, VOLUME_NAME } from './options.js';
export type { VolumeMountPlan } from './options.js';
export { isMountPoint, mountAt, unmountAll } from './mount-ops.js';
