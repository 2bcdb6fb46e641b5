/**
 * The wire format, one place. Every call is `POST <path>` with a JSON body (`content-type: application/json`).
 * - Unary: `200` + JSON reply, or an error status + `{"error":{kind,code,message}}`: `401` for a call that needs a
 *   client certificate and came without one, `403` for a refused identity (a role a route does not allow, a node of
 *   another cluster, a node no longer in the cluster), `500` for everything else.
 * - Server stream: `200` + `application/x-ndjson`, one JSON value per line, then trailers: `shoal-status: ok` for a
 *   clean end or `shoal-error: {kind,code,message}` (JSON, non-ASCII \u-escaped). A stream that ends without one of
 *   them was broken (the server died). Refusals before the handler runs (route, role, body) are unary-style errors.
 */
export const CONTENT_JSON = 'application/json';
export const CONTENT_NDJSON = 'application/x-ndjson';
export const STATUS_TRAILER = 'shoal-status';
export const ERROR_TRAILER = 'shoal-error';
export const ERROR_STATUS = 500;
export const UNAUTHENTICATED_STATUS = 401;
export const FORBIDDEN_STATUS = 403;

/** The HTTP status an error goes out with (the client reads the body the same way whatever the status). */
export function errorStatus(code: string): number {
  if (code === 'rpc.unauthenticated') return UNAUTHENTICATED_STATUS;
  if (code === 'rpc.permission_denied' || code === 'rpc.node_revoked') return FORBIDDEN_STATUS;
  return ERROR_STATUS;
}
/** Default cap on a request body. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
