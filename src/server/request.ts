/**
 * What a handler reads: path params, the negotiated API version, typed query getters with docker's parsing rules
 * (moby `httputils/form.go`), the `filters` parameter, and the JSON body with a size cap (moby `httputils.ReadJSON`).
 * Every bad input throws a ShoalError InvalidArgument, which the server turns into a 400.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { invalidArgument, ShoalError } from '../api/errors.js';
import { Filters } from '../api/filters.js';
import type { Logger } from '../lib/logger.js';
import { compareVersions } from './api-version.js';

/** Default cap on request bodies: specs are small; configs and secrets are at most 500 KiB before base64. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface BodyOptions {
  /** Larger bodies are rejected with a 400. Default: the server's `maxBodyBytes`. */
  maxBytes?: number;
}

export const bodyTooLarge = (max: number): ShoalError =>
  invalidArgument('request.body_too_large', `request body too large (limit ${max} bytes)`);

/** Docker's falsy spellings (`BoolValue`): everything else, after trim + lowercase, is true. */
const FALSY = new Set(['', '0', 'no', 'false', 'none']);

export interface ApiRequestInit {
  /** The underlying request. */
  raw: IncomingMessage;
  /** The API version the request runs at. */
  apiVersion: string;
  /** The path without the version prefix and query, still URL-encoded. */
  path: string;
  query: URLSearchParams;
  params: Readonly<Record<string, string>>;
  signal: AbortSignal;
  logger: Logger;
  maxBodyBytes?: number;
  /** Overrides how the body is read (upgraded connections, where node does not parse the body). */
  readBody?: (maxBytes: number) => Promise<Buffer>;
}

export class ApiRequest {
  /** The underlying request, for what the helpers do not cover. */
  readonly raw: IncomingMessage;
  /** The API version this request runs at (`1.24` … `1.47`; the maximum for unversioned paths). */
  readonly apiVersion: string;
  /** The path without the version prefix and query, still URL-encoded, e.g. `/nodes/abc/update`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Path parameters from the route pattern, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Aborted when the client goes away or the server shuts down; pass it to long-running work and streams. */
  readonly signal: AbortSignal;
  /** The server's logger with this request's method and path bound. */
  readonly logger: Logger;
  private readonly maxBodyBytes: number;
  private readonly readBody: ((maxBytes: number) => Promise<Buffer>) | undefined;
  private bodyRead = false;

  constructor(init: ApiRequestInit) {
    this.raw = init.raw;
    this.apiVersion = init.apiVersion;
    this.path = init.path;
    this.query = init.query;
    this.params = init.params;
    this.signal = init.signal;
    this.logger = init.logger;
    this.maxBodyBytes = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.readBody = init.readBody;
  }

  get method(): string {
    return this.raw.method ?? 'GET';
  }

  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  /** One request header (first value if repeated). */
  header(name: string): string | undefined {
    const v = this.raw.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** A path parameter the route pattern declares. A missing one is a programming error in the route table. */
  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new Error(`route has no parameter '${name}'`);
    return v;
  }

  /** True when the request's API version is at least `v` (e.g. `status=true` needs 1.41). */
  versionAtLeast(v: string): boolean {
    return compareVersions(this.apiVersion, v) >= 0;
  }

  versionLessThan(v: string): boolean {
    return compareVersions(this.apiVersion, v) < 0;
  }

  // ------------------------------------------------------------------ query

  /** The raw value, or undefined when the parameter is absent. */
  queryString(name: string): string | undefined {
    const v = this.query.get(name);
    return v === null ? undefined : v;
  }

  /** Docker booleans: absent → `def`; `''`, `0`, `no`, `false`, `none` (any case) → false; anything else → true. */
  queryBool(name: string, def = false): boolean {
    const v = this.query.get(name);
    if (v === null) return def;
    return !FALSY.has(v.trim().toLowerCase());
  }

  /**
   * A base-10 integer. Absent or empty → `opts.default` (or undefined). Not an integer, or outside [min, max] →
   * 400 `invalid value for <name>: "<raw>"`.
   */
  queryInt(name: string, opts?: { min?: number; max?: number }): number | undefined;
  queryInt(name: string, opts: { default: number; min?: number; max?: number }): number;
  queryInt(name: string, opts: { default?: number; min?: number; max?: number } = {}): number | undefined {
    const raw = this.query.get(name);
    if (raw === null || raw === '') return opts.default;
    const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      throw invalidArgument('request.bad_query', `invalid value for ${name}: ${JSON.stringify(raw)}`);
    }
    return n;
  }

  /** A required non-negative integer, e.g. `version` on updates: absent or bad → 400 `invalid value for <name>: "…"`. */
  queryRequiredUint(name: string): number {
    const n = this.queryInt(name, { min: 0 });
    if (n === undefined) throw invalidArgument('request.bad_query', `invalid value for ${name}: ""`);
    return n;
  }

  /** The `filters` parameter, keys validated against `allowed` (unknown key → 400 `invalid filter '<k>'`). */
  filters(allowed?: Iterable<string>): Filters {
    return Filters.parse(this.query.get('filters'), allowed);
  }

  // ------------------------------------------------------------------ body

  /** The whole body as bytes, at most `maxBytes` (400 beyond). Can be read once. */
  async bodyBytes(opts: BodyOptions = {}): Promise<Buffer> {
    if (this.bodyRead) throw new Error('request body already read');
    this.bodyRead = true;
    const max = opts.maxBytes ?? this.maxBodyBytes;
    if (this.readBody !== undefined) return this.readBody(max);
    const tooLarge = (): ShoalError => bodyTooLarge(max);
    const req = this.raw;
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > max) {
      req.resume(); // discard it, so a keep-alive connection stays usable
      throw tooLarge();
    }
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const cleanup = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > max) {
          cleanup();
          req.resume();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(Buffer.concat(chunks, size));
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(new ShoalError('Canceled', 'request.aborted', `error reading request body: ${e.message}`));
      };
      const onClose = (): void => {
        cleanup();
        reject(new ShoalError('Canceled', 'request.aborted', 'client closed the connection before sending the whole body'));
      };
      if (req.readableEnded) {
        resolve(Buffer.alloc(0));
        return;
      }
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }

  /**
   * The JSON body. An empty body throws 400 `invalid JSON: got EOF while reading request body` (dockerd's text);
   * malformed JSON throws 400 `invalid JSON: <what is wrong>`; a Content-Type other than application/json throws
   * 400 `Content-Type specified (<ct>) must be 'application/json'`. A missing Content-Type is accepted.
   * The value is not validated: `T` is what the caller expects, the validators check it.
   */
  async json<T = unknown>(opts: BodyOptions = {}): Promise<T> {
    const v = await this.jsonOptional<T>(opts);
    if (v === undefined) throw invalidArgument('request.empty_body', 'invalid JSON: got EOF while reading request body');
    return v;
  }

  /** Like `json()`, but an empty body gives undefined (dockerd's ReadJSON for optional bodies). */
  async jsonOptional<T = unknown>(opts: BodyOptions = {}): Promise<T | undefined> {
    const ct = this.header('content-type');
    if (ct !== undefined && ct !== '' && ct.split(';', 1)[0]?.trim().toLowerCase() !== 'application/json') {
      this.raw.resume();
      throw invalidArgument('request.content_type', `Content-Type specified (${ct}) must be 'application/json'`);
    }
    const buf = await this.bodyBytes(opts);
    const text = buf.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      throw invalidArgument('request.bad_json', `invalid JSON: ${detail}`);
    }
  }
}
