/**
 * A registry v2 client on Node's `fetch` (OCI distribution spec), for pulls:
 * - `GET /v2/` pings the registry and yields its auth challenge; plain HTTP only for insecure registries (explicit,
 *   or loopback: 127.0.0.0/8, ::1, localhost, as docker treats them), after HTTPS failed to connect.
 * - Bearer tokens from the challenge's realm/service with scope `repository:<name>:pull` (Basic credentials,
 *   an identity token through the OAuth2 refresh-token grant, or anonymous); a registry token is used as is; Basic
 *   challenges get the credentials directly. A 401 later (expired token) refreshes once.
 * - Manifests with the Accept list of OCI index/manifest and docker list/v2/v1 types; blobs as streams (fetch follows
 *   redirects and drops Authorization on cross-origin ones).
 * Every call has a deadline (headers within `timeoutMs`; body bytes at least every `idleTimeoutMs`) and honours
 * the caller's AbortSignal.
 */
import { ShoalError, isShoalError, notFound, unavailable } from '../../../api/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { MediaType } from './media-types.js';
import type { RegistryAuth } from './store-port.js';
import { parseWwwAuthenticate } from './www-authenticate.js';
import type { Challenge } from './www-authenticate.js';

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
].join(', ');

const MAX_MANIFEST = 4 << 20;

export interface ClientOptions {
  /** Registry domain as in references: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path: `library/busybox`. */
  repository: string;
  insecure: boolean;
  auth: RegistryAuth | undefined;
  timeoutMs: number;
  idleTimeoutMs: number;
  fetch: typeof fetch;
  signal: AbortSignal | undefined;
  userAgent: string;
  log: Logger;
}

export function isLoopbackHost(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The host to contact for a registry domain (docker.io's API lives at registry-1.docker.io). */
export function apiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

export function unauthorized(repository: string, detail: string): ShoalError {
  return notFound('image.unauthorized', `pull access denied for ${repository}, repository does not exist or may require 'docker login': ${detail}`);
}

/** The first error of a registry error body: `MANIFEST_UNKNOWN: manifest unknown`. */
async function registryError(res: Response, idleMs: number, signal: AbortSignal | undefined): Promise<{ code: string; message: string }> {
  try {
    const j = JSON.parse((await readLimited(res, 64 << 10, 'registry error', idleMs, signal)).toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return { code: e.code ?? '', message: e.message ?? '' };
  } catch {
    // not JSON
  }
  return { code: '', message: `${res.status} ${res.statusText}` };
}

export class RegistryClient {
  private base = '';
  private authorization: string | undefined;
  private challenge: Challenge | undefined;

  private constructor(private readonly o: ClientOptions) {}

  static async connect(o: ClientOptions): Promise<RegistryClient> {
    const c = new RegistryClient(o);
    await c.ping();
    return c;
  }

  get registryUrl(): string {
    return this.base;
  }

  private signal(ms: number): { signal: AbortSignal; clear: () => void; controller: AbortController } {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
    const signals = [controller.signal];
    if (this.o.signal) signals.push(this.o.signal);
    return { signal: AbortSignal.any(signals), clear: () => clearTimeout(timer), controller };
  }

  private async rawFetch(url: string, init: RequestInit, what: string): Promise<Response> {
    const { signal, clear } = this.signal(this.o.timeoutMs);
    try {
      return await this.o.fetch(url, { ...init, signal, redirect: 'follow' });
    } catch (e) {
      if (this.o.signal?.aborted === true) throw new ShoalError('Canceled', 'image.pull_canceled', 'pull canceled', { cause: e });
      const cause = (e as { cause?: unknown }).cause;
      throw new ShoalError('Unavailable', 'image.registry_unavailable', `${what}: Get "${url}": ${String((cause as Error | undefined)?.message ?? (e as Error).message)}`, { cause: e });
    } finally {
      clear();
    }
  }

  private async ping(): Promise<void> {
    const host = apiHost(this.o.domain);
    const schemes = this.o.insecure ? ['https', 'http'] : ['https'];
    let lastError: unknown;
    for (const scheme of schemes) {
      const url = `${scheme}://${host}/v2/`;
      let res: Response;
      try {
        res = await this.rawFetch(url, { headers: { 'User-Agent': this.o.userAgent } }, 'registry ping');
      } catch (e) {
        if (isShoalError(e, 'Canceled')) throw e;
        lastError = e;
        continue;
      }
      await res.body?.cancel();
      this.base = `${scheme}://${host}`;
      if (res.status === 401) this.challenge = pick(parseWwwAuthenticate(res.headers.get('www-authenticate')));
      else if (!res.ok) throw unavailable('image.registry_unavailable', `registry ${this.o.domain} answered ${res.status} to ${url}`);
      return;
    }
    throw lastError;
  }

  /** Sets `authorization` for the current challenge. */
  private async authenticate(): Promise<void> {
    const ch = this.challenge;
    const a = this.o.auth;
    if (!ch) return;
    if (ch.scheme === 'basic') {
      if (!a?.username || a.password === undefined) throw unauthorized(this.o.repository, 'authentication required');
      this.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
      return;
    }
    if (ch.scheme !== 'bearer') throw unauthorized(this.o.repository, `unsupported auth scheme ${ch.scheme}`);
    if (a?.registrytoken) {
      this.authorization = `Bearer ${a.registrytoken}`;
      return;
    }
    const realm = ch.params.realm;
    if (!realm) throw unauthorized(this.o.repository, 'the registry sent a bearer challenge without a realm');
    const scope = `repository:${this.o.repository}:pull`;
    let res: Response;
    if (a?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: a.identitytoken, client_id: 'shoal', scope });
      if (ch.params.service) form.set('service', ch.params.service);
      res = await this.rawFetch(realm, { method: 'POST', body: form, headers: { 'User-Agent': this.o.userAgent } }, 'token request');
    } else {
      const u = new URL(realm);
      if (ch.params.service) u.searchParams.set('service', ch.params.service);
      u.searchParams.set('scope', scope);
      const headers: Record<string, string> = { 'User-Agent': this.o.userAgent };
      if (a?.username && a.password !== undefined) headers.Authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
      res = await this.rawFetch(u.toString(), { headers }, 'token request');
    }
    if (res.status === 401 || res.status === 403) {
      const e = await registryError(res, this.o.idleTimeoutMs, this.o.signal);
      throw unauthorized(this.o.repository, `${e.code !== '' ? `${e.code.toLowerCase()}: ` : ''}${e.message || 'authentication failed'}`);
    }
    if (!res.ok) throw unavailable('image.registry_unavailable', `token server ${realm} answered ${res.status}`);
    let j: { token?: string; access_token?: string };
    try {
      j = JSON.parse((await readLimited(res, 1 << 20, 'token response', this.o.idleTimeoutMs, this.o.signal)).toString('utf8')) as typeof j;
    } catch (e) {
      if (isShoalError(e)) throw e;
      throw unavailable('image.registry_unavailable', `token server ${realm} sent invalid JSON`);
    }
    const token = j.token ?? j.access_token;
    if (!token) throw unavailable('image.registry_unavailable', `token server ${realm} sent no token`);
    this.authorization = `Bearer ${token}`;
  }

  /** GET with auth; on 401 re-authenticates (with the new challenge) once. */
  private async get(path: string, headers: Record<string, string>, what: string): Promise<Response> {
    if (this.challenge && this.authorization === undefined) await this.authenticate();
    for (let attempt = 0; ; attempt++) {
      const h: Record<string, string> = { 'User-Agent': this.o.userAgent, ...headers };
      if (this.authorization) h.Authorization = this.authorization;
      const res = await this.rawFetch(`${this.base}${path}`, { headers: h }, what);
      if (res.status !== 401 || attempt > 0) return res;
      const ch = pick(parseWwwAuthenticate(res.headers.get('www-authenticate')));
      await res.body?.cancel();
      if (!ch) return res;
      this.challenge = ch;
      this.authorization = undefined;
      await this.authenticate();
    }
  }

  private async failed(res: Response, what: string): Promise<never> {
    const e = await registryError(res, this.o.idleTimeoutMs, this.o.signal);
    const detail = `${e.code !== '' ? `${e.code.toLowerCase()}: ` : ''}${e.message}`;
    if (res.status === 401 || res.status === 403 || e.code === 'DENIED' || e.code === 'UNAUTHORIZED' || e.code === 'NAME_UNKNOWN') {
      throw unauthorized(this.o.repository, detail);
    }
    if (res.status === 404) throw notFound('image.manifest_unknown', `${what}: ${detail}`);
    throw unavailable('image.registry_unavailable', `${what}: ${res.status} ${detail}`);
  }

  /** A manifest or index by tag or digest: its bytes, media type and the digest the registry claims. */
  async getManifest(reference: string): Promise<{ bytes: Buffer; mediaType: string; headerDigest: string | undefined; notFound?: string }> {
    const res = await this.get(`/v2/${this.o.repository}/manifests/${reference}`, { Accept: MANIFEST_ACCEPT }, `manifest ${reference}`);
    if (res.status === 404) {
      const e = await registryError(res, this.o.idleTimeoutMs, this.o.signal);
      return { bytes: Buffer.alloc(0), mediaType: '', headerDigest: undefined, notFound: e.message || 'manifest unknown' };
    }
    if (!res.ok) return this.failed(res, `manifest ${reference}`);
    const bytes = await readLimited(res, MAX_MANIFEST, `manifest ${reference}`, this.o.idleTimeoutMs, this.o.signal);
    return {
      bytes,
      mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
      headerDigest: res.headers.get('docker-content-digest') ?? undefined,
    };
  }

  /** A small blob (a config) read whole. */
  async getBlobBytes(digest: string, max: number): Promise<Buffer> {
    const res = await this.get(`/v2/${this.o.repository}/blobs/${digest}`, {}, `blob ${digest}`);
    if (!res.ok) return this.failed(res, `blob ${digest}`);
    return readLimited(res, max, `blob ${digest}`, this.o.idleTimeoutMs, this.o.signal);
  }

  /** A blob as a stream of chunks; stalls longer than idleTimeoutMs abort it. */
  async getBlob(digest: string): Promise<AsyncIterable<Buffer>> {
    const res = await this.get(`/v2/${this.o.repository}/blobs/${digest}`, {}, `blob ${digest}`);
    if (!res.ok) return this.failed(res, `blob ${digest}`);
    if (!res.body) return (async function* () {})();
    return idleGuard(res.body, this.o.idleTimeoutMs, this.o.signal, `blob ${digest}`);
  }
}

function pick(chs: Challenge[]): Challenge | undefined {
  return chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic') ?? chs[0];
}

async function readLimited(res: Response, max: number, what: string, idleMs: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > max) {
    await res.body?.cancel();
    throw unavailable('image.registry_unavailable', `${what}: ${len} bytes is too large`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    for await (const c of idleGuard(res.body, idleMs, signal, what)) {
      total += c.length;
      if (total > max) throw unavailable('image.registry_unavailable', `${what}: more than ${max} bytes`);
      chunks.push(c);
    }
  }
  return Buffer.concat(chunks);
}

async function* idleGuard(body: ReadableStream<Uint8Array>, idleMs: number, outer: AbortSignal | undefined, what: string): AsyncGenerator<Buffer> {
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  let reason: Error | undefined;
  const stop = (e: Error): void => {
    reason = e;
    reader.cancel(e).catch(() => undefined);
  };
  const onAbort = (): void => stop(new ShoalError('Canceled', 'image.pull_canceled', 'pull canceled'));
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      timer = setTimeout(() => stop(unavailable('image.registry_unavailable', `${what}: no data for ${idleMs} ms`)), idleMs);
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (e) {
        throw reason ?? unavailable('image.registry_unavailable', `${what}: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      if (reason) throw reason;
      if (r.done) return;
      yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  } finally {
    outer?.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => undefined);
  }
}
