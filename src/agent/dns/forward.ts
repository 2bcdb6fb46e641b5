/**
 * Forwarding a raw query to the upstream resolvers, in order, within one time budget (the budget is shared out
 * evenly, and an upstream that refuses at once — ICMP port unreachable on a connected UDP socket — hands its share to
 * the next). Each exchange uses its own connected socket, so the source port is fresh per query and only the
 * upstream's own reply is accepted. A SERVFAIL/REFUSED answer moves on to the next upstream but is kept as the
 * fallback; `undefined` means no upstream answered at all. Over TCP (for TCP clients whose UDP answer came back
 * truncated), the 2-byte length framing of RFC 1035 §4.2.2.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { RCODE, rcodeOf } from './messages.js';
import type { Upstream } from './upstreams.js';

export interface ForwardOptions {
  timeoutMs: number;
  /** Aborting ends every exchange at once (server close). */
  signal: AbortSignal;
  /** The client asked over TCP: a truncated UDP answer is retried over TCP on the same upstream. */
  tcp: boolean;
}

export async function forward(query: Buffer, upstreams: readonly Upstream[], opts: ForwardOptions): Promise<Buffer | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  let fallback: Buffer | undefined;
  for (let i = 0; i < upstreams.length; i++) {
    const u = upstreams[i] as Upstream;
    const left = deadline - Date.now();
    if (left <= 0 || opts.signal.aborted) break;
    const share = Math.max(1, Math.floor(left / (upstreams.length - i)));
    let reply = await udpExchange(query, u, share, opts.signal);
    if (reply !== undefined && opts.tcp && (reply.readUInt16BE(2) & 0x0200) !== 0) {
      reply = (await tcpExchange(query, u, Math.max(1, deadline - Date.now()), opts.signal)) ?? reply;
    }
    if (reply === undefined) continue;
    const rcode = rcodeOf(reply);
    if (rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) return reply;
    fallback ??= reply;
  }
  return fallback;
}

function isReplyTo(query: Buffer, msg: Buffer): boolean {
  return msg.length >= 12 && msg.readUInt16BE(0) === query.readUInt16BE(0) && (msg.readUInt16BE(2) & 0x8000) !== 0;
}

export function udpExchange(query: Buffer, u: Upstream, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(u.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (reply: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(reply);
    };
    const onAbort = (): void => finish(undefined);
    const timer = setTimeout(onAbort, timeoutMs);
    signal.addEventListener('abort', onAbort);
    sock.on('error', onAbort);
    sock.on('message', (msg) => {
      if (isReplyTo(query, msg)) finish(msg);
    });
    sock.connect(u.port, u.host, () => {
      if (!done) sock.send(query, (err) => err && finish(undefined));
    });
  });
}

export function tcpExchange(query: Buffer, u: Upstream, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: u.host, port: u.port, family: u.family });
    let done = false;
    let buf = Buffer.alloc(0);
    const finish = (reply: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(reply);
    };
    const onAbort = (): void => finish(undefined);
    const timer = setTimeout(onAbort, timeoutMs);
    signal.addEventListener('abort', onAbort);
    sock.on('error', onAbort);
    sock.on('close', onAbort);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        if (isReplyTo(query, msg)) return finish(Buffer.from(msg));
      }
    });
  });
}
