/**
 * The lab's /24 (docs/design/cluster.md "The lab"): the first /24 from 10.213.0.0/16 up (10.213.0.0/24,
 * 10.213.1.0/24, …, 10.255.255.0/24) that overlaps nothing the host already routes or addresses, nor another lab.
 * Node i gets `.i`, the bridge `.254`. Pure: the caller reads the host's routes and addresses (`ip -j`).
 */
import { firstFreeSubnet, formatIp, parseCidr, parseIp, type Cidr } from '../lib/cidr.js';

export const LAB_POOL_FIRST_OCTET2 = 213;
export const GATEWAY_HOST = 254;

/** The first free /24 in 10.213.0.0 – 10.255.255.255, or undefined when every one is taken. */
export function chooseSubnet(taken: readonly Cidr[]): Cidr | undefined {
  // A default route (or any /0) overlaps everything without making an address unusable on a private bridge.
  const relevant = taken.filter((t) => t.len > 0);
  for (let a = LAB_POOL_FIRST_OCTET2; a <= 255; a++) {
    const pool = parseCidr(`10.${a}.0.0/16`);
    if (pool === undefined) continue;
    const free = firstFreeSubnet(pool, 24, relevant);
    if (free !== undefined) return free;
  }
  return undefined;
}

export function nodeAddr(subnet: Cidr, index: number): string {
  return formatIp(subnet.base + index);
}

export function gatewayAddr(subnet: Cidr): string {
  return formatIp(subnet.base + GATEWAY_HOST);
}

interface IpRoute {
  dst?: unknown;
}
interface IpAddrInfo {
  family?: unknown;
  local?: unknown;
  prefixlen?: unknown;
}
interface IpLink {
  addr_info?: IpAddrInfo[];
}

/**
 * What the host already uses, from `ip -j -4 route show table all` and `ip -j -4 addr show`: every route's
 * destination (`default` skipped, a bare address is a /32) and every interface address's network.
 */
export function takenFromIp(routes: readonly unknown[], links: readonly unknown[]): Cidr[] {
  const out: Cidr[] = [];
  for (const r of routes as IpRoute[]) {
    if (typeof r.dst !== 'string' || r.dst === 'default') continue;
    const c = r.dst.includes('/') ? parseCidr(r.dst) : parseIp(r.dst) === undefined ? undefined : parseCidr(`${r.dst}/32`);
    if (c !== undefined) out.push(c);
  }
  for (const l of links as IpLink[]) {
    for (const a of l.addr_info ?? []) {
      if (a.family !== undefined && a.family !== 'inet') continue;
      if (typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const c = parseCidr(`${a.local}/${a.prefixlen}`);
      if (c !== undefined) out.push(c);
    }
  }
  return out;
}
