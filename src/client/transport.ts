/**
 * The HTTP transport: `unix:///path` or `tcp://host:port` (plain HTTP) over one keep-alive agent. Sends one request
 * and resolves with the response head; the body stays a stream. A request that fails on a reused keep-alive
 * socket (the server closed it while idle) is retried once when it is a GET or HEAD.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { invalidArgument, ShoalError } from '../api/errors.js';
import { connectError } from './errors.js';

export type Target = { kind: 'unix'; socketPath: string; url: string } | { kind: 'tcp'; hostname: string; port: number; url: string };

export const DEFAULT_TCP_PORT = 2375;

export function parseHost(host: string): Target {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (socketPath === '') throw invalidArgument('client.bad_host', `invalid host ${host}`);
    return { kind: 'unix', socketPath, url: host };
  }
  const m = /^(?:tcp|http):\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]+))(?::(\d{1,5}))?\/?$/.exec(host);
  if (m !== null) {
    const hostname = m[1] ?? m[2] ?? 'localhost';
    return { kind: 'tcp', hostname, port: m[3] === undefined ? DEFAULT_TCP_PORT : Number(m[3]), url: host };
  }
  throw invalidArgument('client.bad_host', `invalid host ${host} (want unix:///path or tcp://host:port)`);
}

export interface SendOptions {
  method: string;
  /** Path and query, e.g. `/v1.47/nodes?filters=...`. */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  signal?: AbortSignal;
}

export class Transport {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(
    readonly target: Target,
    private readonly userAgent: string,
  ) {}

  async send(opts: SendOptions): Promise<IncomingMessage> {
    try {
      return await this.once(opts);
    } catch (e) {
      if (e instanceof RetryableReset && (opts.method === 'GET' || opts.method === 'HEAD')) return this.once(opts);
      throw e instanceof RetryableReset ? connectError(this.target.url, e.cause) : e;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private once(opts: SendOptions): Promise<IncomingMessage> {
    const t = this.target;
    const headers: OutgoingHttpHeaders = { 'User-Agent': this.userAgent, ...opts.headers };
    if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({
        agent: this.agent,
        method: opts.method,
        path: opts.path,
        headers,
        ...(t.kind === 'unix' ? { socketPath: t.socketPath, host: 'localhost' } : { host: t.hostname, port: t.port }),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      });
      req.once('response', resolve);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (opts.signal?.aborted === true || err.name === 'AbortError') {
          reject(new ShoalError('Canceled', 'client.canceled', 'request canceled', { cause: err }));
        } else if (req.reusedSocket && err.code === 'ECONNRESET') {
          reject(new RetryableReset(err));
        } else {
          reject(connectError(t.url, err));
        }
      });
      req.end(opts.body);
    });
  }
}

class RetryableReset extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** Reads a whole response body. */
export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
