/**
 * The SQLite Backend (DESIGN §3): the embedded default for a single manager, on better-sqlite3 12.x.
 *
 * Schema (k3s kine's idea, with one revision per transaction instead of one per row):
 * - `log`: append-only history, one row per key written: (rev, seq, key, create_rev, prev_rev, deleted, value,
 *   lease). Every row of one transaction shares its revision; `seq` keeps the order of the transaction's ops. `prev_rev` is the modRev of the value it replaced (0 when
 *   the key did not exist), so a replayed event carries its previous value by a self-join.
 * - `kv`: the current value of every live key, written in the same SQLite transaction; reads never scan `log`.
 * - `meta`: the store revision and the compaction point.
 *
 * Durability: `journal_mode=WAL`, `synchronous=FULL`; a txn resolves only after its SQLite commit, so an
 * acknowledged write survives `kill -9` and power loss. The database is opened with `locking_mode=EXCLUSIVE`:
 * this process is the only writer (live watch events come from an in-process emitter), so a second process
 * opening the same file fails fast with Unavailable `store.locked`.
 *
 * Watch: replay is `SELECT … WHERE rev > ?` in pages, bounded by the revision noted when the live subscription
 * was made in the same synchronous step, so replay and live meet with no gap and no duplicate.
 *
 * Leases live in this process only (TTL from the injected Clock). Keys attached to leases of a previous process
 * are deleted when the database is opened, all in one revision.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ShoalError, internal } from '../../api/errors.js';
import type { Clock } from '../../lib/clock.js';
import { systemClock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { nullLogger } from '../../lib/logger.js';
import type { Backend, Compare, KV, LeaseId, Op, RangeResult, TxnResult, WatchBatch, WatchEvent } from '../core/backend.js';
import { compacted, futureRev, invalidLeaseTtl, leaseNotFound, storeClosed, storeErrorCodes } from '../core/errors.js';
import { LeaseKeeper } from '../core/lease-keeper.js';
import { checkOps, prefixEnd } from '../core/txn-checks.js';
import { WatchHub, replayThenLive } from '../core/watch-hub.js';

export interface SqliteBackendOptions {
  /** Drives lease TTLs; defaults to the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** Rows read per replay query (tests lower it to exercise paging). Default 1000. */
  replayPageSize?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  rev        INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  key        TEXT    NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_rev   INTEGER NOT NULL,
  deleted    INTEGER NOT NULL,
  value      TEXT,
  lease      TEXT,
  PRIMARY KEY (rev, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);
CREATE TABLE IF NOT EXISTS kv (
  key        TEXT    PRIMARY KEY,
  create_rev INTEGER NOT NULL,
  mod_rev    INTEGER NOT NULL,
  value      TEXT    NOT NULL,
  lease      TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease) WHERE lease IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', 1), ('rev', 0), ('compact_rev', 0);
`;

interface KvRow {
  key: string;
  create_rev: number;
  mod_rev: number;
  value: string;
  lease: string | null;
}

interface LogRow {
  rev: number;
  seq: number;
  key: string;
  create_rev: number;
  deleted: number;
  value: string | null;
  lease: string | null;
  prev_rev: number;
  prev_create_rev: number | null;
  prev_value: string | null;
  prev_lease: string | null;
}

interface PageParams {
  after: number;
  upTo: number;
  prefix: string;
  end: string | null;
  limit: number;
}

interface RestParams {
  rev: number;
  afterSeq: number;
  prefix: string;
  end: string | null;
}

const LOG_COLUMNS = `l.rev, l.seq, l.key, l.create_rev, l.deleted, l.value, l.lease, l.prev_rev,
  p.create_rev AS prev_create_rev, p.value AS prev_value, p.lease AS prev_lease
  FROM log l LEFT JOIN log p ON p.key = l.key AND p.rev = l.prev_rev`;
const KEY_IN_PREFIX = `l.key >= @prefix AND (@end IS NULL OR l.key < @end)`;

type Commit = { ok: true; batch: WatchBatch | undefined } | { ok: false; failed: string[] };

/** Opens (creating if needed) the database at `path` and expires the previous process's leases. */
export function openSqliteBackend(path: string, options: SqliteBackendOptions = {}): SqliteBackend {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && mode !== 'wal') throw internal('store.sqlite', `could not enable WAL (journal_mode=${String(mode)})`);
    db.pragma('synchronous = FULL');
    const init = db.transaction(() => db?.exec(SCHEMA));
    init.exclusive(); // takes the exclusive lock now, and keeps it until close
    return new SqliteBackend(db, path, options);
  } catch (e) {
    db?.close();
    throw toShoalError(e, `open ${path}`);
  }
}

export class SqliteBackend implements Backend {
  private revision: number;
  private compactRev: number;
  private readonly hub = new WatchHub();
  private readonly leases: LeaseKeeper;
  private readonly log: Logger;
  private readonly pageSize: number;
  private closed = false;

  private readonly st: {
    getKv: Database.Statement<[string], KvRow>;
    rangeKv: Database.Statement<[{ prefix: string; end: string | null }], KvRow>;
    upsertKv: Database.Statement<[string, number, number, string, string | null]>;
    deleteKv: Database.Statement<[string]>;
    insertLog: Database.Statement<[number, number, string, number, number, number, string | null, string | null]>;
    getMeta: Database.Statement<[string], { value: number }>;
    setMeta: Database.Statement<[number, string]>;
    leaseKeys: Database.Statement<[string], { key: string }>;
    leasedKeys: Database.Statement<[], { key: string }>;
    page: Database.Statement<[PageParams], LogRow>;
    restOfRev: Database.Statement<[RestParams], LogRow>;
    compact: Database.Statement<[{ rev: number }]>;
  };
  private readonly commitTx: (compares: readonly Compare[], ops: readonly Op[]) => Commit;
  private readonly compactTx: (rev: number) => void;

  /** Use openSqliteBackend. */
  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    options: SqliteBackendOptions,
  ) {
    this.log = (options.logger ?? nullLogger).child({ component: 'store.sqlite' });
    this.pageSize = Math.max(1, options.replayPageSize ?? 1000);
    const kvCols = 'key, create_rev, mod_rev, value, lease';
    this.st = {
      getKv: db.prepare(`SELECT ${kvCols} FROM kv WHERE key = ?`),
      rangeKv: db.prepare(`SELECT ${kvCols} FROM kv WHERE key >= @prefix AND (@end IS NULL OR key < @end) ORDER BY key`),
      upsertKv: db.prepare(
        `INSERT INTO kv (key, create_rev, mod_rev, value, lease) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET create_rev = excluded.create_rev, mod_rev = excluded.mod_rev,
           value = excluded.value, lease = excluded.lease`,
      ),
      deleteKv: db.prepare('DELETE FROM kv WHERE key = ?'),
      insertLog: db.prepare(
        'INSERT INTO log (rev, seq, key, create_rev, prev_rev, deleted, value, lease) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getMeta: db.prepare('SELECT value FROM meta WHERE name = ?'),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      leaseKeys: db.prepare('SELECT key FROM kv WHERE lease = ?'),
      leasedKeys: db.prepare('SELECT key FROM kv WHERE lease IS NOT NULL'),
      page: db.prepare(
        `SELECT ${LOG_COLUMNS} WHERE l.rev > @after AND l.rev <= @upTo AND ${KEY_IN_PREFIX} ORDER BY l.rev, l.seq LIMIT @limit`,
      ),
      restOfRev: db.prepare(`SELECT ${LOG_COLUMNS} WHERE l.rev = @rev AND l.seq > @afterSeq AND ${KEY_IN_PREFIX} ORDER BY l.seq`),
      // A row at or below the compaction point goes when a later row at or below it supersedes it, and so do
      // tombstones; the row a later event replaced (its `prev`) is kept.
      compact: db.prepare(
        `DELETE FROM log WHERE rev <= @rev AND (deleted = 1 OR EXISTS (
           SELECT 1 FROM log n WHERE n.key = log.key AND n.rev > log.rev AND n.rev <= @rev))`,
      ),
    };
    this.revision = this.meta('rev');
    this.compactRev = this.meta('compact_rev');
    this.commitTx = db.transaction((compares: readonly Compare[], ops: readonly Op[]) => this.apply(compares, ops));
    this.compactTx = db.transaction((rev: number) => {
      this.st.compact.run({ rev });
      this.st.setMeta.run(rev, 'compact_rev');
    });
    this.leases = new LeaseKeeper(options.clock ?? systemClock, (ids) => this.expire(ids));
    this.expireOrphanedLeases();
  }

  async get(key: string): Promise<KV | undefined> {
    this.enter();
    const row = this.guard('get', () => this.st.getKv.get(key));
    return row === undefined ? undefined : kvFromRow(row);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.enter();
    const rows = this.guard('range', () => this.st.rangeKv.all({ prefix, end: prefixEnd(prefix) ?? null }));
    // SQLite orders by UTF-8 bytes; keep the JS (UTF-16) order the memory backend uses.
    const kvs = rows
      .filter((r) => r.key.startsWith(prefix))
      .map(kvFromRow)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, rev: this.revision };
  }

  async txn(compares: readonly Compare[], ops: readonly Op[]): Promise<TxnResult> {
    this.enter();
    checkOps(ops, (id) => this.leases.has(id));
    return this.commit(compares, ops);
  }

  async *watch(prefix: string, afterRev: number, signal: AbortSignal): AsyncGenerator<WatchBatch, void, undefined> {
    this.enter();
    if (signal.aborted) return;
    if (afterRev < this.compactRev) throw compacted(afterRev, this.compactRev);
    // One synchronous step: the live subscription starts right after `upTo`, which bounds the replay.
    const upTo = this.revision;
    const sub = this.hub.subscribe(prefix, signal);
    yield* replayThenLive(this.replay(prefix, afterRev, upTo), sub, afterRev, signal);
  }

  async rev(): Promise<number> {
    this.enter();
    return this.revision;
  }

  async grantLease(ttlMs: number): Promise<LeaseId> {
    this.enter();
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw invalidLeaseTtl(ttlMs);
    const id = randomBytes(8).toString('hex');
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
    this.guard('compact', () => this.compactTx(rev));
    this.compactRev = rev;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leases.close();
    this.hub.failAll(storeClosed());
    this.db.close();
  }

  /** The connection's durability settings, for diagnostics (`synchronous` 2 = FULL). */
  settings(): { journalMode: string; synchronous: number; lockingMode: string } {
    return this.guard('settings', () => ({
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      lockingMode: String(this.db.pragma('locking_mode', { simple: true })),
    }));
  }

  private meta(name: string): number {
    const row = this.st.getMeta.get(name);
    if (row === undefined) throw internal('store.sqlite', `meta row ${name} is missing`);
    return row.value;
  }

  private enter(): void {
    if (this.closed) throw storeClosed();
    const due = this.leases.takeExpired();
    if (due.length > 0) this.expire(due);
  }

  /** Runs one transaction and publishes its batch after the durable commit. */
  private commit(compares: readonly Compare[], ops: readonly Op[]): TxnResult {
    const out = this.guard('txn', () => this.commitTx(compares, ops));
    if (!out.ok) return { ok: false, rev: this.revision, failed: out.failed };
    if (out.batch !== undefined) {
      this.revision = out.batch.rev;
      this.hub.publish(out.batch);
    }
    return { ok: true, rev: this.revision };
  }

  /** The body of the SQLite transaction: compares, then every op at the next revision. */
  private apply(compares: readonly Compare[], ops: readonly Op[]): Commit {
    const failed = compares.filter((c) => (this.st.getKv.get(c.key)?.mod_rev ?? 0) !== c.modRev).map((c) => c.key);
    if (failed.length > 0) return { ok: false, failed };
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      const prevRow = this.st.getKv.get(op.key);
      const prev = prevRow === undefined ? undefined : kvFromRow(prevRow);
      if (op.type === 'put') {
        const createRev = prev?.createRev ?? rev;
        this.st.upsertKv.run(op.key, createRev, rev, op.value, op.lease ?? null);
        this.st.insertLog.run(rev, events.length, op.key, createRev, prev?.modRev ?? 0, 0, op.value, op.lease ?? null);
        const kv: KV = { key: op.key, value: op.value, createRev, modRev: rev, ...(op.lease !== undefined ? { lease: op.lease } : {}) };
        events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prev });
      } else if (prev !== undefined) {
        this.st.deleteKv.run(op.key);
        this.st.insertLog.run(rev, events.length, op.key, prev.createRev, prev.modRev, 1, null, null);
        events.push({ type: 'delete', key: op.key, modRev: rev, prev });
      }
    }
    if (events.length === 0) return { ok: true, batch: undefined };
    this.st.setMeta.run(rev, 'rev');
    return { ok: true, batch: { rev, events } };
  }

  /** History after `afterRev` up to `upTo`, read lazily in pages, one batch per revision. */
  private *replay(prefix: string, afterRev: number, upTo: number): Generator<WatchBatch, void, undefined> {
    const end = prefixEnd(prefix) ?? null;
    let cursor = afterRev;
    while (cursor < upTo) {
      if (this.closed) throw storeClosed();
      // Everything after `cursor` is still needed: a compaction past it while we replay loses history.
      if (cursor < this.compactRev) throw compacted(afterRev, this.compactRev);
      const rows = this.guard('watch', () => {
        const page = this.st.page.all({ after: cursor, upTo, prefix, end, limit: this.pageSize });
        const last = page[page.length - 1];
        if (page.length === this.pageSize && last !== undefined) {
          page.push(...this.st.restOfRev.all({ rev: last.rev, afterSeq: last.seq, prefix, end }));
        }
        return page;
      });
      const last = rows[rows.length - 1];
      if (last === undefined) return;
      let batch: WatchBatch | undefined;
      const batches: WatchBatch[] = [];
      for (const row of rows) {
        if (!row.key.startsWith(prefix)) continue;
        if (batch?.rev !== row.rev) {
          batch = { rev: row.rev, events: [] };
          batches.push(batch);
        }
        batch.events.push(eventFromRow(row));
      }
      cursor = last.rev;
      yield* batches;
    }
  }

  private expire(ids: LeaseId[]): void {
    for (const id of ids) {
      try {
        this.deleteLeaseKeys(id);
      } catch (e) {
        this.log.error({ err: e, lease: id }, 'could not delete the keys of an expired lease');
      }
    }
  }

  /** Deletes every key attached to the lease, in one revision. */
  private deleteLeaseKeys(lease: LeaseId): void {
    const keys = this.guard('lease', () => this.st.leaseKeys.all(lease));
    if (keys.length > 0) this.commit([], keys.map((k) => ({ type: 'delete', key: k.key })));
  }

  /** No lease outlives its process: delete the keys attached to earlier processes' leases, in one revision. */
  private expireOrphanedLeases(): void {
    const keys = this.st.leasedKeys.all();
    if (keys.length === 0) return;
    const { rev } = this.commit([], keys.map((k) => ({ type: 'delete', key: k.key })));
    this.log.info({ keys: keys.length, rev }, 'expired the leases of a previous process');
  }

  private guard<T>(what: string, fn: () => T): T {
    if (this.closed) throw storeClosed();
    try {
      return fn();
    } catch (e) {
      throw toShoalError(e, what);
    }
  }
}

function kvFromRow(r: KvRow): KV {
  return { key: r.key, value: r.value, createRev: r.create_rev, modRev: r.mod_rev, ...(r.lease !== null ? { lease: r.lease } : {}) };
}

function eventFromRow(r: LogRow): WatchEvent {
  const prev: KV | undefined =
    r.prev_rev > 0 && r.prev_value !== null && r.prev_create_rev !== null
      ? {
          key: r.key,
          value: r.prev_value,
          createRev: r.prev_create_rev,
          modRev: r.prev_rev,
          ...(r.prev_lease !== null ? { lease: r.prev_lease } : {}),
        }
      : undefined;
  if (r.deleted !== 0) {
    return prev === undefined ? { type: 'delete', key: r.key, modRev: r.rev } : { type: 'delete', key: r.key, modRev: r.rev, prev };
  }
  const kv: KV = {
    key: r.key,
    value: r.value ?? '',
    createRev: r.create_rev,
    modRev: r.rev,
    ...(r.lease !== null ? { lease: r.lease } : {}),
  };
  return prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prev };
}

function toShoalError(e: unknown, what: string): ShoalError {
  if (e instanceof ShoalError) return e;
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ShoalError('Unavailable', storeErrorCodes.locked, `database is locked by another process (${what})`, { cause: e });
  }
  return internal('store.sqlite', `sqlite ${what}: ${e instanceof Error ? e.message : String(e)}`, e);
}
