/**
 * The Backend contract (DESIGN §4.3): every store backend (memory, SQLite, etcd) must pass it. Register it from a
 * backend's test file with `backendContract(name, make, leaseClock)`; `make` gives a fresh, empty backend per test,
 * plus the fake clock that drives its leases. A backend whose leases run on a clock of their own (etcd:
 * `leaseClock: 'own'`) does not register the fake-clock expiry test; its test file proves expiry in real time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../src/api/errors.js';
import type { ErrorKind } from '../../src/api/errors.js';
import type { Backend, LeaseId, Op, WatchBatch, WatchEvent } from '../../src/store/core/backend.js';
import type { FakeClock } from '../fakes/clock.js';

export interface BackendHarness {
  backend: Backend;
  /** The clock the backend's leases run on, when a test can drive it. */
  clock?: FakeClock;
  cleanup(): Promise<void>;
}

const DEADLINE_MS = 5000;

export function backendContract(name: string, make: () => Promise<BackendHarness>, leaseClock: 'fake' | 'own' = 'fake'): void {
  const test =
    (fn: (h: BackendHarness) => Promise<void>) =>
    async (): Promise<void> => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

  describe(`Backend contract: ${name}`, () => {
    it(
      'starts empty at revision 0',
      test(async ({ backend }) => {
        assert.equal(await backend.rev(), 0);
        assert.deepEqual(await backend.range(''), { kvs: [], rev: 0 });
        assert.equal(await backend.get('/nope'), undefined);
      }),
    );

    it(
      'gives each committed txn the next revision, however many keys it writes',
      test(async ({ backend }) => {
        assert.equal(await put(backend, '/a', '1'), 1);
        const r = await backend.txn(
          [],
          [
            { type: 'put', key: '/b', value: '2' },
            { type: 'put', key: '/c', value: '3' },
            { type: 'delete', key: '/a' },
          ],
        );
        assert.deepEqual(r, { ok: true, rev: 2 });
        assert.equal(await put(backend, '/d', '4'), 3);
        assert.equal(await backend.rev(), 3);
        assert.equal((await backend.get('/b'))?.modRev, 2);
        assert.equal((await backend.get('/c'))?.modRev, 2);
      }),
    );

    it(
      'get returns the value with createRev and modRev',
      test(async ({ backend }) => {
        await put(backend, '/k', 'v1');
        await put(backend, '/other', 'x');
        await put(backend, '/k', 'v2');
        assert.deepEqual(await backend.get('/k'), { key: '/k', value: 'v2', createRev: 1, modRev: 3 });
        await del(backend, '/k');
        assert.equal(await backend.get('/k'), undefined);
        await put(backend, '/k', 'v3');
        assert.deepEqual(await backend.get('/k'), { key: '/k', value: 'v3', createRev: 5, modRev: 5 }, 'createRev resets');
      }),
    );

    it(
      'range returns the live keys under a prefix, sorted by key, with the revision it read at',
      test(async ({ backend }) => {
        await put(backend, '/a/2', 'two');
        await put(backend, '/a/1', 'one');
        await put(backend, '/b/1', 'b');
        await put(backend, '/a', 'parent');
        await put(backend, '/a/3', 'three');
        await del(backend, '/a/3');
        const r = await backend.range('/a/');
        assert.equal(r.rev, 6);
        assert.deepEqual(
          r.kvs.map((kv) => [kv.key, kv.value, kv.modRev]),
          [
            ['/a/1', 'one', 2],
            ['/a/2', 'two', 1],
          ],
        );
        assert.deepEqual(
          (await backend.range('')).kvs.map((kv) => kv.key),
          ['/a', '/a/1', '/a/2', '/b/1'],
        );
        assert.deepEqual((await backend.range('/zzz')).kvs, []);
      }),
    );

    it(
      'CAS applies when every compare holds, and otherwise writes nothing and names the failed keys',
      test(async ({ backend }) => {
        await put(backend, '/x', 'x1'); // rev 1
        await put(backend, '/y', 'y1'); // rev 2
        const bad = await backend.txn(
          [
            { key: '/x', modRev: 1 },
            { key: '/y', modRev: 1 },
            { key: '/z', modRev: 7 },
          ],
          [{ type: 'put', key: '/x', value: 'x2' }],
        );
        assert.deepEqual(bad, { ok: false, rev: 2, failed: ['/y', '/z'] });
        assert.equal((await backend.get('/x'))?.value, 'x1');
        assert.equal(await backend.rev(), 2);
        const good = await backend.txn(
          [
            { key: '/x', modRev: 1 },
            { key: '/y', modRev: 2 },
          ],
          [
            { type: 'put', key: '/x', value: 'x2' },
            { type: 'delete', key: '/y' },
          ],
        );
        assert.deepEqual(good, { ok: true, rev: 3 });
        assert.equal((await backend.get('/x'))?.value, 'x2');
        assert.equal(await backend.get('/y'), undefined);
      }),
    );

    it(
      'modRev 0 means "must not exist" (create-if-absent)',
      test(async ({ backend }) => {
        const create = (): Promise<unknown> => backend.txn([{ key: '/c', modRev: 0 }], [{ type: 'put', key: '/c', value: 'v' }]);
        assert.deepEqual(await create(), { ok: true, rev: 1 });
        assert.deepEqual(await create(), { ok: false, rev: 1, failed: ['/c'] });
        await del(backend, '/c');
        assert.deepEqual(await create(), { ok: true, rev: 3 });
      }),
    );

    it(
      'delete removes a key; deleting a missing key changes nothing',
      test(async ({ backend }) => {
        await put(backend, '/d', 'v');
        assert.equal(await del(backend, '/d'), 2);
        assert.equal(await backend.get('/d'), undefined);
        assert.deepEqual(await backend.txn([], [{ type: 'delete', key: '/d' }]), { ok: true, rev: 2 });
        assert.equal(await backend.rev(), 2);
      }),
    );

    it(
      'an empty txn succeeds at the current revision without creating one',
      test(async ({ backend }) => {
        assert.deepEqual(await backend.txn([], []), { ok: true, rev: 0 });
        await put(backend, '/e', 'v');
        assert.deepEqual(await backend.txn([{ key: '/e', modRev: 1 }], []), { ok: true, rev: 1 });
        assert.deepEqual(await backend.txn([{ key: '/e', modRev: 0 }], []), { ok: false, rev: 1, failed: ['/e'] });
        assert.equal(await backend.rev(), 1);
      }),
    );

    it(
      'rejects a txn that writes one key twice',
      test(async ({ backend }) => {
        await assertShoalError(
          backend.txn(
            [],
            [
              { type: 'put', key: '/k', value: '1' },
              { type: 'delete', key: '/k' },
            ],
          ),
          'InvalidArgument',
          'store.duplicate_key',
        );
        assert.equal(await backend.rev(), 0);
      }),
    );

    it(
      'watch replays history after a revision, then streams live: one batch per txn, events in op order, only under its prefix',
      test(async ({ backend }) => {
        await put(backend, '/w/a', '1'); // rev 1
        await backend.txn(
          [],
          [
            { type: 'put', key: '/w/b', value: '2' },
            { type: 'put', key: '/w/a', value: '1b' },
            { type: 'put', key: '/other', value: 'x' },
          ],
        ); // rev 2
        await put(backend, '/other', 'y'); // rev 3: not under /w/
        const ac = new AbortController();
        const it = backend.watch('/w/', 1, ac.signal)[Symbol.asyncIterator]();
        const first = await next(it);
        assert.equal(first.rev, 2);
        assert.deepEqual(first.events.map(summary), ['put /w/b=2', 'put /w/a=1b (prev 1@1)']);
        await del(backend, '/w/a'); // rev 4, live
        const second = await next(it);
        assert.equal(second.rev, 4, 'rev 3 touched no watched key');
        assert.deepEqual(second.events.map(summary), ['delete /w/a (prev 1b@2)']);
        ac.abort();
        assert.equal((await it.next()).done, true);
      }),
    );

    it(
      'watch has no gaps and no duplicates between replay and live while writers run concurrently',
      test(async ({ backend }) => {
        const writers = 4;
        const perWriter = 40;
        const started = deferred<void>();
        const write = async (w: number): Promise<void> => {
          for (let i = 0; i < perWriter; i++) {
            // Two keys per txn: each revision must arrive as one batch of two events.
            await backend.txn(
              [],
              [
                { type: 'put', key: `/c/${w}/a`, value: String(i) },
                { type: 'put', key: `/c/${w}/b`, value: String(i) },
              ],
            );
            if (w === 0 && i === 10) started.resolve();
          }
        };
        const final = writers * perWriter;
        const fromStart = collect(backend, '/c/', 0, (bs) => bs.at(-1)?.rev === final);
        const all = Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
        await started.promise;
        // Opened while writes are in flight: part replay, part live.
        const midway = collect(backend, '/c/', 5, (bs) => bs.at(-1)?.rev === final);
        await all;
        assert.equal(await backend.rev(), final);
        for (const [batches, from] of [
          [await fromStart, 0],
          [await midway, 5],
        ] as const) {
          assert.deepEqual(
            batches.map((b) => b.rev),
            Array.from({ length: final - from }, (_, i) => from + i + 1),
          );
          for (const b of batches) assert.equal(b.events.length, 2, `rev ${b.rev} has both keys of its txn`);
        }
      }),
    );

    it(
      'a watch from the current revision sees only later writes; from a future revision it waits for it',
      test(async ({ backend }) => {
        await put(backend, '/f', '1');
        await put(backend, '/f', '2');
        const fromNow = collect(backend, '', 2, (bs) => bs.length === 2);
        const fromFuture = collect(backend, '', 3, (bs) => bs.length === 1);
        await put(backend, '/f', '3');
        await put(backend, '/f', '4');
        assert.deepEqual((await fromNow).map((b) => b.rev), [3, 4]);
        assert.deepEqual((await fromFuture).map((b) => b.rev), [4]);
      }),
    );

    it(
      'a watch ends normally when its signal aborts, even while waiting for events',
      test(async ({ backend }) => {
        const ac = new AbortController();
        const seen: number[] = [];
        const first = deferred<void>();
        const consumer = (async () => {
          for await (const b of backend.watch('', 0, ac.signal)) {
            seen.push(b.rev);
            first.resolve();
          }
        })();
        await put(backend, '/a', '1');
        await within(first.promise, 'the first event');
        ac.abort(); // the consumer is now waiting for a second event
        await within(consumer, 'the watch to end after abort');
        assert.deepEqual(seen, [1]);

        const pre = new AbortController();
        pre.abort();
        const none: WatchBatch[] = [];
        for await (const b of backend.watch('', 0, pre.signal)) none.push(b);
        assert.deepEqual(none, [], 'an already-aborted signal yields nothing');
      }),
    );

    it(
      'close ends live watches with Unavailable store.closed, and later calls fail the same way',
      test(async ({ backend }) => {
        await put(backend, '/a', '1');
        const ac = new AbortController();
        const it = backend.watch('', 0, ac.signal)[Symbol.asyncIterator]();
        assert.equal((await next(it)).rev, 1);
        const waiting = it.next();
        await backend.close();
        await assertShoalError(within(waiting, 'the watch to end on close'), 'Unavailable', 'store.closed');
        await assertShoalError(backend.get('/a'), 'Unavailable', 'store.closed');
        await assertShoalError(put(backend, '/b', '1'), 'Unavailable', 'store.closed');
        await backend.close(); // idempotent
        ac.abort();
      }),
    );

    it(
      'compaction drops history: older watches fail with store.compacted, later ones still replay',
      test(async ({ backend }) => {
        await put(backend, '/a', 'a1'); // 1
        await put(backend, '/a', 'a2'); // 2
        await put(backend, '/b', 'b1'); // 3
        await del(backend, '/a'); // 4
        await put(backend, '/c', 'c1'); // 5
        await put(backend, '/b', 'b2'); // 6
        await backend.compact(4);
        for (const from of [0, 3]) {
          await assertShoalError(drain(backend, '', from), 'FailedPrecondition', 'store.compacted');
        }
        const replay = await collect(backend, '', 4, (bs) => bs.at(-1)?.rev === 6);
        assert.deepEqual(replay.flatMap((b) => b.events.map((e) => `${b.rev} ${summary(e)}`)), [
          '5 put /c=c1',
          '6 put /b=b2 (prev b1@3)',
        ]);
        assert.deepEqual(
          (await backend.range('')).kvs.map((kv) => [kv.key, kv.value, kv.createRev, kv.modRev]),
          [
            ['/b', 'b2', 3, 6],
            ['/c', 'c1', 5, 5],
          ],
          'compaction never changes current state',
        );
        await backend.compact(2); // already compacted past: no-op
        await assertShoalError(backend.compact(7), 'InvalidArgument', 'store.future_rev');
        await backend.compact(6);
        await assertShoalError(drain(backend, '', 5), 'FailedPrecondition', 'store.compacted');
        assert.equal(await put(backend, '/d', 'd'), 7);
        const live = await collect(backend, '', 6, (bs) => bs.length === 1);
        assert.equal(live[0]?.rev, 7);
      }),
    );

    it(
      'revoking a lease deletes its keys in one revision; dead leases are refused',
      test(async ({ backend }) => {
        const lease = await backend.grantLease(60_000);
        await backend.txn(
          [],
          [
            { type: 'put', key: '/l/1', value: 'a', lease },
            { type: 'put', key: '/l/2', value: 'b', lease },
            { type: 'put', key: '/l/3', value: 'c' },
          ],
        );
        assert.equal((await backend.get('/l/1'))?.lease, lease);
        assert.equal((await backend.get('/l/3'))?.lease, undefined);
        const events = collect(backend, '/l/', 1, (bs) => bs.length === 1);
        await backend.keepAlive(lease);
        await backend.revokeLease(lease);
        const [batch] = await events;
        assert.equal(batch?.rev, 2);
        assert.deepEqual(batch?.events.map(summary).sort(), ['delete /l/1 (prev a@1)', 'delete /l/2 (prev b@1)']);
        assert.deepEqual((await backend.range('/l/')).kvs.map((kv) => kv.key), ['/l/3']);
        await assertShoalError(backend.revokeLease(lease), 'NotFound', 'store.lease_not_found');
        await assertShoalError(backend.keepAlive(lease), 'NotFound', 'store.lease_not_found');
        await assertShoalError(put(backend, '/l/4', 'd', lease), 'NotFound', 'store.lease_not_found');
        await assertShoalError(backend.keepAlive('no-such-lease'), 'NotFound', 'store.lease_not_found');

        const empty = await backend.grantLease(1000);
        await backend.revokeLease(empty);
        assert.equal(await backend.rev(), 2, 'revoking a lease without keys writes nothing');
        await assertShoalError(backend.grantLease(0), 'InvalidArgument', 'store.invalid_lease');
      }),
    );

    if (leaseClock === 'fake') it('a lease expires after its TTL unless kept alive, and its keys are deleted without any call', async () => {
      const h = await make();
      try {
        const { backend, clock } = h;
        assert.ok(clock !== undefined, 'a backend with leaseClock "fake" gives its harness a fake clock');
        const lease = await backend.grantLease(1000);
        await put(backend, '/e/held', 'v', lease); // rev 1
        await put(backend, '/e/detached', 'v', lease); // rev 2
        await put(backend, '/e/detached', 'w'); // rev 3: a put without the lease detaches the key
        clock.advance(600);
        await backend.keepAlive(lease);
        clock.advance(600); // 1200 ms since the grant, 600 since the keep-alive
        assert.equal((await backend.get('/e/held'))?.value, 'v');

        // The expiry must happen on its own: after advancing, only the watch is consulted.
        const expired = collect(backend, '/e/', 3, (bs) => bs.length === 1);
        assert.ok(clock.pendingSleeps > 0, 'the backend keeps a timer on the lease deadline');
        clock.advance(400);
        const [batch] = await expired;
        assert.equal(batch?.rev, 4);
        assert.deepEqual(batch?.events.map(summary), ['delete /e/held (prev v@1)']);
        assert.equal(await backend.get('/e/held'), undefined);
        assert.equal((await backend.get('/e/detached'))?.value, 'w');
        await assertShoalError(backend.keepAlive(lease), 'NotFound', 'store.lease_not_found');

        // Lazy path: an expired lease is also noticed by the next call, before it is served.
        const lazy = await backend.grantLease(100);
        await put(backend, '/e/lazy', 'v', lazy); // rev 5
        clock.advance(100);
        assert.equal(await backend.get('/e/lazy'), undefined);
        assert.equal(await backend.rev(), 6);
      } finally {
        await h.cleanup();
      }
    });
  });
}

// ---------------------------------------------------------------- helpers

async function put(backend: Backend, key: string, value: string, lease?: LeaseId): Promise<number> {
  const op: Op = lease === undefined ? { type: 'put', key, value } : { type: 'put', key, value, lease };
  const r = await backend.txn([], [op]);
  assert.ok(r.ok);
  return r.rev;
}

async function del(backend: Backend, key: string): Promise<number> {
  const r = await backend.txn([], [{ type: 'delete', key }]);
  assert.ok(r.ok);
  return r.rev;
}

function summary(e: WatchEvent): string {
  const prev = e.prev === undefined ? '' : ` (prev ${e.prev.value}@${e.prev.modRev})`;
  return e.type === 'put' ? `put ${e.kv.key}=${e.kv.value}${prev}` : `delete ${e.key}${prev}`;
}

async function next(it: AsyncIterator<WatchBatch>): Promise<WatchBatch> {
  const r = await within(it.next(), 'a watch batch');
  if (r.done === true) assert.fail('the watch ended early');
  return r.value;
}

/** Watches until `done(batches)` holds; fails after a deadline. */
async function collect(
  backend: Backend,
  prefix: string,
  afterRev: number,
  done: (batches: WatchBatch[]) => boolean,
): Promise<WatchBatch[]> {
  const signal = AbortSignal.timeout(DEADLINE_MS);
  const out: WatchBatch[] = [];
  for await (const b of backend.watch(prefix, afterRev, signal)) {
    out.push(b);
    if (done(out)) return out;
  }
  assert.fail(`watch ended before its condition held; saw revisions ${out.map((b) => b.rev).join(',')}`);
}

/** Iterates a watch to its end (for asserting that it fails). */
async function drain(backend: Backend, prefix: string, afterRev: number): Promise<void> {
  const ac = new AbortController();
  try {
    for await (const _ of backend.watch(prefix, afterRev, ac.signal)) ac.abort();
  } finally {
    ac.abort();
  }
}

async function assertShoalError(p: Promise<unknown>, kind: ErrorKind, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.equal(e.code, code);
    return true;
  });
}

async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
