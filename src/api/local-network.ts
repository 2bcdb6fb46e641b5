/**
 * Local (single-host) networks, the `bridge` driver (issue 6): the create request, the stored shape and the IPAM
 * (docs/design/networking.md; the store is src/daemon/local-networks.ts). Pure: no node:* imports.
 *
 * - A create body with `Driver` `bridge` or empty (docker's default driver is `bridge`) makes a local network:
 *   `Scope: 'local'`, a 64-hex `Id`, `IPAM.Config: [{Subnet, Gateway}]` always filled.
 * - Subnets come from docker's local default pools, in order: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16
 *   in /20 blocks; never overlapping another network (local or swarm). An explicit subnet that overlaps is refused
 *   with docker's `invalid pool request: Pool overlaps with other one on this address space`.
 * - Addresses: `.0` network, the gateway (`.1` unless given), never the broadcast; a container gets the lowest free
 *   address (inside `IPRange` when given), or the one it asks for when that one is free.
 * - The bodies of `POST /networks/{id}/connect` and `/disconnect` (for local and attachable swarm networks alike):
 *   `{Container, EndpointConfig: {Aliases, IPAMConfig: {IPv4Address}}}` and `{Container, Force}`, validated here.
 */
import { ShoalError, failedPrecondition, invalidArgument, notFound } from './errors.js';
import { parseNetworkCreate, type NetworkIpamRequest } from './network-spec.js';
import type { IPAMConfig, Labels, Network } from './types.js';
import { contains, firstFreeSubnet, formatCidr, formatIp, lastOf, nth, overlaps, parseCidr, parseIp, type Cidr } from '../lib/cidr.js';

/** docker's `localScopeDefaultNetworks`: base and the size of the blocks handed out. */
export const LOCAL_POOLS: readonly { base: string; size: number }[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

export interface LocalNetworkSpec {
  Name: string;
  Internal: boolean;
  Attachable: boolean;
  Labels: Labels;
  Options: Record<string, string>;
  IpamOptions: Record<string, string> | null;
  Ipam?: NetworkIpamRequest;
}

const bad = (code: string, message: string): ShoalError => invalidArgument(`network.${code}`, message);

/** True when a create body asks for a local network: `Driver` is `bridge` or absent/empty (docker's default). */
export function isLocalCreate(input: unknown): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const driver = (input as { Driver?: unknown }).Driver;
  return driver === undefined || driver === null || driver === '' || driver === 'bridge';
}

/** `POST /networks/create` with the bridge driver: the validated request, or a ShoalError naming the field. */
export function parseLocalNetworkCreate(input: unknown): LocalNetworkSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return parseNetworkCreate(input);
  const body = input as Record<string, unknown>;
  const scope = body.Scope;
  if (scope !== undefined && scope !== null && scope !== '' && scope !== 'local') {
    throw bad('scope_invalid', `Scope: a bridge network is local (invalid value ${JSON.stringify(scope)}; use local or leave it out)`);
  }
  if (body.Ingress === true) throw bad('ingress_bridge', 'Ingress: only a swarm overlay network can be the ingress network (use --driver overlay)');
  // The rest (name, labels, options, IPAM, IPv4/IPv6) is checked as for any network.
  const spec = parseNetworkCreate({ ...body, Driver: 'overlay', Scope: '' });
  const out: LocalNetworkSpec = {
    Name: spec.Name,
    Internal: spec.Internal,
    Attachable: spec.Attachable,
    Labels: spec.Labels,
    Options: spec.Options,
    IpamOptions: spec.IpamOptions,
  };
  if (spec.Ipam !== undefined) out.Ipam = spec.Ipam;
  return out;
}

/**
 * The IPAM config of a new local network: the explicit subnet (refused when it overlaps `taken`) or the first free
 * block of docker's local pools; gateway `.1` unless given.
 */
export function planLocalIpam(request: NetworkIpamRequest | undefined, taken: readonly Cidr[]): IPAMConfig {
  let subnet: Cidr | undefined;
  if (request !== undefined) {
    subnet = parseCidr(request.Subnet);
    if (subnet === undefined) throw bad('subnet_invalid', `ipam configuration: invalid subnet ${request.Subnet}`);
    const wanted = subnet;
    if (taken.some((t) => overlaps(t, wanted))) throw bad('overlap', 'invalid pool request: Pool overlaps with other one on this address space');
  } else {
    for (const pool of LOCAL_POOLS) {
      const base = parseCidr(pool.base);
      subnet = base === undefined ? undefined : firstFreeSubnet(base, pool.size, taken);
      if (subnet !== undefined) break;
    }
    if (subnet === undefined) {
      throw bad('pool_exhausted', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    }
  }
  const out: IPAMConfig = { Subnet: formatCidr(subnet) };
  if (request?.IPRange !== undefined) out.IPRange = request.IPRange;
  out.Gateway = request?.Gateway ?? formatIp(nth(subnet, 1));
  return out;
}

/** The subnets of networks, parsed (for `taken`). */
export function subnetsOf(networks: readonly Pick<Network, 'IPAM'>[]): Cidr[] {
  return networks.flatMap((n) => n.IPAM.Config.map((c) => (c.Subnet === undefined ? undefined : parseCidr(c.Subnet))).filter((c): c is Cidr => c !== undefined));
}

/**
 * A container's address on a network, `a.b.c.d/len`: `wanted` (a dotted quad) when free and inside the subnet,
 * else the lowest free one (inside `IPRange` when set). `used` holds addresses with or without the prefix length.
 */
export function allocateAddress(network: Pick<Network, 'Name' | 'Id' | 'IPAM'>, used: Iterable<string>, wanted?: string): string {
  const cfg = network.IPAM.Config[0];
  const subnet = cfg?.Subnet === undefined ? undefined : parseCidr(cfg.Subnet);
  if (cfg === undefined || subnet === undefined) throw failedPrecondition('network.no_subnet', `network ${network.Name} has no IPv4 subnet`);
  const taken = new Set<number>();
  for (const u of used) {
    const ip = parseIp(u.split('/')[0] ?? '');
    if (ip !== undefined) taken.add(ip);
  }
  const gateway = cfg.Gateway === undefined ? undefined : parseIp(cfg.Gateway);
  if (gateway !== undefined) taken.add(gateway);
  const reserved = (ip: number): boolean => ip === subnet.base || ip === lastOf(subnet);
  if (wanted !== undefined && wanted !== '') {
    const ip = parseIp(wanted);
    if (ip === undefined) throw bad('address_invalid', `IPAMConfig.IPv4Address: invalid address ${JSON.stringify(wanted)}`);
    if (!contains(subnet, ip) || reserved(ip)) {
      throw bad('address_outside', `IPAMConfig.IPv4Address: ${wanted} is not a usable address of network ${network.Name} (${formatCidr(subnet)})`);
    }
    if (taken.has(ip)) throw invalidArgument('network.address_in_use', 'Address already in use');
    return `${wanted}/${subnet.len}`;
  }
  const range = cfg.IPRange === undefined ? subnet : (parseCidr(cfg.IPRange) ?? subnet);
  for (let ip = range.base; ip <= lastOf(range); ip++) {
    if (!reserved(ip) && !taken.has(ip)) return `${formatIp(ip)}/${subnet.len}`;
  }
  throw invalidArgument('network.addresses_exhausted', `no available IPv4 addresses on this network's address pools: ${network.Name} (${network.Id})`);
}

export interface NewLocalNetworkFields {
  id: string;
  created: string;
  spec: LocalNetworkSpec;
  ipam: IPAMConfig;
}

/** A local network in dockerd's `NetworkResource` shape. */
export function newLocalNetwork(f: NewLocalNetworkFields): Network {
  return {
    Name: f.spec.Name,
    Id: f.id,
    Created: f.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: f.spec.IpamOptions, Config: [f.ipam] },
    Internal: f.spec.Internal,
    Attachable: f.spec.Attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { ...f.spec.Options },
    Labels: { ...f.spec.Labels },
  };
}

/** `network X not found`, as dockerd says. */
export const networkNotFound = (ref: string): ShoalError => notFound('network.not_found', `network ${ref} not found`);

/** Refused removal of a network with containers on it (dockerd's text). */
export const networkHasEndpoints = (n: Pick<Network, 'Name' | 'Id'>): ShoalError =>
  failedPrecondition('network.active_endpoints', `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);

// ------------------------------------------------------------------ connect and disconnect bodies

/** `POST /networks/{id}/connect`, validated: what Shoal uses of docker's `NetworkConnectRequest`. */
export interface NetworkConnectRequest {
  /** The container's ID, name or ID prefix. */
  Container: string;
  /** `EndpointConfig.Aliases`: more DNS names for the container on this network. */
  Aliases: string[];
  /** `EndpointConfig.IPAMConfig.IPv4Address`, when asked for. */
  IPv4Address?: string;
}

/** `POST /networks/{id}/disconnect`, validated (docker's `NetworkDisconnectRequest`). */
export interface NetworkDisconnectRequest {
  Container: string;
  Force: boolean;
}

const badConnect = (message: string): ShoalError => invalidArgument('network.connect_invalid', message);

function objectOrNothing(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badConnect(`${field}: expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function jsonObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badConnect(`${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function containerRef(body: Record<string, unknown>): string {
  const c = body.Container;
  if (c === undefined || c === null || c === '') throw badConnect('Container: a container ID or name is required');
  if (typeof c !== 'string') throw badConnect(`Container: expected a string, got ${JSON.stringify(c)}`);
  return c;
}

/** The connect body (untrusted JSON) → the request, or InvalidArgument naming the field. */
export function parseNetworkConnect(input: unknown): NetworkConnectRequest {
  const body = jsonObject(input, 'connect request');
  const Container = containerRef(body);
  const ep = objectOrNothing(body.EndpointConfig, 'EndpointConfig');
  const aliases = ep?.Aliases;
  let Aliases: string[] = [];
  if (aliases !== undefined && aliases !== null) {
    if (!Array.isArray(aliases)) throw badConnect(`EndpointConfig.Aliases: expected an array of strings, got ${JSON.stringify(aliases)}`);
    Aliases = aliases.map((a: unknown, i) => {
      if (typeof a !== 'string' || a === '' || /\s/.test(a)) throw badConnect(`EndpointConfig.Aliases[${i}]: invalid alias ${JSON.stringify(a)}`);
      return a;
    });
  }
  const ipam = objectOrNothing(ep?.IPAMConfig, 'EndpointConfig.IPAMConfig');
  const v4 = ipam?.IPv4Address;
  if (v4 !== undefined && v4 !== null && v4 !== '' && (typeof v4 !== 'string' || parseIp(v4) === undefined)) {
    throw badConnect(`EndpointConfig.IPAMConfig.IPv4Address: invalid IPv4 address: ${typeof v4 === 'string' ? v4 : JSON.stringify(v4)}`);
  }
  const v6 = ipam?.IPv6Address;
  if (v6 !== undefined && v6 !== null && v6 !== '') throw badConnect('EndpointConfig.IPAMConfig.IPv6Address: IPv6 is not supported on Shoal networks');
  return { Container, Aliases: [...new Set(Aliases)], ...(typeof v4 === 'string' && v4 !== '' ? { IPv4Address: v4 } : {}) };
}

/** The disconnect body (untrusted JSON) → the request, or InvalidArgument naming the field. */
export function parseNetworkDisconnect(input: unknown): NetworkDisconnectRequest {
  const body = jsonObject(input, 'disconnect request');
  const Container = containerRef(body);
  const force = body.Force;
  if (force !== undefined && force !== null && typeof force !== 'boolean') throw badConnect(`Force: expected a boolean, got ${JSON.stringify(force)}`);
  return { Container, Force: force === true };
}

/** dockerd's refusal of a second endpoint of a running container on a network. */
export const endpointExists = (container: string, network: string): ShoalError =>
  new ShoalError('Conflict', 'network.endpoint_exists', `endpoint with name ${container} already exists in network ${network}`);
