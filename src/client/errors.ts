/**
 * How the client turns failures into ShoalErrors: a daemon error response keeps the daemon's `message` verbatim
 * and gets its kind from the status (the inverse of src/server/errors.ts, as docker's client does with errdefs);
 * a connection failure is Unavailable with code `client.connect` and docker's wording.
 */
import { ShoalError } from '../api/errors.js';
import type { ErrorKind } from '../api/errors.js';

export const CONNECT_ERROR_CODE = 'client.connect';

export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 400:
      return 'InvalidArgument';
    case 503:
      return 'Unavailable';
    default:
      return 'Internal';
  }
}

/** The error for a non-2xx response: the body's `message` if it is docker's JSON error, else the body text. */
export function responseError(status: number, contentType: string | undefined, body: Buffer): ShoalError {
  const text = body.toString('utf8');
  let message = text.trim();
  if (contentType?.split(';', 1)[0]?.trim() === 'application/json') {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') {
        message = (parsed as { message: string }).message;
      }
    } catch {
      // keep the raw text
    }
  }
  if (message === '') message = `request returned ${status} with an empty body`;
  return new ShoalError(kindForStatus(status), `http.${status}`, message);
}

/** A transport failure (no HTTP response), worded like the docker CLI's. */
export function connectError(host: string, err: unknown): ShoalError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message =
    code === 'EACCES' || code === 'EPERM'
      ? `permission denied while trying to connect to the Shoal daemon socket at ${host}`
      : code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT'
        ? `Cannot connect to the Shoal daemon at ${host}. Is the daemon running?`
        : `error during connect to ${host}: ${err instanceof Error ? err.message : String(err)}`;
  return new ShoalError('Unavailable', CONNECT_ERROR_CODE, message, { cause: err });
}
