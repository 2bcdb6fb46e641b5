/**
 * # src/agent/session: the agent's session with a dispatcher
 *
 * Owns the agent's end of docs/design/services.md "Manager ↔ agent" (wire format: src/rpc/dispatcher-protocol.ts).
 * `new AgentSession({managers, tls, nodeId, description, clock, logger})`, then `run(signal)`:
 *
 * - keeps one session open with a manager's dispatcher over mutual TLS, trying the managers in turn with a backoff
 *   of 100 ms doubling to 8 s between attempts (back to 100 ms after a session was established); the managers the
 *   dispatcher announces are added to the list;
 * - heartbeats at the period the dispatcher returns (the session's first message, then each heartbeat reply);
 * - `assignments()`: one consumer's async iterable of `{type:'complete', tasks}` (each session starts with one:
 *   replace what you know) and `{type:'incremental', changes:[{action:'update'|'remove', task}]}`;
 * - `reportStatus(updates)`: coalesces (latest status per task wins), sends at most every 100 ms, and keeps what
 *   was not acknowledged for the next session. A report the dispatcher refuses outright (InvalidArgument /
 *   FailedPrecondition: not this node's task, a state an agent may not set) is dropped with a warning.
 *
 * Any failure of the session stream, a heartbeat, the assignment stream or a status call ends the session and
 * starts a new one. Time (heartbeats, intervals, backoff) comes from the injected Clock; rpc deadlines are real time.
 *
 * Consumes: the dispatcher's streams. Produces: heartbeats and status calls; assignment messages for the worker.
 * Invariants: at most one session at a time; a status report is never lost to a failed call, only superseded.
 */
export { AgentSession, type AgentSessionOptions } from './agent-session.js';
