/**
 * Random access into an uncompressed tar file (an image archive given to `load`): one pass over the headers records
 * where each entry's data starts; entries are then read by offset, without extracting the archive. Names are
 * cleaned like layer entries (no absolute paths, no `..`), and links inside the archive (docker save writes
 * `<id>/layer.tar` symlinks for shared layers) are followed within the archive only.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { BLOCK, decodeHeader, isZeroBlock, parsePax } from './tar-header.js';
import { archiveInvalid } from './errors.js';
import { cleanName } from './layer-sanitizer.js';

export interface ArchiveEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Offset of the entry's data in the file. */
  offset: number;
  size: number;
  linkname: string;
}

const MAX_META = 1 << 20;
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const MAX_JSON = 64 << 20;

export class ArchiveReader {
  private constructor(
    readonly path: string,
    private readonly entries: Map<string, ArchiveEntry>,
  ) {}

  static async open(path: string): Promise<ArchiveReader> {
    const fh = await open(path, 'r');
    const entries = new Map<string, ArchiveEntry>();
    try {
      const { size: fileSize } = await fh.stat();
      const block = Buffer.alloc(BLOCK);
      let pos = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax = new Map<string, Buffer>();
      const readAt = async (at: number, len: number): Promise<Buffer> => {
        const b = Buffer.alloc(len);
        const { bytesRead } = await fh.read(b, 0, len, at);
        if (bytesRead !== len) throw archiveInvalid('invalid image archive: unexpected end of file');
        return b;
      };
      while (pos + BLOCK <= fileSize) {
        const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
        if (bytesRead < BLOCK || isZeroBlock(block)) break;
        let h;
        try {
          h = decodeHeader(block);
        } catch (e) {
          throw archiveInvalid(`invalid image archive: ${(e as Error).message}`);
        }
        const dataAt = pos + BLOCK;
        let size = h.size;
        if (h.type === 'x' || h.type === 'L' || h.type === 'K') {
          if (size > MAX_META) throw archiveInvalid('invalid image archive: oversized extended header');
          const data = await readAt(dataAt, size);
          if (h.type === 'x') pax = parsePax(data);
          else {
            const end = data.indexOf(0);
            const s = data.toString('latin1', 0, end < 0 ? data.length : end);
            if (h.type === 'L') longName = s;
            else longLink = s;
          }
        } else if (h.type !== 'g') {
          let rawName = longName ?? h.name;
          let link = longLink ?? h.linkname;
          const p = pax.get('path');
          if (p) rawName = p.toString('latin1');
          const l = pax.get('linkpath');
          if (l) link = l.toString('latin1');
          const s = pax.get('size');
          if (s) size = Number(s.toString('latin1'));
          if (!Number.isSafeInteger(size) || size < 0) throw archiveInvalid('invalid image archive: bad entry size');
          longName = undefined;
          longLink = undefined;
          pax = new Map();
          const name = cleanName(rawName);
          const type = h.type === '0' || h.type === '7' ? 'file' : h.type === '5' ? 'dir' : h.type === '2' ? 'symlink' : h.type === '1' ? 'hardlink' : 'other';
          // Header-only types carry no data whatever their size field says (as GNU tar and Go's archive/tar read them).
          if (HEADER_ONLY.has(h.type)) size = 0;
          if (dataAt + size > fileSize) throw archiveInvalid('invalid image archive: unexpected end of file');
          entries.set(name, { name, type, offset: dataAt, size, linkname: link });
        }
        pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
      }
    } finally {
      await fh.close();
    }
    return new ArchiveReader(path, entries);
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  /** The regular-file entry `name` designates, following symlinks and hard links inside the archive. */
  find(name: string): ArchiveEntry | undefined {
    let current = name;
    for (let hops = 0; hops < 16; hops++) {
      let clean: string;
      try {
        clean = resolveInRoot(current);
      } catch {
        return undefined;
      }
      const e = this.entries.get(clean);
      if (!e) return undefined;
      if (e.type === 'file') return e;
      if (e.type === 'hardlink') current = e.linkname;
      else if (e.type === 'symlink') current = e.linkname.startsWith('/') ? e.linkname : `${dirOf(clean)}/${e.linkname}`;
      else return undefined;
    }
    return undefined;
  }

  async readJson(name: string): Promise<unknown> {
    const e = this.find(name);
    if (!e) throw archiveInvalid(`invalid image archive: ${name} is missing`);
    if (e.size > MAX_JSON) throw archiveInvalid(`invalid image archive: ${name} is too large`);
    const bytes = await this.readBytes(e);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw archiveInvalid(`invalid image archive: ${name} is not valid JSON`);
    }
  }

  async readBytes(e: ArchiveEntry): Promise<Buffer> {
    if (e.size > MAX_JSON) throw archiveInvalid(`invalid image archive: ${e.name} is too large`);
    const fh = await open(this.path, 'r');
    try {
      const b = Buffer.alloc(e.size);
      const { bytesRead } = await fh.read(b, 0, e.size, e.offset);
      if (bytesRead !== e.size) throw archiveInvalid('invalid image archive: unexpected end of file');
      return b;
    } finally {
      await fh.close();
    }
  }

  /** The entry's data as a stream. */
  stream(e: ArchiveEntry): AsyncIterable<Buffer> {
    if (e.size === 0) return (async function* () {})();
    return createReadStream(this.path, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 1 << 20 });
  }
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Normalizes a path inside the archive root; `..` stops at the root (as symlinks followed in scope do). */
function resolveInRoot(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}
