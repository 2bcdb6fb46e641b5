/**
 * The error catalog (DESIGN §4.4, after containerd's errdefs): every failure is a thrown ShoalError with a
 * stable `code`, one `kind` from a small set, and an optional `cause`. Only src/server maps kinds to HTTP statuses.
 */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'Conflict'
  | 'Unavailable'
  | 'Canceled'
  | 'Internal';

export class ShoalError extends Error {
  override readonly name = 'ShoalError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code, e.g. `node.not_found`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isShoalError(e: unknown, kind?: ErrorKind): e is ShoalError {
  return e instanceof ShoalError && (kind === undefined || e.kind === kind);
}

export const notFound = (code: string, message: string): ShoalError => new ShoalError('NotFound', code, message);
export const alreadyExists = (code: string, message: string): ShoalError => new ShoalError('AlreadyExists', code, message);
export const invalidArgument = (code: string, message: string): ShoalError => new ShoalError('InvalidArgument', code, message);
export const failedPrecondition = (code: string, message: string): ShoalError =>
  new ShoalError('FailedPrecondition', code, message);
export const conflict = (code: string, message: string): ShoalError => new ShoalError('Conflict', code, message);
export const unavailable = (code: string, message: string): ShoalError => new ShoalError('Unavailable', code, message);
export const internal = (code: string, message: string, cause?: unknown): ShoalError =>
  new ShoalError('Internal', code, message, { cause });

/** Docker's wording for the common cases, so the docker CLI prints what users already know. */
export const messages = {
  notManager:
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
  notInSwarm:
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
  alreadyInSwarm:
    'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.',
  outOfSequence: 'update out of sequence',
} as const;

/** The version-conflict error every optimistic-concurrency check throws. */
export const outOfSequence = (): ShoalError => conflict('version.out_of_sequence', messages.outOfSequence);
