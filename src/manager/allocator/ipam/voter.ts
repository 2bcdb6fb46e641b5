/**
 * The networks voter (swarmkit's network allocator, per task): a task of a service on networks gets one address
 * on each, in the service's network order, then on `ingress` when the service publishes ingress ports (or only
 * host-mode ports, with no network of its own):
 * `NetworksAttachments: [{ Network, Addresses: ['10.0.1.5/24'] }]`. A missing network, or a pool with no free
 * address, keeps the task NEW with the reason (`network 1xyz not found`, `could not allocate IP from IPAM: no
 * available addresses on network web_net`), and gives back what it had been given in advance.
 *
 * Voting twice for one task gives the same addresses (they are held by the task from the first vote on).
 */
import type { Service, Task } from '../../../api/types.js';
import type { TaskVoter, Vote } from '../task-ballot.js';
import { attachedNetwork, publishesIngress, taskNetworkTargets } from './attachments.js';
import type { Ipam } from './ipam.js';
import { holderOf } from './ipam.js';

/** The network IDs the task goes on, in order, or the first target that names no network. */
export function taskNetworks(ipam: Ipam, task: Task, service: Service): { ok: true; ids: string[] } | { ok: false; missing: string } {
  const ids: string[] = [];
  for (const target of taskNetworkTargets(task, service)) {
    const n = ipam.find(target);
    if (n === undefined) return { ok: false, missing: target };
    if (!ids.includes(n.Id)) ids.push(n.Id);
  }
  // A task that publishes host-mode ports but is on no network still needs an address to forward them to: it goes
  // on ingress, as a docker container without networks goes on the default bridge.
  const hostOnly = ids.length === 0 && (service.Spec.EndpointSpec?.Ports ?? []).some((p) => p.PublishMode === 'host');
  const ingress = publishesIngress(service) || hostOnly ? ipam.ingress() : undefined;
  if (ingress !== undefined && !ids.includes(ingress.Id)) ids.push(ingress.Id);
  return { ok: true, ids };
}

export function networksVoter(ipam: Ipam): TaskVoter {
  return {
    name: 'networks',
    vote(task, service): Vote {
      const holder = holderOf.task(task.ID);
      const nets = taskNetworks(ipam, task, service);
      if (!nets.ok) {
        ipam.releaseAll(holder);
        return { kind: 'refuse', reason: `network ${nets.missing} not found` };
      }
      // Anything held on a network the task no longer goes on (its service changed) is given back.
      for (const id of ipam.holdings(holder).keys()) if (!nets.ids.includes(id)) ipam.release(id, holder);
      if (nets.ids.length === 0) return { kind: 'yes' };
      const attachments: NonNullable<Task['NetworksAttachments']> = [];
      for (const id of nets.ids) {
        const got = ipam.allocate(id, holder);
        const network = ipam.network(id);
        if (!got.ok || network === undefined) {
          ipam.releaseAll(holder);
          return { kind: 'refuse', reason: got.ok ? `network ${id} not found` : got.reason };
        }
        attachments.push({ Network: attachedNetwork(network), Addresses: [got.addr] });
      }
      return { kind: 'yes', patch: { NetworksAttachments: attachments } };
    },
  };
}
