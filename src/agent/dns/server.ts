/**
 * DnsServer: the node's embedded resolver (docs/design/networking.md). One UDP and one TCP socket per network
 * gateway address (`listen`), port 53 unless told otherwise; the local address a query arrives on picks the
 * network's record table, so names on other networks are invisible by construction.
 *
 * - `setZones` binds the listen addresses it does not hold yet, unbinds the ones no longer given, and swaps every
 *   table in one synchronous step once the binds are done. Calls are serialized. A bind failure (address not on
 *   an interface yet, port taken) is logged and shown by `status()`, never thrown; the next `setZones` retries it.
 * - Queries the table owns get answered (TTL 600, authoritative); NODATA for other types of known names; everything
 *   else is forwarded raw to the upstreams (the host's resolv.conf, read at each `setZones`, or the ones given),
 *   SERVFAIL when none answers within the budget (2 s), or when 1024 forwards are already in flight.
 * - UDP answers are truncated to 512 bytes (or the client's EDNS size) with TC set; TCP uses 2-byte length framing,
 *   several queries per connection, idle connections closed after 30 s.
 * - Malformed packets and responses are dropped; nothing a client sends can throw out of a handler.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { invalidArgument } from '../../api/errors.js';
import { parseIp } from '../../lib/cidr.js';
import type { Logger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import { forward } from './forward.js';
import { decodeQuery, encodeResponse, errorHeader, RCODE, udpLimit } from './messages.js';
import type { Query } from './messages.js';
import { formatUpstream, parseResolvConf, parseUpstream } from './upstreams.js';
import type { Upstream } from './upstreams.js';
import { answer } from './zone.js';
import type { RecordTable } from './zone.js';

export interface DnsZone {
  /** The IPv4 address to listen on (a network's gateway). */
  listen: string;
  table: RecordTable;
  /**
   * A container on several networks asks the gateway of its first one: by its source address there, the tables of
   * its other networks, consulted in order after this one (docker resolves names on every network a container is on).
   */
  also?: ReadonlyMap<string, readonly RecordTable[]>;
}

export interface DnsServerOptions {
  logger: Logger;
  random: Random;
  /** Default 53. 0 is refused: every listen address must share one known port. */
  port?: number;
  /** `ip[:port]` upstreams; when absent, the nameservers of `resolvConf` (re-read at every `setZones`). */
  upstreams?: readonly string[];
  /** Default /etc/resolv.conf. */
  resolvConf?: string;
  /** Total forwarding budget per query, default 2000 ms. */
  forwardTimeoutMs?: number;
  /** Idle TCP connections are closed after this, default 30000 ms. */
  tcpIdleMs?: number;
}

export interface ListenerStatus {
  listen: string;
  bound: boolean;
  error?: string;
}

interface Listener {
  listen: string;
  udp: UdpSocket;
  tcp: Server;
  conns: Set<Socket>;
}

const MAX_TCP_BUFFER = 64 * 1024 + 2;
/** Forwarded queries in flight at once (each holds a socket); past it, SERVFAIL at once (libnetwork: 1024). */
const MAX_INFLIGHT = 1024;

export class DnsServer {
  private readonly log: Logger;
  private readonly random: Random;
  private readonly port: number;
  private readonly fixedUpstreams: Upstream[] | undefined;
  private readonly resolvConf: string;
  private readonly forwardTimeoutMs: number;
  private readonly tcpIdleMs: number;
  private upstreams: Upstream[] = [];
  private tables = new Map<string, RecordTable>();
  private also = new Map<string, ReadonlyMap<string, readonly RecordTable[]>>();
  private readonly listeners = new Map<string, Listener>();
  private readonly failures = new Map<string, string>();
  private readonly aborter = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private inflight = 0;

  constructor(opts: DnsServerOptions) {
    this.log = opts.logger.child({ component: 'dns' });
    this.random = opts.random;
    const port = opts.port ?? 53;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidArgument('dns.invalid_port', `port: invalid port ${port}`);
    this.port = port;
    this.fixedUpstreams = opts.upstreams?.map((u, i) => parseUpstream(u, `upstreams[${i}]`));
    this.resolvConf = opts.resolvConf ?? '/etc/resolv.conf';
    this.forwardTimeoutMs = opts.forwardTimeoutMs ?? 2000;
    this.tcpIdleMs = opts.tcpIdleMs ?? 30_000;
    this.refreshUpstreams();
  }

  /**
   * Makes `zones` the whole set served (see the module doc). Rejects only for bad input, before changing anything.
   * After `close()` it does nothing.
   */
  setZones(zones: readonly DnsZone[]): Promise<void> {
    if (this.closed) {
      // Teardown after close (setZones([])) is normal; anything else is a wiring bug worth a line in the log.
      if (zones.length > 0) this.log.warn({ zones: zones.map((z) => z.listen) }, 'dns: setZones after close ignored');
      return Promise.resolve();
    }
    const next = new Map<string, RecordTable>();
    const also = new Map<string, ReadonlyMap<string, readonly RecordTable[]>>();
    for (const z of zones) if (z.also !== undefined) also.set(z.listen, z.also);
    for (const [i, z] of zones.entries()) {
      if (parseIp(z.listen) === undefined) {
        return Promise.reject(invalidArgument('dns.invalid_listen', `zones[${i}].listen: invalid IPv4 address ${JSON.stringify(z.listen)}`));
      }
      if (next.has(z.listen)) return Promise.reject(invalidArgument('dns.duplicate_listen', `zones[${i}].listen: ${z.listen} is given twice`));
      next.set(z.listen, z.table);
    }
    const run = this.chain.then(() => this.apply(next, also));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** What is bound, and why an address is not. */
  status(): ListenerStatus[] {
    return [...this.tables.keys()].map((listen) => {
      const error = this.failures.get(listen);
      return error === undefined ? { listen, bound: this.listeners.has(listen) } : { listen, bound: false, error };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    this.aborter.abort();
    await this.chain;
    await Promise.all([...this.listeners.values()].map((l) => this.unbind(l)));
    this.listeners.clear();
    this.tables = new Map();
  }

  private async apply(next: Map<string, RecordTable>, also: Map<string, ReadonlyMap<string, readonly RecordTable[]>>): Promise<void> {
    if (this.closed) return;
    this.refreshUpstreams();
    await Promise.all(
      [...next.keys()]
        .filter((listen) => !this.listeners.has(listen))
        .map(async (listen) => {
          try {
            this.listeners.set(listen, await this.bind(listen));
            this.failures.delete(listen);
            this.log.info({ listen, port: this.port }, 'dns listening');
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            this.failures.set(listen, message);
            this.log.error({ listen, port: this.port, err: message }, 'dns bind failed');
          }
        }),
    );
    this.tables = next; // the swap: every handler reads this map per query
    this.also = also;
    for (const listen of this.failures.keys()) if (!next.has(listen)) this.failures.delete(listen);
    const gone = [...this.listeners.values()].filter((l) => !next.has(l.listen));
    for (const l of gone) this.listeners.delete(l.listen);
    await Promise.all(gone.map((l) => this.unbind(l)));
  }

  private refreshUpstreams(): void {
    if (this.fixedUpstreams !== undefined) {
      this.upstreams = this.fixedUpstreams;
      return;
    }
    try {
      this.upstreams = parseResolvConf(readFileSync(this.resolvConf, 'utf8'));
    } catch (err) {
      this.log.warn({ path: this.resolvConf, err: err instanceof Error ? err.message : String(err) }, 'cannot read resolv.conf: no upstreams');
      this.upstreams = [];
    }
  }

  private async bind(listen: string): Promise<Listener> {
    const udp = createSocket({ type: 'udp4' });
    const tcp = createServer();
    const l: Listener = { listen, udp, tcp, conns: new Set() };
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: listen, port: this.port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: listen, port: this.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await this.unbind(l);
      throw err;
    }
    udp.on('error', (err) => this.log.warn({ listen, err: err.message }, 'dns udp socket error'));
    udp.on('message', (msg, rinfo) => this.onUdp(l, msg, rinfo));
    tcp.on('error', (err) => this.log.warn({ listen, err: err.message }, 'dns tcp server error'));
    tcp.on('connection', (conn) => this.onTcp(l, conn));
    return l;
  }

  private async unbind(l: Listener): Promise<void> {
    for (const c of l.conns) c.destroy();
    l.conns.clear();
    await Promise.all([
      new Promise<void>((resolve) => {
        try {
          l.udp.close(() => resolve());
        } catch {
          resolve(); // never bound, or already closed
        }
      }),
      new Promise<void>((resolve) => (l.tcp.listening ? l.tcp.close(() => resolve()) : resolve())),
    ]);
  }

  private onUdp(l: Listener, msg: Buffer, rinfo: RemoteInfo): void {
    const send = (out: Buffer): void => {
      try {
        l.udp.send(out, rinfo.port, rinfo.address);
      } catch {
        // the listener went away while a forward was in flight
      }
    };
    this.handle(l.listen, msg, 'udp', send, rinfo.address);
  }

  private onTcp(l: Listener, conn: Socket): void {
    l.conns.add(conn);
    conn.setTimeout(this.tcpIdleMs, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => l.conns.delete(conn));
    let buf: Buffer = Buffer.alloc(0);
    const send = (out: Buffer): void => {
      if (conn.destroyed) return;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(out.length);
      conn.write(Buffer.concat([len, out]));
    };
    conn.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_BUFFER) return void conn.destroy();
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = Buffer.from(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
        this.handle(l.listen, msg, 'tcp', send, conn.remoteAddress?.replace(/^::ffff:/, '') ?? '');
      }
    });
  }

  /** One query: answer it from the listen address's table, or forward it. Never throws. */
  private handle(listen: string, msg: Buffer, transport: 'udp' | 'tcp', send: (out: Buffer) => void, source = ''): void {
    const q = decodeQuery(msg);
    if (q === undefined) return; // malformed, or not a query: dropped
    try {
      const reply = this.local(listen, q, transport, source);
      if (reply !== undefined) return send(reply);
    } catch (err) {
      this.log.warn({ listen, err: err instanceof Error ? err.message : String(err) }, 'dns answer failed');
      return send(errorHeader(q.id, q.flags, RCODE.SERVFAIL));
    }
    void this.forward(listen, q, msg, transport, send);
  }

  /** Our own response, or undefined when the query is to be forwarded. */
  private local(listen: string, q: Query, transport: 'udp' | 'tcp', source = ''): Buffer | undefined {
    const limit = transport === 'udp' ? udpLimit(q) : undefined;
    const opts = (authoritative: boolean): { authoritative: boolean; limit?: number } =>
      limit === undefined ? { authoritative } : { authoritative, limit };
    if (q.opcode !== 0) return errorHeader(q.id, q.flags, RCODE.NOTIMP);
    const question = q.questions[0];
    if (q.questions.length !== 1 || question === undefined) return encodeResponse(q, RCODE.FORMERR, [], opts(false));
    const table = this.tables.get(listen);
    if (table === undefined) return undefined;
    let a = answer(table, question, this.random);
    for (const other of this.also.get(listen)?.get(source) ?? []) {
      if (a.kind !== 'forward') break;
      a = answer(other, question, this.random);
    }
    switch (a.kind) {
      case 'answer':
        return encodeResponse(q, RCODE.NOERROR, a.records, opts(true));
      case 'nodata':
        return encodeResponse(q, RCODE.NOERROR, [], opts(true));
      case 'forward':
        return undefined;
    }
  }

  private async forward(listen: string, q: Query, msg: Buffer, transport: 'udp' | 'tcp', send: (out: Buffer) => void): Promise<void> {
    if (this.inflight >= MAX_INFLIGHT) {
      this.log.debug({ listen, inflight: this.inflight }, 'dns: too many forwarded queries in flight');
      return send(encodeResponse(q, RCODE.SERVFAIL, [], { authoritative: false }));
    }
    const self = this.port;
    const upstreams = this.upstreams.filter((u) => !(u.port === self && this.listeners.has(u.host)));
    this.inflight++;
    try {
      const reply = await forward(msg, upstreams, { timeoutMs: this.forwardTimeoutMs, signal: this.aborter.signal, tcp: transport === 'tcp' });
      if (this.aborter.signal.aborted) return;
      if (reply !== undefined) return send(reply);
      this.log.debug({ listen, name: q.questions[0]?.name, upstreams: upstreams.map(formatUpstream) }, 'dns: no upstream answered');
      send(encodeResponse(q, RCODE.SERVFAIL, [], { authoritative: false }));
    } catch (err) {
      this.log.warn({ listen, err: err instanceof Error ? err.message : String(err) }, 'dns forward failed');
      send(errorHeader(q.id, q.flags, RCODE.SERVFAIL));
    } finally {
      this.inflight--;
    }
  }
}
