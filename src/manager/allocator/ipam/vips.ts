/**
 * Virtual IPs (pure): a service in `vip` mode (the default) gets one address on `ingress` when it publishes
 * ingress ports (first, as swarm lists it), then one on each network it is attached to, in spec order:
 * `Endpoint.VirtualIPs: [{ NetworkID, Addr: '10.0.1.2/24' }]`. A service keeps the VIP it has on a network for as
 * long as it stays attached; `dnsrr` services have none. A network that does not exist is skipped (the service's
 * tasks wait with `network X not found`). A pool with no free address refuses the service with the reason.
 *
 * VIPs planned here are held by the service from now on; the ones it no longer wants are freed by the caller
 * once the Endpoint without them is stored (Ipam.settle).
 */
import type { Endpoint, Service } from '../../../api/types.js';
import { publishesIngress, serviceNetworkTargets, usesVip } from './attachments.js';
import type { Ipam } from './ipam.js';
import { holderOf } from './ipam.js';

export type VirtualIP = NonNullable<Endpoint['VirtualIPs']>[number];
export type VipPlan = { ok: true; vips: VirtualIP[] } | { ok: false; reason: string };

export function planVips(ipam: Ipam, service: Service): VipPlan {
  if (!usesVip(service)) return { ok: true, vips: [] };
  const ids: string[] = [];
  const ingress = publishesIngress(service) ? ipam.ingress() : undefined;
  if (ingress !== undefined) ids.push(ingress.Id);
  for (const target of serviceNetworkTargets(service)) {
    const n = ipam.find(target);
    if (n !== undefined && !ids.includes(n.Id)) ids.push(n.Id);
  }
  const holder = holderOf.vip(service.ID);
  const vips: VirtualIP[] = [];
  for (const id of ids) {
    const got = ipam.allocate(id, holder);
    if (!got.ok) return { ok: false, reason: got.reason };
    vips.push({ NetworkID: id, Addr: got.addr });
  }
  return { ok: true, vips };
}

