/**
 * # src/rpc: manager ↔ agent transport (HTTP/2 + JSON over mutual TLS)
 *
 * Owns the transport between nodes (DESIGN §3; evidence in docs/dependencies.md §6): `node:http2` over TLS 1.3,
 * both sides presenting node certificates of the cluster CA (src/ca).
 *
 * - **Server** (`startRpcServer`): a client certificate, when presented, must chain to the cluster root and be valid
 *   (else the connection is closed after the handshake). Every route but the public ones needs one that names a node
 *   (CN = node ID, OU = `swarm-manager`/`swarm-worker`) of this cluster (O), in a role the route allows, and that
 *   `authorize` accepts (a removed node is refused: `rpc.node_revoked`). Without a certificate: 401; refused: 403.
 *   Handlers get `{peer: {nodeId, role, clusterId}, remoteAddress, signal}`; the signal aborts when the client goes
 *   away, cancels, or the server closes. `publicRoute`s (the CA's `/ca/root`, `/ca/join`) take anyone.
 * - **Routes**: `unaryRoute` (JSON → JSON) and `streamRoute` (JSON → NDJSON, with a backpressured writer), each with
 *   a runtime `decode` of its body.
 * - **Client** (`connectRpc`): one lazily (re)opened HTTP/2 session per manager; `call` with a deadline (5 s by
 *   default), `stream` as an async iterable ended by an AbortSignal. The server must chain to the root, match the
 *   servername (`swarm-manager`) and carry OU `swarm-manager`.
 * - **Errors**: a handler's ShoalError reaches the caller as the same ShoalError (kind, code, message; see ./wire.ts
 *   for the format). Transport failures are Unavailable (`rpc.unavailable`, `rpc.deadline_exceeded`,
 *   `rpc.stream_broken`, `rpc.shutting_down`), refusals FailedPrecondition `rpc.permission_denied`, cancellation
 *   Canceled.
 * - **Protocols**: ./dispatcher-protocol.ts holds the dispatcher's paths, messages and body checks, shared by
 *   src/manager/dispatcher and src/agent/session; ./ca-protocol.ts the CA's (join and renewal).
 *
 * Consumes and produces no store events. Invariants: the identity a handler sees always comes from the verified
 * certificate, never from a body; every unary call has a deadline; close() ends every session and handler.
 */
export { formatHostPort, parseHostPort, type HostPort } from './address.js';
export { connectRpc, type CallOptions, type RpcClient, type RpcClientOptions } from './client.js';
export { rpcErrors } from './errors.js';
export type { Peer } from './peer.js';
export {
  ANY_NODE,
  MANAGERS_ONLY,
  publicRoute,
  streamRoute,
  unaryRoute,
  type PublicRoute,
  type PublicRpcContext,
  type RpcContext,
  type RpcRoute,
  type StreamRoute,
  type StreamWriter,
  type UnaryRoute,
} from './route.js';
export { startRpcServer, type RpcServer, type RpcServerOptions } from './server.js';
export { MANAGER_SERVERNAME, type AnonymousTls, type RpcTls } from './tls.js';
export * from './dispatcher-protocol.js';
export * from './ca-protocol.js';
