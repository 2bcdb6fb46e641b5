/**
 * The allocator (DESIGN §1, docs/design/services.md): gets tasks and services ready to be scheduled.
 *
 * Owns: `Service.Endpoint` (the EndpointSpec's ports with defaults filled in and every ingress port published:
 * named, or picked serially from 30000–32767, never twice across services), and the move of a task NEW → PENDING
 * ("pending task scheduling"), when the task takes a copy of its service's Endpoint (the ports it binds).
 * A service whose ingress port is held by another stays unallocated; its NEW tasks wait with swarm's reason in
 * `Status.Err` (`port '8080' is already in use by service 'web' (<id>) as an ingress port`).
 *
 * Consumes: store events for services (spec changes, removals free their ports) and tasks (NEW ones).
 * Produces: service and task updates, in batched transactions with version checks.
 *
 * Shape: pure cores (ports/: PortSpace, planEndpoint; allocate.ts: one pass over services; task-ballot.ts: the
 * votes that move a task to PENDING) and the `Allocator` component, a thin `run(signal)` loop around them.
 * Host-mode ports are recorded, not booked: the scheduler keeps them apart per node. Networks, IPAM and VIPs are
 * issue 5: they join as another TaskVoter (`AllocatorOptions.extraVoters`) and carry `Endpoint.VirtualIPs`, which
 * the port allocator already preserves.
 */
export { Allocator } from './allocator.js';
export type { AllocatorOptions } from './allocator.js';
export { AllocatorCache } from './cache.js';
export { allocateEndpoints, describeService, isAllocated, rebuildSpace } from './allocate.js';
export type { EndpointPass, ServiceAllocation } from './allocate.js';
export { PENDING_MESSAGE, awaitsAllocation, ballot, portsVoter } from './task-ballot.js';
export type { Ballot, PortsView, TaskVoter, TaskWithEndpoint, Vote } from './task-ballot.js';
export * from './ports/index.js';
