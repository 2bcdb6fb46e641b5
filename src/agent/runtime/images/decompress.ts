/**
 * Decompression by magic number, as docker's `DecompressStream` does: gzip (node:zlib), zstd, xz and bzip2 (the
 * system tools, spawned in their own process group), or none. The media type is not trusted for this.
 */
import { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { invalidArgument, isShoalError } from '../../../api/errors.js';
import { spawnHelper } from './child-process.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export function detectCompression(head: Uint8Array): Compression {
  const at = (i: number): number | undefined => head[i];
  if (at(0) === 0x1f && at(1) === 0x8b) return 'gzip';
  if (at(0) === 0x28 && at(1) === 0xb5 && at(2) === 0x2f && at(3) === 0xfd) return 'zstd';
  if (at(0) === 0xfd && at(1) === 0x37 && at(2) === 0x7a && at(3) === 0x58 && at(4) === 0x5a && at(5) === 0x00) return 'xz';
  if (at(0) === 0x42 && at(1) === 0x5a && at(2) === 0x68) return 'bzip2';
  return 'none';
}

const TOOLS: Record<Exclude<Compression, 'none' | 'gzip'>, string> = { zstd: 'zstd', xz: 'xz', bzip2: 'bzip2' };

function toolStream(kind: Exclude<Compression, 'none' | 'gzip'>): Duplex {
  const h = spawnHelper(TOOLS[kind], ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const d = Duplex.from({ writable: h.child.stdin!, readable: h.child.stdout! });
  h.exited
    .then((r) => {
      if (r.code !== 0 && !d.destroyed) {
        d.destroy(invalidArgument('image.decompress_failed', `${kind} decompression failed (${TOOLS[kind]} exited with ${r.code ?? r.signal ?? 'error'}): ${r.stderr.trim()}`));
      }
    })
    .catch(() => undefined);
  d.once('close', () => h.kill());
  return d;
}

/**
 * Yields the decompressed bytes of `src`, whatever its compression. The first chunk decides; an empty input yields
 * nothing.
 */
export async function* autoDecompress(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  let first = await it.next();
  // Gather at least 6 bytes to see the magic.
  let head: Buffer = first.done === true ? Buffer.alloc(0) : first.value;
  while (first.done !== true && head.length < 6) {
    first = await it.next();
    if (first.done !== true) head = Buffer.concat([head, first.value]);
  }
  if (head.length === 0) return;
  const ended = first.done === true;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value;
    }
  }
  const kind = detectCompression(head);
  if (kind === 'none') {
    yield* rest();
    return;
  }
  const inner: Duplex = kind === 'gzip' ? createGunzip() : toolStream(kind);
  const feeding = pipeline(Readable.from(rest(), { objectMode: false }), inner);
  feeding.catch(() => undefined);
  try {
    try {
      for await (const chunk of inner as AsyncIterable<Buffer>) yield chunk;
      await feeding;
    } catch (e) {
      if (isShoalError(e)) throw e;
      throw invalidArgument('image.decompress_failed', `${kind} decompression failed: ${(e as Error).message}`);
    }
  } finally {
    inner.destroy();
  }
}
