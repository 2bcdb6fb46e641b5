/**
 * The scheduler (DESIGN §1, docs/design/services.md): picks a node for every PENDING task.
 *
 * Owns: `Task.NodeID` and the move PENDING → ASSIGNED; while a task cannot be placed, its `Status.Err`
 * ("no suitable node (insufficient resources on 1 node; 2 nodes not available for new tasks)").
 *
 * Consumes: store events for nodes (readiness, availability, labels, resources), tasks (PENDING ones to place;
 * ASSIGNED..RUNNING ones hold their node's reservations, host ports and spread counts; FAILED/REJECTED ones count
 * against their node) and services (host-mode ports of tasks that carry no Endpoint).
 * Produces: task updates, in transactions of up to 200, each re-checked against the task and node it read.
 *
 * Shape: a pure core — `schedule(nodes, tasks, pendingTasks, {random, now})` → assignments and explained refusals:
 * filters in swarmkit's order (ready+active, reservations, constraints, platform, host ports, max replicas per
 * node), batches of identical tasks (service + SpecVersion), spread over placement preferences then over nodes
 * (fewest tasks of the service, then fewest tasks) — and the `Scheduler` component, a thin `run(signal)` loop
 * around it. Pre-assigned tasks (global services) are only checked against their node.
 *
 * Invariants (property-tested): no node's reservations exceed its resources; no host port is booked twice on a
 * node; every assignment satisfies the task's constraints and platforms; without preferences, a service's task
 * counts differ by at most one over the nodes that can still take it; one seed, one answer. Tasks are assigned
 * once and never moved.
 */
export { Scheduler, ASSIGNED_MESSAGE, PREASSIGNED_MESSAGE } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
export { schedule, scheduleOn } from './schedule.js';
export type { Assignment, ScheduleOptions, ScheduleResult, Unschedulable } from './schedule.js';
export { NodeInfo, NodeSet } from './node-info.js';
export { FILTERS, requirementsOf } from './filters.js';
export type { Filter, Requirements } from './filters.js';
export { Pipeline, noSuitableNode } from './pipeline.js';
export type { TaskWithEndpoint } from './task-facts.js';
