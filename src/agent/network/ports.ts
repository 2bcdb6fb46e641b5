/**
 * Port reservations (docs/design/networking.md "Port reservations"): the agent holds a listening TCP socket or a
 * bound UDP socket on `<host>:<published>` for every port it publishes, so a port another process holds is found
 * (EADDRINUSE → docker's `Bind for 0.0.0.0:8080 failed: port is already allocated`, a Conflict) and no other process
 * can take it later. Published traffic never reaches these sockets: nft DNATs it before local delivery; a
 * connection that does arrive (nothing published behind it) is closed at once.
 * Idempotent: reserving a held port, or releasing a free one, does nothing; concurrent calls share one attempt.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { conflict, internal, invalidArgument } from '../../api/errors.js';

export interface PortSpec {
  protocol: 'tcp' | 'udp';
  port: number;
}

export interface Reservation extends PortSpec {
  host: string;
}

type Holder = { kind: 'tcp'; server: Server } | { kind: 'udp'; socket: UdpSocket };

const key = (r: Reservation): string => `${r.protocol}/${r.host}/${r.port}`;

function check(p: PortSpec, host: string): Reservation {
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw invalidArgument('network.port_invalid', `protocol: ${JSON.stringify(p.protocol)} is not tcp or udp`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw invalidArgument('network.port_invalid', `port: ${JSON.stringify(p.port)} is not a port (1-65535)`);
  if (isIP(host) === 0) throw invalidArgument('network.port_invalid', `host: ${JSON.stringify(host)} is not an IP address`);
  return { protocol: p.protocol, port: p.port, host };
}

function failure(r: Reservation, e: unknown): Error {
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return conflict('network.port_allocated', `Bind for ${r.host}:${r.port} failed: port is already allocated`);
  }
  return internal('network.port_reserve_failed', `cannot reserve ${r.port}/${r.protocol} on ${r.host}: ${(e as Error).message}`, e);
}

function open(r: Reservation): Promise<Holder> {
  return new Promise((resolve, reject) => {
    if (r.protocol === 'tcp') {
      const server = createServer((s) => s.destroy());
      server.once('error', (e) => reject(failure(r, e)));
      server.listen({ port: r.port, host: r.host, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve({ kind: 'tcp', server });
      });
    } else {
      const socket = createSocket({ type: isIP(r.host) === 6 ? 'udp6' : 'udp4' });
      socket.once('error', (e) => {
        socket.close();
        reject(failure(r, e));
      });
      socket.bind({ port: r.port, address: r.host, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        socket.on('message', () => undefined);
        resolve({ kind: 'udp', socket });
      });
    }
  });
}

function close(h: Holder): Promise<void> {
  return new Promise((resolve) => {
    if (h.kind === 'tcp') h.server.close(() => resolve());
    else h.socket.close(() => resolve());
  });
}

export class PortReservations {
  private readonly held = new Map<string, { r: Reservation; holder: Promise<Holder> }>();

  /** Holds `<host>:<port>/<protocol>`; Conflict (docker's message) when another process has it. Idempotent. */
  async reserve(p: PortSpec, host = '0.0.0.0'): Promise<void> {
    const r = check(p, host);
    const k = key(r);
    let entry = this.held.get(k);
    if (entry === undefined) {
      entry = { r, holder: open(r) };
      this.held.set(k, entry);
      const mine = entry;
      mine.holder.catch(() => {
        if (this.held.get(k) === mine) this.held.delete(k);
      });
    }
    await entry.holder;
  }

  /** Lets the port go; a port not held is fine. */
  async release(p: PortSpec, host = '0.0.0.0'): Promise<void> {
    const k = key(check(p, host));
    const entry = this.held.get(k);
    if (entry === undefined) return;
    this.held.delete(k);
    const h = await entry.holder.catch(() => undefined);
    if (h !== undefined) await close(h);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.values()].map((e) => this.release(e.r, e.r.host)));
  }

  /** What is held (or being reserved), sorted by protocol, host, port. */
  list(): Reservation[] {
    return [...this.held.values()]
      .map((e) => e.r)
      .sort((a, b) => (a.protocol !== b.protocol ? (a.protocol < b.protocol ? -1 : 1) : a.host !== b.host ? (a.host < b.host ? -1 : 1) : a.port - b.port));
  }

  has(p: PortSpec, host = '0.0.0.0'): boolean {
    return this.held.has(key(check(p, host)));
  }
}
