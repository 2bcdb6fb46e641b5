import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import type { ErrorKind } from '../../api/errors.js';
import { aCluster, aNetwork, aNode, aSecret, aService, aTask } from '../../../test/store/objects.js';
import { createMemoryBackend } from '../memory/memory-backend.js';
import type { Backend } from './backend.js';
import { Store } from './store.js';
import type { StoreEvent } from './tables.js';

const newStore = (backend: Backend = createMemoryBackend()): Store => new Store(backend);

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, code: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

describe('Store', () => {
  it('creates, reads back with Version.Index = the commit revision, and stores no Version', async () => {
    const store = newStore();
    const svc = aService('s1', 'web');
    const { rev, result } = await store.update((tx) => {
      tx.create('services', svc);
      return 'done';
    });
    assert.equal(rev, 1);
    assert.equal(result, 'done');
    assert.deepEqual(svc.Version, { Index: 1 }, 'the passed object gets the commit revision');
    const got = await store.view().get('services', 's1');
    assert.deepEqual(got, svc);
    assert.deepEqual(Object.keys(got ?? {}).slice(0, 2), ['ID', 'Version']);
    const raw = await store.backend.get('/shoal/services/s1');
    assert.ok(raw !== undefined && !('Version' in (JSON.parse(raw.value) as object)));
    assert.equal((await store.backend.get('/shoal/names/services/web'))?.value, 's1');
    assert.deepEqual(await store.view().getByName('services', 'web'), svc);
    assert.deepEqual(await store.view().list('services'), [svc]);
  });

  it('keeps every kind under its own prefix; networks are keyed by Id, the cluster by its ID', async () => {
    const store = newStore();
    await store.update((tx) => {
      tx.create('networks', aNetwork('n1', 'front'));
      tx.create('nodes', aNode('node1', 'host-a'));
      tx.create('nodes', aNode('node2', 'host-a')); // hostnames are not unique
      tx.create('tasks', aTask('t1', 's1', 1));
      tx.create('secrets', aSecret('x1', 'front')); // names are unique per kind
      tx.create('cluster', aCluster('c1'));
    });
    const view = store.view();
    assert.equal((await view.get('networks', 'n1'))?.Version?.Index, 1);
    assert.equal((await view.getByName('networks', 'front'))?.Id, 'n1');
    assert.deepEqual((await view.list('nodes')).map((n) => n.ID), ['node1', 'node2']);
    assert.equal((await view.get('tasks', 't1'))?.ServiceID, 's1');
    assert.equal((await view.getByName('secrets', 'front'))?.ID, 'x1');
    await rejectsWith(view.getByName('nodes', 'host-a'), 'InvalidArgument', 'store.no_name_index');
    assert.equal((await store.backend.get('/shoal/networks/n1'))?.modRev, 1);
    assert.equal((await store.backend.get('/shoal/cluster/c1'))?.modRev, 1);
    assert.deepEqual((await view.list('cluster')).map((c) => c.ID), ['c1']);
  });

  it('updates with the current version and rejects a stale one with "update out of sequence"', async () => {
    const store = newStore();
    const svc = aService('s1', 'web');
    await store.update((tx) => tx.create('services', svc));
    const stale = structuredClone(svc);
    const fresh = await store.view().get('services', 's1');
    assert.ok(fresh !== undefined);
    fresh.Spec.Mode = { Replicated: { Replicas: 3 } };
    const { rev } = await store.update((tx) => tx.update('services', fresh));
    assert.equal(rev, 2);
    assert.equal(fresh.Version.Index, 2);

    stale.Spec.Mode = { Replicated: { Replicas: 9 } };
    await rejectsWith(
      store.update((tx) => tx.update('services', stale)),
      'Conflict',
      'version.out_of_sequence',
      'update out of sequence',
    );
    assert.equal(stale.Version.Index, 1, 'a failed commit leaves the passed object alone');
    const now = await store.view().get('services', 's1');
    assert.deepEqual(now?.Spec.Mode, { Replicated: { Replicas: 3 } });
    assert.equal(await store.rev(), 2);
  });

  it('deletes, and reports NotFound for missing objects and duplicate IDs as AlreadyExists', async () => {
    const store = newStore();
    await store.update((tx) => tx.create('services', aService('s1', 'web')));
    await rejectsWith(
      store.update((tx) => tx.create('services', aService('s1', 'other'))),
      'AlreadyExists',
      'store.id_conflict',
    );
    await store.update((tx) => tx.delete('services', 's1'));
    assert.equal(await store.view().get('services', 's1'), undefined);
    assert.equal(await store.backend.get('/shoal/names/services/web'), undefined, 'the name index goes with it');
    await rejectsWith(store.update((tx) => tx.delete('services', 's1')), 'NotFound', 'store.not_found');
    const gone = aService('s1', 'web');
    gone.Version.Index = 1;
    await rejectsWith(store.update((tx) => tx.update('services', gone)), 'NotFound', 'store.not_found');
    await store.update((tx) => tx.create('services', aService('s2', 'web')));
    assert.equal((await store.view().getByName('services', 'web'))?.ID, 's2', 'the name is free again');
  });

  it('keeps names unique (regardless of case) with docker\'s message', async () => {
    const store = newStore();
    await store.update((tx) => tx.create('services', aService('s1', 'web')));
    for (const name of ['web', 'WEB']) {
      await rejectsWith(
        store.update((tx) => tx.create('services', aService('s2', name))),
        'AlreadyExists',
        'store.name_conflict',
        'name conflicts with an existing object',
      );
    }
    assert.equal(await store.view().get('services', 's2'), undefined);
    assert.equal(await store.view().getByName('services', 'Web'), undefined, 'lookups are exact');
    await rejectsWith(
      store.update((tx) => {
        tx.create('secrets', aSecret('x1', 'same'));
        tx.create('secrets', aSecret('x2', 'same'));
      }),
      'AlreadyExists',
      'store.name_conflict',
    );
  });

  it('lets exactly one of two concurrent creates of one name win', async () => {
    for (let round = 0; round < 20; round++) {
      const store = newStore();
      const attempt = (id: string) =>
        store.update(async (tx) => {
          // Check-then-create, as a use case would: both see the name free.
          assert.equal(await tx.getByName('services', 'web'), undefined);
          tx.create('services', aService(id, 'web'));
        });
      const results = await Promise.allSettled([attempt('a'), attempt('b')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(isShoalError(lost[0]?.reason, 'AlreadyExists') && lost[0].reason.code === 'store.name_conflict');
      assert.equal((await store.view().list('services')).length, 1);
    }
  });

  it('renames atomically, frees the old name, refuses a taken one, and can swap names in one transaction', async () => {
    const store = newStore();
    await store.update((tx) => {
      tx.create('services', aService('s1', 'web'));
      tx.create('services', aService('s2', 'db'));
    });
    const s1 = await store.view().get('services', 's1');
    assert.ok(s1 !== undefined);
    s1.Spec.Name = 'api';
    await store.update((tx) => tx.update('services', s1));
    const view = store.view();
    assert.equal((await view.getByName('services', 'api'))?.ID, 's1');
    assert.equal(await view.getByName('services', 'web'), undefined);
    assert.equal(await store.backend.get('/shoal/names/services/web'), undefined);

    s1.Spec.Name = 'db';
    await rejectsWith(store.update((tx) => tx.update('services', s1)), 'AlreadyExists', 'store.name_conflict');
    assert.equal((await view.get('services', 's1'))?.Spec.Name, 'api');

    s1.Spec.Name = 'API'; // a change of case keeps the index entry
    await store.update((tx) => tx.update('services', s1));
    assert.equal((await view.getByName('services', 'API'))?.ID, 's1');

    await store.update(async (tx) => {
      const a = await tx.get('services', 's1');
      const b = await tx.get('services', 's2');
      assert.ok(a !== undefined && b !== undefined);
      a.Spec.Name = 'db';
      b.Spec.Name = 'API';
      tx.update('services', a);
      tx.update('services', b);
    });
    assert.equal((await view.getByName('services', 'db'))?.ID, 's1');
    assert.equal((await view.getByName('services', 'API'))?.ID, 's2');
    await store.update((tx) => tx.create('services', aService('s3', 'web')));
  });

  it('shows a transaction its own pending writes', async () => {
    const store = newStore();
    await store.update((tx) => {
      tx.create('services', aService('s1', 'web'));
      tx.create('services', aService('s2', 'db'));
    });
    await store.update(async (tx) => {
      tx.create('services', aService('s0', 'new'));
      tx.delete('services', 's2');
      const s1 = await tx.get('services', 's1');
      assert.ok(s1 !== undefined);
      s1.Spec.Name = 'renamed';
      tx.update('services', s1);
      assert.equal((await tx.get('services', 's0'))?.Spec.Name, 'new');
      assert.equal(await tx.get('services', 's2'), undefined);
      assert.deepEqual((await tx.list('services')).map((s) => `${s.ID}:${s.Spec.Name}`), ['s0:new', 's1:renamed']);
      assert.equal((await tx.getByName('services', 'renamed'))?.ID, 's1');
      assert.equal(await tx.getByName('services', 'web'), undefined);
      assert.equal(await tx.getByName('services', 'db'), undefined);
      // A create then delete inside one transaction writes nothing for that object.
      tx.create('tasks', aTask('t1', 's1', 1));
      tx.delete('tasks', 't1');
      assert.deepEqual(await tx.list('tasks'), []);
    });
    assert.deepEqual((await store.view().list('services')).map((s) => s.ID), ['s0', 's1']);
    assert.deepEqual(await store.view().list('tasks'), []);
  });

  it('writes nothing when fn throws, and refuses writes after fn has returned', async () => {
    const store = newStore();
    await assert.rejects(
      store.update((tx) => {
        tx.create('services', aService('s1', 'web'));
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.rev(), 0);
    assert.deepEqual(await store.view().list('services'), []);

    let leaked: (() => void) | undefined;
    const { rev } = await store.update((tx) => {
      leaked = () => tx.create('services', aService('s1', 'web'));
    });
    assert.equal(rev, 0, 'a transaction without writes makes no revision');
    assert.throws(() => leaked?.(), (e: unknown) => isShoalError(e, 'Internal'));
  });

  it('deletes even when the object changed between planning and commit, by planning again', async () => {
    const inner = createMemoryBackend();
    const seeded = new Store(inner);
    await seeded.update((tx) => tx.create('services', aService('s1', 'web')));
    let interfered = false;
    const racing: Backend = {
      get: (key) => inner.get(key),
      range: (prefix) => inner.range(prefix),
      watch: (prefix, afterRev, signal) => inner.watch(prefix, afterRev, signal),
      rev: () => inner.rev(),
      grantLease: (ttl) => inner.grantLease(ttl),
      keepAlive: (lease) => inner.keepAlive(lease),
      revokeLease: (lease) => inner.revokeLease(lease),
      compact: (rev) => inner.compact(rev),
      close: () => inner.close(),
      txn: async (compares, ops) => {
        if (!interfered) {
          interfered = true;
          const cur = await seeded.view().get('services', 's1');
          assert.ok(cur !== undefined);
          await seeded.update((tx) => tx.update('services', cur)); // someone else writes first
        }
        return inner.txn(compares, ops);
      },
    };
    const { rev } = await new Store(racing).update((tx) => tx.delete('services', 's1'));
    assert.ok(interfered);
    assert.equal(rev, 3);
    assert.equal(await seeded.view().get('services', 's1'), undefined);
  });

  it('watches: one array per revision, create/update/remove, removes carry the last value', async () => {
    const store = newStore();
    await store.update((tx) => tx.create('services', aService('s0', 'before'))); // rev 1
    const ac = new AbortController();
    const seen: StoreEvent[][] = [];
    const done = (async () => {
      for await (const events of store.watch(1, ac.signal)) {
        seen.push(events);
        if (seen.length === 3) ac.abort();
      }
    })();
    const svc = aService('s1', 'web');
    await store.update((tx) => {
      tx.create('services', svc);
      tx.create('tasks', aTask('t1', 's1', 1));
    }); // rev 2
    svc.Spec.Name = 'web2';
    await store.update((tx) => tx.update('services', svc)); // rev 3
    await store.update((tx) => tx.delete('services', 's1')); // rev 4
    await done;
    const summary = seen.map((evs) => evs.map((e) => `${e.rev} ${e.action} ${e.kind} v${objVersion(e)}`));
    assert.deepEqual(summary, [
      ['2 create services v2', '2 create tasks v2'],
      ['3 update services v3'],
      ['4 remove services v3'],
    ]);
    const removed = seen[2]?.[0];
    assert.ok(removed?.kind === 'services');
    assert.equal(removed.object.Spec.Name, 'web2', 'a remove carries the last stored value');
  });
});

function objVersion(e: StoreEvent): number | undefined {
  return e.kind === 'networks' ? e.object.Version?.Index : e.object.Version.Index;
}
