import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { mountsUnder, parseMountinfo } from './mountinfo.js';
import { planOverlay } from './overlay-plan.js';

const layer = (i: number): string => `/var/lib/shoal/images/layers/sha256/${i.toString(16).padStart(64, '0')}/diff`;
const base = { upper: '/run/c/upper', work: '/run/c/work', linkDir: '/run/c/l' };

describe('planOverlay', () => {
  it('lists the top layer first and the lowest last', () => {
    const p = planOverlay({ ...base, layers: ['/img/base', '/img/mid', '/img/top'] });
    assert.equal(p.strategy, 'absolute');
    assert.equal(p.options, 'lowerdir=/img/top:/img/mid:/img/base,upperdir=/run/c/upper,workdir=/run/c/work');
    assert.equal(p.cwd, undefined);
  });

  it('switches to paths relative to the common parent when absolute paths overflow the page', () => {
    const layers = Array.from({ length: 45 }, (_, i) => layer(i));
    const p = planOverlay({ ...base, layers });
    assert.equal(p.strategy, 'relative');
    assert.equal(p.cwd, '/var/lib/shoal/images/layers/sha256');
    assert.ok(p.options.startsWith(`lowerdir=${(44).toString(16).padStart(64, '0')}/diff:`));
    assert.ok(p.options.includes(`:${'0'.repeat(64)}/diff,upperdir=`));
    assert.ok(Buffer.byteLength(p.options) <= 4095);
  });

  it('uses short links for very deep images, still lowest last', () => {
    const layers = Array.from({ length: 120 }, (_, i) => layer(i));
    const p = planOverlay({ ...base, layers });
    assert.equal(p.strategy, 'links');
    assert.equal(p.cwd, '/run/c/l');
    assert.equal(p.links.length, 120);
    assert.ok(p.options.startsWith('lowerdir=3b:3a:39:'));
    assert.ok(p.options.includes(':1:0,upperdir=/run/c/upper'));
    assert.deepEqual(p.links.find((l) => l.path === '/run/c/l/0'), { path: '/run/c/l/0', target: layer(0) });
    assert.deepEqual(p.links.find((l) => l.path === '/run/c/l/3b'), { path: '/run/c/l/3b', target: layer(119) });
  });

  it('respects the page size it is given (4095 bytes of data on 4 KiB pages)', () => {
    const layers = ['/a'.padEnd(4080, 'x')];
    assert.equal(planOverlay({ ...base, layers, pageSize: 65536 }).strategy, 'absolute');
    assert.equal(planOverlay({ ...base, layers }).strategy, 'links');
  });

  it('refuses no layers, relative paths and separators', () => {
    const invalid = (e: unknown): boolean => isShoalError(e, 'InvalidArgument');
    assert.throws(() => planOverlay({ ...base, layers: [] }), invalid);
    assert.throws(() => planOverlay({ ...base, layers: ['rel/dir'] }), invalid);
    assert.throws(() => planOverlay({ ...base, layers: ['/a:b'] }), invalid);
    assert.throws(() => planOverlay({ ...base, layers: ['/a,b'] }), invalid);
  });
});

describe('mountinfo', () => {
  const text = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '103 27 0:39 / /run/c/rootfs rw,relatime - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c',
    '104 103 0:40 / /run/c/rootfs/dev rw - tmpfs tmpfs rw',
    '105 27 0:41 / /run/c/root\\040fs rw - tmpfs tmp\\040fs rw',
    '106 27 0:42 / /run/cc rw - tmpfs tmpfs rw',
  ].join('\n');

  it('parses entries and unescapes paths', () => {
    const m = parseMountinfo(text);
    assert.equal(m.length, 5);
    assert.deepEqual(m[1], { id: 103, parent: 27, mountPoint: '/run/c/rootfs', options: 'rw,relatime', fsType: 'overlay', source: 'overlay', superOptions: 'rw,lowerdir=/a,upperdir=/b,workdir=/c' });
    assert.equal(m[3]?.mountPoint, '/run/c/root fs');
    assert.equal(m[3]?.source, 'tmp fs');
  });

  it('finds mounts under a directory, deepest first', () => {
    assert.deepEqual(
      mountsUnder(parseMountinfo(text), '/run/c/rootfs').map((e) => e.mountPoint),
      ['/run/c/rootfs/dev', '/run/c/rootfs'],
    );
    assert.deepEqual(mountsUnder(parseMountinfo(text), '/run/c').map((e) => e.id), [104, 105, 103]);
  });
});
