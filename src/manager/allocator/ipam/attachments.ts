/**
 * Which networks a service and its tasks are on (pure): the attachments named in the spec (the task template's
 * `Networks`, else the service's deprecated `Spec.Networks`), then `ingress` when the service publishes ports in
 * ingress mode and the swarm has an ingress network.
 */
import type { NetworkAttachmentConfig, Network, Service, Task } from '../../../api/types.js';

function targets(list: readonly NetworkAttachmentConfig[]): string[] {
  return [...new Set(list.map((a) => a.Target))];
}

/** The network targets of a service's spec, in order, without repeats. */
export function serviceNetworkTargets(service: Service): string[] {
  const t = service.Spec.TaskTemplate.Networks;
  return targets(t !== undefined && t.length > 0 ? t : (service.Spec.Networks ?? []));
}

/** A task's network targets: its own spec's (it was made from the template), else its service's. */
export function taskNetworkTargets(task: Task, service: Service): string[] {
  const own = task.Spec.Networks;
  return own !== undefined && own.length > 0 ? targets(own) : serviceNetworkTargets(service);
}

/** True when the service publishes a port through the routing mesh (swarmkit's IsIngressNetworkNeeded). */
export function publishesIngress(service: Service): boolean {
  return (service.Spec.EndpointSpec?.Ports ?? []).some((p) => (p.PublishMode ?? 'ingress') === 'ingress');
}

/** True when the service resolves to a virtual IP (the default), not DNS round robin. */
export function usesVip(service: Service): boolean {
  return (service.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip';
}

/** The network as a task carries it: the stored object without the allocator's internal fields. */
export function attachedNetwork(n: Network): Network {
  const copy = structuredClone(n);
  delete copy.NodeAddrs;
  return copy;
}
