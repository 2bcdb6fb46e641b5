/**
 * The wire format, one place. Every call is `POST <path>` with a JSON body (`content-type: application/json`).
 * - Unary: `200` + JSON reply, or `500` + `{"error":{kind,code,message}}`.
 * - Server stream: `200` + `application/x-ndjson`, one JSON value per line, then trailers: `shoal-status: ok` for a
 *   clean end or `shoal-error: {kind,code,message}` (JSON, non-ASCII \u-escaped). A stream that ends without one of
 *   them was broken (the server died). Refusals before the handler runs (route, role, body) are unary-style `500`s.
 */
export const CONTENT_JSON = 'application/json';
export const CONTENT_NDJSON = 'application/x-ndjson';
export const STATUS_TRAILER = 'shoal-status';
export const ERROR_TRAILER = 'shoal-error';
export const ERROR_STATUS = 500;
/** Default cap on a request body. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
