/**
 * Image references, parsed and normalized as docker does (distribution's `reference` package:
 * `ParseNormalizedNamed`, `ParseAnyReference`, `FamiliarString`), written from its grammar:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]          host: domain-name | IPv4 | "[" IPv6 "]"
 *   path-comp  := [a-z0-9]+ ( ( [_.] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex  (sha256: 64 lowercase hex)
 *
 * Normalization: the first component is a registry only if it contains "." or ":" or is "localhost" (or is
 * uppercase-free and bracketed IPv6); otherwise the registry is docker.io, and a one-component docker.io name gets
 * "library/". `index.docker.io` becomes `docker.io`. A missing tag means `latest` unless a digest is given.
 */
import { invalidArgument } from '../../../api/errors.js';
import type { ShoalError } from '../../../api/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const domainRe = new RegExp(`^${DOMAIN}$`);
const pathRe = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const tagRe = new RegExp(`^${TAG}$`);
const digestRe = new RegExp(`^${DIGEST}$`);
const sha256Re = /^sha256:[a-f0-9]{64}$/;
const identifierRe = /^[a-f0-9]{64}$/;

/** A parsed, normalized reference. `domain/path` is the repository name. */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export const messages = {
  invalidFormat: 'invalid reference format',
  uppercase: 'invalid reference format: repository name (%s) must be lowercase',
  tooLong: `invalid reference format: repository name must not be more than ${NAME_TOTAL_MAX} characters`,
  hexName: 'invalid repository name (%s), cannot specify 64-byte hexadecimal strings',
} as const;

function invalid(message: string): ShoalError {
  return invalidArgument('image.invalid_reference', message);
}

/** True for a 64-hex string, which docker takes as an image ID, never as a name. */
export function isFullHexId(s: string): boolean {
  return identifierRe.test(s);
}

export function isSha256Digest(s: string): boolean {
  return sha256Re.test(s);
}

function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (i >= 0) {
    const first = name.slice(0, i);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = name.slice(i + 1);
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parses a reference the way `docker pull`, `docker tag` and `docker run` take it, normalized
 * (`busybox` → docker.io/library/busybox, tag `latest` added unless a digest is given when `defaultTag` is true).
 * Throws InvalidArgument with docker's messages.
 */
export function parseReference(ref: string, opts: { defaultTag?: boolean } = {}): ImageReference {
  if (isFullHexId(ref)) throw invalid(messages.hexName.replace('%s', ref));
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw invalid(messages.invalidFormat);
    if (digest.startsWith('sha256:') && !sha256Re.test(digest)) throw invalid(messages.invalidFormat);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw invalid(messages.invalidFormat);
  }
  if (rest === '') throw invalid(messages.invalidFormat);
  const { domain, path } = splitDomain(rest);
  if (!domainRe.test(domain)) throw invalid(messages.invalidFormat);
  if (path.toLowerCase() !== path) throw invalid(messages.uppercase.replace('%s', path));
  if (!pathRe.test(path)) throw invalid(messages.invalidFormat);
  if (domain.length + 1 + path.length > NAME_TOTAL_MAX) throw invalid(messages.tooLong);
  const out: ImageReference = { domain, path };
  if (tag !== undefined) out.tag = tag;
  else if (digest === undefined && opts.defaultTag !== false) out.tag = 'latest';
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `docker.io/library/busybox` */
export function repositoryName(r: Pick<ImageReference, 'domain' | 'path'>): string {
  return `${r.domain}/${r.path}`;
}

/** The normalized string: `docker.io/library/busybox:latest`, `host:5000/web@sha256:…`. */
export function formatReference(r: ImageReference): string {
  return `${repositoryName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The repository name as users write it: `busybox`, `user/app`, `127.0.0.1:5000/web`. */
export function familiarName(r: Pick<ImageReference, 'domain' | 'path'>): string {
  if (r.domain !== DEFAULT_DOMAIN) return repositoryName(r);
  return r.path.startsWith(OFFICIAL_REPO_PREFIX) && !r.path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')
    ? r.path.slice(OFFICIAL_REPO_PREFIX.length)
    : r.path;
}

/** docker's `FamiliarString`: `busybox:latest`, `user/app@sha256:…`. */
export function familiarString(r: ImageReference): string {
  return `${familiarName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Familiar form of a normalized reference string (as stored in ImageRecord.repoTags/repoDigests). */
export function familiarize(normalized: string): string {
  try {
    return familiarString(parseReference(normalized, { defaultTag: false }));
  } catch {
    return normalized;
  }
}

/** Normalizes a reference string (with `latest` added when neither tag nor digest is given). */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** What a user string designates: an image ID (full, `sha256:`-prefixed) or a named reference. */
export type AnyReference = { kind: 'id'; id: string } | { kind: 'named'; ref: ImageReference };

/**
 * docker's `ParseAnyReference`: a 64-hex string or `sha256:<64 hex>` is an image ID; anything else must be a
 * valid named reference. Short ID prefixes parse as names; the store falls back to ID prefixes when no tag matches.
 */
export function parseAnyReference(ref: string): AnyReference {
  if (isFullHexId(ref)) return { kind: 'id', id: `sha256:${ref}` };
  if (isSha256Digest(ref)) return { kind: 'id', id: ref };
  return { kind: 'named', ref: parseReference(ref) };
}
