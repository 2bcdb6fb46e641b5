/**
 * What a handler writes: JSON (`Content-Type: application/json` exactly, body + "\n" as Go's json.Encoder writes),
 * 204, text, chunked NDJSON streams, docker's multiplexed log frames, and connection hijacking (`Upgrade: tcp` → 101)
 * for attach/exec later. A handler that returns without writing anything gets an empty 200, as in dockerd.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { invalidArgument, ShoalError } from '../api/errors.js';
import { compareVersions } from './api-version.js';
import { encodeFrame, MEDIA_TYPE_MULTIPLEXED_STREAM, MEDIA_TYPE_RAW_STREAM } from './frames.js';
import type { StreamId } from './frames.js';

const gone = (): ShoalError => new ShoalError('Canceled', 'request.client_gone', 'client closed the connection');

/** A chunked response body written piece by piece, with backpressure. */
export interface BodyStream {
  /** Resolves once the data is handed to the socket (waits for 'drain'); throws Canceled if the client left. */
  write(data: string | Uint8Array): Promise<void>;
  /** Ends the response. Idempotent. */
  end(): void;
  /** True once ended or the connection closed. */
  readonly closed: boolean;
}

export interface JsonStream {
  /** Writes one value as a line of NDJSON. */
  write(value: unknown): Promise<void>;
  end(): void;
  readonly closed: boolean;
}

export interface FrameStream {
  /** Multiplexed: one framed chunk on stream 1 (stdout), 2 (stderr) or 3 (systemerr). TTY: the bytes as they are. */
  writeFrame(stream: StreamId, data: string | Uint8Array): Promise<void>;
  end(): void;
  readonly closed: boolean;
  /** The Content-Type that was sent (raw stream for TTY or API < 1.42, multiplexed otherwise). */
  readonly contentType: string;
}

/** The raw connection after a hijack. The handler owns it; the server destroys it on shutdown. */
export interface Hijacked {
  socket: Duplex;
  /** Bytes the client sent after the request (already read off the socket). */
  head: Buffer;
}

/** What the server passes for requests that came through the 'upgrade' event. */
export interface UpgradeContext {
  socket: Socket;
  /** Unconsumed bytes after the request body. */
  takeHead(): Buffer;
  /** Called once the handler owns the socket. */
  onHijack(socket: Socket): void;
}

export class ApiResponse {
  private hijacked = false;

  constructor(
    /** The underlying response, for what the helpers do not cover. */
    readonly raw: ServerResponse,
    private readonly apiVersion: string,
    private readonly upgrade: UpgradeContext | undefined = undefined,
  ) {}

  /** True once a status line went out (or the connection was hijacked): errors can no longer become a response. */
  get sent(): boolean {
    return this.hijacked || this.raw.headersSent;
  }

  /** True when the connection was handed to the handler. */
  get isHijacked(): boolean {
    return this.hijacked;
  }

  /** Stages a header for whatever is sent next. */
  header(name: string, value: string | number | readonly string[]): this {
    this.raw.setHeader(name, value);
    return this;
  }

  /** A JSON body. HEAD requests get the headers only (node drops the body). */
  json(status: number, body: unknown): void {
    const text = `${JSON.stringify(body) ?? 'null'}\n`;
    this.send(status, 'application/json', text);
  }

  /** 204 No Content. */
  noContent(): void {
    this.raw.statusCode = 204;
    this.raw.end();
  }

  /** An empty body with `status` (dockerd's answer for handlers that write nothing). */
  empty(status = 200): void {
    this.raw.statusCode = status;
    this.raw.setHeader('Content-Length', 0);
    this.raw.end();
  }

  text(status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
    this.send(status, contentType, text);
  }

  /** Starts a chunked body with `contentType` and returns its writer. */
  stream(status: number, contentType: string): BodyStream {
    const res = this.raw;
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    res.removeHeader('Content-Length');
    res.flushHeaders();
    let ended = false;
    return {
      get closed() {
        return ended || res.writableEnded || res.destroyed;
      },
      write(data) {
        if (ended || res.writableEnded || res.destroyed) return Promise.reject(gone());
        return new Promise<void>((resolve, reject) => {
          const ok = res.write(data);
          if (ok) {
            resolve();
            return;
          }
          const onDrain = (): void => {
            res.off('close', onClose);
            resolve();
          };
          const onClose = (): void => {
            res.off('drain', onDrain);
            reject(gone());
          };
          res.once('drain', onDrain);
          res.once('close', onClose);
        });
      },
      end() {
        if (ended) return;
        ended = true;
        if (!res.writableEnded && !res.destroyed) res.end();
      },
    };
  }

  /** Newline-delimited JSON (`application/json`, chunked), as dockerd streams events and progress. */
  ndjson(status = 200): JsonStream {
    const s = this.stream(status, 'application/json');
    return {
      get closed() {
        return s.closed;
      },
      write: (value) => s.write(`${JSON.stringify(value) ?? 'null'}\n`),
      end: () => s.end(),
    };
  }

  /**
   * A log/attach stream. Without TTY, data goes out in 8-byte-header frames; with TTY it is raw. The Content-Type
   * follows dockerd: multiplexed-stream for non-TTY at API ≥ 1.42, raw-stream otherwise.
   */
  logStream(opts: { tty?: boolean; status?: number } = {}): FrameStream {
    const tty = opts.tty ?? false;
    const contentType = !tty && compareVersions(this.apiVersion, '1.42') >= 0 ? MEDIA_TYPE_MULTIPLEXED_STREAM : MEDIA_TYPE_RAW_STREAM;
    const s = this.stream(opts.status ?? 200, contentType);
    return {
      contentType,
      get closed() {
        return s.closed;
      },
      writeFrame: (stream, data) => s.write(tty ? data : encodeFrame(stream, data)),
      end: () => s.end(),
    };
  }

  /**
   * Takes over the connection, dockerd-style: answers `101 UPGRADED` with `Connection: Upgrade`, `Upgrade: tcp`,
   * `contentType` and the staged headers, then hands the socket to the caller. Only for requests that asked for it
   * with `Upgrade: tcp` (the docker CLI always does for attach and exec); otherwise throws InvalidArgument.
   * The socket allows half-open: the client's stdin EOF arrives as 'end' while output may still flow; call
   * `socket.end()` when done. The request's `signal` aborts when the socket closes.
   */
  hijack(contentType: string = MEDIA_TYPE_RAW_STREAM): Hijacked {
    if (this.upgrade === undefined) {
      throw invalidArgument('request.not_upgrade', 'this endpoint needs a connection upgrade (Upgrade: tcp)');
    }
    if (this.sent) throw new Error('response already started');
    const { socket } = this.upgrade;
    const lines = ['HTTP/1.1 101 UPGRADED', `Content-Type: ${contentType}`, 'Connection: Upgrade', 'Upgrade: tcp'];
    for (const [name, value] of Object.entries(this.raw.getHeaders())) {
      if (value === undefined || ['content-type', 'connection', 'upgrade', 'content-length'].includes(name)) continue;
      for (const v of Array.isArray(value) ? value : [String(value)]) lines.push(`${canonical(name)}: ${v}`);
    }
    this.hijacked = true;
    // Release the socket from the ServerResponse so nothing else writes an HTTP response on it.
    this.raw.detachSocket(socket);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.upgrade.onHijack(socket);
    return { socket, head: this.upgrade.takeHead() };
  }

  private send(status: number, contentType: string, body: string): void {
    const res = this.raw;
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }
}

/** `api-version` → `Api-Version`, for headers written by hand on a hijacked socket. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
