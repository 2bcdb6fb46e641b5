/**
 * `image pull`: resolve the reference to one image manifest (an index or manifest list narrows to the wanted
 * platform), fetch and verify the config, then stream each missing layer straight into the unpacker while its blob
 * digest and diff ID are computed; a layer whose digests do not match is discarded, and so is every layer this pull
 * brought in when the pull fails. The image is recorded (tag + `name@<manifest digest>`) only when all layers are
 * in place. Progress follows docker's statuses per layer.
 */
import { ShoalError, isShoalError, invalidArgument, notFound } from '../../../api/errors.js';
import { mapLimit } from './map-limit.js';
import { credentialsFor } from './docker-config.js';
import { chainIds, isDigest, sha256Digest, shortId } from './digest.js';
import { digestMismatch, manifestUnknown, schema1Refused } from './errors.js';
import { parseImageConfig } from './image-config.js';
import type { StoredImage } from './image-index.js';
import { ingestLayer } from './ingest.js';
import type { StoreInternals } from './ingest.js';
import { classify, isSchema1Type } from './media-types.js';
import type { Index, Manifest } from './media-types.js';
import { choosePlatform, formatPlatform, hostPlatform, parsePlatform } from './platform.js';
import { familiarString, formatReference, parseReference, repositoryName } from './reference.js';
import { RegistryClient, isLoopbackHost } from './registry-client.js';
import type { ImageRecord, PullProgress, RegistryAuth } from './store-port.js';

export interface RegistryOptions {
  /** Registry domains (`host:port`) reached over plain HTTP, besides loopback ones. */
  insecureRegistries?: string[];
  /** Deadline for each request's response headers (default 30 s). */
  timeoutMs?: number;
  /** A body that sends nothing for this long is aborted (default 60 s). */
  idleTimeoutMs?: number;
  /** Where the docker CLI config lives (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string;
  /** Parallel layer downloads per pull (default 3, as docker). */
  maxConcurrentDownloads?: number;
  fetch?: typeof fetch;
  userAgent?: string;
}

const MAX_CONFIG = 8 << 20;

export async function pullImage(
  s: StoreInternals,
  refText: string,
  opts: { insecure?: boolean; auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal; platform?: string },
  reg: RegistryOptions,
  existing: (id: string) => StoredImage | undefined,
): Promise<ImageRecord> {
  const progress = opts.onProgress ?? ((): void => undefined);
  const ref = parseReference(refText);
  const platform = opts.platform !== undefined ? parsePlatform(opts.platform) : hostPlatform();
  const repo = repositoryName(ref);
  const insecure = opts.insecure === true || isLoopbackHost(ref.domain) || (reg.insecureRegistries ?? []).includes(ref.domain);
  const auth = opts.auth ?? (await credentialsFor(ref.domain, s.log, reg.dockerConfigDir));
  const client = await RegistryClient.connect({
    domain: ref.domain,
    repository: ref.path,
    insecure,
    auth,
    timeoutMs: reg.timeoutMs ?? 30_000,
    idleTimeoutMs: reg.idleTimeoutMs ?? 60_000,
    fetch: reg.fetch ?? fetch,
    signal: opts.signal,
    userAgent: reg.userAgent ?? 'shoal',
    log: s.log,
  });
  const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
  progress({ id: tagOrDigest, status: `Pulling from ${ref.path}` });

  // Manifest (or index → manifest).
  const top = await client.getManifest(tagOrDigest);
  if (top.notFound !== undefined) throw manifestUnknown(ref, top.notFound);
  let doc = parseJson(top.bytes, 'manifest');
  let kind = isSchema1Type(top.mediaType) ? 'schema1' : classify(doc);
  // Before the digest check: a signed schema 1 manifest's digest is not that of its bytes.
  if (kind === 'schema1') throw schema1Refused(ref);
  const manifestDigest = verifyManifest(top.bytes, ref.digest ?? top.headerDigest, `manifest for ${familiarString(ref)}`);
  if (kind === 'index') {
    const chosen = choosePlatform((doc as Index).manifests, platform);
    if (!chosen) throw notFound('image.no_matching_platform', `no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
    const child = await client.getManifest(chosen.digest);
    if (child.notFound !== undefined) throw manifestUnknown({ ...ref, digest: chosen.digest }, child.notFound);
    verifyManifest(child.bytes, chosen.digest, `manifest ${chosen.digest}`);
    doc = parseJson(child.bytes, 'manifest');
    kind = isSchema1Type(child.mediaType) ? 'schema1' : classify(doc);
    if (kind === 'schema1') throw schema1Refused(ref);
  }
  if (kind !== 'manifest') throw invalidArgument('image.unsupported_manifest', `unsupported manifest format for ${familiarString(ref)}: ${top.mediaType || 'unknown media type'}`);
  const manifest = doc as Manifest;

  // Config.
  if (!isDigest(manifest.config.digest)) throw invalidArgument('image.unsupported_manifest', `unsupported config digest ${manifest.config.digest}`);
  const configBytes = await client.getBlobBytes(manifest.config.digest, MAX_CONFIG);
  const imageId = sha256Digest(configBytes);
  if (imageId !== manifest.config.digest) throw digestMismatch(`image config verification failed for digest ${manifest.config.digest}: got ${imageId}`);
  const config = parseImageConfig(configBytes, `config ${imageId}`);
  if (config.diffIds.length !== manifest.layers.length) {
    throw invalidArgument('image.unsupported_manifest', `invalid manifest for ${familiarString(ref)}: ${manifest.layers.length} layers, the config lists ${config.diffIds.length}`);
  }
  for (const l of manifest.layers) if (!isDigest(l.digest)) throw invalidArgument('image.unsupported_manifest', `unsupported layer digest ${l.digest}`);

  const tagRef = ref.tag !== undefined && ref.digest === undefined ? formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }) : undefined;
  const before = existing(imageId);
  const upToDate = before !== undefined && before.retained !== true && (tagRef === undefined || before.repoTags.includes(tagRef));

  // Layers.
  const chains = chainIds(config.diffIds);
  const unpin = s.pin([...chains, imageId, manifestDigest]);
  const created: string[] = [];
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  try {
    for (const [i, l] of manifest.layers.entries()) progress({ id: shortId(l.digest), status: s.layers.has(chains[i]!) ? 'Already exists' : 'Pulling fs layer' });
    await mapLimit(manifest.layers, reg.maxConcurrentDownloads ?? 3, async (l, i) => {
      const id = shortId(l.digest);
      const chainId = chains[i]!;
      try {
        const r = await ingestLayer(s.layers, {
          chainId,
          parent: chains[i - 1],
          diffId: config.diffIds[i]!,
          blobDigest: l.digest,
          open: () => client.getBlob(l.digest),
          signal,
          onBytes: (n) => progress({ id, status: 'Downloading', current: n, total: l.size }),
          onSourceEnd: () => {
            progress({ id, status: 'Verifying Checksum' });
            progress({ id, status: 'Download complete' });
            progress({ id, status: 'Extracting', current: l.size, total: l.size });
          },
          what: `layer ${l.digest}`,
        });
        if (r.created) {
          created.push(chainId);
          progress({ id, status: 'Pull complete' });
        } else if (!s.layers.has(chainId)) {
          throw notFound('image.layer_missing', `layer ${chainId} vanished`);
        }
      } catch (e) {
        abort.abort(e);
        throw e;
      }
    });
    const record = s.commit({
      configBytes,
      diffIds: config.diffIds,
      repoTags: tagRef !== undefined ? [tagRef] : [],
      repoDigests: [`${repo}@${manifestDigest}`],
      manifest: { digest: manifestDigest, bytes: top.bytes },
    });
    progress({ id: '', status: `Digest: ${manifestDigest}` });
    progress({ id: '', status: `Status: ${upToDate ? 'Image is up to date for' : 'Downloaded newer image for'} ${familiarString(ref)}` });
    return record;
  } catch (e) {
    unpin();
    await s.discardUnused(created);
    if (opts.signal?.aborted === true && !isShoalError(e, 'Canceled')) throw new ShoalError('Canceled', 'image.pull_canceled', 'pull canceled', { cause: e });
    throw e;
  } finally {
    unpin();
  }
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidArgument('image.unsupported_manifest', `${what} is not valid JSON`);
  }
}

/** The manifest's digest; it must match the digest asked for (or the registry's Docker-Content-Digest). */
function verifyManifest(bytes: Buffer, expected: string | undefined, what: string): string {
  const actual = sha256Digest(bytes);
  if (expected !== undefined && isDigest(expected) && expected !== actual) {
    throw digestMismatch(`${what}: manifest verification failed for digest ${expected}: got ${actual}`);
  }
  return actual;
}
