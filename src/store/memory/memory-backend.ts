/**
 * The in-memory Backend: the fake behind unit tests (DESIGN §4.3), held to the same contract suite as the real
 * backends (test/contracts/store-backend.ts). Everything runs synchronously inside each call, so every call is
 * atomic with respect to the others. History is kept for watch replay until `compact`. Lease time comes from the
 * injected Clock. Pure: no node:* imports.
 */
import type { Clock } from '../../lib/clock.js';
import { systemClock } from '../../lib/clock.js';
import type { Backend, Compare, KV, LeaseId, Op, RangeResult, TxnResult, WatchBatch, WatchEvent } from '../core/backend.js';
import { compacted, futureRev, invalidLeaseTtl, leaseNotFound, storeClosed } from '../core/errors.js';
import { LeaseKeeper } from '../core/lease-keeper.js';
import { checkOps } from '../core/txn-checks.js';
import { WatchHub, filterBatch, replayThenLive } from '../core/watch-hub.js';

export interface MemoryBackendOptions {
  /** Drives lease TTLs; defaults to the system clock. Tests pass a FakeClock. */
  clock?: Clock;
}

export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(options.clock ?? systemClock);
}

export class MemoryBackend implements Backend {
  private revision = 0;
  private compactRev = 0;
  private readonly live = new Map<string, KV>();
  /** Every committed batch after `compactRev`, in revision order. */
  private history: WatchBatch[] = [];
  private readonly hub = new WatchHub();
  private readonly leases: LeaseKeeper;
  private leaseSeq = 0;
  private closed = false;

  constructor(clock: Clock) {
    this.leases = new LeaseKeeper(clock, (ids) => this.expire(ids));
  }

  async get(key: string): Promise<KV | undefined> {
    this.enter();
    const kv = this.live.get(key);
    return kv === undefined ? undefined : { ...kv };
  }

  async range(prefix: string): Promise<RangeResult> {
    this.enter();
    const kvs = [...this.live.values()]
      .filter((kv) => kv.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((kv) => ({ ...kv }));
    return { kvs, rev: this.revision };
  }

  async txn(compares: readonly Compare[], ops: readonly Op[]): Promise<TxnResult> {
    this.enter();
    checkOps(ops, (id) => this.leases.has(id));
    const failed = compares.filter((c) => (this.live.get(c.key)?.modRev ?? 0) !== c.modRev).map((c) => c.key);
    if (failed.length > 0) return { ok: false, rev: this.revision, failed };
    return { ok: true, rev: this.apply(ops) };
  }

  async *watch(prefix: string, afterRev: number, signal: AbortSignal): AsyncGenerator<WatchBatch, void, undefined> {
    this.enter();
    if (signal.aborted) return;
    if (afterRev < this.compactRev) throw compacted(afterRev, this.compactRev);
    // One synchronous step: the replay snapshot and the live subscription meet exactly at this.revision.
    const replay: WatchBatch[] = [];
    for (const b of this.history) {
      if (b.rev <= afterRev) continue;
      const m = filterBatch(b, prefix);
      if (m !== undefined) replay.push(m);
    }
    yield* replayThenLive(replay, this.hub.subscribe(prefix, signal), afterRev, signal);
  }

  async rev(): Promise<number> {
    this.enter();
    return this.revision;
  }

  async grantLease(ttlMs: number): Promise<LeaseId> {
    this.enter();
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw invalidLeaseTtl(ttlMs);
    const id = `lease-${++this.leaseSeq}`;
    this.leases.grant(id, ttlMs);
    return id;
  }

  async keepAlive(lease: LeaseId): Promise<void> {
    this.enter();
    if (!this.leases.keepAlive(lease)) throw leaseNotFound(lease);
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    this.enter();
    if (!this.leases.revoke(lease)) throw leaseNotFound(lease);
    this.deleteLeaseKeys(lease);
  }

  async compact(rev: number): Promise<void> {
    this.enter();
    if (rev > this.revision) throw futureRev(rev, this.revision);
    if (rev <= this.compactRev) return;
    this.compactRev = rev;
    this.history = this.history.filter((b) => b.rev > rev);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leases.close();
    this.hub.failAll(storeClosed());
  }

  /** Every operation starts here: refuse after close, then expire leases whose time has come. */
  private enter(): void {
    if (this.closed) throw storeClosed();
    const due = this.leases.takeExpired();
    if (due.length > 0) this.expire(due);
  }

  private expire(ids: LeaseId[]): void {
    for (const id of ids) this.deleteLeaseKeys(id);
  }

  /** Deletes every key attached to the lease, in one revision (none when no key is attached). */
  private deleteLeaseKeys(lease: LeaseId): void {
    const ops: Op[] = [];
    for (const kv of this.live.values()) if (kv.lease === lease) ops.push({ type: 'delete', key: kv.key });
    this.apply(ops);
  }

  /** Applies checked ops at the next revision and publishes them; a txn that changes nothing keeps the revision. */
  private apply(ops: readonly Op[]): number {
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      const prev = this.live.get(op.key);
      if (op.type === 'put') {
        const kv: KV = Object.freeze({
          key: op.key,
          value: op.value,
          createRev: prev?.createRev ?? rev,
          modRev: rev,
          ...(op.lease !== undefined ? { lease: op.lease } : {}),
        });
        this.live.set(op.key, kv);
        events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prev });
      } else if (prev !== undefined) {
        this.live.delete(op.key);
        events.push({ type: 'delete', key: op.key, modRev: rev, prev });
      }
    }
    if (events.length === 0) return this.revision;
    this.revision = rev;
    const batch: WatchBatch = { rev, events };
    this.history.push(batch);
    this.hub.publish(batch);
    return rev;
  }
}
