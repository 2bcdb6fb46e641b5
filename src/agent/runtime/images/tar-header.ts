/**
 * The tar header codec: decode ustar / GNU / v7 headers and pax extended records; encode the canonical pax+ustar
 * headers the layer sanitizer re-emits. Strings are kept as `latin1` so that every byte of a name survives the round
 * trip unchanged (tar names are bytes, not text).
 */
import { invalidArgument } from '../../../api/errors.js';
import type { ShoalError } from '../../../api/errors.js';

export const BLOCK = 512;

export interface RawHeader {
  /** prefix + name for POSIX ustar; name only for GNU and v7 headers. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** The type flag character; NUL (old regular files) is reported as '0'. */
  type: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

export function tarError(message: string): ShoalError {
  return invalidArgument('image.layer_invalid', `invalid layer tar: ${message}`);
}

export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function cString(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('latin1', start, end < 0 || end > start + len ? start + len : end);
}

function numeric(b: Buffer, start: number, len: number, field: string): number {
  const first = b[start]!;
  if (first & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    if (first === 0xff) throw tarError(`negative ${field}`);
    let v = first & 0x7f;
    for (let i = start + 1; i < start + len; i++) {
      v = v * 256 + b[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw tarError(`${field} too large`);
    }
    return v;
  }
  const s = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw tarError(`bad ${field} field`);
  return parseInt(s, 8);
}

function checksumOk(b: Buffer): boolean {
  const stored = numeric(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

export function decodeHeader(b: Buffer): RawHeader {
  if (!checksumOk(b)) throw tarError('header checksum mismatch');
  const magic = b.toString('latin1', 257, 263);
  let name = cString(b, 0, 100);
  if (magic === 'ustar\0') {
    const prefix = cString(b, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const type = b[156] === 0 ? '0' : String.fromCharCode(b[156]!);
  return {
    name,
    mode: numeric(b, 100, 8, 'mode'),
    uid: numeric(b, 108, 8, 'uid'),
    gid: numeric(b, 116, 8, 'gid'),
    size: numeric(b, 124, 12, 'size'),
    mtime: numeric(b, 136, 12, 'mtime'),
    type,
    linkname: cString(b, 157, 100),
    devmajor: magic.startsWith('ustar') ? numeric(b, 329, 8, 'devmajor') : 0,
    devminor: magic.startsWith('ustar') ? numeric(b, 337, 8, 'devminor') : 0,
  };
}

/** Parses pax extended header records (`<len> <key>=<value>\n`); values stay raw bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding after the last record
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) throw tarError('bad pax record');
    const lenStr = data.toString('latin1', pos, sp);
    if (!/^[0-9]+$/.test(lenStr)) throw tarError('bad pax record length');
    const len = parseInt(lenStr, 10);
    const end = pos + len;
    if (len <= sp - pos + 1 || end > data.length || data[end - 1] !== 0x0a) throw tarError('bad pax record');
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) throw tarError('bad pax record');
    out.set(data.toString('utf8', sp + 1, eq), data.subarray(eq + 1, end - 1));
    pos = end;
  }
  return out;
}

export type OutType = 'file' | 'hardlink' | 'symlink' | 'char' | 'dir' | 'fifo';

const TYPE_FLAG: Record<OutType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', dir: '5', fifo: '6' };

/** One entry as the sanitizer re-emits it. `name` is latin1 and relative, with no trailing slash ('' = root). */
export interface OutEntry {
  name: string;
  type: OutType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (SCHILY.xattr.<name>), values raw. */
  xattrs?: Map<string, Buffer>;
}

const OCTAL_MAX = { 8: 0o7777777, 12: 0o77777777777 } as const;

function writeOctal(b: Buffer, start: number, len: 8 | 12, v: number): void {
  b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, start, len, 'latin1');
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function splitUstarName(name: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    if (i < name.length - 101) break;
  }
  return undefined;
}

function ustarBlock(e: OutEntry, name: { prefix: Buffer; name: Buffer } | undefined, link: Buffer | undefined, big: { uid: boolean; gid: boolean; size: boolean }): Buffer {
  const b = Buffer.alloc(BLOCK);
  if (name) {
    name.name.copy(b, 0);
    name.prefix.copy(b, 345);
  } else {
    b.write('PaxPath', 0, 'latin1');
  }
  writeOctal(b, 100, 8, e.mode & 0o7777);
  writeOctal(b, 108, 8, big.uid ? 0 : e.uid);
  writeOctal(b, 116, 8, big.gid ? 0 : e.gid);
  writeOctal(b, 124, 12, big.size ? 0 : e.size);
  writeOctal(b, 136, 12, Math.min(Math.max(0, Math.floor(e.mtime)), OCTAL_MAX[12]));
  b.write(TYPE_FLAG[e.type], 156, 'latin1');
  if (link) link.copy(b, 157);
  b.write('ustar\u000000', 257, 'latin1');
  writeOctal(b, 329, 8, e.devmajor ?? 0);
  writeOctal(b, 337, 8, e.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

function padded(data: Buffer): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return pad === 0 ? data : Buffer.concat([data, Buffer.alloc(pad)]);
}

/** The header block(s) for one entry: a pax header when ustar cannot hold a field, then the ustar header. */
export function encodeHeaders(e: OutEntry): Buffer {
  const fullName = Buffer.from(e.name === '' ? './' : e.type === 'dir' ? `${e.name}/` : e.name, 'latin1');
  const name = splitUstarName(fullName);
  const link = e.linkname !== undefined ? Buffer.from(e.linkname, 'latin1') : undefined;
  const big = { uid: e.uid > OCTAL_MAX[8], gid: e.gid > OCTAL_MAX[8], size: e.size > OCTAL_MAX[12] };
  const records: Buffer[] = [];
  if (!name) records.push(paxRecord('path', fullName));
  if (link && link.length > 100) records.push(paxRecord('linkpath', link));
  if (big.uid) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (big.gid) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  if (big.size) records.push(paxRecord('size', Buffer.from(String(e.size))));
  for (const [k, v] of e.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = ustarBlock(e, name, link && link.length <= 100 ? link : undefined, big);
  if (records.length === 0) return main;
  const data = Buffer.concat(records);
  const pax = ustarBlock({ name: 'PaxHeader', type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0 }, { prefix: Buffer.alloc(0), name: Buffer.from('PaxHeader') }, undefined, { uid: false, gid: false, size: false });
  pax.write('x', 156, 'latin1');
  // Recompute the checksum after changing the type flag.
  pax.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += pax[i]!;
  pax.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return Buffer.concat([pax, padded(data), main]);
}

export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
