/** Real overlay mounts (root only): layer order, deep images, and nothing left after unmount or a failed mount. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { hasMountsUnder, mountRootfs, unmountRootfs } from './overlay.js';

const isRoot = process.getuid?.() === 0;

describe('overlay root filesystem (real mounts)', () => {
  it('runs as root', () => assert.ok(isRoot, 'real mounts need root'));
  let scratch = '';
  const layers: string[] = [];

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'shoal-rootfs-test-'));
    for (let i = 0; i < 120; i++) {
      const d = join(scratch, 'store', 'sha256', i.toString(16).padStart(64, '0'), 'diff');
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'who'), `layer ${i}\n`);
      await writeFile(join(d, `only-${i}`), '');
    }
    for (let i = 0; i < 120; i++) layers.push(join(scratch, 'store', 'sha256', i.toString(16).padStart(64, '0'), 'diff'));
  });

  after(async () => {
    if (scratch === '') return;
    for (const c of ['c1', 'c2', 'c3', 'c4']) await unmountRootfs(join(scratch, c)).catch(() => undefined);
    if (!(await hasMountsUnder(scratch))) await rm(scratch, { recursive: true, force: true });
  });

  for (const [name, count] of [['c1', 3], ['c2', 45], ['c3', 120]] as const) {
    it(`mounts ${count} layers with the top layer winning, then cleans up`, async () => {
      const dir = join(scratch, name);
      const layout = await mountRootfs({ layers: layers.slice(0, count), dir });
      assert.equal(await readFile(join(layout.rootfs, 'who'), 'utf8'), `layer ${count - 1}\n`);
      assert.ok(existsSync(join(layout.rootfs, 'only-0')));
      await writeFile(join(layout.rootfs, 'new'), 'x');
      assert.ok(existsSync(join(layout.upper, 'new')), 'writes land in the upper dir');
      assert.ok(!existsSync(join(layers[0] ?? '', 'new')), 'layers stay untouched');
      assert.ok(!existsSync(layout.links), 'short links are gone once mounted');
      await unmountRootfs(dir);
      assert.equal(await hasMountsUnder(dir), false);
      assert.deepEqual(await readdir(dir), []);
      await unmountRootfs(dir);
    });
  }

  it('leaves nothing behind when a layer is missing', async () => {
    const dir = join(scratch, 'c4');
    await assert.rejects(mountRootfs({ layers: [layers[0] ?? '', join(scratch, 'nope')], dir }), (e: unknown) => isShoalError(e, 'InvalidArgument'));
    assert.equal(await hasMountsUnder(dir), false);
    assert.ok(!existsSync(join(dir, 'rootfs')));
  });
});
