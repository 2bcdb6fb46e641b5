/**
 * Published ports (swarmkit's port allocator), pure.
 *
 * Owns: which service holds each ingress published port (per protocol), and the Endpoint each service gets:
 * its spec ports with defaults filled in and every ingress port published (named, or picked from 30000–32767).
 * Invariants: no (protocol, port) held by two services; a service keeps its dynamic ports across spec updates
 * while the port still exists in its spec; host-mode ports are recorded, never claimed (the scheduler keeps
 * them apart per node).
 */
export { DYNAMIC_PORT_END, DYNAMIC_PORT_START, PortSpace, claimKey } from './port-space.js';
export type { PortClaim, Protocol } from './port-space.js';
export { ingressClaims, planEndpoint, sameJson } from './endpoint.js';
export type { EndpointPlan } from './endpoint.js';
