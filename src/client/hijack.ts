/**
 * The daemon's raw byte streams, on a connection of their own (outside the client's keep-alive pool):
 *
 * - `hijack`: attach and exec-start. The request carries `Connection: Upgrade` and `Upgrade: tcp`; the daemon answers
 *   `101` and from then on the socket carries raw bytes both ways: the process's stdin one way, its output the other,
 *   as docker's multiplexed frames unless the process has a TTY. Writing EOF (`closeWrite`) closes the process's
 *   stdin; the daemon closes the socket when the process's output ends. Any other status is the daemon's error.
 * - `upload`: a request whose body is streamed (image load), so a large tarball is never held in memory.
 * - `FrameDecoder` / `pumpOutput`: docker's `stdcopy` framing, `[stream, 0, 0, 0, size(uint32 BE)]` then `size`
 *   bytes, used by attach, exec and logs without a TTY. Stream 3 (systemerr) carries an error that ends the stream.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { ShoalError } from '../api/errors.js';
import type { EngineClient } from './client.js';
import { connectError, responseError } from './errors.js';
import { parseHost, readBody } from './transport.js';

/** Query values; `undefined` leaves the parameter out. Objects are sent as JSON (filters). */
export type RawQuery = Record<string, string | number | undefined | Record<string, Record<string, boolean>>>;

export function encodeQuery(query: RawQuery | undefined): string {
  if (query === undefined) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    sp.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = sp.toString();
  return s === '' ? '' : `?${s}`;
}

const USER_AGENT = 'Shoal-Client/0.1.0 (linux)';

interface DialOptions {
  method: string;
  path: string;
  query?: RawQuery | undefined;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string | Readable;
  upgrade?: boolean;
  signal?: AbortSignal | undefined;
}

type DialResult = { kind: 'upgrade'; res: IncomingMessage; socket: Duplex; head: Buffer } | { kind: 'response'; res: IncomingMessage };

async function dial(client: EngineClient, o: DialOptions): Promise<DialResult> {
  const version = await client.apiVersion();
  const target = parseHost(client.host);
  const headers: OutgoingHttpHeaders = { 'User-Agent': USER_AGENT, ...o.headers };
  if (o.upgrade === true) {
    headers.Connection = 'Upgrade';
    headers.Upgrade = 'tcp';
  }
  if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) headers['Content-Length'] = Buffer.byteLength(o.body);
  return new Promise<DialResult>((resolve, reject) => {
    const req = httpRequest({
      agent: false,
      method: o.method,
      path: `/v${version}${o.path}${encodeQuery(o.query)}`,
      headers,
      ...(target.kind === 'unix' ? { socketPath: target.socketPath, host: 'localhost' } : { host: target.hostname, port: target.port }),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    });
    req.once('upgrade', (res, socket, head) => resolve({ kind: 'upgrade', res, socket, head }));
    req.once('response', (res) => resolve({ kind: 'response', res }));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (o.signal?.aborted === true || err.name === 'AbortError') {
        reject(new ShoalError('Canceled', 'client.canceled', 'request canceled', { cause: err }));
      } else {
        reject(connectError(client.host, err));
      }
    });
    const body = o.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

async function statusError(client: EngineClient, res: IncomingMessage): Promise<ShoalError> {
  let body: Buffer;
  try {
    body = await readBody(res);
  } catch (e) {
    return connectError(client.host, e);
  }
  return responseError(res.statusCode ?? 0, res.headers['content-type'], body);
}

/** An upgraded connection: raw bytes both ways. */
export interface HijackedStream {
  /** Reads the process's output; writes go to its stdin. */
  readonly socket: Duplex;
  /** The 101 response's Content-Type: `application/vnd.docker.raw-stream` or `…multiplexed-stream`. */
  readonly contentType: string | undefined;
  /** Half-closes the connection: the process sees EOF on stdin, and its output keeps coming. */
  closeWrite(): void;
  /** Drops the connection. */
  close(): void;
}

export interface HijackOptions {
  query?: RawQuery;
  /** JSON body (exec start). */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * `POST path` with `Upgrade: tcp`; resolves with the upgraded stream once the daemon answers 101. A non-101 answer
 * rejects with the daemon's error (a 2xx without upgrade: "unable to upgrade to tcp, received 200", as docker says).
 */
export async function hijack(client: EngineClient, path: string, o: HijackOptions = {}): Promise<HijackedStream> {
  const headers: OutgoingHttpHeaders = {};
  let body: string | undefined;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] = 'application/json';
  }
  const r = await dial(client, {
    method: 'POST',
    path,
    query: o.query,
    headers,
    ...(body !== undefined ? { body } : {}),
    upgrade: true,
    signal: o.signal,
  });
  if (r.kind === 'response') {
    const status = r.res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      r.res.resume();
      throw new ShoalError('Internal', 'client.no_upgrade', `unable to upgrade to tcp, received ${status}`);
    }
    throw await statusError(client, r.res);
  }
  const { socket, head, res } = r;
  if (head.length > 0) socket.unshift(head);
  return {
    socket,
    contentType: res.headers['content-type'],
    closeWrite: () => {
      socket.end();
    },
    close: () => {
      socket.destroy();
    },
  };
}

export interface UploadOptions {
  query?: RawQuery;
  headers?: OutgoingHttpHeaders;
  signal?: AbortSignal;
}

/**
 * A request whose body is streamed from `body` (with `Content-Length` when `headers` gives it, chunked otherwise).
 * Resolves with the response (2xx; the body still to read), or rejects with the daemon's error.
 */
export async function upload(client: EngineClient, method: string, path: string, body: Readable, o: UploadOptions = {}): Promise<IncomingMessage> {
  const r = await dial(client, { method, path, query: o.query, headers: o.headers ?? {}, body, signal: o.signal });
  if (r.kind === 'upgrade') {
    r.socket.destroy();
    throw new ShoalError('Internal', 'client.bad_response', 'unexpected protocol upgrade from the daemon');
  }
  const status = r.res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    body.unpipe();
    throw await statusError(client, r.res);
  }
  return r.res;
}

// ------------------------------------------------------------------ stdcopy framing

/** 0 stdin, 1 stdout, 2 stderr, 3 systemerr. */
export type StreamId = 0 | 1 | 2 | 3;

export interface Frame {
  stream: StreamId;
  data: Buffer;
}

/** Incremental decoder of docker's multiplexed frames; a frame split across chunks is kept until complete. */
export class FrameDecoder {
  private rest: Buffer = Buffer.alloc(0);

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.rest.length;
  }

  push(chunk: Buffer): Frame[] {
    const buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (buf.length - off >= 8) {
      const id = buf[off] as number;
      if (id > 3) throw new ShoalError('Internal', 'client.bad_stream', `Unrecognized input header: ${id}`);
      const size = buf.readUInt32BE(off + 4);
      if (buf.length - off - 8 < size) break;
      frames.push({ stream: id as StreamId, data: buf.subarray(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.rest = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    return frames;
  }
}

export interface OutputSinks {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

/**
 * Copies a daemon output stream to the sinks until it ends: demultiplexed (stdout frames to `stdout`, stderr frames
 * to `stderr`) or, for a TTY, raw to `stdout`. A systemerr frame rejects with its message, as docker's StdCopy does.
 */
export async function pumpOutput(source: AsyncIterable<Buffer | string>, sinks: OutputSinks, multiplexed: boolean): Promise<void> {
  const decoder = multiplexed ? new FrameDecoder() : undefined;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (decoder === undefined) {
      sinks.stdout(chunk);
      continue;
    }
    for (const f of decoder.push(chunk)) {
      switch (f.stream) {
        case 0:
        case 1:
          sinks.stdout(f.data);
          break;
        case 2:
          sinks.stderr(f.data);
          break;
        case 3:
          throw new ShoalError('Internal', 'client.stream_error', f.data.toString('utf8').trim());
      }
    }
  }
}
