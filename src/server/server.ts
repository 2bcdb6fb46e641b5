/**
 * The Engine-API HTTP server: one `node:http` server per listen address, all sharing one dispatcher:
 *
 *   common headers → route lookup (404 `page not found`) → `/vX.Y` check (400 too old / too new)
 *   → handler(ApiRequest, ApiResponse) → empty 200 if it wrote nothing; any throw → errors.ts.
 *
 * `/_ping` is built in. Requests with `Upgrade:` come through node's 'upgrade' event with a ServerResponse bound
 * by hand, so handlers can answer them normally or hijack the socket. Nothing a client sends can crash the process:
 * every handler error goes through the error mapper, sockets always have an 'error' listener.
 */
import { createServer as createHttpServer, ServerResponse } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { chmod, chown, unlink } from 'node:fs/promises';
import type { TlsOptions } from 'node:tls';
import { invalidArgument, notFound, ShoalError } from '../api/errors.js';
import type { Logger } from '../lib/logger.js';
import { checkVersion, MAX_API_VERSION, MIN_API_VERSION, splitVersion } from './api-version.js';
import { sendError } from './errors.js';
import { parseListenAddress, prepareUnixSocket } from './listen.js';
import type { ListenAddress } from './listen.js';
import { handlePing } from './ping.js';
import { ApiRequest, bodyTooLarge, DEFAULT_MAX_BODY_BYTES } from './request.js';
import { ApiResponse } from './response.js';
import type { UpgradeContext } from './response.js';
import type { Handler, Router } from './router.js';

export interface ApiServerOptions {
  router: Router;
  logger: Logger;
  /** Shoal's version, shown as `Server: Docker/<engineVersion> (linux)`. */
  engineVersion: string;
  /** The `Swarm` header of `/_ping`: inactive | pending | error | locked | active/worker | active/manager. */
  swarmHeader: () => string;
  /** `unix:///path` and/or `tcp://host:port` (port 0 picks a free one; see `addresses`). */
  listen: readonly string[];
  /** Request body cap for `ApiRequest.json()` (default 16 MiB). */
  maxBodyBytes?: number;
  /** Mode of unix socket files (default 0o660). */
  socketMode?: number;
  /** Group to own unix socket files (dockerd's `--group`); unchanged when undefined. */
  socketGroup?: number;
  /**
   * Mutual TLS for `tcp://` listeners (the hook for later): when set, TCP addresses are served by `node:https` with
   * these options; `requestCert` and `rejectUnauthorized` default to true. Unix sockets are never TLS.
   */
  tls?: TlsOptions;
  /** How long `close()` lets in-flight requests finish before cutting connections (default 2000 ms). */
  shutdownGraceMs?: number;
  /** Advertised API range (defaults 1.24 … 1.47). */
  minApiVersion?: string;
  maxApiVersion?: string;
}

export interface ApiServer extends AsyncDisposable {
  /** The addresses actually listened on, e.g. `tcp://127.0.0.1:41234` for a `:0` port. */
  readonly addresses: readonly string[];
  /** Stops listening, aborts in-flight requests' signals, ends keep-alive and hijacked connections. Idempotent. */
  close(): Promise<void>;
}

interface Listener {
  server: Server;
  address: ListenAddress;
}

const pageNotFound = (): ShoalError => notFound('api.page_not_found', 'page not found');

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const logger = opts.logger.child({ component: 'api-server' });
  const maxApi = opts.maxApiVersion ?? MAX_API_VERSION;
  const minApi = opts.minApiVersion ?? MIN_API_VERSION;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const serverHeader = `Docker/${opts.engineVersion} (linux)`;
  const pingHandler: Handler = (req, res) => handlePing(req, res, opts.swarmHeader);

  const sockets = new Set<Socket>();
  const hijacked = new Set<Socket>();
  const inFlight = new Set<AbortController>();
  let closing = false;
  let onIdle: (() => void) | undefined;

  function commonHeaders(res: ServerResponse): void {
    res.setHeader('Api-Version', maxApi);
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', serverHeader);
    res.setHeader('Docker-Experimental', 'false');
    if (closing) res.setHeader('Connection', 'close');
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, upgrade?: UpgradeBody): Promise<void> {
    const started = Date.now();
    const ac = new AbortController();
    inFlight.add(ac);
    const abortIfUnfinished = (): void => {
      if (!res.writableFinished) ac.abort(new ShoalError('Canceled', 'request.client_gone', 'client closed the connection'));
    };
    res.once('close', abortIfUnfinished);
    // A hijacked connection has no response 'close': the socket's close is the end of the request.
    upgrade?.socket.once('close', abortIfUnfinished);
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const log = logger.child({ method, url: rawUrl });
    let apiRes: ApiResponse | undefined;
    try {
      commonHeaders(res);
      const { pathname, query } = splitTarget(rawUrl);
      const { version, path } = splitVersion(pathname);
      let handler: Handler;
      let params: Record<string, string> = {};
      if (path === '/_ping' && (method === 'GET' || method === 'HEAD')) {
        handler = pingHandler;
      } else {
        const m = opts.router.match(method, path);
        if (m === undefined) throw pageNotFound();
        handler = m.handler;
        params = m.params;
      }
      const apiVersion = checkVersion(version, minApi, maxApi);
      const apiReq = new ApiRequest({
        raw: req,
        apiVersion,
        path,
        query,
        params,
        signal: ac.signal,
        logger: log,
        maxBodyBytes,
        ...(upgrade !== undefined ? { readBody: upgrade.readBody } : {}),
      });
      apiRes = new ApiResponse(res, apiVersion, upgrade);
      await handler(apiReq, apiRes);
      if (!apiRes.isHijacked && !res.writableEnded) {
        if (res.headersSent) res.end();
        else apiRes.empty(200);
      }
    } catch (err) {
      if (apiRes?.isHijacked) {
        log.error({ err }, 'hijacked handler failed');
      } else {
        sendError(res, err, log);
      }
    } finally {
      inFlight.delete(ac);
      if (apiRes?.isHijacked !== true) res.off('close', abortIfUnfinished);
      log.debug({ status: res.statusCode, ms: Date.now() - started }, 'request');
      if (closing && inFlight.size === 0) onIdle?.();
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    void dispatch(req, res).catch((err: unknown) => logger.error({ err }, 'dispatch failed'));
  }

  function onUpgrade(req: IncomingMessage, duplex: Duplex, head: Buffer): void {
    const socket = duplex as Socket;
    socket.on('error', (err) => logger.debug({ err }, 'upgraded socket error'));
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    let isHijacked = false;
    // A normal answer to an upgrade request closes the connection: node no longer parses HTTP on it.
    res.once('finish', () => {
      if (!isHijacked) socket.end();
    });
    const ctx = upgradeBody(req, socket, head);
    ctx.onHijack = (s) => {
      isHijacked = true;
      hijacked.add(s);
      s.once('close', () => hijacked.delete(s));
    };
    void dispatch(req, res, ctx).catch((err: unknown) => logger.error({ err }, 'dispatch failed'));
  }

  function trackConnection(socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  async function listenOn(address: ListenAddress): Promise<Listener> {
    const server =
      address.kind === 'tcp' && opts.tls !== undefined
        ? createHttpsServer({ requestCert: true, rejectUnauthorized: true, ...opts.tls }, onRequest)
        : createHttpServer(onRequest);
    server.on('upgrade', onUpgrade);
    server.on('connection', trackConnection);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      logger.debug({ err }, 'client error');
      if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    if (address.kind === 'unix') await prepareUnixSocket(address.path);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      const done = (): void => {
        server.off('error', onError);
        resolve();
      };
      if (address.kind === 'unix') server.listen(address.path, done);
      else server.listen(address.port, address.host, done);
    });
    server.on('error', (err) => logger.error({ err, address: address.url }, 'server error'));
    if (address.kind === 'unix') {
      await chmod(address.path, opts.socketMode ?? 0o660);
      if (opts.socketGroup !== undefined) await chown(address.path, -1, opts.socketGroup);
      return { server, address };
    }
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    return { server, address: { ...address, port, url: `tcp://${host}:${port}` } };
  }

  const listeners: Listener[] = [];
  try {
    for (const a of opts.listen) listeners.push(await listenOn(parseListenAddress(a)));
  } catch (e) {
    await Promise.all(listeners.map((l) => closeListener(l)));
    throw e;
  }
  for (const l of listeners) logger.info({ address: l.address.url }, 'API listening');

  async function closeListener(l: Listener): Promise<void> {
    await new Promise<void>((resolve) => l.server.close(() => resolve()));
    if (l.address.kind === 'unix') {
      await unlink(l.address.path).catch(() => undefined);
    }
  }

  let closed: Promise<void> | undefined;
  async function doClose(): Promise<void> {
    closing = true;
    const stopped = Promise.all(listeners.map((l) => closeListener(l)));
    for (const l of listeners) l.server.closeIdleConnections();
    const shutdown = new ShoalError('Canceled', 'server.shutdown', 'the daemon is shutting down');
    for (const ac of inFlight) ac.abort(shutdown);
    for (const s of hijacked) s.destroy();
    if (inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.shutdownGraceMs ?? 2000);
        onIdle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const l of listeners) l.server.closeAllConnections();
    for (const s of sockets) s.destroy();
    await stopped;
    logger.info({}, 'API stopped');
  }

  const close = (): Promise<void> => (closed ??= doClose());
  return {
    addresses: listeners.map((l) => l.address.url),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Splits a request target into its (still %-encoded) path and query. Done by hand rather than with `new URL`, which
 * would read `//x` as a host.
 */
function splitTarget(target: string): { pathname: string; query: URLSearchParams } {
  let t = target;
  const abs = /^https?:\/\/[^/?#]*/i.exec(t); // absolute-form (proxies)
  if (abs !== null) t = t.slice(abs[0].length);
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  const pathname = q < 0 ? t : t.slice(0, q);
  if (!pathname.startsWith('/')) throw invalidArgument('request.bad_url', `invalid request URL ${JSON.stringify(target)}`);
  return { pathname, query: new URLSearchParams(q < 0 ? '' : t.slice(q + 1)) };
}

/** Upgrade context plus a body reader: node does not parse the body of an upgrade request, so it is read here. */
interface UpgradeBody extends UpgradeContext {
  readBody: (maxBytes: number) => Promise<Buffer>;
}

function upgradeBody(req: IncomingMessage, socket: Socket, head: Buffer): UpgradeBody {
  let buffered = head;
  const ctx: UpgradeBody = {
    socket,
    takeHead() {
      const h = buffered;
      buffered = Buffer.alloc(0);
      return h;
    },
    onHijack() {},
    readBody: (maxBytes) => {
      if (req.headers['transfer-encoding'] !== undefined) {
        return Promise.reject(invalidArgument('request.chunked_upgrade', 'chunked request bodies are not supported with Upgrade'));
      }
      const want = Number(req.headers['content-length'] ?? '0');
      if (!Number.isSafeInteger(want) || want < 0) return Promise.reject(invalidArgument('request.bad_length', 'invalid Content-Length'));
      if (want > maxBytes) return Promise.reject(bodyTooLarge(maxBytes));
      if (buffered.length >= want) {
        const body = buffered.subarray(0, want);
        buffered = buffered.subarray(want);
        return Promise.resolve(body);
      }
      return new Promise<Buffer>((resolve, reject) => {
        const cleanup = (): void => {
          socket.off('data', onData);
          socket.off('close', onClose);
          socket.pause();
        };
        const onData = (chunk: Buffer): void => {
          buffered = Buffer.concat([buffered, chunk]);
          if (buffered.length >= want) {
            cleanup();
            const body = buffered.subarray(0, want);
            buffered = buffered.subarray(want);
            resolve(body);
          }
        };
        const onClose = (): void => {
          cleanup();
          reject(new ShoalError('Canceled', 'request.aborted', 'client closed the connection before sending the whole body'));
        };
        socket.on('data', onData);
        socket.once('close', onClose);
      });
    },
  };
  return ctx;
}
