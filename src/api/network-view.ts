/**
 * What a node must know of the swarm's networks to wire its containers, answer DNS and balance VIPs and published
 * ports (docs/design/networking.md "Manager → agent"), and to reach the other nodes over VXLAN
 * (docs/design/cluster.md "The overlay data path"). The dispatcher computes one per node and streams it on the
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

/**
 * A task on the network that is live on its node (state below `complete`) but in no service's `tasks`: starting,
 * unhealthy, or draining (its desired state left `running`, its container not stopped yet). Other nodes still reach
 * it over VXLAN (so its established connections keep working until it stops); DNS and the load balancers do not
 * pick it for new ones.
 */
export interface NetworkViewEndpoint {
  /** The task's address on this network, without the prefix length. */
  addr: string;
  nodeId: string;
}

/** Another node that has the network in its own view: where to send its tasks' frames over VXLAN. */
export interface NetworkViewPeer {
  nodeId: string;
  /** The peer's data path IP (`Node.DataPathAddr`, else `Node.Status.Addr`), no prefix. */
  addr: string;
  /** The peer's LB address on this network, `a.b.c.d/len` (once allocated): its VIP/ingress SNAT source. */
  lbAddr?: string;
}

export interface NetworkViewEntry {
  network: Network;
  /** This node's load-balancer address on the network, `a.b.c.d/len` (once allocated). */
  nodeAddr?: string;
  services: NetworkViewService[];
  /**
   * Plain containers attached to the network (`docker run --network`), for DNS: name and aliases → address; `nodeId`
   * says where the container runs (so other nodes reach it over VXLAN).
   */
  containers?: { name: string; aliases: string[]; addr: string; nodeId?: string }[];
  /**
   * Reachable but not served: the live tasks on the network that no service's `tasks` lists (NetworkViewEndpoint),
   * sorted by address. The overlay programs them with the served tasks; the ruleset and DNS ignore them. Absent
   * when there are none.
   */
  unserved?: NetworkViewEndpoint[];
  /**
   * The other nodes that have this network (for `ingress`: every node that is not down), sorted by node ID. The
   * dispatcher always fills it; absent (local networks, a single node) is the same as none.
   */
  peers?: NetworkViewPeer[];
}

export interface NodeNetworkView {
  /** The cluster's VXLAN UDP port (`Cluster.DataPathPort`); the dispatcher always fills it, absent means 4789. */
  dataPathPort?: number;
  /** This node's data path IP (undefined until the node has an address). */
  nodeAddr?: string;
  networks: NetworkViewEntry[];
}

/** The VXLAN UDP port when the cluster has none set (IANA's, as docker's default). */
export const DEFAULT_DATA_PATH_PORT = 4789;
