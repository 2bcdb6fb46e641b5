import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { nullLogger } from '../../../lib/logger.js';
import { saveImages } from '../../../../test/fixtures/images/build.js';
import type { BuiltArchive } from '../../../../test/fixtures/images/build.js';
import { chainIds, shortId } from './digest.js';
import { openImageStore } from './image-store.js';
import type { LocalImageStore } from './image-store.js';
import type { ImageUse } from './store-port.js';

const REPO = resolve(import.meta.dirname, '../../../..');
let dir: string;
let archive: BuiltArchive;
let n = 0;
let root: string;
let s: LocalImageStore;
let web: { id: string; diffIds: string[] };
let mis: { id: string; diffIds: string[] };

const CID = 'c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789';
const unused = (): undefined => undefined;

function errorWith(kind: string, message: string | RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.kind, kind, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-images-store-'));
  archive = await saveImages(['web', 'misbehave']);
  web = { id: archive.images[0]!.imageId, diffIds: archive.images[0]!.diffIds };
  mis = { id: archive.images[1]!.imageId, diffIds: archive.images[1]!.diffIds };
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  root = join(dir, `store-${n++}`);
  s = await openImageStore({ root, logger: nullLogger });
  await s.load(archive.path);
});

describe('image store: resolve', () => {
  it('finds an image by tag, normalized name, full ID, sha256 ID, short ID and ID prefix', async () => {
    const hex = web.id.slice(7);
    for (const ref of ['shoal-test/web:1', 'docker.io/shoal-test/web:1', web.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 10)}`, hex.slice(0, 4)]) {
      assert.equal((await s.resolve(ref))?.id, web.id, ref);
    }
    assert.deepEqual((await s.resolve('shoal-test/web:1'))?.repoTags, ['docker.io/shoal-test/web:1']);
  });

  it('returns undefined for an unknown image and throws for an invalid reference', async () => {
    assert.equal(await s.resolve('shoal-test/web'), undefined, 'the tag is 1, not latest');
    assert.equal(await s.resolve('nope'), undefined);
    assert.equal(await s.resolve(`sha256:${'0'.repeat(64)}`), undefined);
    await assert.rejects(s.resolve('shoal-test/Web:1'), errorWith('InvalidArgument', 'invalid reference format: repository name (shoal-test/Web) must be lowercase'));
    await assert.rejects(s.resolve('web:'), errorWith('InvalidArgument', 'invalid reference format'));
  });

  it('lists images newest first with their records', async () => {
    const l = await s.list();
    assert.deepEqual(l.map((r) => r.id).sort(), [web.id, mis.id].sort());
    const w = l.find((r) => r.id === web.id)!;
    assert.equal(w.os, 'linux');
    assert.deepEqual(w.diffIds, web.diffIds);
    assert.deepEqual((w.rawConfig as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, web.diffIds);
    assert.deepEqual(w.config.ExposedPorts, { '80/tcp': {} });
  });
});

describe('image store: tag', () => {
  it('tags, moves a tag between images, and refuses digest tags', async () => {
    await s.tag('shoal-test/web:1', 'mine');
    assert.equal((await s.resolve('mine:latest'))?.id, web.id);
    assert.deepEqual((await s.resolve(web.id))?.repoTags, ['docker.io/shoal-test/web:1', 'docker.io/library/mine:latest']);
    await s.tag(shortId(mis.id), 'mine');
    assert.equal((await s.resolve('mine'))?.id, mis.id);
    assert.deepEqual((await s.resolve(web.id))?.repoTags, ['docker.io/shoal-test/web:1']);
    await s.tag(web.id, '127.0.0.1:5000/web:2');
    assert.equal((await s.resolve('127.0.0.1:5000/web:2'))?.id, web.id);
    await assert.rejects(s.tag('nope', 'x'), errorWith('NotFound', 'No such image: nope:latest'));
    await assert.rejects(s.tag(web.id, `x@sha256:${'a'.repeat(64)}`), errorWith('InvalidArgument', 'refusing to create a tag with a digest reference'));
    await assert.rejects(s.tag(web.id, 'sha256:abc'), errorWith('InvalidArgument', 'refusing to create an ambiguous tag using digest algorithm as name'));
    await assert.rejects(s.tag(web.id, 'Bad'), errorWith('InvalidArgument', /must be lowercase/));
  });
});

describe('image store: remove', () => {
  it('untags when other tags remain, then deletes with the last tag, reporting removed layers top first', async () => {
    await s.tag('shoal-test/web:1', 'other/web:x');
    assert.deepEqual(await s.remove('other/web:x', {}), [{ Untagged: 'other/web:x' }]);
    const chains = chainIds(web.diffIds);
    const out = await s.remove('shoal-test/web:1', { inUse: unused });
    // The base layer is shared with misbehave, so only the web layer goes.
    assert.deepEqual(out, [{ Untagged: 'shoal-test/web:1' }, { Deleted: web.id }, { Deleted: chains[1]! }]);
    assert.equal(await s.resolve(web.id), undefined);
    assert.equal(existsSync(join(root, 'layers', chains[1]!.slice(7))), false);
    assert.equal(existsSync(join(root, 'layers', chains[0]!.slice(7))), true);
    const mout = await s.remove('shoal-test/misbehave:1', {});
    const mchains = chainIds(mis.diffIds);
    assert.deepEqual(mout, [{ Untagged: 'shoal-test/misbehave:1' }, { Deleted: mis.id }, { Deleted: mchains[1]! }, { Deleted: mchains[0]! }]);
    assert.deepEqual(readdirSync(join(root, 'layers')), []);
    assert.deepEqual(readdirSync(join(root, 'blobs/sha256')), []);
  });

  it('refuses to delete by ID an image referenced in several repositories unless forced', async () => {
    await s.tag(web.id, 'other/web:x');
    await assert.rejects(
      s.remove(shortId(web.id), {}),
      errorWith('Conflict', `conflict: unable to delete ${shortId(web.id)} (must be forced) - image is referenced in multiple repositories`),
    );
    const out = await s.remove(shortId(web.id), { force: true });
    assert.deepEqual(out.slice(0, 3), [{ Untagged: 'shoal-test/web:1' }, { Untagged: 'other/web:x' }, { Deleted: web.id }]);
  });

  it('deletes by ID an image with one tag', async () => {
    const out = await s.remove(web.id, {});
    assert.deepEqual(out.slice(0, 2), [{ Untagged: 'shoal-test/web:1' }, { Deleted: web.id }]);
  });

  it('refuses to untag the only reference of an image a container uses, unless forced', async () => {
    const stopped = (id: string): ImageUse | undefined => (id === web.id ? { containerId: CID, running: false } : undefined);
    await assert.rejects(
      s.remove('shoal-test/web:1', { inUse: stopped }),
      errorWith('Conflict', `conflict: unable to remove repository reference "shoal-test/web:1" (must force) - container ${CID.slice(0, 12)} is using its referenced image ${shortId(web.id)}`),
    );
    await assert.rejects(
      s.remove(web.id, { inUse: stopped }),
      errorWith('Conflict', `conflict: unable to delete ${shortId(web.id)} (must be forced) - image is being used by stopped container ${CID.slice(0, 12)}`),
    );
    // Forced: the image is deleted, but kept for the container (resolvable by full ID, layers in place).
    const out = await s.remove('shoal-test/web:1', { force: true, inUse: stopped });
    assert.deepEqual(out, [{ Untagged: 'shoal-test/web:1' }, { Deleted: web.id }]);
    assert.deepEqual(
      (await s.list()).map((r) => r.id),
      [mis.id],
    );
    assert.equal(await s.resolve(shortId(web.id)), undefined);
    const kept = await s.resolve(web.id);
    assert.ok(kept);
    for (const d of s.layerDirs(kept)) assert.ok(existsSync(d), d);
    // Survives a restart.
    const again = await openImageStore({ root, logger: nullLogger });
    assert.ok(await again.resolve(web.id));
    // Once the container is gone, prune drops it and its layers.
    const pr = await again.prune({ inUse: unused });
    assert.deepEqual(pr.deleted, [{ Deleted: chainIds(web.diffIds)[1]! }]);
    assert.ok(pr.spaceReclaimed > 0);
    assert.equal(await again.resolve(web.id), undefined);
  });

  it('never deletes an image a running container uses; force only untags it', async () => {
    const running = (id: string): ImageUse | undefined => (id === web.id ? { containerId: CID, running: true } : undefined);
    await assert.rejects(
      s.remove(web.id, { force: true, inUse: running }),
      errorWith('Conflict', `conflict: unable to delete ${shortId(web.id)} (cannot be forced) - image is being used by running container ${CID.slice(0, 12)}`),
    );
    assert.deepEqual(await s.remove('shoal-test/web:1', { force: true, inUse: running }), [{ Untagged: 'shoal-test/web:1' }]);
    const dangling = (await s.list()).find((r) => r.id === web.id);
    assert.deepEqual(dangling?.repoTags, []);
    // A dangling image in use survives prune...
    assert.deepEqual((await s.prune({ inUse: running })).deleted, []);
    // ...and goes once unused.
    const pr = await s.prune({ inUse: unused });
    assert.deepEqual(pr.deleted, [{ Deleted: web.id }, { Deleted: chainIds(web.diffIds)[1]! }]);
  });

  it('accepts a plain boolean from inUse', async () => {
    await assert.rejects(
      s.remove('shoal-test/web:1', { inUse: (id) => id === web.id }),
      errorWith('Conflict', `conflict: unable to remove repository reference "shoal-test/web:1" (must force) - a container is using its referenced image ${shortId(web.id)}`),
    );
  });

  it('says No such image, as docker does', async () => {
    await assert.rejects(s.remove('nope', {}), errorWith('NotFound', 'No such image: nope:latest'));
    await assert.rejects(s.remove('shoal-test/web:2', {}), errorWith('NotFound', 'No such image: shoal-test/web:2'));
    await assert.rejects(s.remove(`sha256:${'0'.repeat(64)}`, {}), errorWith('NotFound', `No such image: sha256:${'0'.repeat(64)}`));
    await assert.rejects(s.remove('NOPE', {}), errorWith('InvalidArgument', /invalid reference format/));
  });
});

describe('image store: prune', () => {
  it('removes dangling images by default and every unused image with all', async () => {
    assert.deepEqual(await s.prune({ inUse: unused }), { deleted: [], spaceReclaimed: 0 });
    // Make web dangling by moving its only tag away.
    await s.tag(mis.id, 'shoal-test/web:1');
    const pr = await s.prune({ inUse: unused });
    assert.deepEqual(pr.deleted, [{ Deleted: web.id }, { Deleted: chainIds(web.diffIds)[1]! }]);
    const all = await s.prune({ all: true, inUse: (id) => (id === mis.id ? { containerId: CID, running: true } : undefined) });
    assert.deepEqual(all.deleted, []);
    const all2 = await s.prune({ all: true, inUse: unused });
    assert.deepEqual(all2.deleted.slice(0, 3), [{ Untagged: 'shoal-test/misbehave:1' }, { Untagged: 'shoal-test/web:1' }, { Deleted: mis.id }]);
    assert.ok(all2.spaceReclaimed > 1_900_000, String(all2.spaceReclaimed));
    assert.deepEqual(await s.list(), []);
  });
});

describe('image store: persistence', () => {
  it('keeps images and tags across reopen', async () => {
    await s.tag(web.id, 'kept:1');
    await s.remove('shoal-test/misbehave:1', {});
    const again = await openImageStore({ root, logger: nullLogger });
    assert.deepEqual(
      (await again.list()).map((r) => [r.id, r.repoTags]),
      [[web.id, ['docker.io/shoal-test/web:1', 'docker.io/library/kept:1']]],
    );
    const rec = await again.resolve('kept:1');
    assert.ok(rec);
    for (const d of again.layerDirs(rec)) assert.ok(existsSync(join(d, '..', 'layer.json')));
  });

  it('is consistent after a kill -9 in the middle of a load', async () => {
    const big = await saveImages(['web', 'web-v2', 'misbehave', 'whiteout']);
    const crashRoot = join(dir, `crash-${n++}`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/fixtures/images/load-child.ts'), crashRoot, big.path], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      // Kill once the second image's app layer is being unpacked: one image recorded, one in flight.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no progress from the child within 20 s:\n${out}\n${err}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split('\n').filter((l) => l.includes('Loaded image')).length >= 1 && out.includes(big.images[1]!.diffIds[1]!.slice(7, 19))) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`child exited early:\n${out}\n${err}`));
        });
      });
    } finally {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
    const again = await openImageStore({ root: crashRoot, logger: nullLogger });
    assert.deepEqual(readdirSync(join(crashRoot, 'tmp')), []);
    const ids = (await again.list()).map((r) => r.id);
    assert.ok(ids.includes(big.images[0]!.imageId), 'the image loaded before the kill is there');
    const kept = new Set((await again.list()).flatMap((r) => chainIds(r.diffIds).map((c) => c.slice(7))));
    assert.deepEqual(readdirSync(join(crashRoot, 'layers')).sort(), [...kept].sort(), 'no layer without an image');
    for (const r of await again.list()) for (const d of again.layerDirs(r)) assert.ok(existsSync(join(d, '..', 'layer.json')));
    // Loading again completes what the crash interrupted.
    assert.equal((await again.load(big.path)).length, 4);
  });

  it('cleans what a crash left behind at open', async () => {
    mkdirSync(join(root, 'tmp', 'layer-deadbeef', 'fs'), { recursive: true });
    const orphan = join(root, 'layers', 'f'.repeat(64));
    mkdirSync(join(orphan, 'fs'), { recursive: true });
    writeFileSync(join(orphan, 'layer.json'), JSON.stringify({ chainId: `sha256:${'f'.repeat(64)}`, diffId: `sha256:${'f'.repeat(64)}`, size: 0 }));
    writeFileSync(join(root, 'blobs/sha256', 'e'.repeat(64)), 'junk');
    // A layer of misbehave vanishes: the image is dropped, web stays.
    rmSync(join(root, 'layers', chainIds(mis.diffIds)[1]!.slice(7)), { recursive: true });
    const again = await openImageStore({ root, logger: nullLogger });
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(existsSync(orphan), false);
    assert.equal(existsSync(join(root, 'blobs/sha256', 'e'.repeat(64))), false);
    assert.deepEqual(
      (await again.list()).map((r) => r.id),
      [web.id],
    );
  });
});
