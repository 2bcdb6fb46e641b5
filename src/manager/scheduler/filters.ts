/**
 * The filters a node must pass to take a task, in swarmkit's pipeline order, each with swarmkit's `Explain`
 * wording. A filter is enabled only when the task asks for what it checks (no reservations → no resource filter).
 *
 * Requirements are computed once per batch of identical tasks; filters read them and a node's NodeInfo.
 */
import type { Constraint } from '../../api/constraints.js';
import { nodeMatchesConstraints, nodeSupportsPlatforms, parseConstraints } from '../../api/constraints.js';
import type { Placement, Service } from '../../api/types.js';
import type { NodeInfo } from './node-info.js';
import type { Reservation, TaskWithEndpoint } from './task-facts.js';
import { hostPortsOf, reservationOf, versionedService } from './task-facts.js';

export interface Requirements {
  readonly serviceId: string;
  /** `service@specVersion`, the key of recent-failure bookkeeping. */
  readonly versionKey: string;
  readonly reservation: Reservation;
  /** Undefined when there are none, or when they do not parse (controlapi refuses those; swarmkit ignores them). */
  readonly constraints: readonly Constraint[] | undefined;
  readonly platforms: Placement['Platforms'];
  readonly hostPorts: readonly string[];
  readonly maxReplicas: number;
}

export function requirementsOf(task: TaskWithEndpoint, service: Service | undefined): Requirements {
  const placement = task.Spec.Placement;
  let constraints: Constraint[] | undefined;
  try {
    constraints = parseConstraints(placement?.Constraints);
  } catch {
    constraints = undefined;
  }
  return {
    serviceId: task.ServiceID,
    versionKey: versionedService(task),
    reservation: reservationOf(task),
    constraints: constraints !== undefined && constraints.length > 0 ? constraints : undefined,
    platforms: placement?.Platforms,
    hostPorts: hostPortsOf(task, service),
    maxReplicas: placement?.MaxReplicas ?? 0,
  };
}

export interface Filter {
  readonly name: string;
  enabled(r: Requirements): boolean;
  /** Called only with infos that have a node. */
  check(r: Requirements, n: NodeInfo): boolean;
  /** swarmkit's explanation for `nodes` nodes failing this filter. */
  explain(nodes: number): string;
}

const plural = (n: number, what: string): string => (n === 1 ? `1 node ${what}` : `${n} nodes ${what}`);
const onNodes = (what: string, n: number): string => `${what} on ${n === 1 ? '1 node' : `${n} nodes`}`;

export const readyFilter: Filter = {
  name: 'ready',
  enabled: () => true,
  check: (_r, n) => n.node?.Status.State === 'ready' && n.node.Spec.Availability === 'active',
  explain: (k) => plural(k, 'not available for new tasks'),
};

export const resourceFilter: Filter = {
  name: 'resources',
  enabled: (r) => r.reservation.nanoCPUs > 0 || r.reservation.memoryBytes > 0,
  check: (r, n) => r.reservation.nanoCPUs <= n.availableNanoCPUs && r.reservation.memoryBytes <= n.availableMemoryBytes,
  explain: (k) => onNodes('insufficient resources', k),
};

export const constraintFilter: Filter = {
  name: 'constraints',
  enabled: (r) => r.constraints !== undefined,
  check: (r, n) => n.node !== undefined && nodeMatchesConstraints(r.constraints ?? [], n.node),
  explain: (k) => onNodes('scheduling constraints not satisfied', k),
};

export const platformFilter: Filter = {
  name: 'platform',
  enabled: (r) => (r.platforms?.length ?? 0) > 0,
  check: (r, n) => n.node !== undefined && nodeSupportsPlatforms(r.platforms, n.node),
  explain: (k) => onNodes('unsupported platform', k),
};

export const hostPortFilter: Filter = {
  name: 'host-ports',
  enabled: (r) => r.hostPorts.length > 0,
  check: (r, n) => r.hostPorts.every((p) => !n.hostPorts.has(p)),
  explain: (k) => onNodes('host-mode port already in use', k),
};

export const maxReplicasFilter: Filter = {
  name: 'max-replicas',
  enabled: (r) => r.maxReplicas > 0,
  check: (r, n) => n.activeOf(r.serviceId) < r.maxReplicas,
  explain: () => 'max replicas per node limit exceed',
};

/** swarmkit's order (its plugin and CSI-volume filters have nothing to check here yet). */
export const FILTERS: readonly Filter[] = [readyFilter, resourceFilter, constraintFilter, platformFilter, hostPortFilter, maxReplicasFilter];
