import type { NodeRole } from '../api/types.js';
import type { Peer } from './peer.js';

/** What a handler knows about its call. */
export interface RpcContext {
  peer: Peer;
  /** The peer's IP address (IPv4-mapped addresses unwrapped). */
  remoteAddress: string;
  /** Aborts when the client goes away, cancels, or the server shuts down. */
  signal: AbortSignal;
}

/** The sending side of a server stream: one JSON value per NDJSON line. */
export interface StreamWriter<T> {
  /**
   * Sends one message. Resolves once the transport accepts more (backpressure): await it before the next one.
   * Rejects with Canceled `rpc.canceled` once the client is gone.
   */
  write(message: T): Promise<void>;
  readonly signal: AbortSignal;
}

export const ANY_NODE: readonly NodeRole[] = ['manager', 'worker'];
export const MANAGERS_ONLY: readonly NodeRole[] = ['manager'];

interface RouteBase {
  path: string;
  /** Roles (from the client certificate's OU) allowed to call. */
  roles: readonly NodeRole[];
}

export interface UnaryRoute extends RouteBase {
  kind: 'unary';
  handle(body: unknown, ctx: RpcContext): Promise<unknown>;
}

export interface StreamRoute extends RouteBase {
  kind: 'stream';
  handle(body: unknown, out: StreamWriter<unknown>, ctx: RpcContext): Promise<void>;
}

/**
 * A unary call that needs no client certificate (the CA's `/ca/root` and `/ca/join`, which a joining node makes before
 * it has one). A client that does present a certificate must still present a valid one of this cluster: its identity
 * is then in `peer`.
 */
export interface PublicRoute {
  kind: 'public';
  path: string;
  handle(body: unknown, ctx: PublicRpcContext): Promise<unknown>;
}

/** What a public handler knows about its call: `peer` only when the client presented a node certificate. */
export interface PublicRpcContext {
  peer: Peer | undefined;
  remoteAddress: string;
  signal: AbortSignal;
}

export type RpcRoute = UnaryRoute | StreamRoute | PublicRoute;

interface Definition<Req> {
  path: string;
  /** Default: any node. */
  roles?: readonly NodeRole[];
  /** Validates the JSON body and types it; throws an InvalidArgument ShoalError when it does not fit. */
  decode: (body: unknown) => Req;
}

/** A request → reply call. The reply is sent as JSON (`undefined` as `{}`). */
export function unaryRoute<Req, Res>(
  def: Definition<Req> & { handler: (req: Req, ctx: RpcContext) => Promise<Res> | Res },
): UnaryRoute {
  return {
    kind: 'unary',
    path: def.path,
    roles: def.roles ?? ANY_NODE,
    handle: async (body, ctx) => def.handler(def.decode(body), ctx),
  };
}

/**
 * A server-streaming call. The stream ends cleanly when the handler returns; a thrown error reaches the client's
 * iterator as the same ShoalError.
 */
export function streamRoute<Req, Msg>(
  def: Definition<Req> & { handler: (req: Req, out: StreamWriter<Msg>, ctx: RpcContext) => Promise<void> },
): StreamRoute {
  return {
    kind: 'stream',
    path: def.path,
    roles: def.roles ?? ANY_NODE,
    handle: async (body, out, ctx) => def.handler(def.decode(body), out, ctx),
  };
}

/** A request → reply call open to clients without a certificate (see PublicRoute). */
export function publicRoute<Req, Res>(def: {
  path: string;
  decode: (body: unknown) => Req;
  handler: (req: Req, ctx: PublicRpcContext) => Promise<Res> | Res;
}): PublicRoute {
  return { kind: 'public', path: def.path, handle: async (body, ctx) => def.handler(def.decode(body), ctx) };
}
