/**
 * The image part of a service create/update as the docker client does it (client/service_create.go,
 * service_update.go): tag a bare name (`img` → `img:latest`), ask `GET /distribution/{image}/json` for the digest and
 * platforms when the registry is to be queried, pin the image (`img:latest@sha256:…`) and copy the platforms into
 * `Placement.Platforms` (an `arm` architecture blanked). When the lookup fails the spec keeps the tagged name and the
 * CLI warns, in docker's words. Also: the image as `service ls`/`ps` show it (digest stripped).
 */
import type { EngineClient } from '../../../client/index.js';
import { distributionInspect } from '../../../client/services.js';
import type { Platform, ServiceSpec } from '../../../client/service-types.js';
import { familiarString, parseNormalizedNamed, tagNameOnly } from '../image/reference.js';

/** imageWithTagString: the familiar reference with a default `latest` tag, or "" when it does not parse. */
export function imageWithTag(image: string): string {
  try {
    return familiarString(tagNameOnly(parseNormalizedNamed(image)));
  } catch {
    return '';
  }
}

/** imageWithDigestString: `img:tag@digest`, or "" when the reference does not parse or already has a digest. */
export function imageWithDigest(image: string, digest: string): string {
  try {
    const ref = parseNormalizedNamed(image);
    if (ref.digest !== undefined) return '';
    return familiarString({ ...ref, digest });
  } catch {
    return '';
  }
}

/** The image as `service ls` / `service ps` print it: a tagged reference loses its digest. */
export function displayImage(image: string): string {
  try {
    const ref = parseNormalizedNamed(image);
    if (ref.tag === undefined) return image;
    return familiarString({ domain: ref.domain, path: ref.path, tag: ref.tag });
  } catch {
    return image;
  }
}

/** client.digestWarning, printed (with a blank line after it) on stderr. */
export function digestWarning(image: string): string {
  return (
    `image ${image} could not be accessed on a registry to record\n` +
    `its digest. Each node will access ${image} independently,\n` +
    `possibly leading to different nodes running different\n` +
    `versions of the image.\n`
  );
}

/**
 * Tags the spec's image and, with `queryRegistry`, pins it through the distribution endpoint. Returns the warnings
 * the create/update response gets appended (the digest warning when the lookup failed).
 */
export async function resolveSpecImage(client: EngineClient, spec: ServiceSpec, o: { queryRegistry: boolean; registryAuth?: string | undefined }): Promise<string[]> {
  const cs = spec.TaskTemplate.ContainerSpec;
  if (cs === undefined || cs === null) return [];
  const tagged = imageWithTag(cs.Image ?? '');
  if (tagged !== '') cs.Image = tagged;
  if (!o.queryRegistry) return [];
  const image = cs.Image ?? '';
  let platforms: Platform[] = [];
  try {
    const dist = await distributionInspect(client, image, o.registryAuth);
    const pinned = imageWithDigest(image, dist.Descriptor.digest);
    if (pinned !== '') cs.Image = pinned;
    platforms = (dist.Platforms ?? []).map((p) => {
      const q: Platform = {};
      const arch = p.architecture ?? '';
      q.Architecture = arch.toLowerCase() === 'arm' ? '' : arch;
      q.OS = p.os ?? '';
      return q;
    });
  } catch {
    return [digestWarning(image)];
  }
  if (platforms.length > 0) {
    spec.TaskTemplate.Placement ??= {};
    spec.TaskTemplate.Placement.Platforms = platforms;
  }
  return [];
}
