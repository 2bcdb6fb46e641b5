/**
 * `image load`: docker-archive tarballs (manifest.json + `<config>.json` + layer tars, as `docker save` writes them:
 * `<id>/layer.tar` up to docker 24, `blobs/sha256/<hex>` from docker 25) and OCI image layouts (oci-layout +
 * index.json + blobs; names from `io.containerd.image.name`, else from `org.opencontainers.image.ref.name` when it is
 * a full reference). The archive may be gzip/zstd/xz/bzip2-compressed as a whole; each layer may be compressed too.
 *
 * The archive is never extracted: a compressed one is first decompressed to a temp file, then entries are read by
 * offset. Layers stream through the same unpacker as pulls and are verified against the config's diff IDs (and, in
 * an OCI layout, against their blob digests). An image is recorded only when all its layers are in place.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isShoalError } from '../../../api/errors.js';
import { ArchiveReader } from './archive-reader.js';
import type { ArchiveEntry } from './archive-reader.js';
import { detectCompression, autoDecompress } from './decompress.js';
import { chainIds, digestHex, isDigest, sha256Digest, shortId } from './digest.js';
import { archiveInvalid, digestMismatch } from './errors.js';
import { parseImageConfig } from './image-config.js';
import { ingestLayer } from './ingest.js';
import type { StoreInternals } from './ingest.js';
import { mapLimit } from './map-limit.js';
import { classify, isIndexType } from './media-types.js';
import type { Descriptor, Index, Manifest } from './media-types.js';
import { choosePlatform, hostPlatform } from './platform.js';
import { familiarize, formatReference, parseReference } from './reference.js';
import type { ImageRecord, PullProgress } from './store-port.js';

const LAYER_CONCURRENCY = 3;

interface LoadItem {
  what: string;
  config: ArchiveEntry;
  /** Expected config digest (OCI layout descriptors), verified before use. */
  configDigest?: string;
  layers: { entry: ArchiveEntry; blobDigest?: string }[];
  repoTags: string[];
}

export async function loadArchive(s: StoreInternals, tarPath: string, opts: { onProgress?: (p: PullProgress) => void }): Promise<ImageRecord[]> {
  const progress = opts.onProgress ?? ((): void => undefined);
  const work = s.layers.tempDir('load');
  try {
    const plain = await plainTar(tarPath, work);
    const archive = await ArchiveReader.open(plain);
    const items = archive.has('manifest.json') ? await dockerArchiveItems(archive) : archive.has('index.json') ? await ociLayoutItems(archive) : undefined;
    if (!items) {
      if (archive.has('repositories')) throw archiveInvalid('unsupported image archive: legacy format without manifest.json (docker < 1.10)');
      throw archiveInvalid('invalid image archive: no manifest.json or index.json found');
    }
    const out: ImageRecord[] = [];
    for (const item of items) out.push(await loadItem(s, archive, item, progress));
    return out;
  } catch (e) {
    if (isShoalError(e)) throw e;
    throw archiveInvalid(`loading ${tarPath} failed: ${(e as Error).message}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The archive as a plain tar file: itself, or its decompressed copy in `work`. */
async function plainTar(tarPath: string, work: string): Promise<string> {
  const fh = await open(tarPath, 'r');
  const head = Buffer.alloc(6);
  try {
    await fh.read(head, 0, 6, 0);
  } finally {
    await fh.close();
  }
  if (detectCompression(head) === 'none') return tarPath;
  const out = join(work, 'archive.tar');
  await pipeline(Readable.from(autoDecompress(createReadStream(tarPath, { highWaterMark: 1 << 20 }))), createWriteStream(out));
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function normalizeTag(t: unknown, what: string): string {
  if (typeof t !== 'string') throw archiveInvalid(`invalid image archive: ${what}: bad RepoTags entry`);
  let r;
  try {
    r = parseReference(t, { defaultTag: false });
  } catch {
    throw archiveInvalid(`invalid image archive: ${what}: invalid tag ${JSON.stringify(t)}`);
  }
  if (r.tag === undefined || r.digest !== undefined) throw archiveInvalid(`invalid image archive: ${what}: invalid tag ${JSON.stringify(t)}`);
  return formatReference(r);
}

async function dockerArchiveItems(a: ArchiveReader): Promise<LoadItem[]> {
  const manifest = await a.readJson('manifest.json');
  if (!Array.isArray(manifest)) throw archiveInvalid('invalid image archive: manifest.json is not a list');
  return manifest.map((m: unknown, i): LoadItem => {
    const what = `manifest.json entry ${i}`;
    if (!isObject(m) || typeof m.Config !== 'string' || !Array.isArray(m.Layers)) throw archiveInvalid(`invalid image archive: ${what} needs Config and Layers`);
    const config = a.find(m.Config);
    if (!config) throw archiveInvalid(`invalid image archive: ${what}: ${m.Config} is missing`);
    const layers = m.Layers.map((l: unknown) => {
      const entry = typeof l === 'string' ? a.find(l) : undefined;
      if (!entry) throw archiveInvalid(`invalid image archive: ${what}: layer ${String(l)} is missing`);
      return { entry };
    });
    const repoTags = Array.isArray(m.RepoTags) ? m.RepoTags.map((t: unknown) => normalizeTag(t, what)) : [];
    return { what, config, layers, repoTags };
  });
}

function blobEntry(a: ArchiveReader, d: Descriptor, what: string): ArchiveEntry {
  if (!isDigest(d.digest)) throw archiveInvalid(`invalid image archive: ${what}: unsupported digest ${d.digest}`);
  const e = a.find(`blobs/sha256/${digestHex(d.digest)}`);
  if (!e) throw archiveInvalid(`invalid image archive: ${what}: blob ${d.digest} is missing`);
  if (e.size !== d.size) throw digestMismatch(`${what}: blob ${d.digest} has ${e.size} bytes, the descriptor says ${d.size}`);
  return e;
}

async function readBlob(a: ArchiveReader, d: Descriptor, what: string): Promise<Buffer> {
  const bytes = await a.readBytes(blobEntry(a, d, what));
  const actual = sha256Digest(bytes);
  if (actual !== d.digest) throw digestMismatch(`${what}: blob digest mismatch: expected ${d.digest}, got ${actual}`);
  return bytes;
}

/** Names for an index entry: `io.containerd.image.name`, else a full `org.opencontainers.image.ref.name`. */
function ociNames(d: Descriptor): string[] {
  const ann = d.annotations ?? {};
  const candidates = [ann['io.containerd.image.name'], ann['org.opencontainers.image.ref.name']];
  for (const c of candidates) {
    if (typeof c !== 'string' || !(c.includes('/') || c.includes(':'))) continue;
    try {
      const r = parseReference(c);
      if (r.digest === undefined) return [formatReference(r)];
    } catch {
      // not a reference: a bare tag without a repository name
    }
  }
  return [];
}

async function ociLayoutItems(a: ArchiveReader): Promise<LoadItem[]> {
  const layout = a.has('oci-layout') ? await a.readJson('oci-layout') : undefined;
  if (!isObject(layout) || typeof layout.imageLayoutVersion !== 'string') throw archiveInvalid('invalid image archive: oci-layout is missing or invalid');
  const index = await a.readJson('index.json');
  if (classify(index) !== 'index') throw archiveInvalid('invalid image archive: index.json is not an image index');
  const items: LoadItem[] = [];
  for (const [i, top] of (index as Index).manifests.entries()) {
    const what = `index.json entry ${i}`;
    const names = ociNames(top);
    let desc = top;
    let doc: unknown = JSON.parse((await readBlob(a, desc, what)).toString('utf8'));
    for (let depth = 0; classify(doc) === 'index' || isIndexType(desc.mediaType); depth++) {
      if (depth > 4) throw archiveInvalid(`invalid image archive: ${what}: nested indexes too deep`);
      const chosen = choosePlatform((doc as Index).manifests, hostPlatform());
      if (!chosen) throw archiveInvalid(`invalid image archive: ${what}: no manifest for this platform`);
      desc = chosen;
      doc = JSON.parse((await readBlob(a, desc, what)).toString('utf8'));
    }
    if (classify(doc) !== 'manifest') throw archiveInvalid(`invalid image archive: ${what}: not an image manifest`);
    const m = doc as Manifest;
    items.push({
      what,
      config: blobEntry(a, m.config, what),
      configDigest: m.config.digest,
      layers: m.layers.map((l) => ({ entry: blobEntry(a, l, what), blobDigest: l.digest })),
      repoTags: names,
    });
  }
  return items;
}

async function loadItem(s: StoreInternals, a: ArchiveReader, item: LoadItem, progress: (p: PullProgress) => void): Promise<ImageRecord> {
  const configBytes = await a.readBytes(item.config);
  const id = sha256Digest(configBytes);
  if (item.configDigest !== undefined && item.configDigest !== id) throw digestMismatch(`${item.what}: config digest mismatch: expected ${item.configDigest}, got ${id}`);
  const config = parseImageConfig(configBytes, item.what);
  if (config.diffIds.length !== item.layers.length) {
    throw archiveInvalid(`invalid image archive: ${item.what}: invalid manifest, layers length mismatch: expected ${config.diffIds.length}, got ${item.layers.length}`);
  }
  const chains = chainIds(config.diffIds);
  const unpin = s.pin([...chains, id]);
  const created: string[] = [];
  try {
    await mapLimit(item.layers, LAYER_CONCURRENCY, async (l, i) => {
      const diffId = config.diffIds[i]!;
      const pid = shortId(diffId);
      const total = l.entry.size;
      const r = await ingestLayer(s.layers, {
        chainId: chains[i]!,
        parent: chains[i - 1],
        diffId,
        ...(l.blobDigest !== undefined ? { blobDigest: l.blobDigest } : {}),
        open: async () => a.stream(l.entry),
        onStart: () => progress({ id: pid, status: 'Loading layer', current: 0, total }),
        onBytes: (n) => progress({ id: pid, status: 'Loading layer', current: n, total }),
        what: `${item.what}: layer ${i} (${diffId})`,
      });
      if (r.created) created.push(chains[i]!);
    });
    const record = s.commit({ configBytes, diffIds: config.diffIds, repoTags: item.repoTags, repoDigests: [] });
    if (item.repoTags.length === 0) progress({ id: '', status: `Loaded image ID: ${record.id}` });
    for (const t of item.repoTags) progress({ id: '', status: `Loaded image: ${familiarize(t)}` });
    return record;
  } catch (e) {
    unpin();
    await s.discardUnused(created);
    throw e;
  } finally {
    unpin();
  }
}
