/** The log broker's errors: stable codes; the incomplete-stream warning is docker's (swarmkit's) wording. */
import { ShoalError } from '../../api/errors.js';

export const logBrokerErrors = {
  /** The end of a stream some nodes could not contribute to (swarmkit `subscription.Err`). */
  incomplete: (nodeIds: readonly string[]): ShoalError =>
    new ShoalError(
      'Unavailable',
      'logs.incomplete',
      `warning: incomplete log stream. some logs could not be retrieved for the following reasons: ${nodeIds
        .map((n) => `node ${n} is not available`)
        .join(', ')}`,
    ),
  subscriptionNotFound: (id: string): ShoalError =>
    new ShoalError('NotFound', 'logs.subscription_not_found', `log subscription ${id} not found`),
  notSubscribed: (id: string, nodeId: string): ShoalError =>
    new ShoalError('FailedPrecondition', 'logs.not_subscribed', `node ${nodeId} is not part of log subscription ${id}`),
  taskNotSubscribed: (id: string, nodeId: string, taskId: string): ShoalError =>
    new ShoalError(
      'FailedPrecondition',
      'logs.task_not_subscribed',
      `task ${taskId} is not part of log subscription ${id} on node ${nodeId}`,
    ),
  taskNotFound: (taskId: string): ShoalError => new ShoalError('NotFound', 'logs.task_not_found', `task ${taskId} not found`),
} as const;
