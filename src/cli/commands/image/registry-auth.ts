/**
 * Registry credentials the docker way: `auths` in `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`),
 * keyed by registry host (`https://index.docker.io/v1/` for Docker Hub), sent to the daemon as `X-Registry-Auth`:
 * base64url of the JSON AuthConfig `{username, password, serveraddress}`. Credential helpers are not consulted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DOMAIN } from './reference.js';

export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** docker's ConvertToHostname: drop the scheme and anything after the host. */
function hostnameOf(key: string): string {
  const noScheme = key.replace(/^https?:\/\//, '');
  return noScheme.split('/', 1)[0] ?? noScheme;
}

/** The AuthConfig for `domain` found in the config file's text, or undefined. */
export function findAuth(configText: string, domain: string): { username: string; password: string; serveraddress: string } | undefined {
  let config: { auths?: Record<string, AuthEntry> };
  try {
    config = JSON.parse(configText) as typeof config;
  } catch {
    return undefined;
  }
  const auths = config.auths ?? {};
  const wanted = domain === DEFAULT_DOMAIN ? hostnameOf(DOCKER_HUB_AUTH_KEY) : domain;
  const key = Object.keys(auths).find((k) => hostnameOf(k) === wanted);
  if (key === undefined) return undefined;
  const entry = auths[key] as AuthEntry;
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username === '' && password === '') return undefined;
  return { username, password, serveraddress: domain === DEFAULT_DOMAIN ? DOCKER_HUB_AUTH_KEY : domain };
}

/** registry.EncodeAuthConfig: base64url (padded) of the JSON. */
export function encodeAuth(auth: object): string {
  return Buffer.from(JSON.stringify(auth), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The `X-Registry-Auth` value for `domain`, from the user's docker config; undefined when there is none. */
export function registryAuthFor(domain: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const dir = env.DOCKER_CONFIG ?? (env.HOME !== undefined ? join(env.HOME, '.docker') : undefined);
  if (dir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(dir, 'config.json'), 'utf8');
  } catch {
    return undefined;
  }
  const auth = findAuth(text, domain);
  return auth === undefined ? undefined : encodeAuth(auth);
}
