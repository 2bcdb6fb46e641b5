/**
 * # src/manager/dispatcher: agents' sessions, heartbeats, assignment streams and status batching
 *
 * The manager's side of docs/design/services.md "Manager ↔ agent". `new Dispatcher({store, clock, logger,
 * heartbeatPeriodMs, batchMs})`; mount `routes()` on the rpc server (src/rpc) and run `run(signal)` on the leader.
 * Routes answer Unavailable `dispatcher.stopped` while it does not run. Every call acts for the node named by the
 * caller's certificate. Wire format: src/rpc/dispatcher-protocol.ts.
 *
 * - **Sessions** (`/dispatcher/session`): refused for a node not in the store (NotFound `dispatcher.node_not_found`).
 *   Opening one replaces the node's previous session (its streams end with `dispatcher.session_replaced`), and
 *   marks the node `ready` with the peer's IP as `Status.Addr` (a loopback peer keeps an address the node already
 *   has) and the agent's `Description`. The stream sends `{sessionId, heartbeatPeriodMs, managers}` at once and
 *   again when the manager list changes.
 * - **Heartbeats** (`/dispatcher/heartbeat`): each one moves the node's deadline to now + 3 periods. Past it the
 *   session ends (`dispatcher.session_expired`) and the node goes `down` with message `heartbeat failure`. On start,
 *   every node that is not down goes `unknown` (swarmkit's leadership-change rule) and must open a session within 3
 *   periods, or it goes down (`heartbeat failure for node in "unknown" state`). Time comes from the injected Clock.
 *   The period is `heartbeatPeriodMs` until the store's cluster object sets `Spec.Dispatcher.HeartbeatPeriod`; the
 *   dispatcher follows that setting while it runs, and agents adopt it from their next heartbeat reply.
 * - **Assignments** (`/dispatcher/assignments`): the node's tasks (NodeID = node, `Status.State ≥ assigned`, not
 *   deleted) as one `complete` set, then `incremental` changes from the store watch, coalesced per task while the
 *   agent reads. Changes of Status/Version/UpdatedAt alone (the agent's own reports) past `assigned` are not sent.
 * - **Status** (`/dispatcher/status`): every update must be for a task of the calling node (else the whole call is
 *   refused: FailedPrecondition `dispatcher.task_not_assigned`) and a state an agent may set, accepted..rejected
 *   (else InvalidArgument `dispatcher.state_not_allowed`). Reports are written in batches at most every `batchMs`,
 *   version-checked and retried on conflict; a report that would move a task backwards is ignored. The call
 *   returns once its reports are committed.
 *
 * Consumes: store events on tasks and nodes. Produces: writes to `Node.Status`, `Node.Description`, `Task.Status`,
 * `UpdatedAt`. Invariants: a task's state only moves forward; one live session per node; nothing is written for a
 * node whose session has ended.
 */
export { Dispatcher, MISSED_HEARTBEATS, heartbeatPeriodMsOf, type DispatcherOptions } from './dispatcher.js';
export { dispatcherErrors } from './errors.js';
export { HEARTBEAT_FAILURE, UNKNOWN_HEARTBEAT_FAILURE, UNKNOWN_MESSAGE } from './node-status.js';
export { isAgentState } from './status-rules.js';
