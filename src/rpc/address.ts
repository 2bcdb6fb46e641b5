import { invalidArgument } from '../api/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port` (port 0 means "any free port" when listening). */
export function parseHostPort(text: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw invalidArgument('rpc.invalid_address', `invalid address ${JSON.stringify(text)}: want host:port`);
  }
  return { host, port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The peer's IP as a plain IPv4 when it arrived IPv4-mapped on a dual-stack socket. */
export function plainIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
