import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from '../runtime/oci/index.js';
import { aContainerHarness, fixtureImages, type FixtureImages } from '../../../test/builders/containers.js';
import { INIT_PATH_IN_CONTAINER, rlimits } from './runtime-spec.js';
import { resolveUser } from './user.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const invalid = (message: string) => (e: unknown): boolean => {
  assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
  assert.equal(e.message, message);
  return true;
};

describe('containers: runtime spec', () => {
  it('runs the command as given, as root, in WorkingDir, with the record\'s hostname, log path and name annotation', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ WorkingDir: '/tmp' }, 'spec1');
    const s = h.spec(id);
    assert.deepEqual(s.process.args, ['fake', 'sleep']);
    assert.equal(s.process.cwd, '/tmp');
    assert.deepEqual([s.process.uid, s.process.gid, s.process.additionalGids], [0, 0, []]);
    assert.equal(s.process.terminal, false);
    assert.deepEqual(s.process.capabilities, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(s.process.rlimits, []);
    assert.equal(s.hostname, id.slice(0, 12));
    assert.equal(s.logPath, h.inspect(id).LogPath);
    assert.deepEqual(s.annotations, { 'io.shoal.container.name': '/spec1' });
    assert.deepEqual(s.rootfs, { layers: images.store.layerDirs(images.record), readonly: false });
    assert.deepEqual(s.resources, {});
    assert.deepEqual(s.sysctls, {});
  });

  it('defaults the working directory to the image\'s, then /', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    assert.equal(h.inspect(id).Config.WorkingDir, '/');
    assert.equal(h.spec(id).process.cwd, '/');
  });

  it('wraps the command in the init binary for --init, mounted read-only at /sbin/docker-init', async () => {
    await using h = await aContainerHarness(images, { withInit: true });
    const id = await h.run({ HostConfig: { Init: true } });
    const s = h.spec(id);
    assert.equal(INIT_PATH_IN_CONTAINER, '/sbin/docker-init');
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'fake', 'sleep']);
    assert.deepEqual(
      s.mounts.find((m) => m.destination === '/sbin/docker-init'),
      { destination: '/sbin/docker-init', type: 'bind', source: h.initBinary, options: ['rbind', 'rprivate', 'ro'] },
    );
    assert.deepEqual(h.inspect(id).Path, 'fake', 'inspect shows the user\'s command, not the init wrapper');
    const plain = await h.run();
    assert.deepEqual(h.spec(plain).process.args, ['fake', 'sleep']);
    assert.ok(!h.spec(plain).mounts.some((m) => m.destination === '/sbin/docker-init'));
  });

  it('converts memory, swap, cpus, shares and pids limits', async () => {
    await using h = await aContainerHarness(images);
    const res = async (hc: Record<string, unknown>): Promise<unknown> => h.spec(await h.run({ HostConfig: hc })).resources;
    const MB = 1024 * 1024;
    assert.deepEqual(await res({ Memory: 64 * MB }), { memoryBytes: 64 * MB, memorySwapBytes: 128 * MB }, 'swap defaults to twice the memory');
    assert.deepEqual(await res({ Memory: 64 * MB, MemorySwap: 100 * MB }), { memoryBytes: 64 * MB, memorySwapBytes: 100 * MB });
    assert.deepEqual(await res({ Memory: 64 * MB, MemorySwap: -1 }), { memoryBytes: 64 * MB, memorySwapBytes: -1 }, '-1: unlimited swap');
    assert.deepEqual(await res({ NanoCpus: 0.5e9 }), { cpuPeriod: 100000, cpuQuota: 50000 }, '--cpus 0.5');
    assert.deepEqual(await res({ NanoCpus: 1.5e9 }), { cpuPeriod: 100000, cpuQuota: 150000 }, '--cpus 1.5');
    assert.deepEqual(await res({ NanoCpus: 0.01e9 }), { cpuPeriod: 100000, cpuQuota: 1000 }, '--cpus 0.01');
    assert.deepEqual(await res({ CpuQuota: 20000, CpuPeriod: 50000, CpuShares: 512 }), { cpuQuota: 20000, cpuPeriod: 50000, cpuShares: 512 });
    assert.deepEqual(await res({ PidsLimit: 100 }), { pidsLimit: 100 });
    assert.deepEqual(await res({ PidsLimit: 0 }), {}, '0: unlimited');
    assert.deepEqual(await res({ PidsLimit: -1 }), {}, '-1: unlimited');
  });

  it('leaves swap alone when the host cannot limit it', async () => {
    await using h = await aContainerHarness(images, { swapLimitSupported: false });
    const id = await h.run({ HostConfig: { Memory: 64 << 20, MemorySwap: 128 << 20 } });
    assert.deepEqual(h.spec(id).resources, { memoryBytes: 64 << 20 });
  });

  it('maps ulimit names to OCI rlimits and refuses unknown names and soft > hard', async () => {
    assert.deepEqual(
      rlimits([
        { Name: 'nofile', Soft: 1024, Hard: 2048 },
        { Name: 'nproc', Soft: 10, Hard: 10 },
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'as', Soft: 1, Hard: 2 },
      ]),
      [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
        { type: 'RLIMIT_NPROC', soft: 10, hard: 10 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
        { type: 'RLIMIT_AS', soft: 1, hard: 2 },
      ],
    );
    assert.deepEqual(rlimits(null), []);
    assert.throws(() => rlimits([{ Name: 'files', Soft: 1, Hard: 1 }]), invalid('invalid ulimit type: files'));
    assert.throws(() => rlimits([{ Name: 'nofile', Soft: 3, Hard: 2 }]), invalid('ulimit soft limit must be less than or equal to hard limit: 3 > 2'));

    await using h = await aContainerHarness(images);
    const ok = await h.run({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }] } });
    assert.deepEqual(h.spec(ok).process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
  });

  it('mounts binds, named and anonymous volumes and tmpfs in docker\'s order, then /etc/hostname, /etc/hosts, /etc/resolv.conf', async () => {
    await using h = await aContainerHarness(images);
    const src = join(h.dir, 'src');
    mkdirSync(src);
    const created = join(h.dir, 'made-by-v');
    const id = await h.run({
      HostConfig: {
        Binds: [`${src}:/src:ro,rshared`, `${created}:/made`, 'named:/named', '/anon'],
        Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } }],
        Tmpfs: { '/run': 'size=64k' },
      },
    });
    const c = h.inspect(id);
    const anon = c.Mounts.find((m) => m.Destination === '/anon');
    assert.ok(anon?.Name && /^[0-9a-f]{64}$/.test(anon.Name), 'an anonymous volume gets a random name');
    const vol = (name: string): string => join(h.dir, 'volumes', name, '_data');
    const dir = join(h.root, id);
    assert.deepEqual(h.spec(id).mounts, [
      { destination: '/src', type: 'bind', source: src, options: ['rbind', 'rshared', 'ro'] },
      { destination: '/made', type: 'bind', source: created, options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/named', type: 'bind', source: vol('named'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/anon', type: 'bind', source: vol(anon.Name), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1048576', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=64k'] },
      { destination: '/etc/hostname', type: 'bind', source: join(dir, 'hostname'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/etc/hosts', type: 'bind', source: join(dir, 'hosts'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: join(dir, 'resolv.conf'), options: ['rbind', 'rprivate', 'rw'] },
    ]);
    assert.ok(existsSync(created), 'a missing -v bind source is created at start');
    assert.ok(existsSync(vol('named')) && existsSync(vol(anon.Name)), 'volume directories are created at start');
  });

  it('does not mount its own /etc files where the user mounted one', async () => {
    await using h = await aContainerHarness(images);
    const hosts = join(h.dir, 'my-hosts');
    writeFileSync(hosts, '10.0.0.1 db\n');
    const id = await h.run({ HostConfig: { Binds: [`${hosts}:/etc/hosts:ro`], Tmpfs: { '/etc/resolv.conf': '' } } });
    const etc = h.spec(id).mounts.filter((m) => m.destination.startsWith('/etc/'));
    assert.deepEqual(etc.map((m) => [m.destination, m.type, m.source]), [
      ['/etc/hosts', 'bind', hosts],
      ['/etc/resolv.conf', 'tmpfs', 'tmpfs'],
      ['/etc/hostname', 'bind', join(h.root, id, 'hostname')],
    ]);
  });

  it('computes capabilities with add/drop/privileged', async () => {
    await using h = await aContainerHarness(images);
    const caps = async (hc: Record<string, unknown>): Promise<string[]> => h.spec(await h.run({ HostConfig: hc })).process.capabilities;
    assert.deepEqual(await caps({ CapAdd: ['NET_ADMIN'], CapDrop: ['chown'] }), [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'), 'CAP_NET_ADMIN']);
    assert.deepEqual(await caps({ CapDrop: ['ALL'], CapAdd: ['CAP_KILL'] }), ['CAP_KILL']);
    assert.deepEqual(await caps({ Privileged: true }), [...ALL_CAPABILITIES]);
  });

  it('passes read-only rootfs, tty, sysctls and oom score', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Tty: true, HostConfig: { ReadonlyRootfs: true, Sysctls: { 'net.ipv4.ip_forward': '1' }, OomScoreAdj: 500 } });
    const s = h.spec(id);
    assert.equal(s.rootfs.readonly, true);
    assert.equal(s.process.terminal, true);
    assert.deepEqual(s.sysctls, { 'net.ipv4.ip_forward': '1' });
    assert.equal(s.process.oomScoreAdj, 500);
  });
});

describe('containers: user resolution from the image\'s /etc/passwd', () => {
  it('resolves names, uids and groups in the running container', async () => {
    await using h = await aContainerHarness(images);
    const ids = async (user: string, groupAdd?: string[]): Promise<[number, number, number[] | undefined]> => {
      const p = h.spec(await h.run({ User: user, ...(groupAdd ? { HostConfig: { GroupAdd: groupAdd } } : {}) })).process;
      return [p.uid, p.gid, p.additionalGids];
    };
    assert.deepEqual(await ids(''), [0, 0, []]);
    assert.deepEqual(await ids('root'), [0, 0, []]);
    assert.deepEqual(await ids('nobody'), [65534, 65534, []]);
    assert.deepEqual(await ids('65534'), [65534, 65534, []], 'a known uid takes its primary group');
    assert.deepEqual(await ids('1000'), [1000, 0, []], 'an unknown uid runs with gid 0');
    assert.deepEqual(await ids('1000:1000'), [1000, 1000, []]);
    assert.deepEqual(await ids('nobody:root'), [65534, 0, []]);
    assert.deepEqual(await ids('root', ['nobody', '42']), [0, 0, [65534, 42]]);
  });

  it('fails the start, not the create, for an unknown user, and leaves nothing in the runtime', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ User: 'ghost' });
    await assert.rejects(h.svc.start(id), invalid('unable to find user ghost: no matching entries in passwd file'));
    assert.equal(h.state(id).Status, 'created');
    assert.equal(h.state(id).Running, false);
    assert.equal(h.host.containers.size, 0);
    const g = await h.create({ User: 'nobody:ghosts' });
    await assert.rejects(h.svc.start(g), invalid('unable to find group ghosts: no matching entries in group file'));
    assert.equal(h.host.containers.size, 0);
  });

  it('reads passwd and group from the topmost layer that has them, with supplementary groups', () => {
    const layers = images.store.layerDirs(images.record);
    const top = join(images.dir, 'user-layer');
    mkdirSync(join(top, 'etc'), { recursive: true });
    writeFileSync(join(top, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n# a comment\napp:x:1001:1002::/app:/bin/sh\n');
    writeFileSync(join(top, 'etc/group'), 'root:x:0:\napp:x:1002:\nwheel:x:10:app,other\naudio:x:29:app\n');
    assert.deepEqual(resolveUser('app', [...layers, top]), { uid: 1001, gid: 1002, additionalGids: [10, 29] });
    assert.deepEqual(resolveUser('app:wheel', [...layers, top]), { uid: 1001, gid: 10, additionalGids: [29] }, 'the primary group is not repeated');
    assert.throws(() => resolveUser('nobody', [...layers, top]), invalid('unable to find user nobody: no matching entries in passwd file'), 'the upper passwd hides the lower');
    assert.deepEqual(resolveUser('nobody', layers), { uid: 65534, gid: 65534, additionalGids: [] });
    assert.deepEqual(resolveUser('0', []), { uid: 0, gid: 0, additionalGids: [] }, 'no passwd at all: numeric ids still work');
    assert.throws(() => resolveUser('app', []), invalid('unable to find user app: no matching entries in passwd file'));
  });
});
