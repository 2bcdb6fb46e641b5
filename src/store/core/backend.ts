/**
 * The Store port: a revisioned key-value store in the style of etcd v3 and k3s's kine (DESIGN §3).
 *
 * - Every committed transaction gets the next store revision; a key's `modRev` is the revision of its last write.
 * - Transactions compare `modRev`s (0 = "must not exist") and then apply all their operations atomically.
 * - `watch(prefix, afterRev)` replays every event with a revision greater than `afterRev`, then streams live ones,
 *   grouped per transaction, in revision order.
 * - Leases expire after their TTL unless kept alive; keys attached to an expired or revoked lease are deleted
 *   (in one revision, like etcd).
 *
 * Backends: SQLite (one manager; durable before a write is acknowledged), etcd (several managers; a later issue),
 * and memory (unit tests). All pass test/contracts/store-backend.ts.
 *
 * Values are UTF-8 strings (JSON documents in practice). This file is pure: no node:* imports.
 */
export type LeaseId = string;

export interface KV {
  key: string;
  value: string;
  /** Revision that created the key (reset when a deleted key is created again). */
  createRev: number;
  /** Revision of the key's last write. */
  modRev: number;
  lease?: LeaseId;
}

/** Succeeds when the key's current modRev equals `modRev`; `modRev: 0` means the key must not exist. */
export interface Compare {
  key: string;
  modRev: number;
}

export type Op =
  | { type: 'put'; key: string; value: string; lease?: LeaseId }
  | { type: 'delete'; key: string };

export type TxnResult =
  /**
   * `rev` is the revision the transaction committed at; when its ops changed nothing (none, or only deletes of
   * missing keys) no revision is made and `rev` is the unchanged store revision.
   */
  | { ok: true; rev: number }
  /** `failed` lists the keys whose compare failed; `rev` is the store's current revision. */
  | { ok: false; rev: number; failed: string[] };

export type WatchEvent =
  | { type: 'put'; kv: KV; prev?: KV }
  | { type: 'delete'; key: string; modRev: number; prev?: KV };

/** All events of one revision (one transaction) that match the watched prefix, in the order of its ops. */
export interface WatchBatch {
  rev: number;
  events: WatchEvent[];
}

export interface RangeResult {
  kvs: KV[];
  /** The store revision the read was served at. */
  rev: number;
}

export interface Backend {
  get(key: string): Promise<KV | undefined>;
  /** All live keys starting with `prefix`, sorted by key. */
  range(prefix: string): Promise<RangeResult>;
  txn(compares: readonly Compare[], ops: readonly Op[]): Promise<TxnResult>;
  /**
   * Events for keys under `prefix` with revision > `afterRev`, then live ones, until `signal` aborts (the iterator
   * then ends normally). Throws a ShoalError with code `store.compacted` when `afterRev` is older than the
   * compaction point.
   */
  watch(prefix: string, afterRev: number, signal: AbortSignal): AsyncIterable<WatchBatch>;
  /** The current store revision. */
  rev(): Promise<number>;
  grantLease(ttlMs: number): Promise<LeaseId>;
  /** Restarts the lease's TTL; throws a ShoalError `store.lease_not_found` when it has expired. */
  keepAlive(lease: LeaseId): Promise<void>;
  /** Deletes the keys attached to the lease (one revision); throws `store.lease_not_found` when it is gone. */
  revokeLease(lease: LeaseId): Promise<void>;
  /**
   * Drops history at or below `rev`; watches with `afterRev < rev` then fail with `store.compacted`. Current
   * values are untouched. A `rev` above the store revision throws `store.future_rev`; an older one is a no-op.
   */
  compact(rev: number): Promise<void>;
  /** Live watches then end by throwing Unavailable `store.closed`; later calls throw it too. */
  close(): Promise<void>;
}
