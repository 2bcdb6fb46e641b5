/**
 * The state store (DESIGN §1, §3): the only way manager components talk to each other.
 *
 * Owns: the Backend port (a revisioned key-value store with multi-key compare-and-swap transactions, watch from a
 * revision, leases and compaction, in the style of etcd v3 / k3s kine) and the typed `Store` over it, which keeps
 * every cluster object (cluster, nodes, services, tasks, networks, secrets, configs) as JSON under
 * `/shoal/<kind>/<id>` plus a unique-name index under `/shoal/names/<kind>/<name>`.
 *
 * Consumes: nothing; components call `view()`, `update(fn)` and `watch(afterRev, signal)`.
 * Produces: `StoreEvent[]` per committed revision (create / update / remove; a remove carries the last value).
 *
 * Invariants:
 * - Every committed transaction that changes something gets the next revision (+1); an object's `Version.Index`
 *   is the modRev of its key, never stored in its JSON.
 * - A write carrying a stale `Version.Index` fails with Conflict "update out of sequence"; a create whose ID or
 *   (case-insensitive) name is taken fails with AlreadyExists; a delete of a missing object fails with NotFound.
 *   Nothing of a failed or throwing `update(fn)` is written.
 * - Watches deliver each revision exactly once, in order, with no gaps, replaying history from any revision at
 *   or after the compaction point (older ones fail with FailedPrecondition `store.compacted`).
 * - Keys attached to a lease are deleted, in one revision, when it expires or is revoked.
 *
 * Backends: `createMemoryBackend` (here; pure, for unit tests), `openSqliteBackend` in
 * `./sqlite/sqlite-backend.js` and `openEtcdBackend` in `./etcd/etcd-backend.js` (not wired into the daemon yet),
 * which composition roots import directly so that pure folders never load them (only etcd's types are here).
 * Every backend passes test/contracts/store-backend.ts.
 */
export type {
  Backend,
  Compare,
  KV,
  LeaseId,
  Op,
  RangeResult,
  TxnResult,
  WatchBatch,
  WatchEvent,
} from './core/backend.js';
export type { Kind, ObjectOf, ReadTx, StoreAction, StoreEvent, WriteTx } from './core/tables.js';
export { KINDS } from './core/tables.js';
export { Store } from './core/store.js';
export { nameKey, objectKey, objectPrefix, parseObjectKey, ROOT } from './core/keys.js';
export { storeErrorCodes } from './core/errors.js';
export { createMemoryBackend, MemoryBackend } from './memory/memory-backend.js';
export type { MemoryBackendOptions } from './memory/memory-backend.js';
export type { EtcdBackend, EtcdBackendOptions } from './etcd/etcd-backend.js';
export { Inbox } from './core/watch-inbox.js';
