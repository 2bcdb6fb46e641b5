/**
 * The typed Store over any Backend (swarmkit's store, on an etcd-style revisioned KV).
 *
 * - `view()` reads committed state. Each call is served at the latest revision (it is not a snapshot); every
 *   object comes back with `Version.Index` = the modRev of its key.
 * - `update(fn)` runs `fn` against a WriteTx that collects writes (reads inside it see them), then commits them
 *   in ONE backend transaction whose compares encode the rules: create → the key and the name index key must not
 *   exist; update → the key's modRev must equal `object.Version.Index`; delete → the key must still exist; a
 *   rename moves the name index key atomically. If `fn` throws, nothing is written.
 * - Objects passed to `create`/`update` are snapshotted (encoded) when the call is made; later changes to them
 *   are not written. After a successful commit the store DOES mutate those same objects: it sets
 *   `Version = { Index: rev }`, the commit revision, so callers can return them as they now are. The store never
 *   touches `CreatedAt`/`UpdatedAt`: callers stamp them.
 * - `watch(afterRev)` yields one StoreEvent[] per committed revision, in order, with no gaps.
 */
import { conflict, internal, invalidArgument, outOfSequence } from '../../api/errors.js';
import type { Backend, Compare, KV, Op } from './backend.js';
import { idConflict, nameConflict, objectNotFound } from './errors.js';
import type { AnyObject } from './keys.js';
import {
  NAMED_KINDS,
  ROOT,
  decode,
  encode,
  idOf,
  nameKey,
  nameOf,
  objectKey,
  objectPrefix,
  parseObjectKey,
  setVersion,
  versionOf,
} from './keys.js';
import type { Kind, ObjectOf, ReadTx, StoreAction, StoreEvent, WriteTx } from './tables.js';

/** How many times a commit is planned again when only state it observed (not the caller's versions) moved. */
const MAX_ATTEMPTS = 8;

/** A write collected by a WriteTx, keyed by object key. */
interface Pending {
  kind: Kind;
  id: string;
  /** What the committed key must look like for the commit to apply. */
  expect: { type: 'absent' } | { type: 'version'; index: number } | { type: 'exists' };
  /** The JSON to write, or undefined to delete. */
  value: string | undefined;
  /** The final object's unique name (named kinds only). */
  name: string | undefined;
  /** `Version.Index` reads inside the transaction report for the pending object. */
  version: number;
  /** The caller's objects, which get `Version = { Index: rev }` after the commit. */
  refs: AnyObject[];
}

type Reason = 'id' | 'name' | 'version' | 'observed';

interface Plan {
  compares: Compare[];
  ops: Op[];
  reasons: Map<string, { reason: Reason; kind: Kind; id: string }>;
}

export class Store {
  constructor(readonly backend: Backend) {}

  view(): ReadTx {
    return new Reader(this.backend, new Map());
  }

  async update<T>(fn: (tx: WriteTx) => Promise<T> | T): Promise<{ rev: number; result: T }> {
    const tx = new Tx(this.backend);
    let result: T;
    try {
      result = await fn(tx);
    } finally {
      tx.seal();
    }
    if (tx.pending.size === 0) return { rev: await this.backend.rev(), result };
    for (let attempt = 1; ; attempt++) {
      const plan = await this.plan(tx.pending);
      const res = await this.backend.txn(plan.compares, plan.ops);
      if (res.ok) {
        for (const p of tx.pending.values()) if (p.value !== undefined) for (const ref of p.refs) setVersion(ref, res.rev);
        return { rev: res.rev, result };
      }
      const failed = res.failed.map((k) => plan.reasons.get(k)).filter((r) => r !== undefined);
      const id = failed.find((r) => r.reason === 'id');
      if (id !== undefined) throw idConflict(id.kind, id.id);
      if (failed.some((r) => r.reason === 'version')) throw outOfSequence();
      if (failed.some((r) => r.reason === 'name')) throw nameConflict();
      if (attempt >= MAX_ATTEMPTS) {
        throw conflict('store.contention', `gave up after ${attempt} attempts: the objects kept changing`);
      }
    }
  }

  /** Events of every revision after `afterRev`, one array per revision, until `signal` aborts. */
  async *watch(afterRev: number, signal: AbortSignal): AsyncGenerator<StoreEvent[], void, undefined> {
    for await (const batch of this.backend.watch(ROOT, afterRev, signal)) {
      const events: StoreEvent[] = [];
      for (const e of batch.events) {
        const ev = e.type === 'put' ? toEvent(e.kv, e.kv.createRev === e.kv.modRev ? 'create' : 'update', batch.rev) : undefined;
        const removed = e.type === 'delete' && e.prev !== undefined ? toEvent(e.prev, 'remove', batch.rev) : undefined;
        const out = ev ?? removed;
        if (out !== undefined) events.push(out);
      }
      if (events.length > 0) yield events;
    }
  }

  rev(): Promise<number> {
    return this.backend.rev();
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  /** Reads what the pending writes depend on and turns them into compares and ops. */
  private async plan(pending: ReadonlyMap<string, Pending>): Promise<Plan> {
    const plan: Plan = { compares: [], ops: [], reasons: new Map() };
    const compare = (key: string, modRev: number, reason: Reason, kind: Kind, id: string): void => {
      plan.compares.push({ key, modRev });
      plan.reasons.set(key, { reason, kind, id });
    };
    const frees: { key: string; id: string; kind: Kind }[] = [];
    const claims = new Map<string, { id: string; kind: Kind }>();

    for (const [key, p] of pending) {
      const committed = p.expect.type === 'absent' ? undefined : await this.backend.get(key);
      switch (p.expect.type) {
        case 'absent':
          compare(key, 0, 'id', p.kind, p.id);
          break;
        case 'version':
          if (committed === undefined) throw objectNotFound(p.kind, p.id);
          if (committed.modRev !== p.expect.index) throw outOfSequence();
          compare(key, p.expect.index, 'version', p.kind, p.id);
          break;
        case 'exists':
          if (committed === undefined) throw objectNotFound(p.kind, p.id);
          compare(key, committed.modRev, 'observed', p.kind, p.id);
          break;
      }
      plan.ops.push(p.value === undefined ? { type: 'delete', key } : { type: 'put', key, value: p.value });
      if (!NAMED_KINDS.has(p.kind)) continue;
      const oldName = committed === undefined ? undefined : nameOf(p.kind, decode(p.kind, committed.value, committed.modRev));
      const oldKey = oldName === undefined ? undefined : nameKey(p.kind, oldName);
      const newKey = p.name === undefined ? undefined : nameKey(p.kind, p.name);
      if (oldKey === newKey) continue;
      if (oldKey !== undefined) frees.push({ key: oldKey, id: p.id, kind: p.kind });
      if (newKey !== undefined) {
        if (claims.has(newKey)) throw nameConflict(); // two objects of this transaction want one name
        claims.set(newKey, { id: p.id, kind: p.kind });
      }
    }

    const freed = new Map<string, number>();
    for (const f of frees) {
      const kv = await this.backend.get(f.key);
      if (kv?.value === f.id) freed.set(f.key, kv.modRev); // leave an index entry that is not ours alone
    }
    for (const [key, c] of claims) {
      const taken = freed.get(key);
      if (taken === undefined) {
        compare(key, 0, 'name', c.kind, c.id);
      } else {
        compare(key, taken, 'observed', c.kind, c.id); // renamed away by another object of this transaction
        freed.delete(key);
      }
      plan.ops.push({ type: 'put', key, value: c.id });
    }
    for (const [key, modRev] of freed) {
      const f = frees.find((x) => x.key === key);
      if (f === undefined) continue;
      compare(key, modRev, 'observed', f.kind, f.id);
      plan.ops.push({ type: 'delete', key });
    }
    return plan;
  }
}

function toEvent(kv: KV, action: StoreAction, rev: number): StoreEvent | undefined {
  const parsed = parseObjectKey(kv.key);
  if (parsed === undefined) return undefined;
  return { kind: parsed.kind, action, object: decode(parsed.kind, kv.value, kv.modRev), rev } as StoreEvent;
}

/** Reads committed state through the writes still pending in a transaction (none for `view()`). */
class Reader implements ReadTx {
  constructor(
    protected readonly backend: Backend,
    readonly pending: Map<string, Pending>,
  ) {}

  async get<K extends Kind>(kind: K, id: string): Promise<ObjectOf[K] | undefined> {
    const key = objectKey(kind, id);
    const p = this.pending.get(key);
    if (p !== undefined) return p.value === undefined ? undefined : decode(kind, p.value, p.version);
    const kv = await this.backend.get(key);
    return kv === undefined ? undefined : decode(kind, kv.value, kv.modRev);
  }

  async list<K extends Kind>(kind: K): Promise<ObjectOf[K][]> {
    const { kvs } = await this.backend.range(objectPrefix(kind));
    const byKey = new Map<string, ObjectOf[K]>();
    for (const kv of kvs) byKey.set(kv.key, decode(kind, kv.value, kv.modRev));
    let touched = false;
    for (const [key, p] of this.pending) {
      if (p.kind !== kind) continue;
      touched = true;
      if (p.value === undefined) byKey.delete(key);
      else byKey.set(key, decode(kind, p.value, p.version));
    }
    if (!touched) return [...byKey.values()];
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  /**
   * The object whose name is exactly `name`. Uniqueness is case-insensitive (swarmkit), so the index finds the
   * one candidate and the exact comparison decides.
   */
  async getByName<K extends Kind>(kind: K, name: string): Promise<ObjectOf[K] | undefined> {
    if (!NAMED_KINDS.has(kind)) throw invalidArgument('store.no_name_index', `${kind} have no unique name`);
    for (const p of this.pending.values()) {
      if (p.kind === kind && p.value !== undefined && p.name === name) return decode(kind, p.value, p.version);
    }
    const index = await this.backend.get(nameKey(kind, name));
    if (index === undefined) return undefined;
    const obj = await this.get(kind, index.value);
    return obj !== undefined && nameOf(kind, obj) === name ? obj : undefined;
  }
}

class Tx extends Reader implements WriteTx {
  private sealed = false;

  constructor(backend: Backend) {
    super(backend, new Map());
  }

  create<K extends Kind>(kind: K, object: ObjectOf[K]): void {
    this.writable();
    const id = idOf(kind, object);
    const key = objectKey(kind, id);
    const p = this.pending.get(key);
    if (p?.value !== undefined) throw idConflict(kind, id);
    const fields = { value: encode(object), name: nameOf(kind, object), version: versionOf(object), refs: [object] };
    if (p !== undefined) Object.assign(p, fields); // deleted earlier in this transaction: replace it
    else this.pending.set(key, { kind, id, expect: { type: 'absent' }, ...fields });
  }

  update<K extends Kind>(kind: K, object: ObjectOf[K]): void {
    this.writable();
    const id = idOf(kind, object);
    const key = objectKey(kind, id);
    const p = this.pending.get(key);
    if (p !== undefined && p.value === undefined) throw objectNotFound(kind, id);
    const fields = { value: encode(object), name: nameOf(kind, object), version: versionOf(object) };
    if (p !== undefined) Object.assign(p, fields, { refs: [...p.refs, object] });
    else this.pending.set(key, { kind, id, expect: { type: 'version', index: versionOf(object) }, ...fields, refs: [object] });
  }

  delete<K extends Kind>(kind: K, id: string): void {
    this.writable();
    const key = objectKey(kind, id);
    const p = this.pending.get(key);
    if (p !== undefined && p.value === undefined) throw objectNotFound(kind, id);
    if (p?.expect.type === 'absent') this.pending.delete(key); // created in this transaction: nothing to write
    else if (p !== undefined) Object.assign(p, { value: undefined, name: undefined, refs: [] });
    else this.pending.set(key, { kind, id, expect: { type: 'exists' }, value: undefined, name: undefined, version: 0, refs: [] });
  }

  /** Ends the write phase: a write after `fn` returned would otherwise be lost silently. */
  seal(): void {
    this.sealed = true;
  }

  private writable(): void {
    if (this.sealed) throw internal('store.tx_closed', 'write on a transaction that has already ended');
  }
}
