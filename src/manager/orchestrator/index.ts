/**
 * Orchestrators (DESIGN §1, docs/design/services.md): the manager components that turn services into tasks and
 * keep them true. Each is a pure core (functions over plain data, an injected clock time and Random) and a thin
 * component (`run(signal)`: snapshot, watch, dirty keys, batched version-checked commits; see loop.ts). They
 * never import each other or any other manager component: they talk only through the store.
 *
 * | component | core | watches | writes |
 * |---|---|---|---|
 * | ReplicatedOrchestrator | reconcileReplicated | services, tasks | new tasks (slots 1..N), DesiredState REMOVE (scale-down, deleted services of any mode) |
 * | GlobalOrchestrator | reconcileGlobal | services, tasks, nodes | new tasks bound to nodes, DesiredState SHUTDOWN (drained/down/unsuitable nodes) |
 * | JobsOrchestrator | reconcileJob | services, tasks, nodes | new job tasks (desired COMPLETE, JobIteration), SHUTDOWN of older iterations, Service.JobStatus |
 * | RestartSupervisor | superviseRestarts | services, tasks, nodes | SHUTDOWN + replacement (desired READY) per restart policy; READY → RUNNING/COMPLETE at the gate |
 * | UpdateSupervisor | superviseUpdate | services, tasks, nodes | Service.UpdateStatus, rollback of Spec/SpecVersion, new tasks, SHUTDOWN of replaced tasks, Task.SpecVersion re-stamps |
 * | TaskReaper | removable, trimSlot | tasks, services, nodes, cluster | task deletions |
 *
 * Invariants:
 * - Task states and desired states only move forward: cores ask `TaskPlan.setDesired`, which never goes back,
 *   and never write `Status` (the allocator, scheduler and dispatcher own it).
 * - A slot (replicated: its number; global: its node) has at most one live up-to-date task and at most one live
 *   old one (both only during a start-first update).
 * - A replacement (restart, stop-first update) is created in the same transaction as the version-checked
 *   SHUTDOWN of the task it replaces, so two components cannot both replace one task; a refused commit is retried
 *   after the next event. Everything is level-triggered: a component that loses a race re-reads and converges.
 * - Restart history and pending restart delays are read from the tasks in the store (creation order, specs,
 *   CreatedAt), never kept only in memory, so they survive a manager restart or a change of leader.
 * - During an update at most `Parallelism` slots are in flight: with stop-first at least replicas − parallelism
 *   tasks stay RUNNING, with start-first at most replicas + parallelism tasks are bound to nodes at once
 *   (property-tested in properties.test.ts).
 */
export type { OrchestratorDeps } from './deps.js';
export { ReplicatedOrchestrator, removeServiceTasks } from './replicated-orchestrator.js';
export { GlobalOrchestrator } from './global-orchestrator.js';
export { JobsOrchestrator } from './jobs-orchestrator.js';
export { RestartSupervisor } from './restart-supervisor.js';
export { UpdateSupervisor } from './update-supervisor.js';
export { TaskReaper } from './task-reaper.js';

export { reconcileReplicated } from './replicated.js';
export type { ReplicatedContext } from './replicated.js';
export { reconcileGlobal } from './global.js';
export type { GlobalContext } from './global.js';
export { reconcileJob, targetIteration } from './jobs.js';
export type { JobsContext } from './jobs.js';
export { superviseRestarts } from './restart.js';
export type { CoreResult, RestartContext } from './restart.js';
export {
  conditionAllows,
  isRestartOf,
  releaseTime,
  restartCondition,
  restartDelayMs,
  restartTimes,
  shouldRestart,
  slotGaveUp,
} from './restart-policy.js';
export type { RestartCondition } from './restart-policy.js';
export { NO_OBSERVATIONS, rolloutKeyOf, superviseUpdate } from './update.js';
export type { UpdateContext, UpdateObservations, UpdateResult } from './update.js';
export { removable, retentionLimit, trimSlot } from './reaper.js';
export { TaskPlan } from './plan.js';
export { newTask } from './new-task.js';
export type { NewTaskOptions } from './new-task.js';
export { isJobMode, isPerNodeMode, jobSizeOf, modeOf, replicasOf } from './service-mode.js';
export type { ModeKind } from './service-mode.js';
export { groupSlots, nextCreatedAt, slotKey } from './slots.js';
export { isLive, isTaskDirty, hasEnded, nodeInvalid, nodeTakesNewTasks, occupiesNode } from './task-facts.js';
export { specEqual } from './spec-equal.js';
export { placementCheck } from './placement.js';
export { effectiveUpdateConfig, rolloutConfigOf, DEFAULT_RESTART_DELAY_MS, DEFAULT_TASK_HISTORY_RETENTION } from './defaults.js';
export type { EffectiveUpdateConfig } from './defaults.js';
export { ClusterCache } from './cache.js';
export { commitPlans, runReconcileLoop } from './loop.js';
export type { KeyedPlan, LoopDeps, ReconcileHandler } from './loop.js';

import type { OrchestratorDeps } from './deps.js';
import { GlobalOrchestrator } from './global-orchestrator.js';
import { JobsOrchestrator } from './jobs-orchestrator.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { UpdateSupervisor } from './update-supervisor.js';

/** Every orchestrator component, for the leader's supervisor (each has `name` and `run(signal)`). */
export function orchestratorComponents(deps: OrchestratorDeps): { readonly name: string; run(signal: AbortSignal): Promise<void> }[] {
  return [
    new ReplicatedOrchestrator(deps),
    new GlobalOrchestrator(deps),
    new JobsOrchestrator(deps),
    new RestartSupervisor(deps),
    new UpdateSupervisor(deps),
    new TaskReaper(deps),
  ];
}
