/**
 * API-version handling (moby `api/server/middleware/version.go`): paths may carry a `/v<major.minor>` prefix; an
 * unversioned path means the maximum version. A version outside [min, max] is a 400 with dockerd's wording.
 */
import { invalidArgument } from '../api/errors.js';

export const MAX_API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

/** Compares dotted versions numerically ("1.9" < "1.10"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const versionLessThan = (a: string, b: string): boolean => compareVersions(a, b) < 0;
export const versionAtLeast = (a: string, b: string): boolean => compareVersions(a, b) >= 0;

const PREFIX = /^\/v([0-9.]+)(?=\/|$)/;

/** Splits `/v1.47/nodes` into `{ version: '1.47', path: '/nodes' }`; an unversioned path gives `version: undefined`. */
export function splitVersion(path: string): { version: string | undefined; path: string } {
  const m = PREFIX.exec(path);
  if (m === null) return { version: undefined, path };
  const rest = path.slice(m[0].length);
  return { version: m[1], path: rest === '' ? '/' : rest };
}

/**
 * The version a request runs at: `requested` if given and within [min, max], `max` if not given. Throws
 * InvalidArgument (400) with dockerd's messages otherwise.
 */
export function checkVersion(requested: string | undefined, min = MIN_API_VERSION, max = MAX_API_VERSION): string {
  if (requested === undefined || requested === '') return max;
  if (versionLessThan(requested, min)) {
    throw invalidArgument(
      'api.version_too_old',
      `client version ${requested} is too old. Minimum supported API version is ${min}, please upgrade your client to a newer version`,
    );
  }
  if (compareVersions(requested, max) > 0) {
    throw invalidArgument(
      'api.version_too_new',
      `client version ${requested} is too new. Maximum supported API version is ${max}`,
    );
  }
  return requested;
}
