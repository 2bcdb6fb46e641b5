/**
 * src/client: the typed Docker Engine API client used by Shoal's CLI, the dashboard and the tests (DESIGN §2).
 *
 * Owns: connecting (`unix:///run/shoal/docker.sock` by default, or `tcp://host:port`) over one keep-alive agent,
 * API-version negotiation (`HEAD /_ping` once; `min(1.47, Api-Version)`, 1.24 without the header), and turning
 * failures into ShoalErrors:
 * - a daemon error response → kind from the status (404 NotFound, 409 Conflict, 400 InvalidArgument,
 *   503 Unavailable, else Internal), code `http.<status>`, the daemon's `message` verbatim;
 * - no connection → Unavailable, code `client.connect`, "Cannot connect to the Shoal daemon at <host>. Is the
 *   daemon running?" (the CLI prints it without the "Error response from daemon:" prefix).
 *
 * Imports only src/lib and src/api (layering rule `client-layer`). Consumes and produces no events.
 */
export { CLIENT_MAX_API_VERSION, createClient, DEFAULT_HOST, EngineClient, FALLBACK_API_VERSION } from './client.js';
export type { ClientOptions, FiltersArg, QueryValue, RequestOptions } from './client.js';
export { CONNECT_ERROR_CODE, kindForStatus } from './errors.js';
export { parseHost } from './transport.js';
export { networkCreate, networkGet, networkList, networkPrune, networkRemove } from './networks.js';
export type { NetworkCreateRequest, NetworkResource } from './networks.js';
export type { Target } from './transport.js';
export type {
  ClusterInfo,
  LocalNodeState,
  PingInfo,
  SwarmInfo,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmUpdateFlags,
  SystemInfo,
  SystemVersion,
  VersionComponent,
} from './types.js';
