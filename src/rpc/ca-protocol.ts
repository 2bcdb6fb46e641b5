/**
 * The manager's CA over the swarm port (docs/design/cluster.md "Joining"): paths, messages and the checks run on
 * both ends. `/ca/root` and `/ca/join` are public (a joining node has no certificate yet); `/ca/renew` needs the
 * caller's node certificate and signs for the node it names, never one named in the body.
 *
 * | call | request | reply |
 * |---|---|---|
 * | `POST /ca/root` | `{}` | `{rootCertPem}` |
 * | `POST /ca/join` | `{token, csrPem, hostname, availability?, advertiseAddr?, dataPathAddr?}` | `{nodeId, clusterId, certPem, rootCertPem, managers, role}` |
 * | `POST /ca/renew` (mTLS) | `{csrPem}` | `{certPem}` |
 */
import type { NodeAvailability, NodeRole } from '../api/types.js';
import { array, object, optionalString, string } from './decode.js';
import { rpcErrors } from './errors.js';

export const caPaths = {
  root: '/ca/root',
  join: '/ca/join',
  renew: '/ca/renew',
} as const;

export interface RootCAResponse {
  rootCertPem: string;
}

export interface JoinRequest {
  /** The join token (`SWMTKN-1-…`): decides the role. */
  token: string;
  /** PKCS#10 PEM: only its public key is used. */
  csrPem: string;
  hostname: string;
  availability?: NodeAvailability;
  /** The address the joiner advertises (IP); default: where its connection comes from. */
  advertiseAddr?: string;
  /** The joiner's data path IP (`--data-path-addr`); default: its connection's address. */
  dataPathAddr?: string;
}

export interface JoinResponse {
  nodeId: string;
  clusterId: string;
  certPem: string;
  rootCertPem: string;
  /** Managers' swarm addresses (`host:port`). */
  managers: string[];
  role: NodeRole;
}

export interface RenewRequest {
  csrPem: string;
}

export interface RenewResponse {
  certPem: string;
}

const AVAILABILITIES: readonly string[] = ['active', 'pause', 'drain'];

export function decodeRootRequest(body: unknown): Record<string, never> {
  object(body, 'root request');
  return {};
}

export function decodeRootResponse(body: unknown): RootCAResponse {
  const o = object(body, 'root reply');
  return { rootCertPem: string(o, 'rootCertPem', 'root reply') };
}

export function decodeJoinRequest(body: unknown): JoinRequest {
  const w = 'join request';
  const o = object(body, w);
  const availability = optionalString(o, 'availability', w);
  if (availability !== undefined && availability !== '' && !AVAILABILITIES.includes(availability)) {
    throw rpcErrors.badRequest(`${w}.availability: must be active, pause or drain, not ${JSON.stringify(availability)}`);
  }
  const advertiseAddr = optionalString(o, 'advertiseAddr', w);
  const dataPathAddr = optionalString(o, 'dataPathAddr', w);
  return {
    token: string(o, 'token', w),
    csrPem: string(o, 'csrPem', w),
    hostname: string(o, 'hostname', w),
    ...(availability !== undefined && availability !== '' ? { availability: availability as NodeAvailability } : {}),
    ...(advertiseAddr !== undefined && advertiseAddr !== '' ? { advertiseAddr } : {}),
    ...(dataPathAddr !== undefined && dataPathAddr !== '' ? { dataPathAddr } : {}),
  };
}

export function decodeJoinResponse(body: unknown): JoinResponse {
  const w = 'join reply';
  const o = object(body, w);
  const role = string(o, 'role', w);
  if (role !== 'worker' && role !== 'manager') throw rpcErrors.badResponse(`${w}.role: unknown role ${JSON.stringify(role)}`);
  const managers = array(o, 'managers', w).map((m, i) => {
    if (typeof m !== 'string') throw rpcErrors.badResponse(`${w}.managers[${i}]: must be a string`);
    return m;
  });
  return {
    nodeId: string(o, 'nodeId', w),
    clusterId: string(o, 'clusterId', w),
    certPem: string(o, 'certPem', w),
    rootCertPem: string(o, 'rootCertPem', w),
    managers,
    role,
  };
}

export function decodeRenewRequest(body: unknown): RenewRequest {
  const o = object(body, 'renew request');
  return { csrPem: string(o, 'csrPem', 'renew request') };
}

export function decodeRenewResponse(body: unknown): RenewResponse {
  const o = object(body, 'renew reply');
  return { certPem: string(o, 'certPem', 'renew reply') };
}
