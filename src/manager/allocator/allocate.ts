/**
 * The allocator's pure core for one pass: which services get a new Endpoint (and the ports they then hold),
 * which are refused and why, and what happens to each NEW task (task-ballot.ts).
 *
 * Services are taken oldest first, so when two want one port the older one keeps it. Claims go into the
 * PortSpace as they are planned (a later service must not be given the same dynamic port); the caller gives
 * them back when a write does not happen (`restore`).
 */
import type { Endpoint, Service } from '../../api/types.js';
import type { PortClaim, PortSpace } from './ports/index.js';
import { ingressClaims, planEndpoint, sameJson } from './ports/index.js';

export interface ServiceAllocation {
  service: Service;
  endpoint: Endpoint;
  claims: PortClaim[];
}

export interface EndpointPass {
  /** Services whose stored Endpoint differs from the planned one. */
  updates: ServiceAllocation[];
  /** Service ID → why its ports cannot be allocated (its tasks wait, NEW, with this reason). */
  refused: Map<string, string>;
  /** Service ID → the version whose stored Endpoint is already the planned one. */
  allocated: Map<string, number>;
}

/** How swarm names a service in port messages: `service 'web' (<id>)`. */
export function describeService(services: ReadonlyMap<string, Service>): (id: string) => string {
  return (id) => `service '${services.get(id)?.Spec.Name ?? id}' (${id})`;
}

export function oldestFirst<T extends { ID: string; CreatedAt: string }>(xs: Iterable<T>): T[] {
  return [...xs]
    .map((x) => ({ x, at: Date.parse(x.CreatedAt) || 0 }))
    .sort((a, b) => a.at - b.at || (a.x.ID < b.x.ID ? -1 : a.x.ID > b.x.ID ? 1 : 0))
    .map((e) => e.x);
}

/** Rebuilds the space from stored Endpoints, oldest service first (a port claimed twice stays with the older). */
export function rebuildSpace(space: PortSpace, services: Iterable<Service>): void {
  for (const s of oldestFirst(services)) space.assign(s.ID, ingressClaims(s.Endpoint));
}

/**
 * A service's virtual IPs (ipam/vips.ts), planned after its ports; a refusal (no free address) leaves the
 * service unallocated with the reason, like a port conflict. Without one, stored VIPs are carried over.
 */
export type VipPlanner = (service: Service) => { ok: true; vips: NonNullable<Endpoint['VirtualIPs']> } | { ok: false; reason: string };

/** Plans every service's Endpoint against the space, assigning the claims of those that change. */
export function allocateEndpoints(space: PortSpace, services: ReadonlyMap<string, Service>, vips?: VipPlanner): EndpointPass {
  const describe = describeService(services);
  const out: EndpointPass = { updates: [], refused: new Map(), allocated: new Map() };
  for (const service of oldestFirst(services.values())) {
    const plan = planEndpoint(space, service, describe);
    if (!plan.ok) {
      out.refused.set(service.ID, plan.reason);
      continue;
    }
    let endpoint = plan.endpoint;
    if (vips !== undefined) {
      const v = vips(service);
      if (!v.ok) {
        out.refused.set(service.ID, v.reason);
        continue;
      }
      endpoint = withVirtualIPs(endpoint, service, v.vips);
    }
    space.assign(service.ID, plan.claims);
    if (isAllocated(service, endpoint)) out.allocated.set(service.ID, service.Version.Index);
    else out.updates.push({ service, endpoint, claims: plan.claims });
  }
  return out;
}

/** The Endpoint with these VIPs: Docker shows `{"Spec":{}}` with neither ports nor VIPs, the EndpointSpec otherwise. */
export function withVirtualIPs(endpoint: Endpoint, service: Service, vips: NonNullable<Endpoint['VirtualIPs']>): Endpoint {
  const ports = endpoint.Ports ?? [];
  return {
    Spec: ports.length === 0 && vips.length === 0 ? {} : structuredClone(service.Spec.EndpointSpec ?? {}),
    ...(ports.length === 0 ? {} : { Ports: ports }),
    ...(vips.length === 0 ? {} : { VirtualIPs: vips.map((v) => ({ ...v })) }),
  };
}

/** True when the stored Endpoint is the planned one. */
export function isAllocated(service: Service, planned: Endpoint): boolean {
  return service.Endpoint !== undefined && sameJson(service.Endpoint, planned);
}

/** Gives a service back the ports its stored Endpoint holds (after a planned write did not happen). */
export function restore(space: PortSpace, service: Service): void {
  space.assign(service.ID, ingressClaims(service.Endpoint));
}
