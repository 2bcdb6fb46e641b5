/**
 * The one place that turns errors into HTTP statuses (DESIGN §4.4), after moby's `httpstatus.FromError` and its gRPC
 * table (`statusCodeFromGRPCError`), because the docker CLI branches on the status (docs/docker-engine-api.md §11):
 *
 * | kind               | status | why                                                               |
 * |--------------------|--------|-------------------------------------------------------------------|
 * | NotFound           | 404    | errdefs.NotFound / gRPC NotFound                                  |
 * | InvalidArgument    | 400    | errdefs.InvalidParameter / gRPC InvalidArgument                   |
 * | FailedPrecondition | 400    | gRPC FailedPrecondition → 400 in dockerd (swarmkit uses it a lot) |
 * | AlreadyExists      | 409    | gRPC AlreadyExists                                                |
 * | Conflict           | 409    | errdefs.Conflict                                                  |
 * | Unavailable        | 503    | errdefs.Unavailable ("not a swarm manager")                       |
 * | Canceled           | 500    | errdefs.IsCancelled → 500 (nobody reads it: the client left)      |
 * | Internal / other   | 500    | errdefs.System / gRPC Unknown                                     |
 *
 * Exceptions are keyed by the error's stable `code`, never by message text (`codeOverrides`). The one dockerd quirk:
 * a stale `version` is swarmkit's `store.ErrSequenceConflict`, a plain Go error that crosses gRPC as code Unknown, so
 * dockerd answers **500** `rpc error: code = Unknown desc = update out of sequence`. Shoal's `outOfSequence()` is a
 * Conflict with code `version.out_of_sequence`; here it becomes exactly that 500 and message.
 *
 * Bodies are `{"message":"..."}` + "\n" (Go's json.Encoder) with `Content-Type: application/json` exactly: the
 * 28.2.2 client compares that header literally. Messages never include stacks; 5xx errors are logged in full.
 */
import type { ServerResponse } from 'node:http';
import { isShoalError } from '../api/errors.js';
import type { ErrorKind, ShoalError } from '../api/errors.js';
import type { Logger } from '../lib/logger.js';

export interface HttpError {
  status: number;
  message: string;
}

export function statusForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'NotFound':
      return 404;
    case 'InvalidArgument':
    case 'FailedPrecondition':
      return 400;
    case 'AlreadyExists':
    case 'Conflict':
      return 409;
    case 'Unavailable':
      return 503;
    case 'Canceled':
    case 'Internal':
      return 500;
  }
}

/** Per-code exceptions to the kind table, each with the reason it exists. */
const codeOverrides: Record<string, (e: ShoalError) => HttpError> = {
  // swarmkit's ErrSequenceConflict crosses gRPC as codes.Unknown; dockerd prints the gRPC status text.
  'version.out_of_sequence': (e) => ({ status: 500, message: `rpc error: code = Unknown desc = ${e.message}` }),
  // libnetwork's "endpoint with name X already exists in network Y" is a types.ForbiddenError: dockerd answers 403.
  'network.endpoint_exists': (e) => ({ status: 403, message: e.message }),
};

/** Status and client-facing message for any thrown value. */
export function toHttpError(err: unknown): HttpError {
  if (isShoalError(err)) {
    const override = codeOverrides[err.code];
    if (override !== undefined) return override(err);
    return { status: statusForKind(err.kind), message: err.message };
  }
  if (err instanceof Error) {
    // The message only (first line), never the stack; the full error goes to the log.
    const first = err.message.split('\n', 1)[0] ?? '';
    return { status: 500, message: first === '' ? 'internal server error' : first };
  }
  return { status: 500, message: 'internal server error' };
}

/** Serialises an error body as dockerd does. */
export function errorBody(message: string): string {
  return `${JSON.stringify({ message })}\n`;
}

/**
 * Writes `err` as an Engine-API error response, or, when headers are already out, just ends the response. 5xx
 * errors are logged at error level with the full error; 4xx and Canceled (the client left) at debug.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger, context: Record<string, unknown> = {}): void {
  const { status, message } = toHttpError(err);
  if (isShoalError(err, 'Canceled')) logger.debug({ ...context, status, message }, 'request canceled');
  else if (status >= 500) logger.error({ ...context, err, status }, 'request failed');
  else logger.debug({ ...context, status, message }, 'request rejected');
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = errorBody(message);
  // Drop headers a handler may have staged for a success response.
  for (const h of ['content-type', 'content-length', 'content-encoding', 'transfer-encoding']) res.removeHeader(h);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
