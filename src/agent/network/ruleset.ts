/**
 * The nftables text of a node (docs/design/networking.md "The data path"): pure renderers, no I/O.
 *
 * `renderNodeRuleset` owns the daemon's one `table ip <T>` in the node netns:
 * - VIPs: traffic to a VIP arriving on its own bridge (or from the node itself), any port and protocol, is DNATed
 *   to `numgen random mod N map { … }` over the endpoints (same port), the connection is marked, and `postrouting`
 *   SNATs marked connections to the node's LB address on the endpoint's bridge. No endpoints: reject.
 * - Ingress (routing mesh): `port/protocol` on any local address (`fib daddr type local`; `prerouting` for traffic
 *   from outside, `output` for the node itself, 127.0.0.1 included) is DNATed to a random endpoint `:target`,
 *   marked, and SNATed to the LB address like a VIP.
 * - Host-mode ports: `port/protocol` on local addresses → `addr:target`; masqueraded only when the connection
 *   comes from the node itself (its source would be a loopback or node address the container cannot answer).
 * - Forwarding: established/related pass; within one bridge passes; an internal bridge's traffic stays on it;
 *   published (DNATed) connections may enter a bridge from anywhere; everything else into a Shoal bridge is dropped
 *   (so two Shoal networks never talk). Non-internal subnets masquerade when leaving to a non-Shoal interface.
 * The file starts with `table ip T {}` + `delete table ip T`, so one `nft -f` replaces the table atomically and
 * established connections keep their conntrack NAT bindings. The text is deterministic (inputs are sorted).
 *
 * `renderSandboxDns` owns the table inside a container netns that sends 127.0.0.11:53 (udp+tcp) to the network
 * gateway's :53 and gives it the container's own source (needs route_localnet=1 in that netns).
 */
import { invalidArgument } from '../../api/errors.js';
import { contains, formatCidr, formatIp, overlaps, parseCidr, parseIp } from '../../lib/cidr.js';
import type { Cidr } from '../../lib/cidr.js';

export interface NodeRulesetInput {
  /** nft table name, unique per daemon. */
  table: string;
  /** Every Shoal bridge on the node. */
  bridges: { name: string; subnet: string; internal: boolean }[];
  /** `snat` = the node's LB address on that bridge (no prefix). */
  vips: { vip: string; bridge: string; snat: string; endpoints: string[] }[];
  ingress: { protocol: 'tcp' | 'udp'; port: number; target: number; bridge: string; snat: string; endpoints: string[] }[];
  hostPorts: { protocol: 'tcp' | 'udp'; port: number; target: number; addr: string }[];
}

/** Connection mark of VIP and ingress connections: SNAT to the LB address of the bridge they leave on. */
export const LB_MARK = 0x53480001;
/** Connection mark of host-port connections opened by the node itself: masqueraded. */
export const LOCAL_MARK = 0x53480002;

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Linux interface names: at most 15 bytes, no whitespace, '/' or quotes. */
const IF_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function bad(field: string, message: string): never {
  throw invalidArgument('network.ruleset_invalid', `${field}: ${message}`);
}

function tableName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
    bad(field, `${JSON.stringify(name)} is not a valid nft table name (a letter, then up to 63 letters, digits, '_' or '-')`);
  }
  return name;
}

function ip(s: unknown, field: string): number {
  const n = typeof s === 'string' ? parseIp(s) : undefined;
  if (n === undefined) bad(field, `${JSON.stringify(s)} is not an IPv4 address`);
  return n;
}

function port(p: unknown, field: string): number {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) bad(field, `${JSON.stringify(p)} is not a port (1-65535)`);
  return p;
}

function protocol(p: unknown, field: string): 'tcp' | 'udp' {
  if (p !== 'tcp' && p !== 'udp') bad(field, `${JSON.stringify(p)} is not tcp or udp`);
  return p;
}

interface Bridge {
  name: string;
  cidr: Cidr;
  internal: boolean;
  /** The LB address SNATed to on this bridge (from the VIPs and ingress entries on it). */
  snat?: number;
}

interface Balanced {
  /** Chain name. */
  chain: string;
  endpoints: number[];
  /** DNAT port (ingress); undefined keeps the port (VIPs). */
  target?: number;
  protocol?: 'tcp' | 'udp';
}

interface Vip extends Balanced {
  vip: number;
  bridge: string;
}

interface Published extends Balanced {
  protocol: 'tcp' | 'udp';
  port: number;
}

interface HostPort {
  protocol: 'tcp' | 'udp';
  port: number;
  target: number;
  addr: number;
}

interface Validated {
  table: string;
  bridges: Bridge[];
  vips: Vip[];
  ingress: Published[];
  hostPorts: HostPort[];
}

const ipText = formatIp;
const chainIp = (n: number): string => ipText(n).replace(/\./g, '_');

function endpointList(eps: unknown, cidr: Cidr, field: string): number[] {
  if (!Array.isArray(eps)) bad(field, 'must be a list of IPv4 addresses');
  const set = new Set<number>();
  eps.forEach((e, i) => {
    const n = ip(e, `${field}[${i}]`);
    if (!contains(cidr, n)) bad(`${field}[${i}]`, `${ipText(n)} is not within the bridge subnet ${formatCidr(cidr)}`);
    set.add(n);
  });
  return [...set].sort((a, b) => a - b);
}

function setSnat(bridge: Bridge, snat: number, field: string): void {
  if (!contains(bridge.cidr, snat)) bad(field, `${ipText(snat)} is not within the bridge subnet ${formatCidr(bridge.cidr)}`);
  if (bridge.snat !== undefined && bridge.snat !== snat) {
    bad(field, `${ipText(snat)} differs from ${ipText(bridge.snat)}, the LB address already given for bridge ${bridge.name}`);
  }
  bridge.snat = snat;
}

function validate(i: NodeRulesetInput): Validated {
  const table = tableName(i.table, 'table');
  for (const k of ['bridges', 'vips', 'ingress', 'hostPorts'] as const) {
    if (!Array.isArray(i[k])) bad(k, 'must be a list');
  }
  const byName = new Map<string, Bridge>();
  i.bridges.forEach((b, k) => {
    const f = `bridges[${k}]`;
    if (typeof b.name !== 'string' || !IF_NAME.test(b.name)) bad(`${f}.name`, `${JSON.stringify(b.name)} is not an interface name`);
    if (byName.has(b.name)) bad(`${f}.name`, `bridge ${b.name} is listed twice`);
    const cidr = typeof b.subnet === 'string' ? parseCidr(b.subnet, { strict: true }) : undefined;
    if (cidr === undefined) bad(`${f}.subnet`, `${JSON.stringify(b.subnet)} is not a subnet (a.b.c.d/len with no host bits)`);
    for (const other of byName.values()) {
      if (overlaps(other.cidr, cidr)) bad(`${f}.subnet`, `${b.subnet} overlaps ${formatCidr(other.cidr)} of bridge ${other.name}`);
    }
    if (typeof b.internal !== 'boolean') bad(`${f}.internal`, 'must be a boolean');
    byName.set(b.name, { name: b.name, cidr, internal: b.internal });
  });
  const bridgeOf = (name: unknown, field: string): Bridge => {
    const b = typeof name === 'string' ? byName.get(name) : undefined;
    if (b === undefined) bad(field, `${JSON.stringify(name)} is not one of the bridges`);
    return b;
  };

  const seenVip = new Set<number>();
  const vips: Vip[] = i.vips.map((v, k) => {
    const f = `vips[${k}]`;
    const bridge = bridgeOf(v.bridge, `${f}.bridge`);
    const vip = ip(v.vip, `${f}.vip`);
    if (!contains(bridge.cidr, vip)) bad(`${f}.vip`, `${v.vip} is not within the bridge subnet ${formatCidr(bridge.cidr)}`);
    if (seenVip.has(vip)) bad(`${f}.vip`, `${v.vip} is listed twice`);
    seenVip.add(vip);
    setSnat(bridge, ip(v.snat, `${f}.snat`), `${f}.snat`);
    return { vip, bridge: bridge.name, chain: `vip_${chainIp(vip)}`, endpoints: endpointList(v.endpoints, bridge.cidr, `${f}.endpoints`) };
  });

  const seenPort = new Map<string, string>();
  const claim = (proto: string, p: number, field: string): void => {
    const key = `${p}/${proto}`;
    const prev = seenPort.get(key);
    if (prev !== undefined) bad(field, `port ${key} is already published by ${prev}`);
    seenPort.set(key, field);
  };
  const ingress: Published[] = i.ingress.map((e, k) => {
    const f = `ingress[${k}]`;
    const proto = protocol(e.protocol, `${f}.protocol`);
    const p = port(e.port, `${f}.port`);
    claim(proto, p, f);
    const bridge = bridgeOf(e.bridge, `${f}.bridge`);
    setSnat(bridge, ip(e.snat, `${f}.snat`), `${f}.snat`);
    return {
      protocol: proto,
      port: p,
      target: port(e.target, `${f}.target`),
      chain: `ingress_${proto}_${p}`,
      endpoints: endpointList(e.endpoints, bridge.cidr, `${f}.endpoints`),
    };
  });
  const hostPorts: HostPort[] = i.hostPorts.map((h, k) => {
    const f = `hostPorts[${k}]`;
    const proto = protocol(h.protocol, `${f}.protocol`);
    const p = port(h.port, `${f}.port`);
    claim(proto, p, f);
    return { protocol: proto, port: p, target: port(h.target, `${f}.target`), addr: ip(h.addr, `${f}.addr`) };
  });

  const byPort = (a: { protocol: string; port: number }, b: { protocol: string; port: number }): number =>
    a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1;
  return {
    table,
    bridges: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    vips: vips.sort((a, b) => a.vip - b.vip),
    ingress: ingress.sort(byPort),
    hostPorts: hostPorts.sort(byPort),
  };
}

const quoted = (names: readonly string[]): string[] => names.map((n) => `"${n}"`);
const set = (items: readonly string[]): string => (items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`);

/** The DNAT statement over the endpoints (numgen when more than one), `:target` when given. */
function dnat(b: Balanced): string {
  const port = b.target === undefined ? '' : `:${b.target}`;
  const l4 = b.protocol === undefined ? '' : `meta l4proto ${b.protocol} `;
  if (b.endpoints.length === 1) return `${l4}dnat to ${ipText(b.endpoints[0] ?? 0)}${port}`;
  const map = b.endpoints.map((e, k) => `${k} : ${ipText(e)}`).join(', ');
  return `${l4}dnat to numgen random mod ${b.endpoints.length} map { ${map} }${port}`;
}

function chain(name: string, lines: readonly string[], hook?: string): string[] {
  return [`\tchain ${name} {`, ...(hook === undefined ? [] : [`\t\t${hook}`]), ...lines.map((l) => `\t\t${l}`), '\t}'];
}

/** Where a balanced entry jumps: its chain, or the reject chain when it has no endpoints. */
const target = (b: Balanced): string => (b.endpoints.length === 0 ? 'no_endpoints' : b.chain);

const hostChain = (h: HostPort, local: boolean): string => `host_${h.protocol}_${h.port}${local ? '_local' : ''}`;

export function renderNodeRuleset(input: NodeRulesetInput): string {
  const v = validate(input);
  const t = v.table;
  const all = v.bridges.map((b) => b.name);
  const internal = v.bridges.filter((b) => b.internal).map((b) => b.name);
  const egress = v.bridges.filter((b) => !b.internal).map((b) => formatCidr(b.cidr));

  const prerouting: string[] = [];
  const output: string[] = [];
  if (v.vips.length > 0) {
    prerouting.push(`iifname . ip daddr vmap { ${v.vips.map((x) => `"${x.bridge}" . ${ipText(x.vip)} : goto ${target(x)}`).join(', ')} }`);
    output.push(`ip daddr vmap { ${v.vips.map((x) => `${ipText(x.vip)} : goto ${target(x)}`).join(', ')} }`);
  }
  const published = (local: boolean): string[] => {
    const entries = [
      ...v.ingress.map((e) => ({ protocol: e.protocol, port: e.port, to: target(e) })),
      ...v.hostPorts.map((h) => ({ protocol: h.protocol, port: h.port, to: hostChain(h, local) })),
    ];
    if (entries.length === 0) return [];
    // Sorted by protocol then port, whatever the kind, so the map reads in one order.
    entries.sort((a, b) => (a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1));
    return [`fib daddr type local meta l4proto . th dport vmap { ${entries.map((e) => `${e.protocol} . ${e.port} : goto ${e.to}`).join(', ')} }`];
  };
  prerouting.push(...published(false));
  output.push(...published(true));

  const postrouting: string[] = [];
  for (const b of v.bridges) {
    if (b.snat !== undefined) postrouting.push(`oifname "${b.name}" ct mark ${hex(LB_MARK)} snat to ${ipText(b.snat)}`);
  }
  postrouting.push(`ct mark ${hex(LOCAL_MARK)} masquerade`);
  if (egress.length > 0) postrouting.push(`ip saddr ${set(egress)} oifname != ${set(quoted(all))} masquerade`);

  const forward: string[] = ['ct state established,related accept'];
  for (const b of v.bridges) forward.push(`iifname "${b.name}" oifname "${b.name}" accept`);
  if (internal.length > 0) {
    forward.push(`iifname ${set(quoted(internal))} drop`, `oifname ${set(quoted(internal))} drop`);
  }
  if (all.length > 0) {
    forward.push(`ct status dnat oifname ${set(quoted(all))} accept`, `oifname ${set(quoted(all))} drop`);
  }

  const out: string[] = [
    `# Shoal node ruleset: generated, replaced as a whole by one nft -f.`,
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    ...chain('prerouting', prerouting, 'type nat hook prerouting priority -100; policy accept;'),
    ...chain('output', output, 'type nat hook output priority -100; policy accept;'),
    ...chain('postrouting', postrouting, 'type nat hook postrouting priority 100; policy accept;'),
    ...chain('forward', forward, 'type filter hook forward priority 0; policy accept;'),
    ...chain('no_endpoints', ['meta l4proto tcp reject with tcp reset', 'reject']),
  ];
  for (const x of [...v.vips, ...v.ingress]) {
    if (x.endpoints.length > 0) out.push(...chain(x.chain, [`ct mark set ${hex(LB_MARK)}`, dnat(x)]));
  }
  for (const h of v.hostPorts) {
    const to = `meta l4proto ${h.protocol} dnat to ${ipText(h.addr)}:${h.target}`;
    out.push(...chain(hostChain(h, false), [to]), ...chain(hostChain(h, true), [`ct mark set ${hex(LOCAL_MARK)}`, to]));
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

export const SANDBOX_DNS_TABLE = 'shoal-dns';
/** Docker's embedded DNS address inside a container. */
export const EMBEDDED_DNS = '127.0.0.11';

export function renderSandboxDns(o: { gateway: string; self: string; table?: string }): string {
  const t = tableName(o.table ?? SANDBOX_DNS_TABLE, 'table');
  const gateway = ipText(ip(o.gateway, 'gateway'));
  const self = ipText(ip(o.self, 'self'));
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    ...chain(
      'output',
      [`ip daddr ${EMBEDDED_DNS} udp dport 53 dnat to ${gateway}:53`, `ip daddr ${EMBEDDED_DNS} tcp dport 53 dnat to ${gateway}:53`],
      'type nat hook output priority -100; policy accept;',
    ),
    ...chain('postrouting', [`ct status dnat ct original ip daddr ${EMBEDDED_DNS} snat to ${self}`], 'type nat hook postrouting priority 100; policy accept;'),
    '}',
    '',
  ].join('\n');
}
