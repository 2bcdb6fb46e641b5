/**
 * A real registry v2 for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 at a free port, with its
 * own config and storage in a temp dir (never the system config or port), in its own process group, killed by PID
 * in `stop()` / `await using`.
 *
 * Auth modes:
 * - `none` (default);
 * - `token`: the registry's `auth.token` points at a token server run here, which checks Basic credentials against
 *   `users` and answers `GET /token?service=…&scope=…` with an ES256 JWT (`x5c` = its self-signed certificate, which
 *   the registry trusts through `rootcertbundle`), signed with `crypto.sign`. Anonymous requests get `pull` only when
 *   `anonymousPull` is set;
 * - `basic`: a small proxy in front of the registry demands HTTP Basic credentials (the registry's htpasswd would need
 *   bcrypt, which Node lacks); `host` is the proxy.
 *
 * `push(archive, 'name:tag')` uploads an image from a docker-archive tarball over the v2 API (blob uploads + manifest
 * PUT; layers gzip-compressed by default), `pushIndex` a manifest list / OCI index over pushed manifests,
 * `pushMultiPlatform` an index with the real image as linux/<host arch> and a copy relabelled linux/arm64 (or amd64),
 * `corruptBlob(digest)` flips bytes of a stored blob (same size), so the registry serves wrong content.
 *
 * `startRegistry(opts)` → TestRegistry { host, url, push, pushIndex, pushMultiPlatform, corruptBlob, tokenRequests,
 * log(), stop() }.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createRootCA } from '../../src/ca/root-ca.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryOptions {
  auth?: 'none' | 'token' | 'basic';
  /** Accounts for `token` and `basic` (default `{ shoal: 'secret' }`). */
  users?: Record<string, string>;
  /** Token mode: grant pull to anonymous token requests. */
  anonymousPull?: boolean;
}

export interface PushResult {
  /** Manifest digest. */
  digest: string;
  size: number;
  mediaType: string;
  configDigest: string;
  layers: { digest: string; size: number }[];
}

export interface TestRegistry extends AsyncDisposable {
  /** `127.0.0.1:<port>`: what image references use. */
  readonly host: string;
  readonly url: string;
  readonly dir: string;
  readonly users: Record<string, string>;
  /** Token server requests so far (token mode). */
  readonly tokenRequests: { user: string | undefined; scopes: string[] }[];
  push(archivePath: string, nameTag: string, opts?: { image?: number; layers?: 'gzip' | 'none'; format?: 'docker' | 'oci'; architecture?: string }): Promise<PushResult>;
  pushIndex(nameTag: string, entries: { manifest: PushResult; platform: { os: string; architecture: string; variant?: string } }[], opts?: { format?: 'docker' | 'oci' }): Promise<PushResult>;
  pushMultiPlatform(archivePath: string, nameTag: string, opts?: { format?: 'docker' | 'oci' }): Promise<{ index: PushResult; native: PushResult; foreign: PushResult }>;
  corruptBlob(digest: string): void;
  log(): string;
  stop(): Promise<void>;
}

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (typeof a === 'object' && a) resolve(a.port);
      else reject(new Error('no port'));
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function basicUser(req: IncomingMessage, users: Record<string, string>): string | undefined | false {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic (.+)$/i.exec(h);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const user = decoded.slice(0, i);
  return i > 0 && users[user] === decoded.slice(i + 1) ? user : false;
}

interface TokenServer {
  server: Server;
  realm: string;
  certPath: string;
}

async function startTokenServer(dir: string, users: Record<string, string>, anonymousPull: boolean, seen: TestRegistry['tokenRequests']): Promise<TokenServer> {
  const ca = await createRootCA({ now: Date.now() });
  const certPath = join(dir, 'token-ca.pem');
  writeFileSync(certPath, ca.certPem);
  const certDer = Buffer.from(ca.certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = createPrivateKey(ca.keyPem);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const user = basicUser(req, users);
    const scopes = u.searchParams.getAll('scope');
    seen.push({ user: user === false ? '!invalid' : user, scopes });
    if (user === false) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
      return;
    }
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = s.split(':') as [string, string, string | undefined];
      const wanted = (actions ?? '').split(',').filter((a) => a !== '');
      const granted = user !== undefined ? wanted : anonymousPull ? wanted.filter((a) => a === 'pull') : [];
      return granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: 'shoal-test-token-server',
      sub: user ?? '',
      aud: u.searchParams.get('service') ?? '',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  const port = await listen(server);
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath };
}

/** A proxy demanding HTTP Basic credentials in front of `backendPort`. */
async function startBasicProxy(backendPort: number, users: Record<string, string>): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const user = basicUser(req, users);
    if (user === undefined || user === false) {
      req.resume();
      res
        .writeHead(401, { 'WWW-Authenticate': 'Basic realm="shoal-test"', 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await listen(server);
  return { server, port };
}

/** Minimal v2 client for pushing, with bearer/basic auth as the admin user. */
class PushClient {
  private tokens = new Map<string, string>();
  constructor(
    private readonly url: string,
    private readonly creds: [string, string] | undefined,
  ) {}

  private basic(): string | undefined {
    return this.creds ? `Basic ${Buffer.from(`${this.creds[0]}:${this.creds[1]}`).toString('base64')}` : undefined;
  }

  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> }, repo: string): Promise<Response> {
    const full = path.startsWith('http') ? path : `${this.url}${path}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const t = this.tokens.get(repo);
      if (t) headers.Authorization = t;
      const res = await fetch(full, { ...init, headers, signal: AbortSignal.timeout(30_000) });
      if (res.status !== 401 || attempt > 0) return res;
      const ch = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      if (/^basic/i.test(ch)) {
        this.tokens.set(repo, this.basic() ?? '');
        continue;
      }
      const realm = /realm="([^"]+)"/.exec(ch)?.[1];
      const service = /service="([^"]+)"/.exec(ch)?.[1];
      if (!realm) return res;
      const u = new URL(realm);
      if (service) u.searchParams.set('service', service);
      u.searchParams.set('scope', `repository:${repo}:pull,push`);
      const b = this.basic();
      const tr = await fetch(u, { headers: b ? { Authorization: b } : {}, signal: AbortSignal.timeout(30_000) });
      const j = (await tr.json()) as { token: string };
      this.tokens.set(repo, `Bearer ${j.token}`);
    }
  }

  async blob(repo: string, data: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(data);
    const head = await this.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }, repo);
    if (head.status === 200) return { digest, size: data.length };
    const start = await this.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' }, repo);
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
    await start.body?.cancel();
    const loc = new URL(start.headers.get('location') ?? '', this.url);
    loc.searchParams.set('digest', digest);
    const put = await this.fetch(loc.toString(), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) } }, repo);
    if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
    await put.body?.cancel();
    return { digest, size: data.length };
  }

  async manifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.fetch(`/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType } }, repo);
    if (res.status !== 201) throw new Error(`manifest put: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? sha256(body);
  }
}

function splitNameTag(nameTag: string): [string, string] {
  const i = nameTag.lastIndexOf(':');
  return i > nameTag.lastIndexOf('/') ? [nameTag.slice(0, i), nameTag.slice(i + 1)] : [nameTag, 'latest'];
}

const MT = {
  docker: { manifest: 'application/vnd.docker.distribution.manifest.v2+json', index: 'application/vnd.docker.distribution.manifest.list.v2+json', config: 'application/vnd.docker.container.image.v1+json', gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip', tar: 'application/vnd.docker.image.rootfs.diff.tar' },
  oci: { manifest: 'application/vnd.oci.image.manifest.v1+json', index: 'application/vnd.oci.image.index.v1+json', config: 'application/vnd.oci.image.config.v1+json', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', tar: 'application/vnd.oci.image.layer.v1.tar' },
} as const;

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? { shoal: 'secret' };
  const dir = mkdtempSync(join(tmpdir(), 'shoal-registry-'));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const tokenRequests: TestRegistry['tokenRequests'] = [];
  let token: TokenServer | undefined;
  let proxy: { server: Server; port: number } | undefined;
  let child: ChildProcess | undefined;
  let stderr = '';

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      try {
        process.kill(-(c.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      await gone;
    }
    await closeServer(proxy?.server);
    await closeServer(token?.server);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (auth === 'token') token = await startTokenServer(dir, users, opts.anonymousPull === true, tokenRequests);
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      'health:',
      '  storagedriver:',
      '    enabled: false',
      ...(token
        ? ['auth:', '  token:', `    realm: ${token.realm}`, '    service: shoal-test-registry', '    issuer: shoal-test-token-server', `    rootcertbundle: ${token.certPath}`]
        : []),
    ].join('\n');
    const configPath = join(dir, 'config.yml');
    writeFileSync(configPath, `${config}\n`);
    const c = spawn(REGISTRY_BIN, ['serve', configPath], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`docker-registry exited with ${c.exitCode}:\n${stderr}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1000) });
        await r.body?.cancel();
        if (r.status === 200 || r.status === 401) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    if (auth === 'basic') proxy = await startBasicProxy(port, users);
    const publicPort = proxy?.port ?? port;
    const url = `http://127.0.0.1:${publicPort}`;
    const first = Object.entries(users)[0];
    const client = new PushClient(url, auth === 'none' || !first ? undefined : first);

    const pushConfig = async (repo: string, configBytes: Buffer, layers: Buffer[], format: 'docker' | 'oci', tag: string | undefined, compress: boolean): Promise<PushResult> => {
      const mt = MT[format];
      const descs = [];
      for (const l of layers) {
        const data = compress ? gzipSync(l) : l;
        descs.push({ mediaType: compress ? mt.gzip : mt.tar, ...(await client.blob(repo, data)) });
      }
      const config = { mediaType: mt.config, ...(await client.blob(repo, configBytes)) };
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mt.manifest, config, layers: descs }, null, 3));
      const digest = await client.manifest(repo, tag ?? sha256(body), body, mt.manifest);
      return { digest, size: body.length, mediaType: mt.manifest, configDigest: config.digest, layers: descs.map((d) => ({ digest: d.digest, size: d.size })) };
    };

    const readArchive = (archivePath: string, image: number): { config: Buffer; layers: Buffer[] } => {
      const x = mkdtempSync(join(dir, 'push-'));
      try {
        execFileSync('tar', ['-xf', archivePath, '-C', x]);
        const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
        const m = manifest[image];
        if (!m) throw new Error(`${archivePath} has no image ${image}`);
        return { config: readFileSync(join(x, m.Config)), layers: m.Layers.map((l) => readFileSync(join(x, l))) };
      } finally {
        rmSync(x, { recursive: true, force: true });
      }
    };

    const reg: TestRegistry = {
      host: `127.0.0.1:${publicPort}`,
      url,
      dir,
      users,
      tokenRequests,
      async push(archivePath, nameTag, o = {}) {
        const [repo, tag] = splitNameTag(nameTag);
        const { config, layers } = readArchive(archivePath, o.image ?? 0);
        let cfg = config;
        if (o.architecture !== undefined) cfg = Buffer.from(JSON.stringify({ ...(JSON.parse(config.toString()) as object), architecture: o.architecture }));
        return pushConfig(repo, cfg, layers, o.format ?? 'docker', tag, o.layers !== 'none');
      },
      async pushIndex(nameTag, entries, o = {}) {
        const [repo, tag] = splitNameTag(nameTag);
        const mt = MT[o.format ?? 'docker'];
        const body = Buffer.from(
          JSON.stringify({ schemaVersion: 2, mediaType: mt.index, manifests: entries.map((e) => ({ mediaType: e.manifest.mediaType, digest: e.manifest.digest, size: e.manifest.size, platform: e.platform })) }),
        );
        const digest = await client.manifest(repo, tag, body, mt.index);
        return { digest, size: body.length, mediaType: mt.index, configDigest: '', layers: [] };
      },
      async pushMultiPlatform(archivePath, nameTag, o = {}) {
        const [repo] = splitNameTag(nameTag);
        const format = o.format ?? 'docker';
        const native = await reg.push(archivePath, `${repo}:native-only`, { format });
        const nativeArch = JSON.parse(readArchive(archivePath, 0).config.toString()) as { architecture: string };
        const otherArch = nativeArch.architecture === 'arm64' ? 'amd64' : 'arm64';
        const foreign = await reg.push(archivePath, `${repo}:foreign-only`, { format, architecture: otherArch });
        const index = await reg.pushIndex(
          nameTag,
          [
            { manifest: foreign, platform: { os: 'linux', architecture: otherArch, ...(otherArch === 'arm64' ? { variant: 'v8' } : {}) } },
            { manifest: native, platform: { os: 'linux', architecture: nativeArch.architecture } },
          ],
          { format },
        );
        return { index, native, foreign };
      },
      corruptBlob(digest) {
        const hex = digest.replace(/^sha256:/, '');
        const p = join(storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
        const b = readFileSync(p);
        const at = Math.floor(b.length / 2);
        b[at] = b[at]! ^ 0xff;
        writeFileSync(p, b);
        if (statSync(p).size !== b.length) throw new Error('corruptBlob changed the size');
      },
      log: () => stderr,
      stop,
      [Symbol.asyncDispose]: stop,
    };
    return reg;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Writes a docker CLI config with `auths[host].auth` into a fresh dir; returns the dir (for DOCKER_CONFIG). */
export function dockerConfigWith(parent: string, host: string, user: string, password: string): string {
  const d = mkdtempSync(join(parent, 'docker-config-'));
  writeFileSync(join(d, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return d;
}

/** Blob paths in the registry's storage (for tests that look inside). */
export function registryBlobs(reg: TestRegistry): string[] {
  const root = join(reg.dir, 'storage/docker/registry/v2/blobs/sha256');
  return readdirSync(root).flatMap((p) => readdirSync(join(root, p)));
}
