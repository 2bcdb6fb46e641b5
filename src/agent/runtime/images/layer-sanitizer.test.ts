import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zstdAvailable } from '../../../../test/fixtures/images/tools.js';
import { rawTar } from '../../../../test/fixtures/images/raw-tar.js';
import { listTree } from '../../../../test/fixtures/images/overlay.js';
import { sha256Digest } from './digest.js';
import { parseWwwAuthenticate } from './www-authenticate.js';
import { unpackLayer } from './unpack.js';
import type { UnpackResult } from './unpack.js';

let dir: string;
let n = 0;

async function unpack(data: Buffer): Promise<{ fs: string; r: UnpackResult }> {
  const fs = join(dir, `fs-${n++}`);
  mkdirSync(fs);
  const r = await unpackLayer((async function* () {
    yield data;
  })(), fs);
  return { fs, r };
}

/** The pax records GNU tar writes for `name` when archiving it with its xattrs. */
function xattrsOf(root: string, name: string): string {
  return execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--format=posix', '-cf', '-', '-C', root, name]).toString('latin1');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-images-sanitize-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('layer unpacking', () => {
  it('round-trips what GNU tar archives: long names, long symlinks, odd bytes, big IDs, hard links', async () => {
    const src = join(dir, 'src');
    const long = Array.from({ length: 6 }, (_, i) => `directory-level-${i}-${'x'.repeat(40)}`).join('/');
    mkdirSync(join(src, long), { recursive: true });
    writeFileSync(join(src, long, 'file-with-a-rather-long-name-to-need-pax-or-prefix.txt'), 'deep\n');
    writeFileSync(join(src, 'ünïcødé name with spaces'), 'u\n');
    symlinkSync(`../${long}/file-with-a-rather-long-name-to-need-pax-or-prefix.txt`.padStart(10), join(src, 'link-to-deep'));
    writeFileSync(join(src, 'big-owner'), 'o\n');
    execFileSync('chown', ['3000000:4000000', join(src, 'big-owner')]);
    execFileSync('ln', [join(src, 'big-owner'), join(src, 'hard')]);
    const tarFile = join(dir, 'src.tar');
    execFileSync('tar', ['--format=posix', '-cf', tarFile, '-C', src, '.']);
    const data = readFileSync(tarFile);
    const { fs, r } = await unpack(data);
    assert.equal(r.diffId, sha256Digest(data));
    assert.equal(r.compressedDigest, r.diffId, 'uncompressed: both digests are the same bytes');
    assert.deepEqual(listTree(fs), listTree(src));
    assert.equal(readFileSync(join(fs, long, 'file-with-a-rather-long-name-to-need-pax-or-prefix.txt'), 'utf8'), 'deep\n');
    assert.equal(readlinkSync(join(fs, 'link-to-deep')), readlinkSync(join(src, 'link-to-deep')));
    const st = lstatSync(join(fs, 'big-owner'));
    assert.equal(st.uid, 3000000);
    assert.equal(st.gid, 4000000);
    assert.equal(lstatSync(join(fs, 'hard')).ino, st.ino);
    assert.equal(r.stats.size, 'deep\nu\no\n'.length);
  });

  it('keeps file capabilities and user xattrs, drops forged overlay metadata', async () => {
    const data = rawTar([
      { name: 'dir/', type: '5', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
      { name: 'dir/file', data: 'x', pax: { 'SCHILY.xattr.user.note': 'kept', 'SCHILY.xattr.user.overlay.origin': 'dropped' } },
    ]);
    const { fs } = await unpack(data);
    assert.doesNotMatch(xattrsOf(fs, 'dir'), /trusted\.overlay/);
    const f = xattrsOf(fs, 'dir/file');
    assert.match(f, /SCHILY\.xattr\.user\.note=kept/);
    assert.doesNotMatch(f, /user\.overlay/);
  });

  it('turns whiteouts into overlay whiteouts and drops aufs metadata', async () => {
    const data = rawTar([
      { name: 'a/', type: '5', mode: 0o750, uid: 7 },
      { name: 'a/.wh..wh..opq' },
      { name: 'a/.wh.gone' },
      { name: '.wh..wh.plnk/', type: '5' },
      { name: '.wh..wh.plnk/123.456', data: '' },
      { name: '.wh.top' },
    ]);
    const { fs, r } = await unpack(data);
    assert.deepEqual(listTree(fs), ['a', 'a/gone', 'top']);
    assert.ok(lstatSync(join(fs, 'a/gone')).isCharacterDevice());
    assert.ok(lstatSync(join(fs, 'top')).isCharacterDevice());
    const a = lstatSync(join(fs, 'a'));
    assert.equal(a.mode & 0o7777, 0o750, 'the opaque dir keeps its own mode and owner');
    assert.equal(a.uid, 7);
    assert.match(xattrsOf(fs, 'a'), /SCHILY\.xattr\.trusted\.overlay\.opaque=y/);
    assert.deepEqual({ whiteouts: r.stats.whiteouts, opaqueDirs: r.stats.opaqueDirs }, { whiteouts: 2, opaqueDirs: 1 });
  });

  it('lets an entry of the same layer win over its whiteout, whatever the order', async () => {
    const data = rawTar([
      { name: '.wh.x' },
      { name: 'x/', type: '5' },
      { name: 'x/y', data: 'y' },
      { name: 'f', data: 'f' },
      { name: '.wh.f' },
      { name: 'd/', type: '5' },
      { name: 'd/.wh.gone' },
    ]);
    const { fs, r } = await unpack(data);
    assert.deepEqual(listTree(fs), ['d', 'd/gone', 'f', 'x', 'x/y']);
    assert.ok(lstatSync(join(fs, 'x')).isDirectory());
    assert.ok(lstatSync(join(fs, 'f')).isFile());
    assert.ok(lstatSync(join(fs, 'd/gone')).isCharacterDevice());
    assert.equal(r.stats.whiteouts, 1);
  });

  it('unpacks gzip and zstd layers', async () => {
    const data = rawTar([{ name: 'hello', data: 'hi\n' }]);
    const gz = await unpack(execFileSync('gzip', ['-c'], { input: data }));
    assert.equal(gz.r.diffId, sha256Digest(data));
    assert.equal(readFileSync(join(gz.fs, 'hello'), 'utf8'), 'hi\n');
    assert.ok(zstdAvailable(), 'zstd is required (scripts/setup.sh installs it)');
    const zs = await unpack(execFileSync('zstd', ['-c', '-q'], { input: data }));
    assert.equal(zs.r.diffId, sha256Digest(data));
  });

  it('refuses a truncated stream', async () => {
    const data = rawTar([{ name: 'big', data: 'x'.repeat(5000) }]).subarray(0, 2048);
    await assert.rejects(unpack(data), (e: Error) => /unexpected end of archive/.test(e.message));
  });
});

describe('WWW-Authenticate', () => {
  it('parses bearer and basic challenges', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="a", Bearer realm="b",service=s'), [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b', service: 's' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate(null), []);
  });
});
