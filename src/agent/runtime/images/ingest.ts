/**
 * What pull and load share: bringing in one layer (unpack + verify, or find it already there) and the store
 * operations they call (pins, commit). A layer is kept only when its diff ID (and, for pulls, its blob digest)
 * matches what the manifest and config promise.
 */
import type { Logger } from '../../../lib/logger.js';
import type { BlobStore } from './blob-store.js';
import { digestMismatch } from './errors.js';
import type { LayerMeta, LayerStore } from './layer-store.js';
import type { ImageRecord } from './store-port.js';
import { unpackLayer } from './unpack.js';

export interface ImageCommit {
  /** The config blob; its digest is the image ID. */
  configBytes: Buffer;
  diffIds: string[];
  /** Normalized references to point at this image (tags move from any other image). */
  repoTags: string[];
  /** Normalized `name@sha256:<manifest digest>` for pulls. */
  repoDigests: string[];
  /** Manifest blob kept for pulled images. */
  manifest?: { digest: string; bytes: Buffer };
}

export interface StoreInternals {
  layers: LayerStore;
  blobs: BlobStore;
  log: Logger;
  /** Keeps these layers from garbage collection until the returned function is called. */
  pin(chainIds: readonly string[]): () => void;
  commit(c: ImageCommit): ImageRecord;
  /** Removes those of `chainIds` that no image references and nothing pins (what a failed pull or load brought in). */
  discardUnused(chainIds: readonly string[]): Promise<void>;
}

export interface IngestLayer {
  chainId: string;
  parent: string | undefined;
  /** The config's rootfs.diff_ids entry. */
  diffId: string;
  /** The blob digest from the manifest, when the source is that blob (pull, OCI layout). */
  blobDigest?: string;
  open: () => Promise<AsyncIterable<Buffer>>;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onSourceEnd?: (digest: string, size: number) => void;
  /** Called when the layer is being unpacked (not when it already exists). */
  onStart?: () => void;
  /** A label for error messages: `layer 2 (sha256:…)`. */
  what: string;
}

export async function ingestLayer(layers: LayerStore, l: IngestLayer): Promise<{ meta: LayerMeta; created: boolean }> {
  return layers.ensure(l.chainId, l.parent, async (fsDir) => {
    l.onStart?.();
    const source = await l.open();
    const r = await unpackLayer(source, fsDir, {
      ...(l.signal ? { signal: l.signal } : {}),
      ...(l.blobDigest !== undefined ? { blobDigest: l.blobDigest } : {}),
      ...(l.onBytes ? { onBytes: l.onBytes } : {}),
      onSourceEnd: (digest, size) => {
        l.onSourceEnd?.(digest, size);
      },
    });
    if (l.blobDigest !== undefined && r.compressedDigest !== l.blobDigest) {
      throw digestMismatch(`filesystem layer verification failed for digest ${l.blobDigest}: got ${r.compressedDigest}`);
    }
    if (r.diffId !== l.diffId) {
      throw digestMismatch(`${l.what}: invalid diffID: expected ${l.diffId}, got ${r.diffId}`);
    }
    return { diffId: r.diffId, size: r.stats.size };
  });
}
