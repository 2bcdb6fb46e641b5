/**
 * # src/agent/logs: the agent's end of the log broker
 *
 * docs/design/cluster.md "Logs across nodes" (wire format: src/rpc/logs-protocol.ts; the manager's end:
 * src/manager/logbroker). `new LogAgent({sessions, files, clock, logger})`, then `run(signal)`:
 *
 * - for every dispatcher session the agent opens (`sessions.liveSession`, given by src/agent/session), keeps one
 *   `POST /logs/subscriptions {sessionId}` stream open on that session's connection, and opens it again after
 *   `retryMs` when it fails while the session lives;
 * - on `subscribe`: finds each task's container log (`files.find`, over ContainerService: the container labelled
 *   `com.docker.swarm.task.id`; a task without a container here contributes nothing) and reads it with
 *   `readLogs` (src/agent/containers/logs.ts, what `docker logs` uses) with the subscription's streams, since,
 *   until, tail and follow; lines of all the tasks are merged as they come and published in batches (sent when
 *   `batchMs` after the batch's first line, or at `batchBytes`), awaiting each call (backpressure); when every
 *   reader has ended, the last call carries `done: true` (a subscription with nothing to read sends just that);
 * - on `close`, the end of the stream or session, or a refused publish: that subscription's readers stop.
 *
 * Consumes: the broker's subscriptions stream; container log files. Produces: publish calls. Invariants: at most
 * one subscriptions stream per session; no reader outlives its subscription, stream or session.
 */
export { LogAgent, type LiveSession, type LogAgentOptions, type SessionSource, type TaskLogFiles } from './log-agent.js';
export { containerLogFiles } from './task-log-files.js';
