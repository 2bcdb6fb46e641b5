/**
 * The store's error catalog. Every store failure is a thrown ShoalError with one of these stable codes; the
 * messages follow etcd and swarmkit where the docker CLI prints them (`name conflicts with an existing object`).
 */
import type { ShoalError } from '../../api/errors.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, unavailable } from '../../api/errors.js';
import type { Kind } from './tables.js';

export const storeErrorCodes = {
  compacted: 'store.compacted',
  futureRev: 'store.future_rev',
  leaseNotFound: 'store.lease_not_found',
  invalidLease: 'store.invalid_lease',
  duplicateKey: 'store.duplicate_key',
  closed: 'store.closed',
  locked: 'store.locked',
  nameConflict: 'store.name_conflict',
  idConflict: 'store.id_conflict',
  notFound: 'store.not_found',
  invalidObject: 'store.invalid_object',
  contention: 'store.contention',
} as const;

/** A watch asked for history at or below the compaction point (etcd: "required revision has been compacted"). */
export const compacted = (afterRev: number, compactRev: number): ShoalError =>
  failedPrecondition(
    storeErrorCodes.compacted,
    `required revision has been compacted (watch after ${afterRev}, compacted at ${compactRev})`,
  );

export const futureRev = (rev: number, current: number): ShoalError =>
  invalidArgument(storeErrorCodes.futureRev, `required revision ${rev} is a future revision (current ${current})`);

export const leaseNotFound = (lease: string): ShoalError =>
  notFound(storeErrorCodes.leaseNotFound, `requested lease not found: ${lease}`);

export const invalidLeaseTtl = (ttlMs: number): ShoalError =>
  invalidArgument(storeErrorCodes.invalidLease, `lease TTL must be a positive number of milliseconds, got ${ttlMs}`);

export const duplicateKey = (key: string): ShoalError =>
  invalidArgument(storeErrorCodes.duplicateKey, `duplicate key given in txn request: ${key}`);

export const storeClosed = (): ShoalError => unavailable(storeErrorCodes.closed, 'store is closed');

/** Docker's wording (swarmkit's ErrNameConflict), which the docker CLI prints as is. */
export const nameConflict = (): ShoalError =>
  alreadyExists(storeErrorCodes.nameConflict, 'name conflicts with an existing object');

export const idConflict = (kind: Kind, id: string): ShoalError =>
  alreadyExists(storeErrorCodes.idConflict, `object already exists: ${kind} ${id}`);

export const objectNotFound = (kind: Kind, id: string): ShoalError =>
  notFound(storeErrorCodes.notFound, `object does not exist: ${kind} ${id}`);

export const invalidObject = (message: string): ShoalError => invalidArgument(storeErrorCodes.invalidObject, message);
