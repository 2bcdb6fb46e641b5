/**
 * What a node must know of the swarm's networks to wire its containers, answer DNS and balance VIPs and published
 * ports (docs/design/networking.md "Manager → agent"). The dispatcher computes one per node and streams it on the
 * assignments stream as `{ type: 'networks', view }`; the agent applies it whole.
 */
import type { Network, PortConfig } from './types.js';

export interface NetworkViewTask {
  id: string;
  /** `<service>.<slot>.<taskId>` (global: `<service>.<nodeId>.<taskId>`): the container name, resolvable in DNS. */
  name: string;
  /** The task's address on this network, without the prefix length. */
  addr: string;
  nodeId: string;
}

export interface NetworkViewService {
  id: string;
  name: string;
  /** Network aliases from the service's attachment to this network. */
  aliases: string[];
  mode: 'vip' | 'dnsrr';
  /** The service's VIP on this network, without the prefix length (vip mode, once allocated). */
  vip?: string;
  /** Ingress-mode published ports (on the ingress network's entry only). */
  ports: PortConfig[];
  /** Tasks that are running with desired state running: the ones DNS and the load balancer use. */
  tasks: NetworkViewTask[];
}

export interface NetworkViewEntry {
  network: Network;
  /** This node's load-balancer address on the network, `a.b.c.d/len` (once allocated). */
  nodeAddr?: string;
  services: NetworkViewService[];
  /** Plain containers attached to the network (`docker run --network`), for DNS: name and aliases → address. */
  containers?: { name: string; aliases: string[]; addr: string }[];
}

export interface NodeNetworkView {
  networks: NetworkViewEntry[];
}
