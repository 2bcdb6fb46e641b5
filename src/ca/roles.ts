import type { NodeRole } from '../api/types.js';
import { invalidArgument } from '../api/errors.js';

/** Subject CN of the cluster root CA (swarmkit's DefaultRootCN). */
export const ROOT_CA_CN = 'swarm-ca';
/** Certificate OU that authorises a manager (swarmkit's ManagerRole); also a DNS SAN of manager certificates. */
export const MANAGER_OU = 'swarm-manager';
/** Certificate OU that authorises a worker (swarmkit's WorkerRole). */
export const WORKER_OU = 'swarm-worker';
/** Extra DNS SAN on manager certificates, so a client may dial any manager as the CA (swarmkit's CARole). */
export const CA_SAN = 'swarm-ca';

export function ouForRole(role: NodeRole): string {
  switch (role) {
    case 'manager':
      return MANAGER_OU;
    case 'worker':
      return WORKER_OU;
  }
}

/** The role an OU names, or undefined for any other OU. */
export function roleForOU(ou: string): NodeRole | undefined {
  if (ou === MANAGER_OU) return 'manager';
  if (ou === WORKER_OU) return 'worker';
  return undefined;
}

export function assertRole(role: unknown): asserts role is NodeRole {
  if (role !== 'manager' && role !== 'worker') {
    const shown = JSON.stringify(role);
    throw invalidArgument('ca.invalid_role', `invalid node role ${shown}: must be "manager" or "worker"`);
  }
}
