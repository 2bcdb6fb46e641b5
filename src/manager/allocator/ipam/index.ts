/**
 * IPAM (issue 5; swarmkit's network allocator), pure: task addresses, service VIPs and node LB addresses.
 *
 * Owns: one address book per network (its `IPAM.Config[0]` subnet; `.0`, the gateway and the broadcast address
 * are never handed out; the lowest free address goes first), rebuilt from stored objects: networks' `NodeAddrs`,
 * services' `Endpoint.VirtualIPs`, and the `NetworksAttachments` of tasks that have not ended.
 * Produces: `Task.NetworksAttachments` (the networks voter, on the move NEW → PENDING), `Service.Endpoint.VirtualIPs`
 * (planned beside the ports, written in the same Endpoint) and `Network.NodeAddrs` (one per node per network).
 * Invariants (property-tested): no address is held by two holders; an address is free again only when no stored
 * object holds it (its task ended or was deleted, the VIP's service was removed or left the network, the node
 * was removed, or the network is gone).
 */
export { AddressBook } from './address-book.js';
export type { PoolConfig } from './address-book.js';
export { attachedNetwork, publishesIngress, serviceNetworkTargets, taskNetworkTargets, usesVip } from './attachments.js';
export { Ipam, holderOf } from './ipam.js';
export type { AllocateResult } from './ipam.js';
export { planNodeAddrs } from './node-addrs.js';
export type { NodeAddrsUpdate } from './node-addrs.js';
export { loadIpam, syncNetwork, syncService, syncTask } from './sync.js';
export { planVips } from './vips.js';
export type { VipPlan, VirtualIP } from './vips.js';
export { networksVoter, taskNetworks } from './voter.js';
