/**
 * The etcd Backend (DESIGN §3): the Store port over a real etcd v3 (Debian `etcd-server` 3.4) through the `etcd3`
 * client's raw KV, Lease and Watch RPCs. For several managers; not wired into the daemon yet.
 *
 * Mapping (faithful to etcd; the port was modelled on it):
 * - Keys live under `prefix` (bytes `prefix + key`), so several stores can share one etcd; every read, watch and
 *   compare is confined to it. Ranges are etcd ranges `[prefix+p, prefixEnd)`, re-sorted in JS string order.
 * - Revisions are etcd revisions shifted by one: port revision = etcd revision − 1. etcd counts its empty state
 *   as revision 1, and the port starts at 0, so a fresh etcd reads as revision 0 and its first write as 1. A KV's
 *   `createRev`/`modRev` are its `create_revision`/`mod_revision` − 1, so `Version.Index` is the etcd revision
 *   less one. On an etcd shared by several prefixes the revision is shared too: a store sees gaps where another
 *   prefix wrote, exactly as Kubernetes sees them.
 * - `txn` is one etcd Txn. A compare `{key, modRev}` is `mod_revision(key) == modRev + 1`, and `modRev: 0` is
 *   `mod_revision(key) == 0`, which etcd evaluates as true exactly when the key does not exist. The failure branch
 *   reads every compared key in the same Txn, so the keys whose compare failed are named from one consistent read.
 *   "No revision when nothing changed" is etcd's own rule: a Txn whose ops change nothing (none, or deletes of
 *   missing keys) makes no revision, and its header carries the unchanged one. Nothing to fake.
 * - `watch(prefix, afterRev)` is an etcd watch with `prev_kv` starting at the etcd revision of `afterRev` itself
 *   (`afterRev + 1`), whose events are dropped: that makes etcd refuse, with its `compact_revision`, exactly the
 *   watches the port calls compacted (`afterRev` < the compaction point), with no separate probe and no race.
 *   etcd never splits one revision's events across watch responses (without `fragment`), so each response is cut
 *   into one batch per revision. A broken stream reconnects from the last delivered revision, with backoff.
 * - `compact(rev)` compacts etcd at `rev + 1` (physical); etcd keeps the values at that revision, so the port's
 *   "history at or below rev is gone" holds for watches (above). Compacting at or below the point is a no-op.
 * - Leases are etcd leases: TTL in whole seconds (rounded up; etcd also raises it to its floor, 1.5 × election
 *   timeout), ids are etcd's int64 ids as decimal strings, keep-alive is one round on a LeaseKeepAlive stream
 *   (TTL 0 back = gone), revoke deletes the attached keys in one revision (none when no key is attached).
 * - Every unary call has a deadline (`callTimeoutMs`, default 1000 ms; a call hung 7 s after a leader kill
 *   without one) and so do keep-alive rounds and the watch's creation. Transport failures and deadlines surface as
 *   Unavailable `store.etcd_unavailable`.
 *
 * Fault handling is etcd3's (a call failing with a transient error, a deadline included, is retried up to 3
 * times, on another endpoint when there are several; a host failing 3 times in a row is skipped for a while),
 * with that while shortened to 1 s. Caveat: a retried write whose first attempt did commit commits again (an
 * unconditional put makes two revisions; a CAS then reports its compare failed), as with any etcd client retry.
 */
import { randomUUID } from 'node:crypto';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import type { IDuplexStream, IEvent, IKeyValue, IOptions, IRequestOp, IWatchRequest, IWatchResponse } from 'etcd3';
import {
  CompareResult,
  CompareTarget,
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
  isRecoverableError,
} from 'etcd3';
import { ShoalError, internal, unavailable } from '../../api/errors.js';
import type { Logger } from '../../lib/logger.js';
import { nullLogger } from '../../lib/logger.js';
import type { Backend, Compare, KV, LeaseId, Op, RangeResult, TxnResult, WatchBatch, WatchEvent } from '../core/backend.js';
import { compacted, futureRev, invalidLeaseTtl, leaseNotFound, storeClosed } from '../core/errors.js';
import { checkOps } from '../core/txn-checks.js';

export interface EtcdBackendOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: readonly string[];
  /** Every key of this store lives under it (e.g. `/shoal/`); stores with different prefixes never see each other. */
  prefix: string;
  /** Deadline of each unary call (default 1000 ms). */
  callTimeoutMs?: number;
  /** Deadline to connect (default 1000 ms). */
  dialTimeoutMs?: number;
  logger?: Logger;
}

/** etcd's empty store is revision 1; the port's is 0. */
const REV_OFFSET = 1;
const UNAVAILABLE = 'store.etcd_unavailable';
const LEASE_ID = /^[1-9][0-9]{0,18}$/;
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

/** Connects to etcd (lazily: the first call dials). */
export function openEtcdBackend(options: EtcdBackendOptions): EtcdBackend {
  if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
    throw new ShoalError('InvalidArgument', 'store.etcd_endpoints', 'etcd backend: endpoints must list at least one client URL');
  }
  if (typeof options.prefix !== 'string') {
    throw new ShoalError('InvalidArgument', 'store.etcd_prefix', 'etcd backend: prefix must be a string');
  }
  return new EtcdBackend(options);
}

interface WatchState {
  fail(e: ShoalError): void;
}

export class EtcdBackend implements Backend {
  readonly prefix: string;
  private readonly client: Etcd3;
  private readonly callTimeoutMs: number;
  private readonly log: Logger;
  private readonly watches = new Set<WatchState>();
  private closed = false;

  /** Use openEtcdBackend. */
  constructor(options: EtcdBackendOptions) {
    this.prefix = options.prefix;
    this.callTimeoutMs = options.callTimeoutMs ?? 1000;
    this.log = (options.logger ?? nullLogger).child({ component: 'store.etcd' });
    const timeout = this.callTimeoutMs;
    const opts: IOptions = {
      hosts: [...options.endpoints],
      dialTimeout: options.dialTimeoutMs ?? 1000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: {
        // etcd3's defaults, except that a host whose circuit opened is tried again after 1 s, not 5 s: with one
        // endpoint every call would otherwise fail for 5 s after a short hiccup.
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
        global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }),
      },
    };
    this.client = new Etcd3(opts);
  }

  async get(key: string): Promise<KV | undefined> {
    this.enter();
    const res = await this.call('get', () => this.client.kv.range({ key: this.full(key) }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : this.kvOf(kv);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.enter();
    const res = await this.call('range', () => this.client.kv.range(this.rangeOf(prefix)));
    const kvs = res.kvs
      .map((kv) => this.kvOf(kv))
      .filter((kv) => kv.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, rev: portRev(res.header.revision) };
  }

  async txn(compares: readonly Compare[], ops: readonly Op[]): Promise<TxnResult> {
    this.enter();
    // A lease id that is not an etcd id cannot name a live lease.
    checkOps(ops, (id) => LEASE_ID.test(id));
    const success: IRequestOp[] = ops.map((op) =>
      op.type === 'put'
        ? { request_put: { key: this.full(op.key), value: Buffer.from(op.value, 'utf8'), ...(op.lease !== undefined ? { lease: op.lease } : {}) } }
        : { request_delete_range: { key: this.full(op.key) } },
    );
    const res = await this.call(
      'txn',
      () =>
        this.client.kv.txn({
          compare: compares.map((c) => ({
            key: this.full(c.key),
            target: CompareTarget.Mod,
            result: CompareResult.Equal,
            mod_revision: c.modRev === 0 ? 0 : c.modRev + REV_OFFSET,
          })),
          success,
          failure: compares.map((c) => ({ request_range: { key: this.full(c.key), keys_only: true } })),
        }),
      ops,
    );
    const rev = portRev(res.header.revision);
    if (res.succeeded) return { ok: true, rev };
    const failed = compares
      .filter((c, i) => {
        const kv = res.responses[i]?.response_range?.kvs[0];
        return (kv === undefined ? 0 : portRev(kv.mod_revision)) !== c.modRev;
      })
      .map((c) => c.key);
    return { ok: false, rev, failed };
  }

  async *watch(prefix: string, afterRev: number, signal: AbortSignal): AsyncGenerator<WatchBatch, void, undefined> {
    this.enter();
    if (signal.aborted) return;
    const queue: WatchBatch[] = [];
    let failure: ShoalError | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const state: WatchState = {
      fail: (e) => {
        failure ??= e;
        notify();
      },
    };
    this.watches.add(state);
    const onAbort = (): void => notify();
    signal.addEventListener('abort', onAbort, { once: true });
    let last = afterRev; // the last revision handed to the consumer (or queued for it)
    let stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let backoff = RECONNECT_MIN_MS;
    const range = this.rangeOf(prefix);

    const connect = (): void => {
      if (signal.aborted || failure !== undefined) return;
      // Start at `last`'s own etcd revision and drop its events: etcd then refuses exactly the compacted watches.
      const from = last;
      const token = randomUUID();
      let current: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
      let settled = false;
      const createdTimer = setTimeout(() => broken(new Error(`watch creation took over ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
      const broken = (e: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(createdTimer);
        current?.cancel();
        if (stream === current) stream = undefined;
        if (signal.aborted || failure !== undefined || this.closed) return;
        this.log.warn({ err: e, prefix, after: last, watch: token }, 'etcd watch broke; reconnecting');
        retryTimer = setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
      };
      this.client.watchClient
        .watch()
        .then((s) => {
          current = s;
          if (signal.aborted || failure !== undefined || settled) {
            s.cancel();
            return;
          }
          stream = s;
          s.on('data', (res) => {
            if (settled) return;
            if (res.created) clearTimeout(createdTimer);
            if (res.canceled) {
              settled = true;
              clearTimeout(createdTimer);
              s.cancel();
              const compactRev = Number(res.compact_revision);
              if (compactRev > 0) state.fail(compacted(afterRev, compactRev - REV_OFFSET));
              else state.fail(unavailable(UNAVAILABLE, `etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`));
              return;
            }
            backoff = RECONNECT_MIN_MS;
            for (const batch of this.batchesOf(res.events, prefix)) {
              if (batch.rev <= last) continue;
              last = batch.rev;
              queue.push(batch);
            }
            if (queue.length > 0) notify();
          });
          s.on('error', (e) => broken(e));
          s.on('end', () => broken(new Error('watch stream ended')));
          s.write({ create_request: { ...range, start_revision: from + REV_OFFSET, prev_kv: true } });
        })
        .catch((e: unknown) => broken(e));
    };

    try {
      connect();
      for (;;) {
        const batch = queue.shift();
        if (batch !== undefined) {
          yield batch;
          continue;
        }
        if (signal.aborted) return;
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watches.delete(state);
      failure ??= storeClosed(); // stops reconnects
      clearTimeout(retryTimer);
      stream?.cancel();
    }
  }

  async rev(): Promise<number> {
    this.enter();
    // A count-only read: the header carries the store revision.
    const res = await this.call('rev', () => this.client.kv.range({ ...this.rangeOf(''), count_only: true }));
    return portRev(res.header.revision);
  }

  async grantLease(ttlMs: number): Promise<LeaseId> {
    this.enter();
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw invalidLeaseTtl(ttlMs);
    const res = await this.call('lease grant', () => this.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000), ID: 0 }));
    if (res.error) throw internal('store.etcd', `etcd lease grant: ${res.error}`);
    return res.ID;
  }

  async keepAlive(lease: LeaseId): Promise<void> {
    this.enter();
    if (!LEASE_ID.test(lease)) throw leaseNotFound(lease);
    const stream = await this.call('lease keepalive', () => this.client.leaseClient.leaseKeepAlive());
    try {
      const ttl = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(unavailable(UNAVAILABLE, `etcd lease keepalive: no answer within ${this.callTimeoutMs} ms`)),
          this.callTimeoutMs,
        );
        stream.on('data', (res) => {
          clearTimeout(timer);
          resolve(Number(res.TTL));
        });
        stream.on('error', (e) => {
          clearTimeout(timer);
          reject(toShoalError(e, 'lease keepalive'));
        });
        stream.on('end', () => {
          clearTimeout(timer);
          reject(unavailable(UNAVAILABLE, 'etcd lease keepalive: the stream ended without an answer'));
        });
        stream.write({ ID: lease });
      });
      if (!(ttl > 0)) throw leaseNotFound(lease);
    } finally {
      stream.cancel();
    }
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    this.enter();
    if (!LEASE_ID.test(lease)) throw leaseNotFound(lease);
    await this.call('lease revoke', () => this.client.leaseClient.leaseRevoke({ ID: lease }), undefined, lease);
  }

  async compact(rev: number): Promise<void> {
    this.enter();
    if (!Number.isInteger(rev)) throw new ShoalError('InvalidArgument', 'store.etcd_rev', `compact: rev must be an integer, got ${rev}`);
    if (rev <= 0) return; // nothing is at or below revision 0
    try {
      await this.client.kv.compact({ revision: rev + REV_OFFSET, physical: true });
    } catch (e) {
      const message = e instanceof Error ? e.message : '';
      if (message.includes('required revision has been compacted')) return; // already compacted past it
      if (message.includes('required revision is a future revision')) throw futureRev(rev, await this.rev());
      throw toShoalError(e, 'compact');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.fail(storeClosed());
    this.watches.clear();
    this.client.close();
  }

  private enter(): void {
    if (this.closed) throw storeClosed();
  }

  /** Runs one etcd call, mapping its failures; a call that was under way when the store closed fails as closed. */
  private async call<T>(what: string, fn: () => Promise<T>, ops?: readonly Op[], lease?: LeaseId): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (this.closed) throw storeClosed();
      if (e instanceof EtcdLeaseInvalidError) {
        const leases = lease !== undefined ? [lease] : (ops ?? []).flatMap((op) => (op.type === 'put' && op.lease !== undefined ? [op.lease] : []));
        throw leaseNotFound(leases.join(', ') || 'unknown');
      }
      throw toShoalError(e, what);
    }
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key, 'utf8');
  }

  private rangeOf(prefix: string): { key: Buffer; range_end: Buffer } {
    const key = this.full(prefix);
    return { key: key.length === 0 ? Buffer.from([0]) : key, range_end: bytesPrefixEnd(key) };
  }

  private kvOf(kv: IKeyValue): KV {
    const lease = String(kv.lease);
    return {
      key: kv.key.toString('utf8').slice(this.prefix.length),
      value: kv.value.toString('utf8'),
      createRev: portRev(kv.create_revision),
      modRev: portRev(kv.mod_revision),
      ...(lease !== '0' && lease !== '' ? { lease } : {}),
    };
  }

  /** A watch response's events under `prefix`, one batch per revision, in order. */
  private batchesOf(events: readonly IEvent[], prefix: string): WatchBatch[] {
    const out: WatchBatch[] = [];
    let batch: WatchBatch | undefined;
    for (const ev of events) {
      const key = ev.kv.key.toString('utf8');
      if (!key.startsWith(this.prefix + prefix)) continue; // byte ranges can hold keys JS strings order elsewhere
      const rev = portRev(ev.kv.mod_revision);
      if (batch?.rev !== rev) {
        batch = { rev, events: [] };
        out.push(batch);
      }
      batch.events.push(this.eventOf(ev, rev));
    }
    return out;
  }

  private eventOf(ev: IEvent, rev: number): WatchEvent {
    const prev = ev.prev_kv === undefined || ev.prev_kv === null ? undefined : this.kvOf(ev.prev_kv);
    if (ev.type === 'Delete') {
      const key = ev.kv.key.toString('utf8').slice(this.prefix.length);
      return prev === undefined ? { type: 'delete', key, modRev: rev } : { type: 'delete', key, modRev: rev, prev };
    }
    const kv = this.kvOf(ev.kv);
    return prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prev };
  }
}

function portRev(etcdRev: string | number): number {
  return Number(etcdRev) - REV_OFFSET;
}

/** The smallest byte string greater than every one starting with `key`; `\0` (all keys) when there is none. */
function bytesPrefixEnd(key: Buffer): Buffer {
  for (let i = key.length - 1; i >= 0; i--) {
    const b = key[i];
    if (b !== undefined && b < 0xff) {
      const end = Buffer.from(key.subarray(0, i + 1));
      end[i] = b + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

function toShoalError(e: unknown, what: string): ShoalError {
  if (e instanceof ShoalError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (
    e instanceof GRPCUnavailableError ||
    e instanceof GRPCDeadlineExceededError ||
    isBrokenCircuitError(e) ||
    /unavailable|deadline|ECONNREFUSED/i.test(message)
  ) {
    return new ShoalError('Unavailable', UNAVAILABLE, `etcd ${what}: ${message}`, { cause: e });
  }
  return internal('store.etcd', `etcd ${what}: ${message}`, e);
}
