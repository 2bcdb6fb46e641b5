/** Builders for the IPAM tests (test support only): networks with a subnet, services on networks. */
import type { Network, PortConfig, Service } from '../../../api/types.js';
import { aService } from '../fixtures.testkit.js';

const T0 = '2024-01-01T00:00:00Z';

export function aNetwork(id: string, name: string, subnet: string, o: { gateway?: string; ingress?: boolean; created?: string; nodeAddrs?: Record<string, string> } = {}): Network {
  return {
    Name: name,
    Id: id,
    Created: o.created ?? T0,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, ...(o.gateway === undefined ? {} : { Gateway: o.gateway }) }] },
    Internal: false,
    Attachable: false,
    Ingress: o.ingress ?? false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
    ...(o.nodeAddrs === undefined ? {} : { NodeAddrs: o.nodeAddrs }),
  };
}

/** A service attached to `networks` (TaskTemplate.Networks), with ports when given and a resolution mode. */
export function aNetworkedService(
  id: string,
  name: string,
  networks: readonly string[],
  o: { ports?: PortConfig[]; mode?: 'vip' | 'dnsrr'; createdAt?: string } = {},
): Service {
  const s = aService(id, name, o.ports, o.createdAt);
  s.Spec.TaskTemplate.Networks = networks.map((Target) => ({ Target }));
  if (o.mode !== undefined) s.Spec.EndpointSpec = { ...(s.Spec.EndpointSpec ?? {}), Mode: o.mode };
  return s;
}
