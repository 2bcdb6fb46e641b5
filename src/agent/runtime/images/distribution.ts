/**
 * `GET /distribution/{name}/json` (dockerd's distribution router): what a registry says a reference is, without
 * pulling it. The docker CLI asks before every service create and image-changing update, to pin the image's digest
 * (`img:tag@sha256:…`) and copy its platforms into the placement.
 *
 *  - `Descriptor`: the top manifest as the registry serves it (an index or manifest list stays one: its own media
 *    type, digest and size), its digest verified against the bytes;
 *  - `Platforms`: an index's entries' platforms; a single manifest's, from its config (os, architecture, variant).
 *
 * Credentials: the request's `X-Registry-Auth`, else the daemon's docker config (as pulls do). Which registries may be
 * asked at all is the daemon's `--registry-lookup` (`all`, as dockerd; `loopback`: only registries on 127.0.0.0/8,
 * ::1 and localhost; `none`): a registry out of scope is refused at once with a NotFound, which the CLI turns into its
 * "could not be accessed on a registry" warning, so it never waits on a registry the node may not reach.
 */
import { invalidArgument, notFound } from '../../../api/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { decodeRegistryAuth } from './auth-header.js';
import { isDigest, sha256Digest } from './digest.js';
import { credentialsFor } from './docker-config.js';
import { digestMismatch, manifestUnknown, schema1Refused } from './errors.js';
import { parseImageConfig } from './image-config.js';
import { classify, isSchema1Type } from './media-types.js';
import type { Index, Manifest } from './media-types.js';
import type { RegistryOptions } from './pull.js';
import { familiarString, parseReference } from './reference.js';
import { RegistryClient, isLoopbackHost } from './registry-client.js';

export type RegistryLookup = 'all' | 'loopback' | 'none';
export const REGISTRY_LOOKUPS: readonly RegistryLookup[] = ['all', 'loopback', 'none'];

export interface DistributionPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: DistributionPlatform[];
}

const MAX_CONFIG = 8 << 20;

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidArgument('image.unsupported_manifest', `${what} is not valid JSON`);
  }
}

function platformOf(p: { os?: unknown; architecture?: unknown; variant?: unknown } | undefined): DistributionPlatform | undefined {
  if (p === undefined || typeof p.os !== 'string' || typeof p.architecture !== 'string') return undefined;
  return typeof p.variant === 'string' && p.variant !== '' ? { architecture: p.architecture, os: p.os, variant: p.variant } : { architecture: p.architecture, os: p.os };
}

/** Whether `--registry-lookup` lets the daemon ask the registry of `domain`. */
export function lookupAllowed(scope: RegistryLookup, domain: string): boolean {
  return scope === 'all' || (scope === 'loopback' && isLoopbackHost(domain));
}

/** The registry's descriptor and platforms of `image` (`name[:tag][@digest]`, docker's normalization). */
export async function inspectDistribution(
  image: string,
  o: { scope: RegistryLookup; registryAuth: string | undefined; signal: AbortSignal | undefined; log: Logger },
  reg: RegistryOptions = {},
): Promise<DistributionInspect> {
  const ref = parseReference(image);
  if (!lookupAllowed(o.scope, ref.domain)) {
    throw notFound('distribution.unavailable', `no such image: ${image}: looking it up in ${ref.domain} is turned off (--registry-lookup ${o.scope})`);
  }
  const auth = decodeRegistryAuth(o.registryAuth) ?? (await credentialsFor(ref.domain, o.log, reg.dockerConfigDir));
  const client = await RegistryClient.connect({
    domain: ref.domain,
    repository: ref.path,
    insecure: isLoopbackHost(ref.domain) || (reg.insecureRegistries ?? []).includes(ref.domain),
    auth,
    timeoutMs: reg.timeoutMs ?? 30_000,
    idleTimeoutMs: reg.idleTimeoutMs ?? 60_000,
    fetch: reg.fetch ?? fetch,
    signal: o.signal,
    userAgent: reg.userAgent ?? 'shoal',
    log: o.log,
  });
  const top = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  if (top.notFound !== undefined) throw manifestUnknown(ref, top.notFound);
  const digest = sha256Digest(top.bytes);
  const expected = ref.digest ?? top.headerDigest;
  if (expected !== undefined && isDigest(expected) && expected !== digest) {
    throw digestMismatch(`manifest for ${familiarString(ref)}: manifest verification failed for digest ${expected}: got ${digest}`);
  }
  const doc = parseJson(top.bytes, 'manifest');
  const kind = isSchema1Type(top.mediaType) ? 'schema1' : classify(doc);
  if (kind === 'schema1') throw schema1Refused(ref);
  const mediaType = top.mediaType !== '' ? top.mediaType : typeof (doc as { mediaType?: unknown }).mediaType === 'string' ? (doc as { mediaType: string }).mediaType : '';
  const descriptor = { mediaType, digest, size: top.bytes.length };
  if (kind === 'index') {
    const platforms = (doc as Index).manifests.map((m) => platformOf(m.platform)).filter((p): p is DistributionPlatform => p !== undefined);
    return { Descriptor: descriptor, Platforms: platforms };
  }
  if (kind !== 'manifest') throw invalidArgument('image.unsupported_manifest', `unsupported manifest format for ${familiarString(ref)}: ${top.mediaType || 'unknown media type'}`);
  const configDigest = (doc as Manifest).config.digest;
  if (!isDigest(configDigest)) throw invalidArgument('image.unsupported_manifest', `unsupported config digest ${configDigest}`);
  const configBytes = await client.getBlobBytes(configDigest, MAX_CONFIG);
  if (sha256Digest(configBytes) !== configDigest) throw digestMismatch(`image config verification failed for digest ${configDigest}: got ${sha256Digest(configBytes)}`);
  const config = parseImageConfig(configBytes, `config ${configDigest}`);
  const platform = platformOf(config);
  return { Descriptor: descriptor, Platforms: platform !== undefined ? [platform] : [] };
}
