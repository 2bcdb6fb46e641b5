import { invalidArgument } from '../api/errors.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Root CA lifetime: 20 years (swarmkit's RootCAExpiration, 630720000 s). */
export const ROOT_CA_EXPIRY_MS = 630_720_000_000;
/** Node certificate lifetime: 90 days (swarmkit's DefaultNodeCertExpiration, 2160 h). */
export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * DAY;
/** Shortest node certificate lifetime (swarmkit's MinNodeCertExpiration). */
export const MIN_NODE_CERT_EXPIRY_MS = HOUR;
/** Certificates start this long before `now`, to tolerate clock drift between nodes (swarmkit's CertBackdate). */
export const CERT_BACKDATE_MS = HOUR;

/** notBefore = now − backdate, notAfter = now + expiry, both truncated to whole seconds as X.509 stores them. */
export function validityWindow(
  now: number,
  expiryMs: number,
  minExpiryMs: number,
): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(now)) throw invalidArgument('ca.invalid_time', '"now" must be a finite number of milliseconds');
  if (!Number.isFinite(expiryMs) || expiryMs < minExpiryMs) {
    throw invalidArgument(
      'ca.invalid_expiry',
      `certificate expiry must be at least ${Math.round(minExpiryMs / 1000)}s (got ${expiryMs}ms)`,
    );
  }
  const floorSec = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  return { notBefore: floorSec(now - CERT_BACKDATE_MS), notAfter: floorSec(now + expiryMs) };
}
