/**
 * `HostConfig.PortBindings` of a container create body (`{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`) as
 * the sandbox's host ports (docs/design/networking.md "Host-mode ports": the node ruleset DNATs each published port
 * to the container's first address). An empty `HostPort` gets a free port of the node, as docker picks one.
 *
 * Published ports answer on every address of the node: a binding to one host address (`127.0.0.1:8080:80`) is
 * refused rather than silently widened. Errors name the field.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { invalidArgument } from '../api/errors.js';
import type { HostPortMapping } from '../agent/exec/network.js';

/** A binding before its free port is chosen: `published` 0 means "any". */
export type PortBinding = HostPortMapping;

const ANY_HOST = new Set(['', '0.0.0.0', '::']);

/** The bindings a create body asks for, validated (pure). */
export function parsePortBindings(body: unknown): PortBinding[] {
  const hc = (body as { HostConfig?: { PortBindings?: unknown } } | null)?.HostConfig;
  const raw = hc?.PortBindings;
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument('container.ports_invalid', `HostConfig.PortBindings: expected an object, got ${JSON.stringify(raw)}`);
  const out: PortBinding[] = [];
  const seen = new Map<string, number>();
  for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
    const field = `HostConfig.PortBindings[${JSON.stringify(key)}]`;
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
    const target = Number(m?.[1] ?? 0);
    if (m === null || target < 1 || target > 65535) throw invalidArgument('container.ports_invalid', `${field}: invalid container port ${JSON.stringify(key)} (port[/tcp|udp])`);
    const proto = m[2] ?? 'tcp';
    if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument('container.ports_invalid', `${field}: sctp ports are not supported`);
    if (list === null) continue;
    if (!Array.isArray(list)) throw invalidArgument('container.ports_invalid', `${field}: expected an array of bindings, got ${JSON.stringify(list)}`);
    list.forEach((b: unknown, i) => {
      const f = `${field}[${i}]`;
      const hostIp = (b as { HostIp?: unknown } | null)?.HostIp ?? '';
      const hostPort = (b as { HostPort?: unknown } | null)?.HostPort ?? '';
      if (typeof hostIp !== 'string' || typeof hostPort !== 'string') throw invalidArgument('container.ports_invalid', `${f}: HostIp and HostPort must be strings`);
      if (!ANY_HOST.has(hostIp)) {
        throw invalidArgument('container.ports_host_ip', `${f}.HostIp: publishing on one host address (${hostIp}) is not supported; ports are published on every address of the node`);
      }
      if (!/^\d{0,5}$/.test(hostPort) || Number(hostPort) > 65535) throw invalidArgument('container.ports_invalid', `${f}.HostPort: invalid host port ${JSON.stringify(hostPort)}`);
      const published = Number(hostPort || '0');
      if (published !== 0) {
        const k = `${published}/${proto}`;
        const other = seen.get(k);
        if (other === target) return; // the same binding twice (docker's `::` and `0.0.0.0` pair): once
        if (other !== undefined) throw invalidArgument('container.ports_invalid', `${f}: host port ${k} is bound twice`);
        seen.set(k, target);
      }
      out.push({ protocol: proto, published, target });
    });
  }
  return out;
}

/** A port nobody holds on this node right now (the kernel's choice), for a binding without `HostPort`. */
export function freePort(protocol: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The bindings with a free port for each `published: 0`. */
export async function resolvePortBindings(bindings: readonly PortBinding[]): Promise<HostPortMapping[]> {
  const out: HostPortMapping[] = [];
  for (const b of bindings) out.push(b.published === 0 ? { ...b, published: await freePort(b.protocol) } : b);
  return out;
}
