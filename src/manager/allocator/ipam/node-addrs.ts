/**
 * Node load-balancer addresses (pure): every node gets one address on every network (`Network.NodeAddrs`), the
 * source of the connections the node's VIP and ingress rules forward. A node that is removed loses its entries;
 * a pool with no free address leaves the node without one there until an address is freed. Containers attached
 * to the network (`Network.Attachments`, asked for by `docker run --network`) get their address in the same write.
 */
import type { Network, NetworkContainerAttachment } from '../../../api/types.js';
import { sameJson } from '../ports/index.js';
import type { Ipam } from './ipam.js';
import { holderOf } from './ipam.js';

export interface NodeAddrsUpdate {
  network: Network;
  nodeAddrs: Record<string, string>;
  /** The network's container attachments with an address given to each one asking (when it changed). */
  attachments?: Record<string, NetworkContainerAttachment>;
}

/** The networks whose stored NodeAddrs differ from what `nodeIds` call for (addresses are held from now on). */
export function planNodeAddrs(ipam: Ipam, nodeIds: Iterable<string>): NodeAddrsUpdate[] {
  const nodes = [...nodeIds].sort();
  const networks = [...ipam.networks()].sort((a, b) => (a.Created < b.Created ? -1 : a.Created > b.Created ? 1 : a.Id < b.Id ? -1 : 1));
  const out: NodeAddrsUpdate[] = [];
  for (const network of networks) {
    if (ipam.book(network.Id) === undefined) continue;
    const nodeAddrs: Record<string, string> = {};
    for (const nodeId of nodes) {
      const got = ipam.allocate(network.Id, holderOf.node(nodeId));
      if (got.ok) nodeAddrs[nodeId] = got.addr;
    }
    // Containers attached with `docker run --network` that have no address yet get one (a full pool: later).
    let attachments: Record<string, NetworkContainerAttachment> | undefined;
    for (const [id, a] of Object.entries(network.Attachments ?? {})) {
      if (a.Addr !== undefined) continue;
      const got = ipam.allocate(network.Id, holderOf.container(id));
      if (!got.ok) continue;
      attachments ??= { ...network.Attachments };
      attachments[id] = { ...a, Addr: got.addr };
    }
    if (!sameJson(network.NodeAddrs ?? {}, nodeAddrs) || attachments !== undefined) {
      out.push({ network, nodeAddrs, ...(attachments !== undefined ? { attachments } : {}) });
    }
  }
  return out;
}
