/**
 * Unpacks one layer: source bytes → sha256 of the compressed stream → decompress (by magic) → sha256 of the
 * uncompressed stream (the diff ID) → LayerSanitizer (validation, whiteouts) → GNU tar `-x` into an empty directory.
 * One pass; the caller compares the digests with what it expected before it keeps the directory, and removes the
 * directory otherwise (the sanitizer stops a hostile stream before its bad entry reaches tar).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isShoalError, internal } from '../../../api/errors.js';
import { spawnHelper } from './child-process.js';
import { autoDecompress } from './decompress.js';
import { digestMismatch } from './errors.js';
import { LayerSanitizer } from './layer-sanitizer.js';
import type { SanitizeStats } from './layer-sanitizer.js';

export const TAR_EXTRACT_ARGS = [
  '-x',
  '-f',
  '-',
  '--numeric-owner',
  '--same-owner',
  '--same-permissions',
  '--xattrs',
  '--xattrs-include=*',
  '--no-selinux',
  '--no-acls',
];

export interface UnpackResult {
  /** sha256 of the bytes read from the source (the blob digest when the source is the blob). */
  compressedDigest: string;
  compressedSize: number;
  /** sha256 of the uncompressed tar stream. */
  diffId: string;
  uncompressedSize: number;
  stats: SanitizeStats;
}

export interface UnpackOptions {
  signal?: AbortSignal;
  /** The source's expected sha256 (a blob digest). When unpacking fails, the rest of the source is still read and
   *  hashed, so that a corrupted blob is reported as the digest mismatch it is, not as a tar or gzip error. */
  blobDigest?: string;
  /** Compressed bytes consumed so far, as they stream in. */
  onBytes?: (n: number) => void;
  /** Called once the whole source was read, with its digest (the extraction may still be finishing). */
  onSourceEnd?: (digest: string, size: number) => void;
}

/** Extracts `source` into the existing, empty directory `dir`. Throws without cleaning `dir`: the caller owns it. */
export async function unpackLayer(source: AsyncIterable<Buffer>, dir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const compressed = createHash('sha256');
  const uncompressed = createHash('sha256');
  let compressedSize = 0;
  let uncompressedSize = 0;
  let compressedDigest = '';
  const it = source[Symbol.asyncIterator]();
  const finishSource = (): void => {
    compressedDigest = `sha256:${compressed.digest('hex')}`;
    opts.onSourceEnd?.(compressedDigest, compressedSize);
  };

  // Reads `it` by hand, so that stopping early does not close the source (see drain below).
  async function* counted(): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await it.next();
      if (r.done === true) break;
      compressed.update(r.value);
      compressedSize += r.value.length;
      opts.onBytes?.(compressedSize);
      yield r.value;
    }
    finishSource();
  }
  async function* hashed(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      uncompressed.update(chunk);
      uncompressedSize += chunk.length;
      yield chunk;
    }
  }
  const drainedDigest = async (): Promise<string | undefined> => {
    if (compressedDigest !== '') return compressedDigest;
    try {
      for (;;) {
        if (opts.signal?.aborted === true) return undefined;
        const r = await it.next();
        if (r.done === true) break;
        compressed.update(r.value);
        compressedSize += r.value.length;
      }
    } catch {
      return undefined;
    }
    finishSource();
    return compressedDigest;
  };

  const tar = spawnHelper('tar', [...TAR_EXTRACT_ARGS, '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  const sanitizer = new LayerSanitizer();
  const onAbort = (): void => tar.kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let failure: Error | undefined;
    try {
      await pipeline(Readable.from(hashed(autoDecompress(counted()))), sanitizer, tar.child.stdin as Writable, opts.signal ? { signal: opts.signal } : {});
      const r = await tar.exited;
      if (r.code !== 0) failure = internal('image.unpack_failed', `unpacking layer failed: tar exited with ${r.code ?? r.signal ?? 'error'}: ${r.stderr.trim()}`);
    } catch (e) {
      tar.kill();
      const r = await tar.exited;
      if (isShoalError(e) || opts.signal?.aborted === true) failure = e as Error;
      // A broken pipe means tar stopped first: its message says why.
      else failure = internal('image.unpack_failed', `unpacking layer failed: ${r.stderr.trim() || String(e)}`, e);
    }
    if (opts.blobDigest !== undefined && opts.signal?.aborted !== true) {
      const actual = await drainedDigest();
      if (actual !== undefined && actual !== opts.blobDigest) {
        throw digestMismatch(`filesystem layer verification failed for digest ${opts.blobDigest}: got ${actual}`);
      }
    }
    if (failure !== undefined) throw failure;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    tar.kill();
    await it.return?.();
  }
  return {
    compressedDigest,
    compressedSize,
    diffId: `sha256:${uncompressed.digest('hex')}`,
    uncompressedSize,
    stats: sanitizer.stats,
  };
}
