/**
 * Keeping the books in step with stored objects (pure). Each function makes one object's holdings what the
 * store says, and returns true when an address was freed (a task or service waiting for one may now get it).
 *
 * - A task holds its `NetworksAttachments` addresses until it ends (complete, shutdown, failed, rejected, remove,
 *   orphaned) or is deleted. While it is NEW and wanted, what it was given in advance stays held.
 * - A service holds its `Endpoint.VirtualIPs`; a network holds its `NodeAddrs` and its containers' `Attachments`.
 */
import { isTerminal } from '../../../api/task-state.js';
import type { Network, Service, Task } from '../../../api/types.js';
import { awaitsAllocation } from '../task-ballot.js';
import type { Ipam } from './ipam.js';
import { holderOf } from './ipam.js';

export function syncTask(ipam: Ipam, task: Task): boolean {
  const holder = holderOf.task(task.ID);
  if (isTerminal(task.Status.State)) return ipam.releaseAll(holder);
  const stored = new Map<string, string>();
  for (const a of task.NetworksAttachments ?? []) {
    const addr = a.Addresses[0];
    if (addr !== undefined) stored.set(a.Network.Id, addr);
  }
  if (stored.size === 0 && awaitsAllocation(task)) return false; // keeps what it was given in advance
  return ipam.settle(holder, stored);
}

export function syncService(ipam: Ipam, service: Service): boolean {
  return ipam.settle(holderOf.vip(service.ID), new Map((service.Endpoint?.VirtualIPs ?? []).map((v) => [v.NetworkID, v.Addr])));
}

export function syncNetwork(ipam: Ipam, network: Network): boolean {
  ipam.putNetwork(network);
  const containers: Record<string, string> = {};
  for (const [id, a] of Object.entries(network.Attachments ?? {})) if (a.Addr !== undefined) containers[id] = a.Addr;
  const freedContainers = ipam.settleContainers(network.Id, containers);
  return ipam.settleNodes(network.Id, network.NodeAddrs ?? {}) || freedContainers;
}

/** Builds the books from a snapshot: networks first (pools, node addresses), then services' VIPs, then tasks. */
export function loadIpam(ipam: Ipam, o: { networks: readonly Network[]; services: readonly Service[]; tasks: readonly Task[] }): void {
  for (const n of o.networks) syncNetwork(ipam, n);
  for (const s of o.services) syncService(ipam, s);
  for (const t of o.tasks) syncTask(ipam, t);
}
