/** Facts about this host, as dockerd reports them in `/info` and in a node's Description. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { invalidArgument } from '../api/errors.js';

/** Go's GOARCH names mapped to what `uname -m` prints, which docker reports. */
const UNAME_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l' };

export function machineArch(): string {
  return UNAME_ARCH[process.arch] ?? process.arch;
}

export function operatingSystem(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  return os.type();
}

export interface HostFacts {
  hostname: string;
  arch: string;
  os: string;
  operatingSystem: string;
  kernelVersion: string;
  ncpu: number;
  memTotal: number;
}

export function hostFacts(hostnameOverride?: string): HostFacts {
  return {
    hostname: hostnameOverride ?? os.hostname(),
    arch: machineArch(),
    os: 'linux',
    operatingSystem: operatingSystem(),
    kernelVersion: os.release(),
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
  };
}

/** The interface that carries the default route, from /proc/net/route. */
function defaultRouteInterface(): string | undefined {
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
      if (dest === '00000000' && mask === '00000000') return iface;
    }
  } catch {
    // no procfs: fall through
  }
  return undefined;
}

/**
 * Picks the address to advertise when the user gave none, like dockerd: the listen address if it is specific,
 * else the IPv4 address of the default-route interface, else the only non-loopback IPv4 address.
 */
export function chooseAdvertiseAddr(listenHost: string): string {
  if (listenHost !== '' && listenHost !== '0.0.0.0' && listenHost !== '::') return listenHost;
  const ifaces = os.networkInterfaces();
  const v4 = (name: string): string[] =>
    (ifaces[name] ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
  const route = defaultRouteInterface();
  if (route) {
    const [addr] = v4(route);
    if (addr) return addr;
  }
  const all = Object.keys(ifaces).flatMap(v4);
  if (all.length === 1 && all[0]) return all[0];
  if (all.length === 0) {
    // A host with only loopback (an isolated namespace, say) can still run a single-node swarm.
    return '127.0.0.1';
  }
  throw invalidArgument(
    'swarm.advertise_addr_ambiguous',
    `could not choose an IP address to advertise since this system has multiple addresses (${all.join(', ')}) - specify one with --advertise-addr`,
  );
}

/** Resolves `--advertise-addr`: an IP, an IP:port, or an interface name. */
export function resolveAdvertiseAddr(value: string, defaultPort: number): { host: string; port: number } {
  const ifaces = os.networkInterfaces();
  const { host, port } = splitHostPort(value, defaultPort);
  const iface = ifaces[host];
  if (iface) {
    const a = iface.find((x) => x.family === 'IPv4');
    if (!a) throw invalidArgument('swarm.advertise_addr_invalid', `interface ${host} has no usable IPv4 address`);
    return { host: a.address, port };
  }
  if (!isIPv4(host) && !host.includes(':')) {
    throw invalidArgument('swarm.advertise_addr_invalid', `advertise address must be a non-zero IP address or network interface (with optional port number): ${value}`);
  }
  if (host === '0.0.0.0') throw invalidArgument('swarm.advertise_addr_invalid', 'advertise address must be a non-zero IP address or network interface (with optional port number)');
  return { host, port };
}

export function splitHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!m) throw invalidArgument('swarm.addr_invalid', `invalid address ${JSON.stringify(value)}`);
  const host = m[1] ?? '';
  const port = m[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidArgument('swarm.addr_invalid', `invalid port in address ${JSON.stringify(value)}`);
  return { host, port };
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
