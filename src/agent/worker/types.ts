/**
 * What the worker exchanges with the agent's session (src/agent/session): assignment messages in, status updates
 * out. These mirror the dispatcher's wire shapes (docs/design/services.md) without importing the session.
 */
import type { NodeNetworkView } from '../../api/network-view.js';
import type { TaskStatus } from '../../api/types.js';
import type { AgentTask } from '../exec/controller.js';

/** One message of the dispatcher's assignment stream. */
export type AssignmentMessage =
  | { type: 'complete'; tasks: AgentTask[] }
  | { type: 'incremental'; changes: { action: 'update' | 'remove'; task: AgentTask }[] }
  | { type: 'networks'; view: NodeNetworkView };

export interface StatusUpdate {
  taskId: string;
  status: TaskStatus;
}

/**
 * Hands status updates to the dispatcher (the session's `POST /dispatcher/status`). A promise that rejects means they
 * were not taken: the worker retries them with backoff. A synchronous return means the callee queued them and owns
 * their delivery (as the agent session's `reportStatus` does).
 */
export interface StatusReporter {
  reportStatus(updates: StatusUpdate[]): void | Promise<void>;
}
