/**
 * Docker's multiplexed stream framing (`stdcopy`): each frame is an 8-byte header `[stream, 0, 0, 0, size(uint32 BE)]`
 * followed by `size` bytes. Used by logs, attach and exec when the container has no TTY.
 */

/** 0 = stdin, 1 = stdout, 2 = stderr, 3 = systemerr (an error message that ends the stream). */
export type StreamId = 0 | 1 | 2 | 3;

export const MEDIA_TYPE_RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MEDIA_TYPE_MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

const MAX_FRAME = 0xffffffff;

/** One frame. Data over 4 GiB cannot be framed (never happens for log lines). */
export function encodeFrame(stream: StreamId, data: string | Uint8Array): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (payload.length > MAX_FRAME) throw new RangeError('frame too large');
  const out = Buffer.allocUnsafe(8 + payload.length);
  out[0] = stream;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, 8);
  return out;
}

/** Splits a byte buffer into complete frames; returns them and the unconsumed rest (for tests and the client). */
export function decodeFrames(buf: Buffer): { frames: { stream: number; data: Buffer }[]; rest: Buffer } {
  const frames: { stream: number; data: Buffer }[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < size) break;
    frames.push({ stream: buf[off] as number, data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  return { frames, rest: buf.subarray(off) };
}

/** docker's fixed-width `2006-01-02T15:04:05.000000000Z07:00` for an RFC 3339 time of any precision. */
export function fixedTimestamp(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m !== null) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
