/**
 * The `X-Registry-Auth` value the docker CLI sends (base64url of the JSON AuthConfig `{username, password,
 * serveraddress, identitytoken, registrytoken}`), as registry credentials. `e30=` (`{}`), an empty value and one that
 * does not decode hold none: undefined, so the caller falls back to the daemon's own docker config.
 */
import type { RegistryAuth } from './store-port.js';

export function decodeRegistryAuth(value: string | undefined): RegistryAuth | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  const auth: RegistryAuth = {};
  for (const k of ['username', 'password', 'identitytoken', 'registrytoken'] as const) {
    const v = p[k];
    if (typeof v === 'string' && v !== '') auth[k] = v;
  }
  return Object.keys(auth).length > 0 ? auth : undefined;
}
