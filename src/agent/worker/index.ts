/**
 * The worker: assignments → task managers → controllers; local persistence; the status reporter (swarmkit's
 * agent/worker.go, task.go, reporter.go, storage.go; DESIGN §1, docs/design/services.md "Agent").
 *
 * Consumes: assignment messages from the agent's session (`{type:'complete', tasks}` replaces the node's set,
 * `{type:'incremental', changes:[{action:'update'|'remove', task}]}` changes it), through `Worker.apply`.
 * Produces: status updates `{taskId, status}` through the injected `StatusReporter.reportStatus(updates)` (the
 * session's `POST /dispatcher/status`), coalesced per task and batched.
 *
 * Invariants:
 * - Every task's record (the last assigned task and the last status the agent gave it) is written atomically under
 *   `<storeDir>/tasks/` before its status is reported, so a restarted agent resumes each task where it was and
 *   reports its statuses again; states only move forward (the pure machine in src/agent/exec/task-machine.ts).
 * - One task manager per task loops the machine; a task is held at READY until its desired state is RUNNING (or
 *   COMPLETE, for jobs); desired SHUTDOWN/REMOVE stops it from any live state.
 * - A task that disappears from the assignments is stopped, its container removed, then its record deleted; a
 *   failure there keeps the record so the next start tries again.
 * - Containers outlive the worker: stopping `run` ends the task managers and leaves containers as they are.
 *
 * The container executor (container-executor.ts) runs tasks through ContainerService: docker's container names
 * `<service>.<slot>.<taskID>`, `com.docker.swarm.*` labels, and the TaskSpec mapped to a create body
 * (container-config.ts).
 */
export { Worker, type WorkerOptions } from './worker.js';
export type { AssignmentMessage, StatusReporter, StatusUpdate } from './types.js';
export type { TaskRecord } from './task-store.js';
export { ContainerExecutor, type ContainerExecutorOptions, type Containers } from './container-executor.js';
export { containerLabels, containerName, createBody, serviceName, taskDisplayName } from './container-config.js';
