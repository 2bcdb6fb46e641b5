/**
 * Bridges, one per network (`shl<network id 9>`), planned from the kernel's links: pure functions from the
 * links `ip -j -d addr show` lists and the wanted bridges to `ip -batch` lines. A bridge holds the network's
 * gateway/len, this node's LB address/len and every VIP/32 on the network (so the node answers ARP for them).
 */
import { shQuote } from './iproute.js';

/** One link as `ip -j -d addr show` lists it, reduced to what the host network needs. */
export interface LinkState {
  name: string;
  kind: string | undefined;
  master: string | undefined;
  alias: string | undefined;
  /** IPv4 addresses, 'a.b.c.d/len'. */
  addrs: string[];
  /** The link's MAC address. */
  mac?: string;
  /** A VXLAN device's parameters (overlay.ts). */
  vxlan?: { id: number; port: number; local: string | undefined };
}

interface IpAddrJson {
  ifname?: string;
  master?: string;
  ifalias?: string;
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string } };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

export function parseLinks(json: unknown[]): LinkState[] {
  return (json as IpAddrJson[])
    .filter((l) => typeof l.ifname === 'string')
    .map((l) => ({
      name: l.ifname ?? '',
      kind: l.linkinfo?.info_kind,
      master: l.master,
      alias: l.ifalias,
      addrs: (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local !== undefined).map((a) => `${a.local ?? ''}/${String(a.prefixlen ?? 32)}`),
      ...(l.address !== undefined ? { mac: l.address } : {}),
      ...(l.linkinfo?.info_kind === 'vxlan'
        ? { vxlan: { id: l.linkinfo.info_data?.id ?? 0, port: l.linkinfo.info_data?.port ?? 0, local: l.linkinfo.info_data?.local } }
        : {}),
    }));
}

export interface BridgeWant {
  name: string;
  /** 'a.b.c.d/len': the first address, added before any other. */
  gateway: string;
  /** Further addresses: the node LB address 'a.b.c.d/len', VIPs 'a.b.c.d/32'. */
  extra: string[];
}

export interface BridgePlan {
  /** `ip -batch` lines for the node netns. */
  batch: string[];
  /** Bridges made by this plan: they need `route_localnet=1` (and the host `ip_forward=1`). */
  created: string[];
  removed: string[];
}

/**
 * What to do so that exactly `want`'s addresses are on each wanted bridge. With `prune`, bridges this daemon owns
 * (alias `owner`) that are not wanted and have no port attached are deleted. Without it, extra addresses on an
 * existing bridge are left (createSandbox only ensures).
 */
export function planBridges(want: readonly BridgeWant[], links: readonly LinkState[], owner: string, prune: boolean): BridgePlan {
  const byName = new Map(links.map((l) => [l.name, l]));
  const batch: string[] = [];
  const created: string[] = [];
  const removed: string[] = [];
  for (const w of want) {
    const have = byName.get(w.name);
    const desired = [w.gateway, ...w.extra.filter((a) => a !== w.gateway)];
    if (!have) {
      batch.push(`link add ${w.name} type bridge`, `link set ${w.name} alias ${shQuote(owner)} up`);
      for (const a of desired) batch.push(`addr add ${a} dev ${w.name}`);
      created.push(w.name);
      continue;
    }
    const current = new Set(have.addrs);
    for (const a of desired) if (!current.has(a)) batch.push(`addr add ${a} dev ${w.name}`);
    if (prune) {
      const keep = new Set(desired);
      for (const a of have.addrs) if (!keep.has(a)) batch.push(`addr del ${a} dev ${w.name}`);
    }
  }
  if (prune) {
    const wanted = new Set(want.map((w) => w.name));
    const attached = new Set(links.map((l) => l.master).filter((m): m is string => m !== undefined));
    for (const l of links) {
      if (l.alias !== owner || l.kind !== 'bridge' || wanted.has(l.name) || attached.has(l.name)) continue;
      batch.push(`link del ${l.name}`);
      removed.push(l.name);
    }
  }
  return { batch, created, removed };
}

/** The sysctls a new bridge needs, as shell lines for the node netns: forwarding on, loopback DNAT allowed. */
export function bridgeSysctls(created: readonly string[]): string[] {
  if (created.length === 0) return [];
  return ['echo 1 > /proc/sys/net/ipv4/ip_forward', ...created.map((b) => `echo 1 > /proc/sys/net/ipv4/conf/${b}/route_localnet`)];
}
