import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { backendContract } from '../../../test/contracts/store-backend.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import type { WatchBatch } from '../core/backend.js';
import { openSqliteBackend } from './sqlite-backend.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-sqlite-test-'));
let dbs = 0;
const freshPath = (): string => join(root, `db-${++dbs}`, 'state.db');

/** Process groups of spawned children, killed in after() whatever happened. */
const children = new Set<number>();
after(() => {
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

// A tiny replay page makes every multi-row replay cross page boundaries, including inside one revision.
backendContract('sqlite', async () => {
  const clock = new FakeClock();
  const backend = openSqliteBackend(freshPath(), { clock, replayPageSize: 3 });
  return { backend, clock, cleanup: () => backend.close() };
});

describe('SqliteBackend', () => {
  it('runs in WAL mode with synchronous=FULL and holds the file exclusively', async () => {
    const path = freshPath();
    const backend = openSqliteBackend(path);
    try {
      assert.deepEqual(backend.settings(), { journalMode: 'wal', synchronous: 2, lockingMode: 'exclusive' });
      assert.throws(
        () => openSqliteBackend(path),
        (e: unknown) => isShoalError(e, 'Unavailable') && e.code === 'store.locked',
      );
    } finally {
      await backend.close();
    }
    const again = openSqliteBackend(path);
    await again.close();
  });

  it('reopening keeps data, history, the compaction point and monotonic revisions', async () => {
    const path = freshPath();
    const first = openSqliteBackend(path);
    await first.txn([], [{ type: 'put', key: '/a', value: '1' }]); // 1
    await first.txn(
      [],
      [
        { type: 'put', key: '/a', value: '2' },
        { type: 'put', key: '/b', value: '1' },
      ],
    ); // 2
    await first.txn([], [{ type: 'delete', key: '/b' }]); // 3
    await first.txn([], [{ type: 'put', key: '/c', value: '1' }]); // 4
    await first.compact(2);
    await first.close();
    await assert.rejects(first.rev(), (e: unknown) => isShoalError(e, 'Unavailable') && e.code === 'store.closed');

    const second = openSqliteBackend(path);
    try {
      assert.equal(await second.rev(), 4);
      assert.deepEqual(
        (await second.range('')).kvs.map((kv) => [kv.key, kv.value, kv.createRev, kv.modRev]),
        [
          ['/a', '2', 1, 2],
          ['/c', '1', 4, 4],
        ],
      );
      await assert.rejects(firstBatch(second, 1), (e: unknown) => isShoalError(e, 'FailedPrecondition') && e.code === 'store.compacted');
      const replay = await batches(second, 2, 4);
      assert.deepEqual(
        replay.map((b) => [b.rev, b.events.map((e) => `${e.type} ${e.type === 'put' ? e.kv.key : e.key}`)]),
        [
          [3, ['delete /b']],
          [4, ['put /c']],
        ],
      );
      const r = await second.txn([], [{ type: 'put', key: '/d', value: '1' }]);
      assert.deepEqual(r, { ok: true, rev: 5 });
    } finally {
      await second.close();
    }
  });

  it("expires the previous process's leases on open, all in one revision", async () => {
    const path = freshPath();
    const first = openSqliteBackend(path, { clock: new FakeClock() });
    const l1 = await first.grantLease(60_000);
    const l2 = await first.grantLease(60_000);
    await first.txn(
      [],
      [
        { type: 'put', key: '/node/1', value: 'up', lease: l1 },
        { type: 'put', key: '/node/2', value: 'up', lease: l2 },
        { type: 'put', key: '/plain', value: 'kept' },
      ],
    ); // 1
    await first.close(); // leases are not revoked: as if the process had died

    const second = openSqliteBackend(path, { clock: new FakeClock() });
    try {
      assert.equal(await second.rev(), 2);
      assert.deepEqual((await second.range('')).kvs.map((kv) => kv.key), ['/plain']);
      const [batch] = await batches(second, 1, 2);
      assert.equal(batch?.rev, 2);
      assert.deepEqual(batch?.events.map((e) => `${e.type} ${e.type === 'put' ? e.kv.key : e.key}`).sort(), [
        'delete /node/1',
        'delete /node/2',
      ]);
      await assert.rejects(second.keepAlive(l1), (e: unknown) => isShoalError(e, 'NotFound'));
    } finally {
      await second.close();
    }
  });

  it('keeps every acknowledged write across kill -9, and revisions continue after it', async () => {
    const path = freshPath();
    const fixture = fileURLToPath(new URL('../../../test/store/sqlite-writer.ts', import.meta.url));
    const repo = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, '1000000'], {
      cwd: repo,
      detached: true, // its own process group, killed as a group
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    assert.ok(pid !== undefined, 'the writer started');
    children.add(pid);
    const closed = once(child, 'close');
    closed.catch(() => undefined); // a spawn error surfaces through `enough` below

    const acked: { rev: number; key: string; value: string }[] = [];
    let stderr = '';
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const enough = new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const [rev, key, value] = line.split(' ');
          if (rev === undefined || key === undefined || value === undefined) continue;
          acked.push({ rev: Number(rev), key, value });
        }
        if (acked.length >= 300) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before enough acks: ${stderr}`)));
    });
    await withDeadline(enough, 60_000, 'the writer to acknowledge 300 writes');
    process.kill(-pid, 'SIGKILL');
    const [code, signal] = (await withDeadline(closed, 10_000, 'the writer to die')) as [number | null, string | null];
    children.delete(pid);
    assert.equal(signal, 'SIGKILL', `the writer was killed, not exited (${code})`);
    assert.ok(acked.length >= 300);

    const backend = openSqliteBackend(path);
    try {
      acked.forEach((a, i) => assert.equal(a.rev, i + 1, 'acks are consecutive revisions'));
      for (const a of acked) {
        const kv = await backend.get(a.key);
        assert.equal(kv?.value, a.value, `acked write ${a.key} survived`);
        assert.equal(kv.modRev, a.rev);
      }
      const last = acked[acked.length - 1]?.rev ?? 0;
      const rev = await backend.rev();
      assert.ok(rev >= last, `revision ${rev} is at least the last acked ${last}`);
      assert.deepEqual(await backend.txn([], [{ type: 'put', key: '/after', value: 'x' }]), { ok: true, rev: rev + 1 });
    } finally {
      await backend.close();
    }
  });
});

/** Replay from `afterRev` until revision `until`. */
async function batches(backend: ReturnType<typeof openSqliteBackend>, afterRev: number, until: number): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  for await (const b of backend.watch('', afterRev, AbortSignal.timeout(5000))) {
    out.push(b);
    if (b.rev >= until) break;
  }
  return out;
}

async function firstBatch(backend: ReturnType<typeof openSqliteBackend>, afterRev: number): Promise<WatchBatch | undefined> {
  const ac = new AbortController();
  for await (const b of backend.watch('', afterRev, ac.signal)) return b;
  return undefined;
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
