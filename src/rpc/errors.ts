/** The transport's own error codes (handlers' ShoalErrors travel unchanged). */
import { ShoalError } from '../api/errors.js';

export const rpcErrors = {
  unavailable: (message: string, cause?: unknown): ShoalError =>
    new ShoalError('Unavailable', 'rpc.unavailable', message, { cause }),
  deadlineExceeded: (path: string, ms: number): ShoalError =>
    new ShoalError('Unavailable', 'rpc.deadline_exceeded', `${path}: deadline of ${ms} ms exceeded`),
  canceled: (message: string): ShoalError => new ShoalError('Canceled', 'rpc.canceled', message),
  clientClosed: (): ShoalError => new ShoalError('Canceled', 'rpc.client_closed', 'the rpc client is closed'),
  shuttingDown: (): ShoalError => new ShoalError('Unavailable', 'rpc.shutting_down', 'the rpc server is shutting down'),
  streamBroken: (path: string): ShoalError =>
    new ShoalError('Unavailable', 'rpc.stream_broken', `${path}: the stream ended without a status`),
  unknownRoute: (path: string): ShoalError => new ShoalError('NotFound', 'rpc.unknown_route', `no such rpc: ${path}`),
  methodNotAllowed: (method: string): ShoalError =>
    new ShoalError('InvalidArgument', 'rpc.method_not_allowed', `rpc calls are POST, not ${method}`),
  permissionDenied: (message: string): ShoalError =>
    new ShoalError('FailedPrecondition', 'rpc.permission_denied', message),
  unauthenticated: (): ShoalError =>
    new ShoalError('FailedPrecondition', 'rpc.unauthenticated', 'this call needs a node certificate of this cluster'),
  /** A certificate whose node is no longer in the cluster (removed with `node rm`): refused on every call. */
  nodeRevoked: (nodeId: string): ShoalError =>
    new ShoalError('FailedPrecondition', 'rpc.node_revoked', `node ${nodeId} is not a member of this cluster`),
  badRequest: (message: string): ShoalError => new ShoalError('InvalidArgument', 'rpc.bad_request', message),
  bodyTooLarge: (limit: number): ShoalError =>
    new ShoalError('InvalidArgument', 'rpc.body_too_large', `request body larger than ${limit} bytes`),
  badResponse: (message: string): ShoalError => new ShoalError('Internal', 'rpc.bad_response', message),
} as const;
