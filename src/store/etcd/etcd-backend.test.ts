import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { backendContract } from '../../../test/contracts/store-backend.js';
import { startEtcd } from '../../../test/harness/etcd.js';
import type { TestEtcd } from '../../../test/harness/etcd.js';
import type { Backend, WatchBatch } from '../core/backend.js';
import { openEtcdBackend } from './etcd-backend.js';

/** Every etcd started here, stopped in after() whatever happened (each test also stops its own). */
const started = new Set<TestEtcd>();
after(async () => {
  await Promise.all([...started].map((e) => e.stop()));
});

async function etcd(): Promise<TestEtcd> {
  const e = await startEtcd();
  started.add(e);
  return e;
}

// A fresh etcd per contract test (about 0.1 s each): the contract counts revisions from 0 and compacts, and etcd's
// revision and compaction point are shared by every prefix on one etcd.
backendContract('etcd', async () => {
  const e = await etcd();
  const backend = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/contract/' });
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      await e.stop();
      started.delete(e);
    },
  };
}, 'own'); // etcd's leases run on etcd's own clock: expiry is proven in real time below

describe('EtcdBackend', () => {
  it('two stores with different prefixes on one etcd never see each other', async () => {
    const e = await etcd();
    const a = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/a/' });
    const b = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/a-b/' }); // '/a/' is not a prefix of it, but close
    const ac = new AbortController();
    try {
      const watchA = collect(a, '', 0, ac.signal, (bs) => bs.length === 2);
      const watchB = collect(b, '', 0, ac.signal, (bs) => bs.length === 1);
      assert.deepEqual(await a.txn([], [{ type: 'put', key: 'k', value: 'from a' }]), { ok: true, rev: 1 });
      assert.deepEqual(await b.txn([], [{ type: 'put', key: 'k', value: 'from b' }]), { ok: true, rev: 2 });
      // The revision is shared; each store still sees only its own keys.
      assert.deepEqual(await a.txn([{ key: 'k', modRev: 1 }], [{ type: 'delete', key: 'k' }]), { ok: true, rev: 3 });
      assert.equal(await a.get('k'), undefined);
      assert.deepEqual(await b.get('k'), { key: 'k', value: 'from b', createRev: 2, modRev: 2 });
      assert.deepEqual((await a.range('')).kvs, []);
      assert.deepEqual((await b.range('')).kvs.map((kv) => kv.key), ['k']);
      // b's compare sees only b's key.
      assert.deepEqual(await b.txn([{ key: 'k', modRev: 1 }], []), { ok: false, rev: 3, failed: ['k'] });
      assert.deepEqual(
        (await watchA).map((x) => [x.rev, x.events.map((ev) => ev.type)]),
        [
          [1, ['put']],
          [3, ['delete']],
        ],
      );
      assert.deepEqual((await watchB).map((x) => x.rev), [2]);
      // A store on the whole etcd sees both, with their full keys.
      const all = openEtcdBackend({ endpoints: [e.endpoint], prefix: '' });
      try {
        assert.deepEqual((await all.range('')).kvs.map((kv) => kv.key), ['/a-b/k']);
        assert.equal(await all.rev(), 3);
      } finally {
        await all.close();
      }
    } finally {
      ac.abort();
      await a.close();
      await b.close();
      await e.stop();
      started.delete(e);
    }
  });

  it('a watch continues from a revision across a restart of the client', async () => {
    const e = await etcd();
    const opts = { endpoints: [e.endpoint], prefix: '/shoal/' };
    try {
      const first = openEtcdBackend(opts);
      await first.txn([], [{ type: 'put', key: '/n/1', value: 'a' }]); // 1
      await first.txn(
        [],
        [
          { type: 'put', key: '/n/2', value: 'b' },
          { type: 'put', key: '/n/1', value: 'a2' },
        ],
      ); // 2
      const seen = await collect(first, '/n/', 0, AbortSignal.timeout(5000), (bs) => bs.at(-1)?.rev === 2);
      const resumeAfter = seen.at(-1)?.rev ?? 0;
      await first.close();

      // Written while no client of this store runs.
      const writer = openEtcdBackend(opts);
      await writer.txn([], [{ type: 'delete', key: '/n/2' }]); // 3
      await writer.close();

      const second = openEtcdBackend(opts);
      try {
        const resumed = collect(second, '/n/', resumeAfter, AbortSignal.timeout(5000), (bs) => bs.at(-1)?.rev === 4);
        await second.txn([], [{ type: 'put', key: '/n/3', value: 'c' }]); // 4, live
        assert.deepEqual(
          (await resumed).map((x) => [x.rev, x.events.map((ev) => `${ev.type} ${ev.type === 'put' ? ev.kv.key : ev.key}${ev.prev ? ` prev@${ev.prev.modRev}` : ''}`)]),
          [
            [3, ['delete /n/2 prev@2']],
            [4, ['put /n/3']],
          ],
        );
      } finally {
        await second.close();
      }
    } finally {
      await e.stop();
      started.delete(e);
    }
  });

  it('a lease expires on etcd in real time and its keys go in one revision', async () => {
    const e = await etcd();
    const backend = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/l/' });
    try {
      const lease = await backend.grantLease(1000); // etcd's floor here is 1 s
      await backend.txn(
        [],
        [
          { type: 'put', key: 'x', value: '1', lease },
          { type: 'put', key: 'y', value: '2', lease },
        ],
      ); // 1
      assert.equal((await backend.get('x'))?.lease, lease);
      const t0 = Date.now();
      const [batch] = await collect(backend, '', 1, AbortSignal.timeout(8000), (bs) => bs.length === 1);
      assert.ok(Date.now() - t0 >= 500, 'the keys outlived most of the TTL');
      assert.equal(batch?.rev, 2);
      assert.deepEqual(batch?.events.map((ev) => `${ev.type} ${ev.type === 'put' ? ev.kv.key : ev.key}`).sort(), ['delete x', 'delete y']);
      await assert.rejects(backend.keepAlive(lease), (err: unknown) => isShoalError(err, 'NotFound') && err.code === 'store.lease_not_found');
    } finally {
      await backend.close();
      await e.stop();
      started.delete(e);
    }
  });

  it('a lease kept alive outlives its TTL', async () => {
    const e = await etcd();
    const backend = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/l/' });
    try {
      const lease = await backend.grantLease(1000);
      await backend.txn([], [{ type: 'put', key: 'held', value: 'v', lease }]);
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 400));
        await backend.keepAlive(lease);
      }
      assert.equal((await backend.get('held'))?.value, 'v', 'alive after 2 s of a 1 s TTL');
      await backend.revokeLease(lease);
      assert.equal(await backend.get('held'), undefined);
    } finally {
      await backend.close();
      await e.stop();
      started.delete(e);
    }
  });

  it('a call to a hung etcd fails within its deadline with Unavailable, and works again within about 1 s once etcd answers', async () => {
    const e = await etcd();
    const backend = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/d/', callTimeoutMs: 300 });
    try {
      await backend.txn([], [{ type: 'put', key: 'k', value: 'v' }]);
      e.pause();
      try {
        const t0 = Date.now();
        await assert.rejects(backend.get('k'), (err: unknown) => isShoalError(err, 'Unavailable') && err.code === 'store.etcd_unavailable');
        const took = Date.now() - t0;
        // etcd3 retries a deadline-exceeded call (3 times by default), each attempt bounded by the deadline.
        assert.ok(took >= 300 && took < 3000, `failed after ${took} ms`);
      } finally {
        e.resume();
      }
      // The host's circuit opened after 3 failed attempts; it is tried again after 1 s.
      const t1 = Date.now();
      assert.equal((await retry(() => backend.get('k'), 3000))?.value, 'v');
      assert.ok(Date.now() - t1 < 2500, 'calls work again soon after etcd answers');
    } finally {
      await backend.close();
      await e.stop();
      started.delete(e);
    }
  });

  it('a live watch survives an etcd crash and restart with no gap and no duplicate', async () => {
    const e = await etcd();
    const backend = openEtcdBackend({ endpoints: [e.endpoint], prefix: '/r/', callTimeoutMs: 500 });
    try {
      const watched = collect(backend, '', 0, AbortSignal.timeout(15_000), (bs) => bs.at(-1)?.rev === 4);
      await backend.txn([], [{ type: 'put', key: 'a', value: '1' }]); // 1
      await backend.txn([], [{ type: 'put', key: 'a', value: '2' }]); // 2
      await e.restart();
      // The first calls after the restart may fail while the client reconnects; retry them for a bounded time.
      await retry(() => backend.txn([], [{ type: 'put', key: 'b', value: '1' }])); // 3
      await backend.txn([], [{ type: 'delete', key: 'a' }]); // 4
      assert.deepEqual((await watched).map((x) => x.rev), [1, 2, 3, 4]);
    } finally {
      await backend.close();
      await e.stop();
      started.delete(e);
    }
  });

  it('refuses bad options with errors naming the field', () => {
    assert.throws(
      () => openEtcdBackend({ endpoints: [], prefix: '/' }),
      (err: unknown) => isShoalError(err, 'InvalidArgument') && /endpoints/.test(err.message),
    );
  });
});

async function retry<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline || !isShoalError(err, 'Unavailable')) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function collect(
  backend: Backend,
  prefix: string,
  afterRev: number,
  signal: AbortSignal,
  done: (batches: WatchBatch[]) => boolean,
): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  for await (const b of backend.watch(prefix, afterRev, signal)) {
    out.push(b);
    if (done(out)) return out;
  }
  assert.fail(`watch ended before its condition held; saw revisions ${out.map((b) => b.rev).join(',')}`);
}
