/**
 * A task's networking as its container needs it (docs/design/networking.md): the endpoints to wire, from the
 * allocator's `NetworksAttachments` (eth0 first), the host-mode published ports, and the ingress ports its
 * service publishes (reserved on the node before the task starts).
 */
import type { Network } from '../../api/types.js';
import type { AgentTask } from '../exec/controller.js';
import type { HostPortMapping, NetworkConfig, SandboxEndpoint } from '../exec/network.js';

export const VXLAN_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';

export function networkConfigOf(n: Network): NetworkConfig {
  const ipam = n.IPAM.Config[0];
  const vxlan = Number((n.Options[VXLAN_OPTION] ?? '').split(',')[0]);
  return {
    id: n.Id,
    name: n.Name,
    subnet: ipam?.Subnet ?? '',
    gateway: ipam?.Gateway ?? '',
    internal: n.Internal,
    ingress: n.Ingress,
    ...(Number.isInteger(vxlan) && vxlan > 0 ? { vxlanId: vxlan } : {}),
  };
}

export interface TaskNetwork {
  endpoints: SandboxEndpoint[];
  hostPorts: HostPortMapping[];
  ingressPorts: HostPortMapping[];
}

const protocolOf = (p: string | undefined): 'tcp' | 'udp' => (p === 'udp' ? 'udp' : 'tcp');

export function taskNetworkOf(task: AgentTask): TaskNetwork {
  const aliases = new Map((task.Spec.Networks ?? []).map((a) => [a.Target, a.Aliases ?? []]));
  const endpoints: SandboxEndpoint[] = [];
  for (const a of task.NetworksAttachments ?? []) {
    const address = a.Addresses[0];
    if (address === undefined) continue;
    endpoints.push({ network: networkConfigOf(a.Network), address, aliases: [...(aliases.get(a.Network.Id) ?? aliases.get(a.Network.Name) ?? [])] });
  }
  const hostPorts: HostPortMapping[] = [];
  const ingressPorts: HostPortMapping[] = [];
  for (const p of task.Endpoint?.Ports ?? []) {
    if (p.PublishedPort === undefined || p.PublishedPort === 0) continue;
    const m = { protocol: protocolOf(p.Protocol), published: p.PublishedPort, target: p.TargetPort };
    if (p.PublishMode === 'host') hostPorts.push(m);
    else ingressPorts.push(m);
  }
  return { endpoints, hostPorts, ingressPorts };
}
