/**
 * A service's allocated Endpoint from its EndpointSpec (swarmkit's port allocator, per service):
 *
 * - `Endpoint.Spec` is a copy of `Spec.EndpointSpec` (`{}` when the service publishes no port and has no virtual
 *   IP, as Docker shows it); `Endpoint.Ports` lists every spec
 *   port with the defaults filled in (`tcp`, `ingress`) and, for ingress ports, the PublishedPort in use.
 * - An ingress port with a PublishedPort claims it cluster-wide; one held by another service is a conflict, and
 *   the service stays unallocated with a reason in swarm's words. Without a PublishedPort, the port it had
 *   (same protocol, target and name) is kept; otherwise the next free one of 30000–32767 is taken.
 * - Host-mode ports are recorded as they are: they bind on the task's node, and the scheduler keeps them apart.
 * - Virtual IPs (issue 5, networking) are carried over untouched.
 */
import type { Endpoint, PortConfig, Service } from '../../../api/types.js';
import type { PortClaim, PortSpace, Protocol } from './port-space.js';
import { claimKey } from './port-space.js';

export type EndpointPlan =
  | { ok: true; endpoint: Endpoint; claims: PortClaim[] }
  | { ok: false; reason: string };

function normalized(p: PortConfig, publishedPort: number | undefined): PortConfig {
  return {
    ...(p.Name === undefined || p.Name === '' ? {} : { Name: p.Name }),
    Protocol: p.Protocol ?? 'tcp',
    TargetPort: p.TargetPort,
    ...(publishedPort === undefined || publishedPort === 0 ? {} : { PublishedPort: publishedPort }),
    PublishMode: p.PublishMode ?? 'ingress',
  };
}

/** Plans the service's Endpoint against `space` (reading it; the dynamic cursor moves). */
export function planEndpoint(space: PortSpace, service: Service, describe: (serviceId: string) => string): EndpointPlan {
  const spec = service.Spec.EndpointSpec;
  const specPorts = spec?.Ports ?? [];
  const claims: PortClaim[] = [];
  const taken = new Set<string>();
  const ports: (PortConfig | undefined)[] = [];

  // Named ports first, so a dynamic pick never takes a port the service itself asks for.
  specPorts.forEach((p, i) => {
    if ((p.PublishMode ?? 'ingress') !== 'ingress') ports[i] = normalized(p, p.PublishedPort);
  });
  for (const [i, p] of specPorts.entries()) {
    if ((p.PublishMode ?? 'ingress') !== 'ingress' || (p.PublishedPort ?? 0) === 0) continue;
    const c: PortClaim = { protocol: p.Protocol ?? 'tcp', port: p.PublishedPort ?? 0 };
    const owner = space.owner(c);
    if (taken.has(claimKey(c)) || (owner !== undefined && owner !== service.ID)) {
      return { ok: false, reason: `port '${c.port}' is already in use by ${describe(owner ?? service.ID)} as an ingress port` };
    }
    taken.add(claimKey(c));
    claims.push(c);
    ports[i] = normalized(p, c.port);
  }

  const previous = (service.Endpoint?.Ports ?? []).filter((p) => (p.PublishMode ?? 'ingress') === 'ingress' && (p.PublishedPort ?? 0) > 0);
  for (const [i, p] of specPorts.entries()) {
    if ((p.PublishMode ?? 'ingress') !== 'ingress' || (p.PublishedPort ?? 0) !== 0) continue;
    const protocol: Protocol = p.Protocol ?? 'tcp';
    const kept = previous.find((q) => {
      const c = { protocol, port: q.PublishedPort ?? 0 };
      return (
        (q.Protocol ?? 'tcp') === protocol &&
        q.TargetPort === p.TargetPort &&
        (q.Name ?? '') === (p.Name ?? '') &&
        space.isDynamic(c.port) &&
        !taken.has(claimKey(c)) &&
        space.isFreeFor(c, service.ID)
      );
    });
    const port = kept?.PublishedPort ?? space.nextDynamic(protocol, service.ID, taken);
    if (port === undefined) {
      return { ok: false, reason: `no free port left for ${protocol} in ${space.dynamicStart}-${space.dynamicEnd}` };
    }
    const c = { protocol, port };
    taken.add(claimKey(c));
    claims.push(c);
    ports[i] = normalized(p, port);
  }

  const out = ports.filter((p): p is PortConfig => p !== undefined);
  const vips = service.Endpoint?.VirtualIPs;
  // Docker shows `{"Spec":{}}` for a service with neither ports nor virtual IPs (swarmkit allocates nothing then).
  const endpoint: Endpoint = {
    Spec: out.length === 0 && vips === undefined ? {} : structuredClone(spec ?? {}),
    ...(out.length === 0 ? {} : { Ports: out }),
    ...(vips === undefined ? {} : { VirtualIPs: vips }),
  };
  return { ok: true, endpoint, claims };
}

/** The ingress ports a stored Endpoint holds (what to reserve when rebuilding the space). */
export function ingressClaims(endpoint: Endpoint | undefined): PortClaim[] {
  return (endpoint?.Ports ?? [])
    .filter((p) => (p.PublishMode ?? 'ingress') === 'ingress' && (p.PublishedPort ?? 0) > 0)
    .map((p) => ({ protocol: p.Protocol ?? 'tcp', port: p.PublishedPort ?? 0 }));
}

/** Structural equality of JSON values, key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
