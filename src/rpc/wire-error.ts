/**
 * How a ShoalError crosses the wire: `{error: {kind, code, message}}` as a non-200 unary body, or the `shoal-error`
 * trailer of a stream. The client rebuilds the same ShoalError, so callers on either side see one error model.
 */
import type { ErrorKind } from '../api/errors.js';
import { ShoalError, isShoalError } from '../api/errors.js';

export interface WireError {
  kind: ErrorKind;
  code: string;
  message: string;
}

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'NotFound',
  'AlreadyExists',
  'InvalidArgument',
  'FailedPrecondition',
  'Conflict',
  'Unavailable',
  'Canceled',
  'Internal',
]);

/** A handler's failure as it goes on the wire; anything but a ShoalError becomes Internal `rpc.internal`. */
export function toWireError(e: unknown): WireError {
  if (isShoalError(e)) return { kind: e.kind, code: e.code, message: e.message };
  return { kind: 'Internal', code: 'rpc.internal', message: e instanceof Error ? e.message : String(e) };
}

/** The ShoalError a wire error stands for; a malformed one becomes Internal `rpc.bad_error`. */
export function fromWireError(value: unknown): ShoalError {
  const err = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['error'] : undefined;
  if (typeof err === 'object' && err !== null) {
    const { kind, code, message } = err as Record<string, unknown>;
    if (typeof kind === 'string' && KINDS.has(kind) && typeof code === 'string' && typeof message === 'string') {
      return new ShoalError(kind as ErrorKind, code, message);
    }
  }
  return new ShoalError('Internal', 'rpc.bad_error', `malformed error from the server: ${JSON.stringify(value)}`);
}

/** JSON that is safe as an HTTP/2 header value: everything outside printable ASCII is \u-escaped. */
export function headerJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
