/**
 * The local image store (the ImageStore port's real adapter): the index of images and references, layers unpacked
 * once per chain ID, config/manifest blobs, and docker's rules for resolving, tagging, removing and pruning.
 *
 * Layout under `root`: `index.json`, `blobs/sha256/<hex>`, `layers/<chain hex>/{fs,layer.json}`, `tmp/`.
 * Durability order: layer dirs are synced and renamed into place, blobs written atomically, then the index; a crash
 * at any point leaves either the old index (plus unreferenced data, removed at the next open) or the new one.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { systemClock } from '../../../lib/clock.js';
import type { Clock } from '../../../lib/clock.js';
import type { Logger } from '../../../lib/logger.js';
import { internal } from '../../../api/errors.js';
import { BlobStore } from './blob-store.js';
import { chainIds as toChainIds, sha256Digest } from './digest.js';
import { deleteConflictError, noSuchImage, refusingAlgorithmTag, refusingDigestTag, repositoryReferenceInUse } from './errors.js';
import type { DeleteConflict } from './errors.js';
import { parseImageConfig, toImageRecord } from './image-config.js';
import type { ParsedConfig } from './image-config.js';
import { ImageIndex } from './image-index.js';
import type { StoredImage } from './image-index.js';
import type { ImageCommit, StoreInternals } from './ingest.js';
import { LayerStore } from './layer-store.js';
import { loadArchive } from './load.js';
import { pullImage } from './pull.js';
import type { RegistryOptions } from './pull.js';
import { familiarName, familiarize, formatReference, parseAnyReference, parseReference, repositoryName } from './reference.js';
import type { ImageReference } from './reference.js';
import type { ImageInUse, ImageRecord, ImageStore, ImageUse, PullProgress, RegistryAuth } from './store-port.js';

export interface ImageStoreOptions {
  /** The store's directory, e.g. `<data-root>/images`. */
  root: string;
  logger: Logger;
  clock?: Clock;
  registry?: RegistryOptions;
}

type DeleteItem = { Untagged?: string; Deleted?: string };

/** docker's `isImageIDPrefix`: the reference is a prefix of the ID, with or without `sha256:`. */
function isImageIdPrefix(id: string, ref: string): boolean {
  return id.startsWith(ref) || id.slice('sha256:'.length).startsWith(ref);
}

/** `docker.io/library/busybox:1` → `docker.io/library/busybox`; same for `@sha256:…`. */
function repoOf(normalizedRef: string): string {
  const at = normalizedRef.indexOf('@');
  if (at >= 0) return normalizedRef.slice(0, at);
  const slash = normalizedRef.lastIndexOf('/');
  const colon = normalizedRef.lastIndexOf(':');
  return colon > slash ? normalizedRef.slice(0, colon) : normalizedRef;
}

function refKey(r: ImageReference): string {
  return r.digest !== undefined ? formatReference({ domain: r.domain, path: r.path, digest: r.digest }) : formatReference(r);
}

function allRefs(img: StoredImage): string[] {
  return [...img.repoTags, ...img.repoDigests];
}

/** docker's `isSingleReference`: at most one tag, and every reference in that tag's repository. */
function isSingleReference(img: StoredImage): boolean {
  const refs = allRefs(img);
  if (refs.length <= 1) return refs.length === 1;
  if (img.repoTags.length > 1) return false;
  const repos = new Set(refs.map(repoOf));
  const single = img.repoTags[0] ?? refs[0]!;
  return repos.size === 1 && repos.has(repoOf(single));
}

function toUse(v: boolean | ImageUse | undefined): ImageUse | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return { containerId: '', running: false };
  return v;
}

export class LocalImageStore implements ImageStore {
  readonly root: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly layers: LayerStore;
  private readonly blobs: BlobStore;
  private readonly index: ImageIndex;
  private readonly configs = new Map<string, ParsedConfig>();
  private readonly pins = new Map<string, number>();
  private readonly registry: RegistryOptions;
  private readonly internals: StoreInternals;

  constructor(opts: ImageStoreOptions) {
    this.root = opts.root;
    this.log = opts.logger.child({ component: 'image-store' });
    this.clock = opts.clock ?? systemClock;
    this.registry = opts.registry ?? {};
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    this.layers = new LayerStore(this.root, this.log);
    this.blobs = new BlobStore(this.root);
    this.index = new ImageIndex(join(this.root, 'index.json'));
    this.internals = {
      layers: this.layers,
      blobs: this.blobs,
      log: this.log,
      pin: (ids) => this.pin(ids),
      commit: (c) => this.commit(c),
      discardUnused: (ids) => this.discardUnused(ids),
    };
  }

  /** Loads the index and removes what a crash left behind (tmp/, unreferenced layers and blobs, broken images). */
  async open(): Promise<void> {
    this.layers.cleanTmp();
    this.index.load();
    let changed = false;
    for (const img of [...this.index.images.values()]) {
      const missing = img.chainIds.find((c) => !this.layers.has(c));
      if (missing !== undefined || !this.blobs.has(img.id)) {
        this.log.warn({ image: img.id, missing: missing ?? img.id }, 'image is missing data; dropped from the index');
        this.index.images.delete(img.id);
        changed = true;
      }
    }
    if (changed) this.index.save();
    await this.collectGarbage(undefined);
  }

  // ---- port ----------------------------------------------------------------------------------------------------

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    const img = this.lookup(ref);
    return img ? this.toRecord(img) : undefined;
  }

  async list(): Promise<ImageRecord[]> {
    return this.index
      .visible()
      .map((i) => this.toRecord(i))
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || a.id.localeCompare(b.id));
  }

  async pull(
    ref: string,
    opts: { insecure?: boolean; auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal; platform?: string },
  ): Promise<ImageRecord> {
    return pullImage(this.internals, ref, opts, this.registry, (id) => this.index.images.get(id));
  }

  async load(tarPath: string, opts: { onProgress?: (p: PullProgress) => void } = {}): Promise<ImageRecord[]> {
    return loadArchive(this.internals, tarPath, opts);
  }

  /**
   * `load` for an archive arriving as a stream (the Engine API's `POST /images/load` body): spooled to a file under
   * the store's tmp/ first (an archive's manifest may come after its layers), then loaded; the spool is removed.
   */
  async loadStream(body: AsyncIterable<Uint8Array>, opts: { onProgress?: (p: PullProgress) => void } = {}): Promise<ImageRecord[]> {
    const work = this.layers.tempDir('upload');
    try {
      const file = join(work, 'archive.tar');
      await pipeline(Readable.from(body), createWriteStream(file));
      return await loadArchive(this.internals, file, opts);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async tag(ref: string, newRef: string): Promise<void> {
    const img = this.mustLookup(ref);
    const target = parseReference(newRef);
    if (target.digest !== undefined) throw refusingDigestTag();
    if (familiarName(target) === 'sha256') throw refusingAlgorithmTag();
    const key = formatReference(target);
    this.index.dropRef(key);
    img.repoTags.push(key);
    delete img.retained;
    this.index.save();
    this.log.info({ image: img.id, tag: key }, 'image tagged');
  }

  async remove(ref: string, opts: { force?: boolean; inUse?: ImageInUse }): Promise<DeleteItem[]> {
    const img = this.mustLookup(ref);
    const force = opts.force === true;
    const use = (id: string): ImageUse | undefined => toUse(opts.inUse?.(id));
    const records: DeleteItem[] = [];
    let removedRepositoryRef = false;

    if (!isImageIdPrefix(img.id, ref)) {
      const named = parseReference(ref);
      if (!force && isSingleReference(img)) {
        const u = use(img.id);
        if (u) throw repositoryReferenceInUse(ref, u.containerId, img.id);
      }
      const key = refKey(named);
      this.index.dropRef(key);
      records.push({ Untagged: familiarize(key) });
      if (named.digest === undefined) {
        // The last tag of a repository takes that repository's digest references with it.
        const repo = repositoryName(named);
        if (!img.repoTags.some((t) => repoOf(t) === repo)) {
          for (const d of img.repoDigests.filter((x) => repoOf(x) === repo)) {
            this.index.dropRef(d);
            records.push({ Untagged: familiarize(d) });
          }
        }
      }
      if (allRefs(img).length > 0) {
        this.index.save();
        return records;
      }
      removedRepositoryRef = true;
    } else if (isSingleReference(img)) {
      const c = this.conflict(img, use, { stopped: !force, activeRef: false });
      if (c) throw deleteConflictError(img.id, c);
      for (const r of allRefs(img)) {
        this.index.dropRef(r);
        records.push({ Untagged: familiarize(r) });
      }
    }

    const c = this.conflict(img, use, { stopped: !force, activeRef: !force });
    if (c) {
      this.index.save();
      // Untagging succeeded; the image stays (dangling) while a container uses it.
      if (removedRepositoryRef && c.used) return records;
      throw deleteConflictError(img.id, c);
    }
    for (const r of allRefs(img)) {
      this.index.dropRef(r);
      records.push({ Untagged: familiarize(r) });
    }
    if (use(img.id)) img.retained = true;
    else this.index.images.delete(img.id);
    this.index.save();
    records.push({ Deleted: img.id });
    this.log.info({ image: img.id, retained: img.retained === true }, 'image deleted');
    const removed = await this.collectGarbage(opts.inUse ? use : undefined);
    for (const chain of [...img.chainIds].reverse()) if (removed.has(chain)) records.push({ Deleted: chain });
    return records;
  }

  async prune(opts: { all?: boolean; inUse: ImageInUse }): Promise<{ deleted: DeleteItem[]; spaceReclaimed: number }> {
    const use = (id: string): ImageUse | undefined => toUse(opts.inUse(id));
    const deleted: DeleteItem[] = [];
    const gone: StoredImage[] = [];
    for (const img of this.index.visible()) {
      if (opts.all !== true && img.repoTags.length > 0) continue;
      if (use(img.id)) continue;
      for (const r of allRefs(img)) {
        this.index.dropRef(r);
        deleted.push({ Untagged: familiarize(r) });
      }
      this.index.images.delete(img.id);
      deleted.push({ Deleted: img.id });
      gone.push(img);
    }
    this.index.save();
    const removed = await this.collectGarbage(use);
    let spaceReclaimed = 0;
    for (const [chain, size] of removed) {
      deleted.push({ Deleted: chain });
      spaceReclaimed += size;
    }
    if (gone.length > 0) this.log.info({ images: gone.map((i) => i.id), spaceReclaimed }, 'images pruned');
    return { deleted, spaceReclaimed };
  }

  layerDirs(image: ImageRecord): string[] {
    return toChainIds(image.diffIds).map((c) => this.layers.fsPath(c));
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  private lookup(ref: string): StoredImage | undefined {
    const any = parseAnyReference(ref);
    if (any.kind === 'id') return this.index.images.get(any.id);
    const hit = this.index.byRef(refKey(any.ref));
    if (hit) return hit;
    const m = /^(?:sha256:)?([a-f0-9]+)$/.exec(ref);
    if (!m) return undefined;
    const matches = this.index.visible().filter((i) => i.id.slice('sha256:'.length).startsWith(m[1]!));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private mustLookup(ref: string): StoredImage {
    const img = this.lookup(ref);
    if (!img) throw noSuchImage(parseAnyReference(ref));
    return img;
  }

  /** docker's checkImageDeleteConflict: running (hard), other references, stopped containers. */
  private conflict(img: StoredImage, use: (id: string) => ImageUse | undefined, mask: { stopped: boolean; activeRef: boolean }): DeleteConflict | undefined {
    const u = use(img.id);
    const who = (id: string): string => (id === '' ? 'a container' : `container ${id.slice(0, 12)}`);
    if (u?.running === true) return { hard: true, used: true, message: `image is being used by running ${who(u.containerId)}` };
    if (mask.activeRef && allRefs(img).length > 0) return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
    if (mask.stopped && u) return { hard: false, used: true, message: `image is being used by stopped ${who(u.containerId)}` };
    return undefined;
  }

  private pin(ids: readonly string[]): () => void {
    for (const id of ids) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const id of ids) {
        const n = (this.pins.get(id) ?? 1) - 1;
        if (n <= 0) this.pins.delete(id);
        else this.pins.set(id, n);
      }
    };
  }

  /**
   * Drops retained images no container uses any more (when `use` is known), then removes layers and blobs that no
   * image references and no pull or load has pinned. Returns the removed layers with their sizes.
   */
  private async collectGarbage(use: ((id: string) => ImageUse | undefined) | undefined): Promise<Map<string, number>> {
    if (use) {
      let changed = false;
      for (const img of [...this.index.images.values()]) {
        if (img.retained === true && !use(img.id)) {
          this.index.images.delete(img.id);
          changed = true;
        }
      }
      if (changed) this.index.save();
    }
    const keepLayers = this.index.referencedLayers();
    const removed = new Map<string, number>();
    for (const chain of this.layers.list()) {
      if (keepLayers.has(chain) || this.pins.has(chain)) continue;
      const size = this.layers.get(chain)?.size ?? 0;
      await this.layers.remove(chain);
      removed.set(chain, size);
    }
    const keepBlobs = new Set<string>();
    for (const img of this.index.images.values()) {
      keepBlobs.add(img.id);
      for (const d of img.repoDigests) keepBlobs.add(d.slice(d.indexOf('@') + 1));
    }
    for (const b of this.blobs.list()) {
      if (keepBlobs.has(b) || this.pins.has(b)) continue;
      this.blobs.remove(b);
      this.configs.delete(b);
    }
    return removed;
  }

  private async discardUnused(chainIds: readonly string[]): Promise<void> {
    const keep = this.index.referencedLayers();
    for (const c of chainIds) {
      if (keep.has(c) || this.pins.has(c)) continue;
      await this.layers.remove(c);
    }
  }

  private config(id: string): ParsedConfig {
    let p = this.configs.get(id);
    if (!p) {
      p = parseImageConfig(this.blobs.get(id), id);
      this.configs.set(id, p);
    }
    return p;
  }

  private toRecord(img: StoredImage): ImageRecord {
    const size = img.chainIds.reduce((s, c) => s + (this.layers.get(c)?.size ?? 0), 0);
    return toImageRecord(img.id, this.config(img.id), img, size);
  }

  private commit(c: ImageCommit): ImageRecord {
    const id = sha256Digest(c.configBytes);
    const parsed = parseImageConfig(c.configBytes, id);
    const chains = toChainIds(c.diffIds);
    const missing = chains.find((ch) => !this.layers.has(ch));
    if (missing !== undefined) throw internal('image.layer_missing', `cannot record image ${id}: layer ${missing} is not unpacked`);
    this.blobs.put(id, c.configBytes);
    if (c.manifest) this.blobs.put(c.manifest.digest, c.manifest.bytes);
    let img = this.index.images.get(id);
    if (!img) {
      img = { id, diffIds: [...c.diffIds], chainIds: chains, repoTags: [], repoDigests: [], added: new Date(this.clock.now()).toISOString() };
      this.index.images.set(id, img);
    }
    delete img.retained;
    for (const t of c.repoTags) {
      if (img.repoTags.includes(t)) continue;
      this.index.dropRef(t);
      img.repoTags.push(t);
    }
    for (const d of c.repoDigests) {
      if (img.repoDigests.includes(d)) continue;
      this.index.dropRef(d);
      img.repoDigests.push(d);
    }
    this.index.save();
    this.configs.set(id, parsed);
    this.log.info({ image: id, tags: img.repoTags }, 'image stored');
    return this.toRecord(img);
  }
}

/** Opens (creating if needed) the image store under `opts.root`. */
export async function openImageStore(opts: ImageStoreOptions): Promise<LocalImageStore> {
  const s = new LocalImageStore(opts);
  await s.open();
  return s;
}
