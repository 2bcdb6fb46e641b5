import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { isShoalError, type ShoalError } from '../api/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { nullLogger, type Logger } from '../lib/logger.js';
import { formatHostPort, parseHostPort, plainIp } from './address.js';
import { rpcErrors } from './errors.js';
import { NdjsonDecoder } from './ndjson.js';
import { checkManagerIdentity, MANAGER_SERVERNAME, type AnonymousTls, type RpcTls } from './tls.js';
import { CONTENT_JSON, ERROR_TRAILER, STATUS_TRAILER } from './wire.js';
import { fromWireError } from './wire-error.js';

export interface RpcClientOptions {
  /** The manager's `host:port`. */
  address: string;
  /**
   * This node's certificate, key and cluster root; a function is asked again for every new connection (a renewed
   * certificate is used from the next one on). `AnonymousTls` connects without a client certificate (a joining node).
   */
  tls: RpcTls | AnonymousTls | (() => RpcTls);
  /** The name the server's certificate must carry; default `swarm-manager` (every manager certificate has it). */
  servername?: string;
  logger?: Logger;
  /** Times deadlines; default the system clock. */
  clock?: Clock;
  /** Deadline of a unary call without its own; default 5000 ms. */
  deadlineMs?: number;
  /** How long a stream may take to be answered (response headers); default 5000 ms. */
  openDeadlineMs?: number;
}

export interface CallOptions {
  /** Default: the client's `deadlineMs` (5 s). Past it the call fails with Unavailable `rpc.deadline_exceeded`. */
  deadlineMs?: number;
  /** Cancels the call: it fails with Canceled `rpc.canceled`, and the handler's signal aborts. */
  signal?: AbortSignal;
}

export interface RpcClient {
  /** One request → reply. A handler's ShoalError is rethrown as the same ShoalError; transport failures are Unavailable. */
  call<T>(path: string, body: unknown, options?: CallOptions): Promise<T>;
  /**
   * A server stream as an async iterable of its messages. Aborting `signal` (or leaving the loop) cancels the call,
   * which aborts the handler's signal; the iteration then simply ends. A handler's error, or a broken stream
   * (Unavailable `rpc.stream_broken`), is thrown from the loop.
   */
  stream<T>(path: string, body: unknown, signal: AbortSignal): AsyncIterable<T>;
  /** The local IP address of the open connection, if there is one (the address the manager sees this node at). */
  readonly localAddress: string | undefined;
  /** Closes the connection; calls in flight fail with Canceled `rpc.client_closed`. */
  close(): Promise<void>;
}

/**
 * A client for one manager. It keeps one HTTP/2 session, opened lazily on the first call and opened again on the
 * next call after it failed or the server went away. The server must present a certificate that chains to
 * `tls.caPem`, matches `servername` and has OU `swarm-manager` (with an AnonymousTls of no `caPem`, nothing about the
 * server is checked: only for fetching a root whose digest the caller then checks).
 */
export function connectRpc(o: RpcClientOptions): RpcClient {
  return new Client(o);
}

class Client implements RpcClient {
  private session: ClientHttp2Session | undefined;
  private closed = false;
  private readonly url: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly requests = new Set<ClientHttp2Stream>();

  constructor(private readonly o: RpcClientOptions) {
    this.url = `https://${formatHostPort(parseHostPort(o.address))}`;
    this.log = (o.logger ?? nullLogger).child({ component: 'rpc-client', manager: o.address });
    this.clock = o.clock ?? systemClock;
  }

  call<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const deadlineMs = options.deadlineMs ?? this.o.deadlineMs ?? 5000;
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(rpcErrors.canceled(`${path}: canceled`));
    let req: ClientHttp2Stream;
    try {
      req = this.request(path, body);
    } catch (e) {
      return Promise.reject(this.failure(e));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = new AbortController();
      const chunks: Buffer[] = [];
      let status = 0;
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.abort();
        signal?.removeEventListener('abort', onAbort);
        if (!req.closed) req.close(constants.NGHTTP2_CANCEL);
        fn();
      };
      const onAbort = (): void => settle(() => reject(rpcErrors.canceled(`${path}: canceled`)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.clock.sleep(deadlineMs, timer.signal).then(
        () => settle(() => reject(rpcErrors.deadlineExceeded(path, deadlineMs))),
        () => undefined,
      );
      req.on('response', (h: IncomingHttpHeaders) => {
        status = Number(h[':status']);
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        settle(() => {
          if (status === 0) {
            reject(this.failure(rpcErrors.streamBroken(path)));
            return;
          }
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            const value: unknown = text === '' ? {} : JSON.parse(text);
            if (status === 200) resolve(value as T);
            else reject(fromWireError(value));
          } catch {
            reject(rpcErrors.badResponse(`${path}: the reply (status ${status}) is not JSON`));
          }
        }),
      );
      req.on('error', (e) => settle(() => reject(this.failure(e))));
      req.on('close', () => settle(() => reject(this.failure(rpcErrors.streamBroken(path)))));
    });
  }

  async *stream<T>(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<T, void, undefined> {
    if (signal.aborted) return;
    let req: ClientHttp2Stream;
    try {
      req = this.request(path, body);
    } catch (e) {
      throw this.failure(e);
    }
    let trailers: IncomingHttpHeaders | undefined;
    req.on('trailers', (t: IncomingHttpHeaders) => {
      trailers = t;
    });
    const onAbort = (): void => {
      if (!req.closed) req.close(constants.NGHTTP2_CANCEL);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const headers = await this.response(req, path);
      if (Number(headers[':status']) !== 200) {
        const chunks: Buffer[] = [];
        for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
        let value: unknown;
        try {
          value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw rpcErrors.badResponse(`${path}: the reply (status ${String(headers[':status'])}) is not JSON`);
        }
        throw fromWireError(value);
      }
      const decoder = new NdjsonDecoder();
      for await (const chunk of req as AsyncIterable<Buffer>) {
        for (const v of decoder.push(chunk)) yield v as T;
      }
      for (const v of decoder.end()) yield v as T;
      const error = trailers?.[ERROR_TRAILER];
      if (typeof error === 'string') {
        let value: unknown;
        try {
          value = JSON.parse(error);
        } catch {
          throw rpcErrors.badResponse(`${path}: malformed error trailer`);
        }
        throw fromWireError({ error: value });
      }
      if (trailers?.[STATUS_TRAILER] !== 'ok') throw rpcErrors.streamBroken(path);
    } catch (e) {
      if (signal.aborted) return;
      throw this.failure(e);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!req.closed) req.close(constants.NGHTTP2_CANCEL);
    }
  }

  get localAddress(): string | undefined {
    const s = this.session;
    return s === undefined || s.destroyed ? undefined : plainIp(s.socket.localAddress);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.requests) r.close(constants.NGHTTP2_CANCEL);
    const s = this.session;
    this.session = undefined;
    if (s === undefined || s.destroyed) return;
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.destroy();
    await closed;
  }

  /** Waits for the response headers of a stream, at most `openDeadlineMs`. */
  private response(req: ClientHttp2Stream, path: string): Promise<IncomingHttpHeaders> {
    const deadlineMs = this.o.openDeadlineMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = new AbortController();
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.abort();
        req.off('response', onResponse);
        req.off('error', onError);
        req.off('close', onClose);
        fn();
      };
      const onResponse = (h: IncomingHttpHeaders): void => settle(() => resolve(h));
      const onError = (e: Error): void => settle(() => reject(e));
      const onClose = (): void => settle(() => reject(rpcErrors.streamBroken(path)));
      req.on('response', onResponse);
      req.on('error', onError);
      req.on('close', onClose);
      this.clock.sleep(deadlineMs, timer.signal).then(
        () =>
          settle(() => {
            req.close(constants.NGHTTP2_CANCEL);
            reject(rpcErrors.deadlineExceeded(path, deadlineMs));
          }),
        () => undefined,
      );
    });
  }

  private request(path: string, body: unknown): ClientHttp2Stream {
    const req = this.connection().request({ ':method': 'POST', ':path': path, 'content-type': CONTENT_JSON });
    this.requests.add(req);
    req.once('close', () => this.requests.delete(req));
    req.on('error', () => undefined); // reported through the call's own listeners; never an unhandled 'error'
    req.end(JSON.stringify(body ?? {}));
    return req;
  }

  /** The live session, or a new one when there is none or it is going away. */
  private connection(): ClientHttp2Session {
    if (this.closed) throw rpcErrors.clientClosed();
    const current = this.session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const tls = typeof this.o.tls === 'function' ? this.o.tls() : this.o.tls;
    const caPem = tls.caPem;
    const s = connect(this.url, {
      ...(caPem === undefined
        ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
        : { ca: [caPem], checkServerIdentity: checkManagerIdentity }),
      ...(hasCertificate(tls) ? { cert: tls.certPem, key: tls.keyPem } : {}),
      servername: this.o.servername ?? MANAGER_SERVERNAME,
      minVersion: 'TLSv1.3',
    });
    const forget = (): void => {
      if (this.session === s) this.session = undefined;
    };
    s.on('error', (err: Error) => {
      this.log.debug({ err: err.message }, 'connection failed');
      forget();
    });
    s.on('goaway', forget);
    s.on('close', forget);
    this.session = s;
    return s;
  }

  /** Any failure as a ShoalError: the closed client's Canceled, a handler's error as is, the rest Unavailable. */
  private failure(e: unknown): ShoalError {
    if (this.closed) return rpcErrors.clientClosed();
    if (isShoalError(e)) return e;
    const message = e instanceof Error ? e.message : String(e);
    return rpcErrors.unavailable(`${this.o.address}: ${message}`, e);
  }
}

function hasCertificate(tls: RpcTls | AnonymousTls): tls is RpcTls {
  return 'certPem' in tls;
}
