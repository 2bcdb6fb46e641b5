import { ShoalError, internal, invalidArgument } from '../api/errors.js';

/**
 * docker's wording for a token that does not parse (swarmkit's errInvalidJoinToken). The token itself is never
 * echoed: it is a secret.
 */
export const INVALID_JOIN_TOKEN = 'invalid join token';
/** swarmkit's wording when a well-formed token matches neither current secret, e.g. after a rotation. */
export const JOIN_TOKEN_REJECTED = 'A valid join token is necessary to join this cluster';

export const invalidJoinToken = (reason: string): ShoalError =>
  invalidArgument('join_token.invalid', `${INVALID_JOIN_TOKEN}: ${reason}`);

export const joinTokenRejected = (): ShoalError => invalidArgument('join_token.rejected', JOIN_TOKEN_REJECTED);

export const invalidInput = (code: string, message: string, cause: unknown): ShoalError =>
  new ShoalError('InvalidArgument', code, message, { cause });

/** Guard for results the library should never produce. */
export function ensure(condition: boolean, code: string, message: string): asserts condition {
  if (!condition) throw internal(code, message);
}
