/** The dispatcher's refusals: stable codes an agent acts on (a session error means "open a new session"). */
import { ShoalError } from '../../api/errors.js';

export const dispatcherErrors = {
  stopped: (): ShoalError => new ShoalError('Unavailable', 'dispatcher.stopped', 'dispatcher is stopped'),
  nodeNotFound: (nodeId: string): ShoalError =>
    new ShoalError('NotFound', 'dispatcher.node_not_found', `node ${nodeId} not found`),
  sessionInvalid: (): ShoalError => new ShoalError('NotFound', 'dispatcher.session_invalid', 'session invalid'),
  sessionReplaced: (): ShoalError =>
    new ShoalError('Unavailable', 'dispatcher.session_replaced', 'the node opened a newer session'),
  sessionExpired: (): ShoalError =>
    new ShoalError('Unavailable', 'dispatcher.session_expired', 'heartbeat failure: the session expired'),
  nodeRemoved: (nodeId: string): ShoalError =>
    new ShoalError('NotFound', 'dispatcher.node_removed', `node ${nodeId} was removed from the swarm`),
  stateNotAllowed: (taskId: string, state: string): ShoalError =>
    new ShoalError('InvalidArgument', 'dispatcher.state_not_allowed', `task ${taskId}: an agent cannot set state ${state}`),
  taskNotAssigned: (taskId: string, nodeId: string): ShoalError =>
    new ShoalError('FailedPrecondition', 'dispatcher.task_not_assigned', `task ${taskId} is not assigned to node ${nodeId}`),
  statusWriteFailed: (cause: unknown): ShoalError =>
    new ShoalError('Unavailable', 'dispatcher.status_write_failed', 'could not write task status; retry', { cause }),
} as const;
