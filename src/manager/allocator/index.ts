/**
 * The allocator (DESIGN §1, docs/design/services.md): gets tasks and services ready to be scheduled.
 *
 * Owns: `Service.Endpoint` (the EndpointSpec's ports with defaults filled in and every ingress port published:
 * named, or picked serially from 30000–32767, never twice across services), and the move of a task NEW → PENDING
 * ("pending task scheduling"), when the task takes a copy of its service's Endpoint (the ports it binds) and its
 * addresses on its networks. IPAM (ipam/, issue 5): `Task.NetworksAttachments`, `Service.Endpoint.VirtualIPs`
 * (planned beside the ports, one Endpoint write) and `Network.NodeAddrs` (one LB address per node per network).
 * A service whose ingress port is held by another stays unallocated; its NEW tasks wait with swarm's reason in
 * `Status.Err` (`port '8080' is already in use by service 'web' (<id>) as an ingress port`).
 *
 * Consumes: store events for services (spec changes, removals free their ports and VIPs), tasks (NEW ones; ended
 * or deleted ones free their addresses), networks (pools) and nodes (created or removed).
 * Produces: service, network and task updates, in batched transactions with version checks.
 *
 * Shape: pure cores (ports/: PortSpace, planEndpoint; ipam/: address books, VIPs, node addresses, the networks
 * voter; allocate.ts: one pass over services; task-ballot.ts: the votes that move a task to PENDING) and the
 * `Allocator` component, a thin `run(signal)` loop around them. Host-mode ports are recorded, not booked: the
 * scheduler keeps them apart per node. The ports and networks voters are built in; `AllocatorOptions.extraVoters`
 * adds others.
 */
export { Allocator } from './allocator.js';
export type { AllocatorOptions } from './allocator.js';
export { AllocatorCache } from './cache.js';
export { allocateEndpoints, describeService, isAllocated, rebuildSpace, withVirtualIPs } from './allocate.js';
export type { EndpointPass, ServiceAllocation, VipPlanner } from './allocate.js';
export { PENDING_MESSAGE, awaitsAllocation, ballot, portsVoter } from './task-ballot.js';
export type { Ballot, PortsView, TaskVoter, TaskWithEndpoint, Vote } from './task-ballot.js';
export * from './ports/index.js';
export * from './ipam/index.js';
