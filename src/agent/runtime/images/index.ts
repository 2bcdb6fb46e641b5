/**
 * Images: the agent's local image store (pull, load, unpack, tag, remove, prune) behind the ImageStore port.
 *
 * Owns `<data-root>/images`: `index.json` (images and their references), `blobs/sha256/<hex>` (configs, manifests),
 * `layers/<chain-id hex>/{fs,layer.json}` (one unpacked directory per layer chain, the overlayfs lowerdirs),
 * `tmp/` (work in progress, emptied at open).
 *
 * Consumes: references from users (`busybox`, `host:5000/app:1`, `name@sha256:…`, IDs and ID prefixes), registries
 * (OCI distribution API over `fetch`), image archives (docker-archive, OCI layout). Produces: ImageRecords, layer
 * directories for the runtime (`layerDirs`), docker's progress statuses and delete records.
 *
 * Invariants:
 * - A layer is stored and unpacked once per chain ID, also across concurrent pulls and loads (serialized per layer).
 * - Nothing is recorded before it is verified: blob digests and diff IDs are computed while the bytes stream in; a
 *   mismatch discards the layer, and a failed pull or load leaves nothing behind.
 * - A layer tar can write only inside its own directory: the sanitizer refuses `..`, absolute names, writes through
 *   symlinks, escaping hard links and device files before GNU tar sees them.
 * - Whiteouts are stored the overlayfs way (0:0 char devices, `trusted.overlay.opaque=y`).
 * - The index is rewritten atomically, after the layers and blobs it names are durable; a crash leaves the old or
 *   the new index, and the next open removes whatever no index references.
 * - Errors are ShoalErrors with docker's wording ("No such image: x:latest", "invalid reference format", delete
 *   conflicts) and stable codes (see errors.ts).
 */
export type { ImageConfig, ImageInUse, ImageRecord, ImageStore, ImageUse, PullProgress, RegistryAuth } from './store-port.js';
export { LocalImageStore, openImageStore } from './image-store.js';
export type { ImageStoreOptions } from './image-store.js';
export type { RegistryOptions } from './pull.js';
export {
  familiarName,
  familiarString,
  familiarize,
  formatReference,
  normalizeReference,
  parseAnyReference,
  parseReference,
  repositoryName,
} from './reference.js';
export type { AnyReference, ImageReference } from './reference.js';
export { chainIds, shortId } from './digest.js';
export { noSuchImage } from './errors.js';
export { hostPlatform } from './platform.js';
