import { once } from 'node:events';
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isShoalError } from '../api/errors.js';
import { parseNodeCertificate } from '../ca/index.js';
import type { Logger } from '../lib/logger.js';
import { formatHostPort, parseHostPort, plainIp, type HostPort } from './address.js';
import { rpcErrors } from './errors.js';
import { peerOf, type Peer } from './peer.js';
import type { PublicRpcContext, RpcContext, RpcRoute } from './route.js';
import { NdjsonWriter } from './stream-writer.js';
import type { RpcTls } from './tls.js';
import {
  CONTENT_JSON,
  CONTENT_NDJSON,
  ERROR_TRAILER,
  errorStatus,
  MAX_BODY_BYTES,
  STATUS_TRAILER,
} from './wire.js';
import { headerJson, toWireError } from './wire-error.js';

export interface RpcServerOptions {
  /** `host:port`; port 0 picks a free one (read it back from `address`). */
  listen: string;
  tls: RpcTls;
  routes: readonly RpcRoute[];
  logger: Logger;
  /** Default 16 MiB. */
  maxBodyBytes?: number;
  /** How long `close()` lets sessions drain before destroying them. Default 2 s. */
  closeGraceMs?: number;
  /**
   * Asked before every call that needs a certificate, once the certificate checked out: throws a ShoalError to refuse
   * the caller (e.g. a node removed from the cluster: `rpcErrors.nodeRevoked`, 403 on the wire).
   */
  authorize?: (peer: Peer) => Promise<void> | void;
}

export interface RpcServer {
  /** Where it listens, with the real port. */
  readonly address: HostPort;
  /** The same as `host:port`. */
  readonly addr: string;
  /** Serves new connections with this certificate and key (a renewed certificate); open sessions keep theirs. */
  updateTls(tls: RpcTls): void;
  /** Stops accepting, cancels running handlers (their signals abort), closes every session. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP/2 server over mutual TLS (TLS 1.3). A client that presents a certificate must present one that
 * chains to `tls.caPem` and is valid now, or the connection is closed right after the handshake (another CA, an
 * expired certificate). Every route but the public ones (`publicRoute`) then needs that certificate, naming a node
 * of this cluster (O equal to the server's own) in a role the route allows, and passing `authorize`: without a
 * certificate such a call answers 401, a refused identity 403. Resolves once listening.
 */
export async function startRpcServer(o: RpcServerOptions): Promise<RpcServer> {
  const server = new Server(o);
  await server.listen();
  return server;
}

class Server implements RpcServer {
  private readonly http: Http2SecureServer;
  private readonly routes = new Map<string, RpcRoute>();
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly calls = new Set<AbortController>();
  private readonly peers = new WeakMap<Http2Session, Peer | undefined>();
  private readonly clusterId: string;
  private readonly log: Logger;
  private readonly maxBody: number;
  private bound: HostPort | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: RpcServerOptions) {
    this.log = o.logger.child({ component: 'rpc-server' });
    this.maxBody = o.maxBodyBytes ?? MAX_BODY_BYTES;
    this.clusterId = parseNodeCertificate(o.tls.certPem).clusterId;
    for (const r of o.routes) this.routes.set(r.path, r);
    this.http = createSecureServer({
      key: o.tls.keyPem,
      cert: o.tls.certPem,
      ca: [o.tls.caPem],
      requestCert: true,
      // Public routes take clients without a certificate; a certificate that is presented is checked below.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      allowHTTP1: false,
    });
    this.http.on('session', (s: ServerHttp2Session) => {
      const socket = s.socket as TLSSocket;
      if (!socket.authorized && presentedCertificate(socket)) {
        this.log.debug({ err: String(socket.authorizationError), remote: socket.remoteAddress }, 'client certificate refused');
        s.destroy();
        return;
      }
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', (err: Error) => this.log.debug({ err }, 'session error'));
    });
    this.http.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.log.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake refused');
      socket.destroy();
    });
    this.http.on('sessionError', (err) => this.log.debug({ err }, 'session error'));
    this.http.on('stream', (stream, headers) => {
      this.serve(stream, headers).catch((err: unknown) => {
        this.log.error({ err }, 'rpc stream failed');
        if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      });
    });
  }

  get address(): HostPort {
    if (this.bound === undefined) throw new Error('the rpc server is not listening');
    return this.bound;
  }

  get addr(): string {
    return formatHostPort(this.address);
  }

  async listen(): Promise<void> {
    const { host, port } = parseHostPort(this.o.listen);
    this.http.listen(port, host);
    await Promise.race([
      once(this.http, 'listening'),
      once(this.http, 'error').then(([err]) => {
        throw rpcErrors.unavailable(`cannot listen on ${this.o.listen}: ${(err as Error).message}`, err);
      }),
    ]);
    const a = this.http.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.log.info({ addr: this.addr }, 'rpc server listening');
  }

  updateTls(tls: RpcTls): void {
    this.http.setSecureContext({ key: tls.keyPem, cert: tls.certPem, ca: [tls.caPem], minVersion: 'TLSv1.3' });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const c of this.calls) c.abort(rpcErrors.shuttingDown());
    const sessions = [...this.sessions];
    for (const s of sessions) if (!s.closed) s.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.o.closeGraceMs ?? 2000);
    });
    const drained = sessions
      .filter((s) => !s.destroyed)
      .map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    await Promise.race([Promise.all(drained), grace]);
    clearTimeout(timer);
    for (const s of this.sessions) s.destroy();
    await closed;
  }

  private peerOf(session: Http2Session): Peer | undefined {
    if (!this.peers.has(session)) {
      const socket = session.socket as TLSSocket;
      this.peers.set(session, peerOf(socket.authorized ? socket.getPeerCertificate() : undefined));
    }
    return this.peers.get(session);
  }

  private async serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    stream.on('error', (err) => this.log.debug({ err }, 'rpc stream error'));
    const call = new AbortController();
    this.calls.add(call);
    const onClose = (): void => call.abort(rpcErrors.canceled('the client went away'));
    stream.once('close', onClose);
    try {
      const path = (headers[':path'] ?? '').split('?')[0] ?? '';
      const method = headers[':method'] ?? '';
      const session = stream.session;
      const peer = session === undefined ? undefined : this.peerOf(session);
      let route: RpcRoute | undefined;
      let body: unknown;
      try {
        if (this.closing !== undefined) throw rpcErrors.shuttingDown();
        if (method !== 'POST') throw rpcErrors.methodNotAllowed(method);
        route = this.routes.get(path);
        if (route === undefined) throw rpcErrors.unknownRoute(path);
        if (route.kind !== 'public') {
          if (peer === undefined) {
            throw presentedCertificate(session?.socket as TLSSocket | undefined)
              ? rpcErrors.permissionDenied('the client certificate does not name a node')
              : rpcErrors.unauthenticated();
          }
          if (peer.clusterId !== this.clusterId) throw rpcErrors.permissionDenied('the client belongs to another cluster');
          if (!route.roles.includes(peer.role)) {
            throw rpcErrors.permissionDenied(`${path} is not allowed for a ${peer.role} node`);
          }
          await this.o.authorize?.(peer);
        }
        body = await this.readBody(stream);
      } catch (e) {
        this.sendError(stream, e);
        return;
      }
      const remoteAddress = plainIp(session?.socket.remoteAddress);
      const reply = async (handle: () => unknown): Promise<void> => {
        let value: unknown;
        try {
          value = await handle();
        } catch (e) {
          this.logFailure(path, peer, e);
          this.sendError(stream, e);
          return;
        }
        this.sendJson(stream, 200, value ?? {});
      };
      if (route.kind === 'public') {
        const ctx: PublicRpcContext = { peer, remoteAddress, signal: call.signal };
        const r = route;
        return await reply(() => r.handle(body, ctx));
      }
      if (peer === undefined) return; // checked above; narrows the type
      const ctx: RpcContext = { peer, remoteAddress, signal: call.signal };
      if (route.kind === 'unary') {
        const r = route;
        return await reply(() => r.handle(body, ctx));
      }
      if (stream.destroyed) return;
      let trailers: Record<string, string> = { [STATUS_TRAILER]: 'ok' };
      stream.respond({ ':status': 200, 'content-type': CONTENT_NDJSON }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      try {
        await route.handle(body, new NdjsonWriter(stream, call.signal), ctx);
      } catch (e) {
        this.logFailure(path, peer, e);
        trailers = { [ERROR_TRAILER]: headerJson(toWireError(e)) };
      }
      if (call.signal.aborted && isShoalError(call.signal.reason) && call.signal.reason.code === 'rpc.shutting_down') {
        trailers = { [ERROR_TRAILER]: headerJson(toWireError(call.signal.reason)) };
      }
      if (!stream.destroyed && !stream.writableEnded) stream.end();
    } finally {
      stream.off('close', onClose);
      this.calls.delete(call);
    }
  }

  private logFailure(path: string, peer: Peer | undefined, e: unknown): void {
    if (isShoalError(e) && e.kind !== 'Internal') {
      this.log.debug({ path, node: peer?.nodeId, code: e.code, msg: e.message }, 'rpc refused');
    } else {
      this.log.error({ path, node: peer?.nodeId, err: e }, 'rpc handler failed');
    }
  }

  private async readBody(stream: ServerHttp2Stream): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBody) throw rpcErrors.bodyTooLarge(this.maxBody);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw rpcErrors.badRequest('the request body is not JSON');
    }
  }

  private sendJson(stream: ServerHttp2Stream, status: number, value: unknown): void {
    if (stream.destroyed || stream.headersSent) return;
    const body = Buffer.from(JSON.stringify(value));
    stream.respond({ ':status': status, 'content-type': CONTENT_JSON, 'content-length': body.length });
    stream.end(body);
  }

  private sendError(stream: ServerHttp2Stream, e: unknown): void {
    const error = toWireError(e);
    this.sendJson(stream, errorStatus(error.code), { error });
  }
}

/** Whether the client sent a certificate at all (Node returns an empty object when it did not). */
function presentedCertificate(socket: TLSSocket | undefined): boolean {
  const cert = socket?.getPeerCertificate();
  return cert !== undefined && cert !== null && Object.keys(cert).length > 0;
}
