/**
 * The layer sanitizer: a Transform between the (decompressed) layer tar and GNU tar's stdin. It parses every header,
 * refuses what could write outside the layer directory, converts whiteouts for overlayfs, and re-emits each entry
 * with a canonical header that it wrote itself.
 *
 * Why a streaming parser in TypeScript rather than `tar -tvf` first: one pass (the layer is decompressed and hashed
 * once), no parsing of tar's human listing (names with spaces, " -> ", quoting), and no parser differential: GNU tar
 * only ever sees headers this module produced from the values it validated, so both agree on every name. An entry is
 * forwarded only after its header passed, so a hostile entry late in the stream stops the extraction before it
 * reaches tar; the caller then removes the temp dir. GNU tar's own guards (no `..`, no absolute names, delayed
 * symlinks) stay on as a second line.
 *
 * Refused (ShoalError `image.layer_unsafe`): absolute names, `..` components, NUL bytes; any entry whose parent path
 * is (in this layer) a symlink or a non-directory; hard links whose target is absolute, has `..`, goes through a
 * symlink or is not an earlier entry of this layer; character and block devices, sparse and multi-volume entries,
 * unknown types. Symlink targets are not refused, however absolute: they resolve inside the container's root at run
 * time (docker accepts them too), and nothing on the host is ever written through one.
 *
 * Whiteouts (OCI image spec): `.wh.NAME` becomes a character device 0:0 named NAME (at the end of the stream, unless
 * the layer itself has an entry NAME); `.wh..wh..opq` puts the xattr
 * `trusted.overlay.opaque=y` on its directory (GNU tar sets it, from a `SCHILY.xattr` pax record); `.wh..wh.*`
 * trees at the layer root (aufs metadata) are dropped. `trusted.overlay.*`, `user.overlay.*`, `security.selinux` and `system.*` xattrs
 * from the archive are dropped, so a layer cannot forge overlay metadata.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { invalidArgument } from '../../../api/errors.js';
import type { ShoalError } from '../../../api/errors.js';
import { BLOCK, END_OF_ARCHIVE, decodeHeader, encodeHeaders, isZeroBlock, parsePax, tarError } from './tar-header.js';
import type { OutEntry, RawHeader } from './tar-header.js';

const WHITEOUT_PREFIX = '.wh.';
const WHITEOUT_META_PREFIX = '.wh..wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
const MAX_META = 1 << 20;
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

export interface SanitizeStats {
  entries: number;
  /** Sum of regular file sizes: the layer's unpacked size. */
  size: number;
  whiteouts: number;
  opaqueDirs: number;
}

type Kind = 'dir' | 'symlink' | 'file' | 'other';

export function unsafe(message: string): ShoalError {
  return invalidArgument('image.layer_unsafe', `refusing layer: ${message}`);
}

function show(p: string): string {
  return JSON.stringify(Buffer.from(p, 'latin1').toString('utf8'));
}

/** Cleans an archive name into a relative path ('' for the root); throws for absolute, `..` and NUL. */
export function cleanName(raw: string): string {
  if (raw.includes('\0')) throw unsafe(`name with a NUL byte: ${show(raw)}`);
  if (raw.startsWith('/')) throw unsafe(`absolute path ${show(raw)}`);
  const parts: string[] = [];
  for (const c of raw.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw unsafe(`path with "..": ${show(raw)}`);
    parts.push(c);
  }
  return parts.join('/');
}

function keepXattr(name: string): boolean {
  if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) return false;
  if (name === 'security.selinux' || name.startsWith('system.')) return false;
  return name.includes('.') && !name.includes('\0');
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export class LayerSanitizer extends Transform {
  readonly stats: SanitizeStats = { entries: 0, size: 0, whiteouts: 0, opaqueDirs: 0 };
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private state: 'header' | 'data' | 'meta' | 'end' = 'header';
  /** Bytes of entry data (then padding) still to pass through, for state 'data'. */
  private dataLeft = 0;
  private padLeft = 0;
  private meta: { kind: 'x' | 'g' | 'L' | 'K'; size: number } | undefined;
  private paxLocal = new Map<string, Buffer>();
  private paxGlobal = new Map<string, Buffer>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private readonly kinds = new Map<string, Kind>();
  private readonly dirs = new Map<string, OutEntry>();
  private readonly opaque = new Set<string>();
  /** `.wh.` whiteouts seen: target path → mtime, emitted at the end (see flushWhiteouts). */
  private readonly whiteouts = new Map<string, number>();
  /** The current entry's data is skipped, not forwarded (dropped aufs metadata). */
  private dropping = false;

  constructor() {
    super({ readableHighWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.state !== 'end' && (this.state !== 'header' || this.pendingLen !== 0 || this.meta !== undefined)) {
      cb(tarError('unexpected end of archive'));
      return;
    }
    try {
      this.flushWhiteouts();
    } catch (e) {
      cb(e as Error);
      return;
    }
    this.push(END_OF_ARCHIVE);
    cb();
  }

  /**
   * Whiteouts hide lower layers only, so an entry of this layer with the same path wins whatever the order (the OCI
   * spec even asks writers to put whiteouts before sibling directories). They are emitted last, for paths no entry
   * created, after their parents are checked again against the layer's final state.
   */
  private flushWhiteouts(): void {
    for (const [target, mtime] of this.whiteouts) {
      if (this.kinds.has(target)) continue;
      this.checkParents(target);
      this.kinds.set(target, 'other');
      this.stats.whiteouts++;
      this.emitEntry({ name: target, type: 'char', mode: 0, uid: 0, gid: 0, size: 0, mtime, devmajor: 0, devminor: 0 });
    }
  }

  private takePending(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLen = 0;
    return all.subarray(0, n);
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'end':
          return; // trailing zero blocks and padding: hashed upstream, ignored here
        case 'data': {
          if (this.dataLeft > 0) {
            const n = Math.min(this.dataLeft, chunk.length - pos);
            if (!this.dropping) this.push(chunk.subarray(pos, pos + n));
            this.dataLeft -= n;
            pos += n;
          } else {
            const n = Math.min(this.padLeft, chunk.length - pos);
            if (!this.dropping) this.push(chunk.subarray(pos, pos + n));
            this.padLeft -= n;
            pos += n;
          }
          if (this.dataLeft === 0 && this.padLeft === 0) this.state = 'header';
          break;
        }
        case 'header':
        case 'meta': {
          const want = this.state === 'header' ? BLOCK : padTo(this.meta!.size);
          const n = Math.min(want - this.pendingLen, chunk.length - pos);
          this.pending.push(chunk.subarray(pos, pos + n));
          this.pendingLen += n;
          pos += n;
          if (this.pendingLen < want) break;
          const buf = this.takePending(want);
          if (this.state === 'header') this.onHeader(buf);
          else this.onMeta(buf.subarray(0, this.meta!.size));
          break;
        }
      }
    }
  }

  private onHeader(block: Buffer): void {
    if (isZeroBlock(block)) {
      this.state = 'end';
      return;
    }
    const h = decodeHeader(block);
    switch (h.type) {
      case 'x':
      case 'g':
      case 'L':
      case 'K':
        if (h.size > MAX_META) throw tarError(`extended header of ${h.size} bytes`);
        this.meta = { kind: h.type, size: h.size };
        this.state = h.size === 0 ? 'header' : 'meta';
        if (h.size === 0) this.meta = undefined;
        return;
      default:
        this.onEntry(h);
    }
  }

  private onMeta(data: Buffer): void {
    const kind = this.meta!.kind;
    this.meta = undefined;
    this.state = 'header';
    switch (kind) {
      case 'x':
        for (const [k, v] of parsePax(data)) this.paxLocal.set(k, v);
        break;
      case 'g':
        for (const [k, v] of parsePax(data)) {
          if (v.length === 0) this.paxGlobal.delete(k);
          else this.paxGlobal.set(k, v);
        }
        break;
      case 'L':
        this.longName = cString(data);
        break;
      case 'K':
        this.longLink = cString(data);
        break;
    }
  }

  private onEntry(h: RawHeader): void {
    const pax = new Map([...this.paxGlobal, ...this.paxLocal]);
    this.paxLocal = new Map();
    let rawName = this.longName ?? h.name;
    let rawLink = this.longLink ?? h.linkname;
    this.longName = undefined;
    this.longLink = undefined;
    let size = h.size;
    let uid = h.uid;
    let gid = h.gid;
    let mtime = h.mtime;
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) {
      if (k === 'path') rawName = v.toString('latin1');
      else if (k === 'linkpath') rawLink = v.toString('latin1');
      else if (k === 'size') size = paxNumber(v, 'size');
      else if (k === 'uid') uid = paxNumber(v, 'uid');
      else if (k === 'gid') gid = paxNumber(v, 'gid');
      else if (k === 'mtime') mtime = Math.max(0, Math.floor(Number(v.toString('latin1')) || 0));
      else if (k.startsWith('GNU.sparse.')) throw unsafe(`sparse file ${show(rawName)} (not supported)`);
      else if (k.startsWith('SCHILY.xattr.')) {
        const name = k.slice('SCHILY.xattr.'.length);
        if (keepXattr(name)) xattrs.set(name, v);
      } else if (k.startsWith('LIBARCHIVE.xattr.')) {
        const name = decodeURIComponent(k.slice('LIBARCHIVE.xattr.'.length));
        if (keepXattr(name)) xattrs.set(name, Buffer.from(v.toString('latin1'), 'base64'));
      }
    }
    const type = h.type === '7' ? '0' : h.type;
    // Header-only types carry no data whatever their size field says (as GNU tar and Go's archive/tar read them).
    if (HEADER_ONLY.has(type)) size = 0;
    const name = cleanName(rawName);
    const base: Omit<OutEntry, 'type'> = { name, mode: h.mode, uid, gid, size: 0, mtime };
    if (xattrs.size > 0) base.xattrs = xattrs;
    this.stats.entries++;

    // aufs metadata (`.wh..wh.plnk/…`, `.wh..wh.aufs`) at the layer root: dropped with everything below it, as docker
    // does. A root opaque marker is not metadata.
    const top = name.split('/')[0]!;
    if (top.startsWith(WHITEOUT_META_PREFIX) && name !== OPAQUE_MARKER) {
      if (type === '0') this.passData(size, true);
      return;
    }

    switch (type) {
      case '0':
        this.passData(size);
        if (this.whiteout(name, mtime)) {
          if (size !== 0) throw unsafe(`whiteout ${show(name)} with data`);
          return;
        }
        this.checkParents(name);
        if (name === '') throw unsafe('regular file with an empty name');
        this.kinds.set(name, 'file');
        this.stats.size += size;
        this.emitEntry({ ...base, type: 'file', size });
        return;
      case '5': {
        if (this.whiteout(name, mtime)) return;
        this.checkParents(name);
        const kind = this.kinds.get(name);
        if (kind !== undefined && kind !== 'dir') throw unsafe(`directory ${show(name)} replaces a non-directory`);
        const e: OutEntry = { ...base, type: 'dir' };
        this.dirs.set(name, e);
        this.kinds.set(name, 'dir');
        if (this.opaque.has(name)) e.xattrs = new Map([...(e.xattrs ?? []), [OPAQUE_XATTR, Buffer.from('y')]]);
        this.emitEntry(e);
        return;
      }
      case '2':
        if (this.whiteout(name, mtime)) return;
        this.checkParents(name);
        if (name === '') throw unsafe('symlink with an empty name');
        if (rawLink === '' || rawLink.includes('\0')) throw unsafe(`symlink ${show(name)} with an invalid target`);
        this.kinds.set(name, 'symlink');
        this.emitEntry({ ...base, type: 'symlink', linkname: rawLink });
        return;
      case '1': {
        if (this.whiteout(name, mtime)) return;
        this.checkParents(name);
        if (name === '') throw unsafe('hard link with an empty name');
        if (rawLink.startsWith('/')) throw unsafe(`hard link ${show(name)} to the absolute path ${show(rawLink)}`);
        const target = cleanName(rawLink);
        const tk = this.kinds.get(target);
        if (target === '' || tk === undefined || tk === 'dir') throw unsafe(`hard link ${show(name)} to ${show(rawLink)}, which is not an earlier file of this layer`);
        this.checkParents(target);
        this.kinds.set(name, tk);
        this.emitEntry({ ...base, type: 'hardlink', linkname: target });
        return;
      }
      case '6':
        if (this.whiteout(name, mtime)) return;
        this.checkParents(name);
        if (name === '') throw unsafe('fifo with an empty name');
        this.kinds.set(name, 'other');
        this.emitEntry({ ...base, type: 'fifo' });
        return;
      case '3':
      case '4':
        throw unsafe(`device file ${show(name)}`);
      case 'S':
        throw unsafe(`sparse file ${show(name)} (not supported)`);
      case 'M':
      case 'V':
      case 'N':
      case 'D':
        throw unsafe(`GNU tar entry type '${type}' at ${show(name)} (not supported)`);
      default:
        throw unsafe(`unknown tar entry type '${type}' at ${show(name)}`);
    }
  }

  /** Handles `.wh.*` names; true when the entry was a whiteout marker (converted or dropped). */
  private whiteout(name: string, mtime: number): boolean {
    const slash = name.lastIndexOf('/');
    const baseName = name.slice(slash + 1);
    if (!baseName.startsWith(WHITEOUT_PREFIX)) return false;
    const dir = dirname(name);
    this.checkParents(name);
    if (baseName === OPAQUE_MARKER) {
      const kind = this.kinds.get(dir);
      if (kind !== undefined && kind !== 'dir') throw unsafe(`opaque marker in the non-directory ${show(dir)}`);
      this.opaque.add(dir);
      this.stats.opaqueDirs++;
      const known = this.dirs.get(dir);
      const e: OutEntry = known ? { ...known } : { name: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime };
      e.xattrs = new Map([...(e.xattrs ?? []), [OPAQUE_XATTR, Buffer.from('y')]]);
      this.dirs.set(dir, e);
      this.kinds.set(dir, 'dir');
      this.emitEntry(e);
      return true;
    }
    if (baseName.startsWith(WHITEOUT_META_PREFIX)) return true;
    const hidden = baseName.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw unsafe(`invalid whiteout ${show(name)}`);
    this.whiteouts.set(dir === '' ? hidden : `${dir}/${hidden}`, mtime);
    return true;
  }

  /**
   * Refuses a path whose parent, in this layer, is a symlink or not a directory. Parents not seen yet are recorded
   * as directories: tar creates them so.
   */
  private checkParents(name: string): void {
    let i = name.indexOf('/');
    while (i >= 0) {
      const p = name.slice(0, i);
      const k = this.kinds.get(p);
      if (k === 'symlink') throw unsafe(`${show(name)} goes through the symlink ${show(p)}`);
      if (k !== undefined && k !== 'dir') throw unsafe(`${show(name)} is below the non-directory ${show(p)}`);
      if (k === undefined) this.kinds.set(p, 'dir');
      i = name.indexOf('/', i + 1);
    }
  }

  /** Sets up the pass-through (or, with `drop`, the skipping) of the entry data that follows. */
  private passData(size: number, drop = false): void {
    this.dropping = drop;
    this.dataLeft = size;
    this.padLeft = padTo(size) - size;
    if (size > 0) this.state = 'data';
  }

  private emitEntry(e: OutEntry): void {
    this.push(encodeHeaders(e));
  }
}

function padTo(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('latin1', 0, end < 0 ? b.length : end);
}

function paxNumber(v: Buffer, field: string): number {
  const s = v.toString('latin1');
  if (!/^[0-9]+$/.test(s)) throw tarError(`bad pax ${field}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw tarError(`pax ${field} too large`);
  return n;
}
