/**
 * EngineClient: typed calls to a Shoal (or Docker) daemon. The API version is negotiated once, like the docker
 * CLI: `HEAD /_ping` (GET if HEAD is refused), then `min(1.47, Api-Version)`, or 1.24 when the header is missing.
 * Every later call uses `/v<version>/…`.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ShoalError } from '../api/errors.js';
import type { FilterMap } from '../api/filters.js';
import type { Node, NodeSpec, Swarm, SwarmSpec } from '../api/types.js';
import { connectError, responseError } from './errors.js';
import { parseHost, readBody, Transport } from './transport.js';
import type {
  PingInfo,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmUpdateFlags,
  SystemInfo,
  SystemVersion,
} from './types.js';

/** The highest API version this client speaks. */
export const CLIENT_MAX_API_VERSION = '1.47';
/** What docker assumes when a daemon does not send `Api-Version`. */
export const FALLBACK_API_VERSION = '1.24';

export const DEFAULT_HOST = 'unix:///run/shoal/docker.sock';

export interface ClientOptions {
  /** `unix:///run/shoal/docker.sock` (default) or `tcp://host:port`. */
  host?: string;
  /** Pin the API version (no negotiation), like `DOCKER_API_VERSION`. */
  apiVersion?: string;
  userAgent?: string;
}

export type QueryValue = string | number | boolean | FilterMap | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as JSON (`Content-Type: application/json`); a Buffer or string is sent as is. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  signal?: AbortSignal;
}

/** Something with a `toJSON()` giving the map form (src/api/filters' `Filters`). */
export type FiltersArg = FilterMap | { toJSON(): FilterMap };

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function headerValue(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (query === undefined) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    sp.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = sp.toString();
  return s === '' ? '' : `?${s}`;
}

function filtersQuery(filters: FiltersArg | undefined): FilterMap | undefined {
  if (filters === undefined) return undefined;
  const map = typeof (filters as { toJSON?: unknown }).toJSON === 'function' ? (filters as { toJSON(): FilterMap }).toJSON() : (filters as FilterMap);
  return Object.keys(map).length === 0 ? undefined : map;
}

export class EngineClient {
  readonly host: string;
  private readonly transport: Transport;
  private negotiated: Promise<string> | undefined;

  constructor(opts: ClientOptions = {}) {
    this.host = opts.host ?? DEFAULT_HOST;
    this.transport = new Transport(parseHost(this.host), opts.userAgent ?? 'Shoal-Client/0.1.0 (linux)');
    if (opts.apiVersion !== undefined) this.negotiated = Promise.resolve(opts.apiVersion);
  }

  /** The API version calls use (negotiating it on first use). */
  apiVersion(): Promise<string> {
    if (this.negotiated === undefined) {
      const p = this.ping().then((info) =>
        info.apiVersion === undefined
          ? FALLBACK_API_VERSION
          : compareVersions(info.apiVersion, CLIENT_MAX_API_VERSION) < 0
            ? info.apiVersion
            : CLIENT_MAX_API_VERSION,
      );
      this.negotiated = p;
      // A failed ping (daemon down) is not remembered: the next call tries again.
      p.catch(() => {
        if (this.negotiated === p) this.negotiated = undefined;
      });
    }
    return this.negotiated;
  }

  /** `HEAD /_ping`, then `GET /_ping` if HEAD gets anything but 200 or 500 (docker's fallback). */
  async ping(signal?: AbortSignal): Promise<PingInfo> {
    let res = await this.transport.send({ method: 'HEAD', path: '/_ping', ...(signal ? { signal } : {}) });
    res.resume();
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      res = await this.transport.send({ method: 'GET', path: '/_ping', ...(signal ? { signal } : {}) });
      const body = await this.body(res);
      if ((res.statusCode ?? 0) >= 400) throw responseError(res.statusCode ?? 0, headerValue(res, 'content-type'), body);
    }
    return {
      apiVersion: headerValue(res, 'api-version'),
      osType: headerValue(res, 'ostype'),
      experimental: headerValue(res, 'docker-experimental') === 'true',
      builderVersion: headerValue(res, 'builder-version'),
      swarm: headerValue(res, 'swarm'),
    };
  }

  /**
   * One call on the versioned path; resolves with the parsed JSON body (undefined for an empty body, the text for a
   * non-JSON one). A non-2xx status throws a ShoalError with the daemon's message.
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.stream(method, path, opts);
    const body = await this.body(res);
    if (body.length === 0) return undefined as T;
    const ct = headerValue(res, 'content-type')?.split(';', 1)[0]?.trim();
    const text = body.toString('utf8');
    if (ct !== 'application/json') return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new ShoalError('Internal', 'client.bad_response', `invalid JSON from the daemon: ${(e as Error).message}`);
    }
  }

  /** Like `request`, but resolves with the response stream (status already checked) for logs and events. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const version = await this.apiVersion();
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    let body: Buffer | string | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
        body = opts.body;
      } else {
        body = JSON.stringify(opts.body);
        headers['Content-Type'] ??= 'application/json';
      }
    }
    const res = await this.transport.send({
      method,
      path: `/v${version}${path}${encodeQuery(opts.query)}`,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      throw responseError(status, headerValue(res, 'content-type'), await this.body(res));
    }
    return res;
  }

  /** Closes idle keep-alive connections. */
  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ------------------------------------------------------------------ system

  version(): Promise<SystemVersion> {
    return this.request('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.request('GET', '/info');
  }

  // ------------------------------------------------------------------ swarm

  /** `POST /swarm/init`; resolves with the new node's ID. */
  swarmInit(req: SwarmInitRequest | Record<string, unknown>): Promise<string> {
    return this.request('POST', '/swarm/init', { body: req });
  }

  async swarmJoin(req: SwarmJoinRequest | Record<string, unknown>): Promise<void> {
    await this.request('POST', '/swarm/join', { body: req });
  }

  async swarmLeave(force = false): Promise<void> {
    await this.request('POST', '/swarm/leave', { query: { force: force ? '1' : undefined } });
  }

  swarmInspect(): Promise<Swarm> {
    return this.request('GET', '/swarm');
  }

  /** `POST /swarm/update?version=N&rotate…=bool`, the three rotate flags always sent, as the docker CLI does. */
  async swarmUpdate(version: number, spec: SwarmSpec | Record<string, unknown>, flags: SwarmUpdateFlags = {}): Promise<void> {
    await this.request('POST', '/swarm/update', {
      query: {
        version,
        rotateWorkerToken: flags.rotateWorkerToken ?? false,
        rotateManagerToken: flags.rotateManagerToken ?? false,
        rotateManagerUnlockKey: flags.rotateManagerUnlockKey ?? false,
      },
      body: spec,
    });
  }

  // ------------------------------------------------------------------ nodes

  nodeList(filters?: FiltersArg): Promise<Node[]> {
    return this.request('GET', '/nodes', { query: { filters: filtersQuery(filters) } });
  }

  /** By ID, hostname or unique ID prefix. */
  nodeInspect(ref: string): Promise<Node> {
    return this.request('GET', `/nodes/${encodeURIComponent(ref)}`);
  }

  async nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.request('POST', `/nodes/${encodeURIComponent(id)}/update`, { query: { version }, body: spec });
  }

  async nodeRemove(ref: string, force = false): Promise<void> {
    await this.request('DELETE', `/nodes/${encodeURIComponent(ref)}`, { query: { force: force ? '1' : undefined } });
  }

  // ------------------------------------------------------------------ internals

  private async body(res: IncomingMessage): Promise<Buffer> {
    try {
      return await readBody(res);
    } catch (e) {
      throw connectError(this.host, e);
    }
  }
}

/** A client for `host` (default `unix:///run/shoal/docker.sock`). Nothing is sent until the first call. */
export function createClient(opts: ClientOptions = {}): EngineClient {
  return new EngineClient(opts);
}
