import assert from 'node:assert/strict';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isShoalError } from '../../../api/errors.js';
import { nullLogger } from '../../../lib/logger.js';
import { REPO_TAGS, WHITEOUT_EXPECTED, saveImages, whiteoutImage } from '../../../../test/fixtures/images/build.js';
import { customArchive } from '../../../../test/fixtures/images/custom.js';
import { hostileLayers } from '../../../../test/fixtures/images/hostile.js';
import { listTree, overlayView } from '../../../../test/fixtures/images/overlay.js';
import { rawTar } from '../../../../test/fixtures/images/raw-tar.js';
import { chainIds } from './digest.js';
import { openImageStore } from './image-store.js';
import type { LocalImageStore } from './image-store.js';
import type { PullProgress } from './store-port.js';

let dir: string;
let n = 0;

async function freshStore(): Promise<LocalImageStore> {
  return openImageStore({ root: join(dir, `store-${n++}`), logger: nullLogger });
}

function layerCount(s: LocalImageStore): number {
  return readdirSync(join(s.root, 'layers')).length;
}

function tmpLeft(s: LocalImageStore): string[] {
  return readdirSync(join(s.root, 'tmp'));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-images-load-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('image load', () => {
  for (const format of ['docker-archive', 'docker-oci', 'oci-layout'] as const) {
    it(`loads a ${format} tarball with four images, storing the shared base layer once`, async () => {
      const archive = await saveImages(['web', 'web-v2', 'misbehave', 'whiteout'], { format });
      const s = await freshStore();
      const events: PullProgress[] = [];
      const t0 = performance.now();
      const loaded = await s.load(archive.path, { onProgress: (p) => events.push(p) });
      const ms = performance.now() - t0;
      assert.deepEqual(
        loaded.map((r) => r.id),
        archive.images.map((i) => i.imageId),
      );
      assert.deepEqual(
        loaded.map((r) => r.repoTags),
        archive.images.map((i) => [`docker.io/${i.repoTag}`]),
      );
      const uniqueChains = new Set(archive.images.flatMap((i) => chainIds(i.diffIds)));
      assert.equal(uniqueChains.size, 7);
      assert.equal(layerCount(s), 7, 'one directory per chain ID');
      const base = archive.images[0]!.diffIds[0]!;
      assert.equal(events.filter((e) => e.status === 'Loading layer' && e.current === 0 && e.id === base.slice(7, 19)).length, 1, 'base layer unpacked once');
      assert.deepEqual(
        events.filter((e) => e.status.startsWith('Loaded image')).map((e) => e.status),
        archive.images.map((i) => `Loaded image: ${i.repoTag}`),
      );
      const web = await s.resolve(REPO_TAGS.web);
      assert.ok(web);
      assert.deepEqual(web.config.Cmd, ['/web.sh']);
      assert.ok(web.size > 1_900_000, `size ${web.size}`);
      const dirs = s.layerDirs(web);
      assert.equal(dirs.length, 2);
      assert.ok(lstatSync(join(dirs[0]!, 'bin/busybox')).isFile());
      assert.equal(lstatSync(join(dirs[0]!, 'tmp')).mode & 0o7777, 0o1777);
      assert.ok(lstatSync(join(dirs[0]!, 'bin/sh')).isSymbolicLink());
      assert.deepEqual(tmpLeft(s), []);
      console.log(`  load ${format}: 4 images, 7 layers in ${ms.toFixed(0)} ms`);
    });
  }

  it('loads a gzip-compressed archive, also from a stream', async () => {
    const archive = await saveImages(['misbehave'], { gzip: true });
    const s = await freshStore();
    const [r] = await s.load(archive.path);
    assert.equal(r?.id, archive.images[0]!.imageId);
    assert.deepEqual(tmpLeft(s), []);
    const s2 = await freshStore();
    const [r2] = await s2.loadStream(createReadStream(archive.path));
    assert.equal(r2?.id, archive.images[0]!.imageId);
    assert.deepEqual(tmpLeft(s2), []);
  });

  it('does not unpack a layer again when it is already stored', async () => {
    const a = await saveImages(['web']);
    const b = await saveImages(['web-v2']);
    const s = await freshStore();
    await s.load(a.path);
    const baseChain = chainIds(a.images[0]!.diffIds)[0]!;
    const baseDir = join(s.root, 'layers', baseChain.slice(7));
    const inode = statSync(baseDir).ino;
    const events: PullProgress[] = [];
    await s.load(b.path, { onProgress: (p) => events.push(p) });
    await s.load(a.path, { onProgress: (p) => events.push(p) });
    assert.equal(statSync(baseDir).ino, inode);
    assert.equal(events.filter((e) => e.id === a.images[0]!.diffIds[0]!.slice(7, 19)).length, 0, 'no Loading layer event for the stored base');
    assert.equal(layerCount(s), 3);
  });

  it('unpacks a layer shared by concurrent loads only once', async () => {
    const a = await saveImages(['web']);
    const b = await saveImages(['web-v2']);
    const c = await saveImages(['misbehave']);
    const s = await freshStore();
    const events: PullProgress[] = [];
    const onProgress = (p: PullProgress): void => void events.push(p);
    const results = await Promise.all([s.load(a.path, { onProgress }), s.load(b.path, { onProgress }), s.load(c.path, { onProgress })]);
    assert.equal(results.flat().length, 3);
    const baseShort = a.images[0]!.diffIds[0]!.slice(7, 19);
    assert.equal(events.filter((e) => e.id === baseShort && e.status === 'Loading layer' && e.current === 0).length, 1);
    assert.equal(layerCount(s), 4);
    assert.deepEqual(tmpLeft(s), []);
  });

  it('stores whiteouts and opaque directories as overlayfs expects', async () => {
    const img = await whiteoutImage();
    const s = await freshStore();
    await s.load(img.path);
    const rec = await s.resolve(REPO_TAGS.whiteout);
    assert.ok(rec);
    const dirs = s.layerDirs(rec);
    assert.equal(dirs.length, 4);
    const wh = lstatSync(join(dirs[2]!, 'data/a'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a 0:0 char device');
    assert.equal(existsSync(join(dirs[2]!, 'data/.wh.a')), false);
    assert.equal(existsSync(join(dirs[3]!, 'data/dir/.wh..wh..opq')), false);
    const view = await overlayView(dirs, ['data/b', 'data/dir/d', 'etc/passwd']);
    for (const p of WHITEOUT_EXPECTED.present) assert.ok(view.paths.includes(p), `${p} present`);
    for (const p of WHITEOUT_EXPECTED.absent) assert.ok(!view.paths.includes(p), `${p} absent`);
    assert.deepEqual(
      view.paths.filter((p) => p.startsWith('data/dir/')),
      WHITEOUT_EXPECTED.dataDirListing.map((x) => `data/dir/${x}`),
    );
    assert.equal(view.files['data/dir/d'], 'd');
    assert.match(view.files['etc/passwd'] ?? '', /^root:x:0:0/);
  });

  it('refuses a layer whose content does not match the config diff ID, storing nothing', async () => {
    const layer = rawTar([{ name: 'file', data: 'hello\n' }]);
    const lie = `sha256:${'1'.repeat(64)}`;
    const a = customArchive(dir, [{ layers: [layer], repoTag: 'liar:1', diffIds: [lie] }]);
    const s = await freshStore();
    await assert.rejects(s.load(a.path), (e) => isShoalError(e) && e.code === 'image.digest_mismatch' && e.message.includes(lie));
    assert.equal(layerCount(s), 0);
    assert.deepEqual(tmpLeft(s), []);
    assert.equal(await s.resolve('liar:1'), undefined);
  });

  it('refuses an OCI layout with a corrupted blob', async () => {
    const layer = rawTar([{ name: 'file', data: 'hello\n' }]);
    const a = customArchive(dir, [{ layers: [layer], repoTag: 'corrupt/oci:1' }], { format: 'oci-layout', name: 'corrupt-oci' });
    // Flip one byte of the layer blob inside the archive: find the gzip magic after the tar headers.
    const buf = (await import('node:fs')).readFileSync(a.path);
    const at = buf.indexOf(Buffer.from([0x1f, 0x8b, 0x08]));
    assert.ok(at > 0);
    buf[at + 20] = buf[at + 20]! ^ 0xff;
    writeFileSync(a.path, buf);
    const s = await freshStore();
    await assert.rejects(s.load(a.path), (e) => isShoalError(e) && e.code === 'image.digest_mismatch' && e.message.includes('filesystem layer verification failed'));
    assert.equal(layerCount(s), 0);
    assert.deepEqual(tmpLeft(s), []);
  });

  it('loads an OCI layout whose names are full references, and a layer tar that is gzip-compressed', async () => {
    const l1 = rawTar([{ name: 'etc/', type: '5' }, { name: 'etc/hello', data: 'hi\n' }]);
    const a = customArchive(dir, [{ layers: [l1], repoTag: 'example.com/team/app:2' }], { format: 'oci-layout', name: 'oci-named' });
    const s = await freshStore();
    const [r] = await s.load(a.path);
    assert.deepEqual(r?.repoTags, ['example.com/team/app:2']);
    const gz = customArchive(dir, [{ layers: [gzipSync(l1)], repoTag: 'gz/layer:1', diffIds: [a.images[0]!.diffIds[0]!] }], { name: 'gz-layer' });
    const [g] = await s.load(gz.path);
    assert.equal(g?.id, r?.id, 'same config, same image');
    assert.deepEqual(g?.repoTags, ['example.com/team/app:2', 'docker.io/gz/layer:1']);
    assert.equal(layerCount(s), 1, 'same diff ID, same layer');
  });

  it('refuses a tarball that is no image archive', async () => {
    const s = await freshStore();
    const p = join(dir, 'not-an-image.tar');
    writeFileSync(p, rawTar([{ name: 'hello.txt', data: 'hi' }]));
    await assert.rejects(s.load(p), (e) => isShoalError(e, 'InvalidArgument') && e.message.includes('no manifest.json or index.json'));
    writeFileSync(p, 'garbage'.repeat(200));
    await assert.rejects(s.load(p), (e) => isShoalError(e, 'InvalidArgument'));
    assert.deepEqual(tmpLeft(s), []);
  });
});

describe('hostile layers', () => {
  let outside: string;
  before(() => {
    outside = join(dir, 'outside');
    mkdirSync(outside);
  });

  for (const c of hostileLayers('/PLACEHOLDER')) {
    it(`refuses ${c.name} and writes nothing outside the store`, async () => {
      const layers = hostileLayers(outside).find((x) => x.name === c.name)!;
      const a = customArchive(dir, [{ layers: [layers.layer], repoTag: 'hostile:1' }]);
      const s = await freshStore();
      const before = listTree(dir).filter((p) => !p.startsWith('store-'));
      await assert.rejects(s.load(a.path), (e) => {
        assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
        assert.equal(e.code, 'image.layer_unsafe', e.message);
        return true;
      });
      assert.deepEqual(readdirSync(outside), [], 'nothing written to the watched dir');
      assert.deepEqual(
        listTree(dir).filter((p) => !p.startsWith('store-')),
        before,
        'nothing written next to the store',
      );
      assert.equal(layerCount(s), 0);
      assert.deepEqual(tmpLeft(s), []);
      assert.deepEqual(await s.list(), []);
      assert.equal(existsSync('/etc/evil-null'), false);
    });
  }

  it('accepts absolute symlinks that nothing is written through', async () => {
    const layer = rawTar([
      { name: 'etc/', type: '5' },
      { name: 'etc/mtab', type: '2', linkname: '/proc/mounts' },
      { name: 'bin/', type: '5' },
      { name: 'bin/sh', type: '2', linkname: '/bin/busybox' },
      { name: 'up', type: '2', linkname: '../../../../..' },
      { name: 'bin/busybox', data: 'x' },
      { name: 'bin/hard', type: '1', linkname: 'bin/busybox' },
    ]);
    const a = customArchive(dir, [{ layers: [layer], repoTag: 'links:1' }]);
    const s = await freshStore();
    const [r] = await s.load(a.path);
    assert.ok(r);
    const [fs] = s.layerDirs(r);
    assert.equal(lstatSync(join(fs!, 'etc/mtab')).isSymbolicLink(), true);
    assert.equal(statSync(join(fs!, 'bin/hard')).ino, statSync(join(fs!, 'bin/busybox')).ino);
  });
});
