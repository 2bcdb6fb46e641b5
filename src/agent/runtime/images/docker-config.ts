/**
 * Registry credentials from the docker CLI's config (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`):
 * `auths[<registry>].auth` (base64 `user:pass`) or `.identitytoken`, and credential helpers (`credHelpers[<host>]`,
 * `credsStore`) run as `docker-credential-<name> get`. Keys are matched by hostname, whatever scheme or path they
 * carry; docker.io's key is `https://index.docker.io/v1/`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../lib/logger.js';
import { spawnHelper } from './child-process.js';
import { DEFAULT_DOMAIN } from './reference.js';
import type { RegistryAuth } from './store-port.js';

export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
}

/** `https://index.docker.io/v1/` → `index.docker.io`; `http://h:5000/x` → `h:5000`. */
function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
}

function hostsFor(domain: string): string[] {
  return domain === DEFAULT_DOMAIN ? ['index.docker.io', 'docker.io', 'registry-1.docker.io'] : [domain.toLowerCase()];
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

async function fromHelper(helper: string, server: string, log: Logger): Promise<RegistryAuth | undefined> {
  const h = spawnHelper(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  h.child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  h.child.stdin?.end(server);
  const timer = setTimeout(() => h.kill(), 10_000);
  const r = await h.exited;
  clearTimeout(timer);
  if (r.code !== 0) {
    log.debug({ helper, server, stderr: r.stderr.trim() }, 'credential helper found no credentials');
    return undefined;
  }
  try {
    const j = JSON.parse(out) as { Username?: string; Secret?: string };
    if (j.Username === '<token>' && j.Secret) return { identitytoken: j.Secret };
    if (j.Username && j.Secret) return { username: j.Username, password: j.Secret };
  } catch {
    log.warn({ helper }, 'credential helper printed invalid JSON');
  }
  return undefined;
}

/** Credentials for a registry domain (`docker.io`, `127.0.0.1:5000`), or undefined. */
export async function credentialsFor(domain: string, log: Logger, configDir = dockerConfigDir()): Promise<RegistryAuth | undefined> {
  let cfg: ConfigFile;
  try {
    cfg = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as ConfigFile;
  } catch {
    return undefined;
  }
  const hosts = hostsFor(domain);
  const server = domain === DEFAULT_DOMAIN ? DOCKER_HUB_AUTH_KEY : domain;
  const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => hosts.includes(keyHost(k)))?.[1];
  if (helper) return fromHelper(helper, server, log);
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (!hosts.includes(keyHost(key))) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken };
    if (entry.registrytoken) return { registrytoken: entry.registrytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (!cfg.credsStore) return undefined;
  }
  if (cfg.credsStore) return fromHelper(cfg.credsStore, server, log);
  return undefined;
}
