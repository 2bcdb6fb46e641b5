/**
 * Where the embedded resolver forwards what it does not own: the host's resolvers from /etc/resolv.conf (the server
 * runs in the node's netns, so every nameserver there is reachable, 127.0.0.53 included), or a list given as
 * `ip[:port]` (`[v6]:port` for IPv6 with a port). Reading the file is the caller's.
 */
import { isIPv6 } from 'node:net';
import { invalidArgument } from '../../api/errors.js';
import { parseIp } from '../../lib/cidr.js';

export interface Upstream {
  host: string;
  port: number;
  family: 4 | 6;
}

const isV6 = (s: string): boolean => isIPv6(s);

function parsePort(s: string, field: string, raw: string): number {
  const port = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(port >= 1 && port <= 65535)) throw invalidArgument('dns.invalid_upstream', `${field}: invalid port in ${JSON.stringify(raw)}`);
  return port;
}

/** `1.1.1.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`. */
export function parseUpstream(raw: string, field = 'upstream'): Upstream {
  const s = raw.trim();
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracket !== null) {
    const host = bracket[1] ?? '';
    if (!isV6(host)) throw invalidArgument('dns.invalid_upstream', `${field}: invalid address in ${JSON.stringify(raw)}`);
    return { host, port: bracket[2] === undefined ? 53 : parsePort(bracket[2], field, raw), family: 6 };
  }
  if (isV6(s)) return { host: s, port: 53, family: 6 };
  const [host = '', port, ...rest] = s.split(':');
  if (rest.length > 0 || parseIp(host) === undefined) {
    throw invalidArgument('dns.invalid_upstream', `${field}: invalid address in ${JSON.stringify(raw)} (want ip[:port])`);
  }
  return { host, port: port === undefined ? 53 : parsePort(port, field, raw), family: 4 };
}

/** The `nameserver` lines of a resolv.conf, in order; lines that hold no address are skipped. */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m === null) continue;
    const addr = m[1] ?? '';
    if (parseIp(addr) !== undefined) out.push({ host: addr, port: 53, family: 4 });
    else if (isV6(addr)) out.push({ host: addr, port: 53, family: 6 });
  }
  return out;
}

export const formatUpstream = (u: Upstream): string => (u.family === 6 ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`);
