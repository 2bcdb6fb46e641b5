/**
 * Image references as the docker CLI reads them (distribution/reference): `[domain[:port]/]path[:tag][@digest]`,
 * normalized the docker way (no domain → docker.io, one path component on docker.io → library/x, index.docker.io →
 * docker.io), printed in full (`docker.io/library/busybox:latest`) or familiar (`busybox:latest`) form.
 */

export interface ImageReference {
  /** Registry host[:port] (`docker.io` by default). */
  domain: string;
  /** Repository path (`library/busybox`). */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^((?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*))(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const NAME_TOTAL_LENGTH_MAX = 255;

export class ReferenceError extends Error {
  override readonly name = 'ReferenceError';
}

function parse(s: string): ImageReference {
  const m = REFERENCE_RE.exec(s);
  if (m === null) {
    if (s === '') throw new ReferenceError('repository name must have at least one component');
    if (REFERENCE_RE.test(s.toLowerCase())) throw new ReferenceError('repository name must be lowercase');
    throw new ReferenceError('invalid reference format');
  }
  if ((m[1] as string).length > NAME_TOTAL_LENGTH_MAX) throw new ReferenceError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const ref: ImageReference = { domain: m[2] ?? '', path: m[3] as string };
  if (m[4] !== undefined) ref.tag = m[4];
  if (m[5] !== undefined) ref.digest = m[5];
  return ref;
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i < 0 ? '' : name.slice(0, i);
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** reference.ParseNormalizedNamed. Throws a ReferenceError with distribution/reference's message. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (ANCHORED_ID_RE.test(s)) throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remoteName = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new ReferenceError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

/** reference.ParseAnyReference: an image ID (64 hex, or sha256:…) is accepted as is; `undefined` means "an ID". */
export function parseAnyReference(s: string): ImageReference | undefined {
  if (ANCHORED_ID_RE.test(s)) return undefined;
  if (DIGEST_RE.test(s) && !s.includes('/')) return undefined;
  return parseNormalizedNamed(s);
}

/** The repository in full: `docker.io/library/busybox`. */
export function refName(r: ImageReference): string {
  return `${r.domain}/${r.path}`;
}

/** The reference in full: `docker.io/library/busybox:latest`. */
export function refString(r: ImageReference): string {
  return refName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** reference.FamiliarName: `busybox`, `me/app`, `registry:5000/app`. */
export function familiarName(r: ImageReference): string {
  if (r.domain !== DEFAULT_DOMAIN) return refName(r);
  const rest = r.path.startsWith(OFFICIAL_REPO_PREFIX) ? r.path.slice(OFFICIAL_REPO_PREFIX.length) : undefined;
  return rest !== undefined && !rest.includes('/') ? rest : r.path;
}

/** reference.FamiliarString: `busybox:latest`. */
export function familiarString(r: ImageReference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** reference.TagNameOnly: a bare name gets `:latest`. */
export function tagNameOnly(r: ImageReference): ImageReference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: 'latest' } : r;
}

/** reference.IsNameOnly. */
export function isNameOnly(r: ImageReference): boolean {
  return r.tag === undefined && r.digest === undefined;
}

/** The `tag` query value of a pull: the digest when there is one, else the tag (docker's getAPITagFromNamedRef). */
export function apiTag(r: ImageReference): string | undefined {
  return r.digest ?? r.tag;
}
