import { createHash, timingSafeEqual } from 'node:crypto';
import type { NodeRole } from '../api/types.js';
import { failedPrecondition } from '../api/errors.js';
import { joinTokenRejected } from './errors.js';
import { caDigest, parseJoinToken } from './join-token.js';

export interface ClusterJoinSecrets {
  /** The current root CA (bundle): tokens pinning any other CA are refused. */
  caCertPem: string;
  workerSecret: string;
  managerSecret: string;
}

/** Equal-time comparison of two strings of any length: both are hashed first, so lengths leak nothing either. */
function secretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/**
 * The role a join token admits, as a manager's CA decides on IssueNodeCertificate. The token must be well formed
 * (else InvalidArgument "invalid join token: …"), pin the current CA, and carry the current manager or worker secret;
 * otherwise InvalidArgument "A valid join token is necessary to join this cluster" (swarmkit's words), whichever part
 * is wrong. A rotated secret therefore fails here at once. Both secrets are always compared, in constant time.
 * Equal manager and worker secrets are refused (FailedPrecondition) rather than read as "manager".
 */
export function checkJoinToken(token: string, secrets: ClusterJoinSecrets): NodeRole {
  if (secretEquals(secrets.managerSecret, secrets.workerSecret)) {
    // Otherwise every worker token would admit managers.
    throw failedPrecondition('join_token.secrets_equal', 'the manager and worker join secrets must differ');
  }
  const parsed = parseJoinToken(token);
  const caMatches = parsed.digest === caDigest(secrets.caCertPem);
  const isManager = secretEquals(parsed.secret, secrets.managerSecret);
  const isWorker = secretEquals(parsed.secret, secrets.workerSecret);
  if (!caMatches) throw joinTokenRejected();
  if (isManager) return 'manager';
  if (isWorker) return 'worker';
  throw joinTokenRejected();
}
