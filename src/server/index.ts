/**
 * src/server: the Docker Engine API façade (DESIGN §1, §2), on `node:http`, no framework.
 *
 * Owns: listening (unix sockets, TCP; mutual TLS hook), API-version prefixes and checks, the headers every response
 * carries (`Api-Version`, `Ostype`, `Server`, `Docker-Experimental`), `/_ping`, the route table, request parsing
 * helpers, response writers (JSON, NDJSON, multiplexed log frames, hijack), and the ONE mapping from ShoalError kinds
 * to HTTP statuses (errors.ts).
 *
 * Does not own: the route handlers (src/server/routes, written against `Router`, `ApiRequest`, `ApiResponse`), the
 * use-cases behind them (src/manager/controlapi), the composition (src/cmd).
 *
 * Invariants:
 * - errors leave only through `sendError`: body `{"message":"…"}\n`, `Content-Type: application/json` exactly;
 * - a handler error never crashes the process and never leaks a stack to the client (5xx are logged);
 * - unknown routes are 404 `page not found`; versions outside [1.24, 1.47] are 400 with dockerd's wording;
 * - the request's `signal` aborts when the client leaves or the server closes, so streaming handlers stop.
 *
 * Consumes no store events; produces none. See docs/docker-engine-api.md §1, §11, §12.
 */
export { compareVersions, MAX_API_VERSION, MIN_API_VERSION, versionAtLeast, versionLessThan } from './api-version.js';
export { errorBody, sendError, statusForKind, toHttpError } from './errors.js';
export type { HttpError } from './errors.js';
export { decodeFrames, encodeFrame, MEDIA_TYPE_MULTIPLEXED_STREAM, MEDIA_TYPE_RAW_STREAM } from './frames.js';
export type { StreamId } from './frames.js';
export { parseListenAddress } from './listen.js';
export type { ListenAddress } from './listen.js';
export type { SwarmHeader } from './ping.js';
export { ApiRequest, DEFAULT_MAX_BODY_BYTES } from './request.js';
export type { BodyOptions } from './request.js';
export { ApiResponse } from './response.js';
export type { BodyStream, FrameStream, Hijacked, JsonStream } from './response.js';
export { Router } from './router.js';
export type { Handler, Method, RouteMatch } from './router.js';
export { startApiServer } from './server.js';
export type { ApiServer, ApiServerOptions } from './server.js';
