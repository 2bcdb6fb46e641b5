/**
 * # src/manager/logbroker: `service logs` / `task logs` from every node, through the managers
 *
 * The manager's side of docs/design/cluster.md "Logs across nodes" (swarmkit's log broker over Shoal's rpc; wire
 * format: src/rpc/logs-protocol.ts). `new LogBroker({store, clock, logger, session, isConnected})`; mount `routes()`
 * on the manager's rpc server next to the dispatcher's.
 *
 * - **Agents** keep `POST /logs/subscriptions {sessionId}` open while their dispatcher session lives (`session`
 *   checks the ID and gives the signal that ends the stream with the session); one stream per node, a newer one
 *   replaces the older. They answer each `subscribe` with `POST /logs/publish` calls, the last one `done`, and stop
 *   on `close`. Both calls act for the node in the caller's certificate: a node publishes only to subscriptions
 *   sent to it, only for the tasks it was asked for (FailedPrecondition `logs.not_subscribed` /
 *   `logs.task_not_subscribed`); a subscription that is gone answers NotFound `logs.subscription_not_found`.
 * - **Clients** (the Engine API's logs backend) call `subscribe({serviceId} | {taskId}, options, signal)`: the broker
 *   reads the tasks from the store, groups them by node, and sends each node a `subscribe` with its task IDs. A node
 *   without a session (`isConnected` false: down, or never connected) is missing at once; a connected node whose
 *   stream does not appear within `listenGraceMs` is missing then; a node whose stream ends before it is done is
 *   missing too. Missing nodes are named at the end of the iteration in docker's `warning: incomplete log stream.
 *   some logs could not be retrieved for the following reasons: node <id> is not available` (Unavailable
 *   `logs.incomplete`), while the other nodes' lines stream on. With `follow`, a missing node still gets the
 *   subscription when its stream opens, and the iteration ends when the client goes away (the nodes get `close`).
 *   Lines are queued per subscription; past 2048 untaken lines, publish calls wait (backpressure to the agents).
 *
 * Consumes: tasks from the store (read once per subscription). Produces: no store writes. Invariants: a node only
 * ever sees subscriptions for its own tasks; every subscription ends (complete, client gone, or node missing); a
 * closed subscription leaves nothing behind in the registry.
 */
export { LogBroker, type LogBrokerOptions } from './broker.js';
export { logBrokerErrors } from './errors.js';
export { HIGH_WATER_LINES } from './subscription.js';
export type { BrokerLogLine, BrokerLogOptions, LogSelector } from './types.js';
