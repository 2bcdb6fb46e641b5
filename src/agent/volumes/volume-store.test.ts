/**
 * VolumeStore on the real kernel (root): metadata on disk, docker's create/list/remove/prune semantics, refcounts by
 * containers, and tmpfs/bind volumes mounted at `_data` while a container runs. Each case uses its own directory
 * under a unique prefix; every mount under it is undone in `after`, even on failure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { nullLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import { mountsUnder, readMountinfo } from '../runtime/rootfs/index.js';
import { ANONYMOUS_LABEL, VolumeStore } from './index.js';
import { planVolumeMount } from './options.js';

const ROOT = join(tmpdir(), `shltest-volumes-${randomBytes(4).toString('hex')}`);
let n = 0;
const clock = { now: () => Date.parse('2024-05-06T07:08:09.123Z'), sleep: () => Promise.resolve() } as never;

function aStore(dir = join(ROOT, `s${++n}`)): VolumeStore {
  return new VolumeStore({ root: dir, clock, random: seededRandom(n), logger: nullLogger });
}

async function mountedAt(path: string): Promise<string | undefined> {
  return (await readMountinfo()).find((m) => m.mountPoint === path)?.fsType;
}

after(async () => {
  for (const m of mountsUnder(await readMountinfo(), ROOT)) await import('./mount-ops.js').then((o) => o.unmountAll(m.mountPoint)).catch(() => undefined);
  if (mountsUnder(await readMountinfo(), ROOT).length === 0) rmSync(ROOT, { recursive: true, force: true });
});

describe('local driver options', () => {
  it('accepts tmpfs and bind, refuses other types and unknown or incomplete options, naming them', () => {
    assert.deepEqual(planVolumeMount('v', undefined), { kind: 'directory' });
    assert.deepEqual(planVolumeMount('v', { type: 'tmpfs', device: 'tmpfs', o: 'size=64m,uid=1000' }), { kind: 'tmpfs', device: 'tmpfs', options: 'size=64m,uid=1000' });
    assert.deepEqual(planVolumeMount('v', { type: 'none', o: 'bind', device: '/srv' }), { kind: 'bind', device: '/srv', options: 'bind' });
    assert.throws(() => planVolumeMount('v', { type: 'nfs', device: ':/x', o: 'addr=1.2.3.4' }), /create v: volume type "nfs" is not supported/);
    assert.throws(() => planVolumeMount('v', { foo: 'bar' }), /create v: invalid option: "foo"/);
    assert.throws(() => planVolumeMount('v', { type: 'tmpfs' }), /missing required option: "device"/);
    assert.throws(() => planVolumeMount('v', { type: 'none', device: '/srv', o: 'ro' }), /needs "o=bind"/);
    assert.throws(() => planVolumeMount('v', { type: 'none', device: 'srv', o: 'bind' }), /absolute host path/);
  });
});

describe('VolumeStore', () => {
  it('creates with docker semantics: random name, same name returns the existing one, other drivers refused', () => {
    const s = aStore();
    const a = s.create({ Name: 'data', Labels: { team: 'a' } });
    assert.deepEqual(a, { CreatedAt: '2024-05-06T07:08:09Z', Driver: 'local', Labels: { team: 'a' }, Mountpoint: s.dataDir('data'), Name: 'data', Options: null, Scope: 'local' });
    assert.ok(existsSync(s.dataDir('data')));
    assert.deepEqual(s.create({ Name: 'data', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } }), a);
    const anon = s.create({});
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.throws(() => s.create({ Name: 'x1', Driver: 'nfs' }), (e) => isShoalError(e, 'NotFound') && /plugin "nfs" not found/.test(e.message));
    assert.throws(() => s.create({ Name: 'bad/name' }), /includes invalid characters/);
    assert.throws(() => s.create({ Name: 'o1', DriverOpts: { type: 'ext4', device: '/dev/sda' } }), /not supported/);
    assert.throws(() => s.create({ Labels: 'x' }), /Labels: expected an object of strings/);
    assert.equal(existsSync(join(s.dataDir('o1'), '..')), false, 'a refused create leaves nothing');
    assert.throws(() => s.inspect('nope'), (e) => isShoalError(e, 'NotFound') && e.message === 'get nope: no such volume');
  });

  it('persists metadata across a restart and adopts a bare _data directory', () => {
    const dir = join(ROOT, `s${++n}`);
    const s = aStore(dir);
    s.create({ Name: 'keep', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' }, Labels: { a: 'b' } });
    mkdirSync(join(dir, 'legacy', '_data'), { recursive: true });
    const again = aStore(dir);
    assert.deepEqual(again.inspect('keep'), s.inspect('keep'));
    assert.equal(again.inspect('legacy').Options, null);
    assert.deepEqual(again.list(Filters.empty()).map((v) => v.Name), ['keep', 'legacy']);
  });

  it('lists with name, label, driver and dangling filters; refuses unknown filters', () => {
    const s = aStore();
    s.create({ Name: 'web-data', Labels: { app: 'web' } });
    s.create({ Name: 'db-data', Labels: { app: 'db' } });
    s.reference('c1', [{ name: 'db-data', anonymous: false }]);
    const names = (f: Record<string, string[]>): string[] => s.list(Filters.of(f)).map((v) => v.Name);
    assert.deepEqual(names({}), ['db-data', 'web-data']);
    assert.deepEqual(names({ name: ['web'] }), ['web-data']);
    assert.deepEqual(names({ label: ['app=db'] }), ['db-data']);
    assert.deepEqual(names({ dangling: ['true'] }), ['web-data']);
    assert.deepEqual(names({ dangling: ['false'] }), ['db-data']);
    assert.deepEqual(names({ driver: ['other'] }), []);
    assert.throws(() => s.list(Filters.of({ colour: ['x'] })), /invalid filter 'colour'/);
  });

  it('refuses to remove a volume in use, naming the containers; force ignores a missing one', async () => {
    const s = aStore();
    s.reference('c1', [{ name: 'busy', anonymous: false }]);
    s.reference('c2', [{ name: 'busy', anonymous: false }]);
    await assert.rejects(s.remove('busy'), (e) => isShoalError(e, 'Conflict') && e.message === 'remove busy: volume is in use - [c1 c2]');
    await assert.rejects(s.remove('busy', { force: true }), /volume is in use/);
    await s.release('c1', { removeAnonymous: true });
    await s.release('c2', { removeAnonymous: true });
    assert.equal(s.inspect('busy').Name, 'busy', 'a named volume outlives its containers');
    await s.remove('busy');
    assert.equal(existsSync(join(s.dataDir('busy'), '..')), false);
    await s.remove('busy', { force: true });
    await assert.rejects(s.remove('busy'), /get busy: no such volume/);
  });

  it('prunes unused anonymous volumes, or all unused ones with all=true, honouring label filters', async () => {
    const s = aStore();
    s.reference('c1', [{ name: 'anon1', anonymous: true }, { name: 'used', anonymous: false }]);
    await s.release('c1', { removeAnonymous: false });
    s.reference('c2', [{ name: 'used', anonymous: false }]);
    s.create({ Name: 'named', Labels: { keep: 'yes' } });
    s.create({ Name: 'named2' });
    writeFileSync(join(s.dataDir('anon1'), 'f'), 'x'.repeat(100));
    assert.equal(s.inspect('anon1').Labels?.[ANONYMOUS_LABEL], '');
    assert.deepEqual(await s.prune(Filters.empty()), { VolumesDeleted: ['anon1'], SpaceReclaimed: 100 });
    assert.deepEqual(await s.prune(Filters.of({ all: ['true'], 'label!': ['keep'] })), { VolumesDeleted: ['named2'], SpaceReclaimed: 0 });
    assert.deepEqual(await s.prune(Filters.of({ all: ['true'] })), { VolumesDeleted: ['named'], SpaceReclaimed: 0 });
    assert.deepEqual(await s.prune(Filters.of({ all: ['true'] })), { VolumesDeleted: null, SpaceReclaimed: 0 });
    assert.deepEqual(s.list(Filters.empty()).map((v) => v.Name), ['used']);
  });

  it('container removal with removeAnonymous drops anonymous volumes only', async () => {
    const s = aStore();
    s.reference('c1', [{ name: 'anon2', anonymous: true }, { name: 'named3', anonymous: false }]);
    await s.release('c1', { removeAnonymous: true });
    assert.deepEqual(s.list(Filters.empty()).map((v) => v.Name), ['named3']);
  });

  it('mounts a tmpfs volume while its containers run, and unmounts it when the last one stops', async () => {
    const s = aStore();
    s.reference('c1', [{ name: 'fast', anonymous: false, options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000' } }]);
    s.reference('c2', [{ name: 'fast', anonymous: false }]);
    assert.deepEqual(s.inspect('fast').Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000' });
    assert.equal(await mountedAt(s.dataDir('fast')), undefined, 'not mounted before a container runs');
    await s.activate('c1');
    await s.activate('c2');
    assert.equal(await mountedAt(s.dataDir('fast')), 'tmpfs');
    const opts = (await readMountinfo()).find((m) => m.mountPoint === s.dataDir('fast'))?.superOptions ?? '';
    assert.match(opts, /size=1024k/);
    assert.match(opts, /uid=1000/);
    await s.deactivate('c1');
    assert.equal(await mountedAt(s.dataDir('fast')), 'tmpfs', 'still used by c2');
    await s.deactivate('c2');
    assert.equal(await mountedAt(s.dataDir('fast')), undefined);
    await s.activate('c2');
    await s.release('c1', { removeAnonymous: true });
    await s.release('c2', { removeAnonymous: true });
    assert.equal(await mountedAt(s.dataDir('fast')), undefined, 'unmounted when its last container goes');
    await s.remove('fast');
  });

  it('bind-mounts a device directory, and unmounts an orphaned mount on settle after a restart', async () => {
    const dir = join(ROOT, `s${++n}`);
    const device = join(ROOT, `device-${n}`);
    mkdirSync(device, { recursive: true });
    writeFileSync(join(device, 'hello'), 'hi');
    const s = aStore(dir);
    s.reference('c1', [{ name: 'host', anonymous: false, options: { type: 'none', o: 'bind', device } }]);
    await s.activate('c1');
    assert.equal(readFileSync(join(s.dataDir('host'), 'hello'), 'utf8'), 'hi');
    // The daemon restarts; c1 exited meanwhile.
    const again = aStore(dir);
    again.reference('c1', [{ name: 'host', anonymous: false }]);
    await again.settle();
    assert.equal(await mountedAt(again.dataDir('host')), undefined);
    await again.release('c1', { removeAnonymous: false });
    await again.remove('host');
    assert.equal(readFileSync(join(device, 'hello'), 'utf8'), 'hi', 'removing the volume leaves the device alone');
    s.reference('c9', [{ name: 'gone', anonymous: false, options: { type: 'none', o: 'bind', device: join(ROOT, 'missing') } }]);
    await assert.rejects(s.activate('c9'), /no such file or directory/);
  });
});
