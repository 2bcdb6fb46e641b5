/**
 * The embedded resolver's record table (pure: no node:*). One table per network, built from that network's entry of
 * the node's network view (docs/design/networking.md "Agent ports and modules"), answers one decoded question:
 *
 * - a service's name and each of its aliases → its VIP (A), or every task address for `dnsrr`;
 * - `tasks.<name>` / `tasks.<alias>` → every task address;
 * - a task's name `<svc>.<slot>.<taskId>` → its address; a plain container's name and aliases → its address;
 * - `<reversed address>.in-addr.arpa` (PTR) for a task or container address → `<its name>.<network name>`, as
 *   libnetwork's `ResolveIP` answers (VIPs have no PTR there either);
 * - any other type for a name the table knows → NODATA (NOERROR, no answers), never NXDOMAIN;
 * - everything else → forward to the upstream resolvers.
 *
 * Names are matched case-insensitively, with or without the trailing dot; answers echo the name as asked. Answers
 * with several addresses are shuffled with the injected Random (libnetwork shuffles every multi-address answer).
 * A name that would have no address (a `dnsrr` service, or `tasks.x`, with no running task) is not in the table,
 * so it is forwarded, as libnetwork does once the last record of a name is gone.
 */
import { invalidArgument } from '../../api/errors.js';
import { formatIp, parseIp } from '../../lib/cidr.js';
import type { Random } from '../../lib/random.js';

export const DNS_TTL = 600;

/** The part of a network view entry the table needs (a `NetworkViewEntry` fits), plus plain containers. */
export interface ZoneEntry {
  network: { Name: string };
  services: readonly {
    id: string;
    name: string;
    aliases: readonly string[];
    mode: 'vip' | 'dnsrr';
    vip?: string | undefined;
    tasks: readonly { id: string; name: string; addr: string; nodeId: string }[];
  }[];
  /** Plain containers on an attachable network: name and aliases → addr. */
  containers?: readonly { name: string; aliases: readonly string[]; addr: string }[] | undefined;
}

export interface RecordTable {
  /** The network's name (PTR answers end in it). */
  readonly network: string;
  /** Lower-case name without trailing dot → its IPv4 addresses (never empty). */
  readonly names: ReadonlyMap<string, readonly string[]>;
  /** Lower-case `d.c.b.a.in-addr.arpa` → the name a PTR answers with. */
  readonly ptr: ReadonlyMap<string, string>;
}

/** A decoded question (dns-packet's shape). */
export interface DnsQuestion {
  name: string;
  type: string;
  class?: string | undefined;
}

export type DnsRecord =
  | { name: string; type: 'A'; class: 'IN'; ttl: number; data: string }
  | { name: string; type: 'PTR'; class: 'IN'; ttl: number; data: string };

export type DnsAnswer = { kind: 'answer'; records: DnsRecord[] } | { kind: 'nodata' } | { kind: 'forward' };

export const emptyTable = (network = ''): RecordTable => ({ network, names: new Map(), ptr: new Map() });

/** Lower-case, without the trailing dot. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** `10.0.1.5` → `5.1.0.10.in-addr.arpa`. */
export function reverseName(addr: string): string {
  return `${addr.split('.').reverse().join('.')}.in-addr.arpa`;
}

export function buildTable(entry: ZoneEntry): RecordTable {
  const network = entry.network.Name;
  const names = new Map<string, string[]>();
  const ptr = new Map<string, string>();
  const add = (name: string, addr: string): void => {
    const key = normalizeName(name);
    if (key === '') return;
    const list = names.get(key);
    if (list === undefined) names.set(key, [addr]);
    else if (!list.includes(addr)) list.push(addr);
  };
  const addPtr = (addr: string, name: string): void => {
    const key = reverseName(addr);
    if (!ptr.has(key)) ptr.set(key, `${name}.${network}`);
  };

  entry.services.forEach((svc, i) => {
    const where = `services[${i}] (${svc.name})`;
    const labels = [svc.name, ...svc.aliases];
    const taskAddrs = svc.tasks.map((t, j) => checkAddr(t.addr, `${where}.tasks[${j}].addr`));
    svc.tasks.forEach((t, j) => {
      const addr = taskAddrs[j] ?? '';
      add(t.name, addr);
      addPtr(addr, t.name);
    });
    for (const label of labels) for (const addr of taskAddrs) add(`tasks.${label}`, addr);
    if (svc.mode === 'vip') {
      if (svc.vip === undefined) return; // not allocated yet: only tasks.<name> resolves
      const vip = checkAddr(svc.vip, `${where}.vip`);
      for (const label of labels) add(label, vip);
    } else {
      for (const label of labels) for (const addr of taskAddrs) add(label, addr);
    }
  });
  (entry.containers ?? []).forEach((c, i) => {
    const addr = checkAddr(c.addr, `containers[${i}] (${c.name}).addr`);
    for (const label of [c.name, ...c.aliases]) add(label, addr);
    addPtr(addr, c.name);
  });
  return { network, names, ptr };
}

export function answer(table: RecordTable, question: DnsQuestion, random: Random): DnsAnswer {
  if (question.class !== undefined && question.class !== 'IN') return { kind: 'forward' };
  const key = normalizeName(question.name);
  const name = question.name.endsWith('.') ? question.name.slice(0, -1) : question.name;
  const addrs = table.names.get(key);
  const target = table.ptr.get(key);
  if (question.type === 'A' && addrs !== undefined) {
    return { kind: 'answer', records: shuffled(addrs, random).map((data) => ({ name, type: 'A', class: 'IN', ttl: DNS_TTL, data })) };
  }
  if (question.type === 'PTR' && target !== undefined) {
    return { kind: 'answer', records: [{ name, type: 'PTR', class: 'IN', ttl: DNS_TTL, data: target }] };
  }
  if (addrs !== undefined || target !== undefined) return { kind: 'nodata' };
  return { kind: 'forward' };
}

function checkAddr(addr: string, field: string): string {
  const n = parseIp(addr);
  if (n === undefined) throw invalidArgument('dns.invalid_address', `${field}: invalid IPv4 address ${JSON.stringify(addr)}`);
  return formatIp(n);
}

/** Fisher–Yates on a copy. */
function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.float() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
