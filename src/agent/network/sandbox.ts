/**
 * A container's sandbox, planned as text: validation of a SandboxRequest, the one `sh -c` script that wires it
 * (netns, veths into the bridges, addresses, routes, the DNS DNAT table), the scripts that add or remove one
 * endpoint of a live sandbox (`docker network connect/disconnect`), the script that removes it, and the
 * resolv.conf / hosts content the container gets. Pure, except for reading nothing: inputs are plain data.
 *
 * Interface names: a sandbox wired whole numbers its endpoints 0, 1, … (`eth<i>`, node-side veth `v<id12><i>`); an
 * endpoint added live takes the lowest index no endpoint uses, so a disconnect never renames the others.
 */
import { invalidArgument } from '../../api/errors.js';
import type { HostPortMapping, SandboxEndpoint, SandboxRequest } from '../exec/network.js';
import { contains, formatIp, macForIp, parseAddrCidr, parseCidr, parseIp } from '../../lib/cidr.js';
import { bridgeName, containerIfName, vethName } from './names.js';
import { shQuote } from './iproute.js';
import { EMBEDDED_DNS, SANDBOX_DNS_TABLE } from './ruleset.js';
import { mtuArg } from './overlay.js';

export const MAX_ENDPOINTS = 36;

/** A sandbox as the host keeps it: the request, and each endpoint's interface index once endpoints came and went. */
export interface SandboxRecord extends SandboxRequest {
  /** Interface index of each endpoint, in endpoint order; absent: 0, 1, … (as `wireScript` numbers them). */
  ifaces?: number[];
}

/** The interface index of each endpoint of a sandbox. */
export function ifacesOf(rec: SandboxRecord): number[] {
  return rec.ifaces ?? rec.endpoints.map((_, i) => i);
}

/** The lowest interface index no endpoint of the sandbox uses (below MAX_ENDPOINTS; the caller checks the count). */
export function freeIface(rec: SandboxRecord): number {
  const used = new Set(ifacesOf(rec));
  let i = 0;
  while (used.has(i)) i++;
  return i;
}

/** Docker's rule: the default route goes through the first network that is not internal. */
export function defaultGateway(endpoints: readonly SandboxEndpoint[]): string | undefined {
  return endpoints.find((ep) => !ep.network.internal)?.network.gateway;
}

/** Checks one endpoint the way `validateSandboxRequest` checks each (field names under `endpoint`). */
export function validateEndpoint(ep: SandboxEndpoint, field = 'endpoint'): void {
  const n = ep.network;
  if (!/^[0-9a-zA-Z]{9,}$/.test(n.id)) throw invalidArgument('network.invalid_network_id', `${field}.network.id: invalid network ID ${JSON.stringify(n.id)}`);
  const subnet = parseCidr(n.subnet, { strict: true });
  if (!subnet) throw invalidArgument('network.invalid_subnet', `${field}.network.subnet: invalid subnet ${JSON.stringify(n.subnet)}`);
  const gw = parseIp(n.gateway);
  if (gw === undefined || !contains(subnet, gw)) throw invalidArgument('network.invalid_gateway', `${field}.network.gateway: invalid gateway ${n.gateway}: not within subnet ${n.subnet}`);
  const a = parseAddrCidr(ep.address);
  if (!a || a.cidr.len !== subnet.len || !contains(subnet, a.ip)) throw invalidArgument('network.invalid_address', `${field}.address: invalid address ${JSON.stringify(ep.address)}: not within subnet ${n.subnet}`);
  if (a.ip === gw) throw invalidArgument('network.invalid_address', `${field}.address: ${ep.address} is the gateway of ${n.name}`);
}

/** Throws InvalidArgument naming the field for a request the adapter cannot wire. */
export function validateSandboxRequest(req: SandboxRequest): void {
  if (!/^[0-9a-f]{12,64}$/.test(req.containerId)) throw invalidArgument('network.invalid_container_id', `containerId: invalid container ID ${JSON.stringify(req.containerId)}`);
  if (req.hostname === '' || /\s/.test(req.hostname)) throw invalidArgument('network.invalid_hostname', `hostname: invalid hostname ${JSON.stringify(req.hostname)}`);
  if (req.endpoints.length === 0) throw invalidArgument('network.no_endpoints', 'endpoints: a sandbox needs at least one endpoint');
  if (req.endpoints.length > MAX_ENDPOINTS) throw invalidArgument('network.too_many_endpoints', `endpoints: at most ${MAX_ENDPOINTS} networks per container`);
  const seen = new Set<string>();
  req.endpoints.forEach((ep, i) => {
    const f = `endpoints[${i}]`;
    const n = ep.network;
    if (!/^[0-9a-zA-Z]{9,}$/.test(n.id)) throw invalidArgument('network.invalid_network_id', `${f}.network.id: invalid network ID ${JSON.stringify(n.id)}`);
    if (seen.has(bridgeName(n.id))) throw invalidArgument('network.duplicate_endpoint', `${f}.network.id: the container is already on network ${n.id}`);
    seen.add(bridgeName(n.id));
    validateEndpoint(ep, f);
  });
  const ports = new Set<string>();
  req.hostPorts.forEach((p, i) => {
    const f = `hostPorts[${i}]`;
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw invalidArgument('network.invalid_protocol', `${f}.protocol: invalid protocol ${JSON.stringify(p.protocol)}`);
    for (const k of ['published', 'target'] as const) {
      if (!Number.isInteger(p[k]) || p[k] < 1 || p[k] > 65535) throw invalidArgument('network.invalid_port', `${f}.${k}: invalid port ${String(p[k])}`);
    }
    const key = portKey(p);
    if (ports.has(key)) throw invalidArgument('network.duplicate_port', `${f}.published: port ${key} is published twice`);
    ports.add(key);
  });
}

export function portKey(p: { protocol: string; published: number }): string {
  return `${p.published}/${p.protocol}`;
}

/** The address part of 'a.b.c.d/len'. */
export function addrOf(cidrAddr: string): string {
  return cidrAddr.split('/')[0] ?? cidrAddr;
}

/** The container's resolv.conf: the embedded DNS, with the host's search domains (as docker keeps them). */
export function resolvConfFor(hostResolvConf: string): string {
  const search = hostResolvConf
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(search|domain)\s/.test(l))
    .pop();
  const searchLine = search === undefined ? '' : `search ${search.replace(/^(search|domain)\s+/, '')}\n`;
  return `${searchLine}nameserver ${EMBEDDED_DNS}\noptions ndots:0\n`;
}

export function hostsEntriesFor(req: SandboxRequest): string[] {
  const first = req.endpoints[0];
  return first ? [`${addrOf(first.address)}\t${req.hostname}`] : [];
}

/** The node-side DNAT entries for a sandbox's host-mode ports. */
export function hostPortRules(req: SandboxRequest): { protocol: 'tcp' | 'udp'; port: number; target: number; addr: string }[] {
  const first = req.endpoints[0];
  if (!first) return [];
  return req.hostPorts.map((p: HostPortMapping) => ({ protocol: p.protocol, port: p.published, target: p.target, addr: addrOf(first.address) }));
}

function heredoc(cmd: string, body: string, after = ''): string {
  return `${cmd} <<'SHOAL_EOF'${after}\n${body.endsWith('\n') ? body : body + '\n'}SHOAL_EOF`;
}

function ipCmd(netns: string | undefined): string {
  return netns === undefined ? 'ip' : `ip -n ${shQuote(netns)}`;
}

/** Runs shell lines in the node netns (a plain subshell for the daemon's own, `ip netns exec` for a test's). */
export function inNodeNetns(hostNetns: string | undefined, lines: readonly string[]): string {
  if (lines.length === 0) return ':';
  const body = lines.join('; ');
  return hostNetns === undefined ? `sh -c ${shQuote(body)}` : `ip netns exec ${shQuote(hostNetns)} sh -c ${shQuote(body)}`;
}

export interface WireOptions {
  netns: string;
  hostNetns: string | undefined;
  owner: string;
  /** Text of the DNS DNAT table for the first endpoint. */
  dnsTable: (opts: { gateway: string; self: string }) => string;
  /** Shell lines to run first in the node netns (bridge batch and sysctls for bridges this call makes). */
  prelude: string[];
}

/** The one `sh -c` script that wires a sandbox (docs/design/networking.md: one process spawn per container). */
export function wireScript(req: SandboxRequest, o: WireOptions): string {
  const ns = shQuote(o.netns);
  const node: string[] = [];
  const inside: string[] = ['link set lo up'];
  req.endpoints.forEach((ep, i) => {
    const veth = vethName(req.containerId, i);
    const ifname = containerIfName(i);
    const a = parseAddrCidr(ep.address);
    node.push(`link add ${veth}${mtuArg(ep.network)} type veth peer name ${ifname}${mtuArg(ep.network)} netns ${o.netns}`, `link set ${veth} alias ${shQuote(o.owner)} master ${bridgeName(ep.network.id)} up`);
    inside.push(`link set ${ifname} address ${macForIp(a?.ip ?? 0)}`, `addr add ${ep.address} dev ${ifname}`, `link set ${ifname} up`);
  });
  // Docker's rule: the default route goes through the first network that is not internal.
  const routed = req.endpoints.find((ep) => !ep.network.internal);
  if (routed) inside.push(`route add default via ${routed.network.gateway}`);
  const first = req.endpoints[0];
  const dns = first ? o.dnsTable({ gateway: first.network.gateway, self: formatIp(parseAddrCidr(first.address)?.ip ?? 0) }) : '';
  return [
    'set -e',
    ...o.prelude,
    `ip netns add ${ns}`,
    heredoc(`${ipCmd(o.hostNetns)} -batch -`, node.join('\n')),
    // Inside the container netns, entered once: its links and routes, then the DNS table (its whole extra cost is
    // one `nft -f`, a few ms).
    `ip netns exec ${ns} sh -s <<'SHOAL_NS'`,
    'set -e',
    heredoc('ip -batch -', inside.join('\n')),
    'echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet',
    heredoc('nft -f /dev/stdin', dns),
    'SHOAL_NS',
  ].join('\n');
}

export interface ConnectOptions {
  netns: string;
  hostNetns: string | undefined;
  owner: string;
  dnsTable: (opts: { gateway: string; self: string }) => string;
  /** Shell lines to run first in the node netns (the bridge of a network this node did not have yet). */
  prelude: string[];
  /** Take over the private netns of this process (a running container that had no sandbox) under `netns`. */
  adoptPid?: number;
}

/** The DNS DNAT table text for a sandbox's first endpoint (undefined without endpoints). */
function dnsTableFor(endpoints: readonly SandboxEndpoint[], dnsTable: ConnectOptions['dnsTable']): string | undefined {
  const first = endpoints[0];
  return first === undefined ? undefined : dnsTable({ gateway: first.network.gateway, self: formatIp(parseAddrCidr(first.address)?.ip ?? 0) });
}

/** Whether the first endpoint (the one DNS goes through) differs between two endpoint lists. */
function firstChanged(before: readonly SandboxEndpoint[], after: readonly SandboxEndpoint[]): boolean {
  const a = before[0];
  const b = after[0];
  return a?.network.id !== b?.network.id || a?.address !== b?.address;
}

/**
 * One `sh -c` adding the last endpoint of `after` to a live sandbox (`before` is the sandbox as it was, empty for an
 * adopted netns): its veth into the bridge, its address and MAC, the default route when it moved, the DNS table
 * when the first endpoint changed.
 */
export function connectScript(before: SandboxRecord, after: SandboxRecord, o: ConnectOptions): string {
  const k = after.endpoints.length - 1;
  const ep = after.endpoints[k];
  const slot = ifacesOf(after)[k];
  if (ep === undefined || slot === undefined) throw invalidArgument('network.no_endpoints', 'endpoint: nothing to connect');
  const ns = shQuote(o.netns);
  const veth = vethName(after.containerId, slot);
  const ifname = containerIfName(slot);
  const a = parseAddrCidr(ep.address);
  const node = [`link add ${veth}${mtuArg(ep.network)} type veth peer name ${ifname}${mtuArg(ep.network)} netns ${o.netns}`, `link set ${veth} alias ${shQuote(o.owner)} master ${bridgeName(ep.network.id)} up`];
  const inside = [...(o.adoptPid !== undefined ? ['link set lo up'] : []), `link set ${ifname} address ${macForIp(a?.ip ?? 0)}`, `addr add ${ep.address} dev ${ifname}`, `link set ${ifname} up`];
  const gw = defaultGateway(after.endpoints);
  if (gw !== undefined && gw !== defaultGateway(before.endpoints)) inside.push(`route replace default via ${gw}`);
  const dns = firstChanged(before.endpoints, after.endpoints) ? dnsTableFor(after.endpoints, o.dnsTable) : undefined;
  return [
    'set -e',
    ...o.prelude,
    ...(o.adoptPid !== undefined ? [`ip netns attach ${ns} ${String(o.adoptPid)}`] : []),
    heredoc(`${ipCmd(o.hostNetns)} -batch -`, node.join('\n')),
    `ip netns exec ${ns} sh -s <<'SHOAL_NS'`,
    'set -e',
    heredoc('ip -batch -', inside.join('\n')),
    ...(dns !== undefined ? ['echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet', heredoc('nft -f /dev/stdin', dns)] : []),
    'SHOAL_NS',
  ].join('\n');
}

/**
 * One `sh -c` removing the endpoint on `networkId` from a live sandbox: its node-side veth (the container side goes
 * with it), then inside the netns the default route through the next routed endpoint and the DNS table for the new
 * first endpoint (dropped when none is left).
 */
export function disconnectScript(
  before: SandboxRecord,
  after: SandboxRecord,
  networkId: string,
  /** `keepVeth`: leave the node-side link alone (undoing a connect that failed before its veth was made). */
  o: Pick<ConnectOptions, 'netns' | 'hostNetns' | 'dnsTable'> & { keepVeth?: boolean },
): string {
  const k = before.endpoints.findIndex((e) => e.network.id === networkId);
  const slot = ifacesOf(before)[k];
  if (k < 0 || slot === undefined) return ':';
  const ns = shQuote(o.netns);
  const inside: string[] = [];
  const gw = defaultGateway(after.endpoints);
  if (gw !== undefined && gw !== defaultGateway(before.endpoints)) inside.push(heredoc('ip -batch -', `route replace default via ${gw}`));
  if (firstChanged(before.endpoints, after.endpoints)) {
    const dns = dnsTableFor(after.endpoints, o.dnsTable);
    inside.push(dns !== undefined ? heredoc('nft -f /dev/stdin', dns) : `nft delete table ip ${SANDBOX_DNS_TABLE} 2>/dev/null || true`);
  }
  return [
    'set -e',
    ...(o.keepVeth === true ? [] : [heredoc(`${ipCmd(o.hostNetns)} -force -batch -`, `link del ${vethName(before.containerId, slot)}`, ' 2>/dev/null || true')]),
    ...(inside.length > 0 ? [`ip netns exec ${ns} sh -s <<'SHOAL_NS'`, 'set -e', ...inside, 'SHOAL_NS'] : []),
  ].join('\n');
}

/** Removes the node-side veths (synchronously, unlike a netns delete) and the netns; missing parts are fine. */
export function unwireScript(netns: string, hostNetns: string | undefined, veths: readonly string[]): string {
  const lines = ['set -e'];
  if (veths.length > 0) lines.push(heredoc(`${ipCmd(hostNetns)} -force -batch -`, veths.map((v) => `link del ${v}`).join('\n'), ' 2>/dev/null || true'));
  lines.push(`if [ -e ${shQuote(`/run/netns/${netns}`)} ]; then ip netns del ${shQuote(netns)}; fi`);
  return lines.join('\n');
}
