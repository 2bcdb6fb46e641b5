import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerCreateRequest } from '../../api/container.js';
import { isShoalError, type ErrorKind } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import type { Random } from '../../lib/random.js';
import { aContainerHarness, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { canonicalName, generateName, isValidName } from './names.js';
import { DEFAULT_PATH, commandLine, mergeEnv } from './runtime-spec.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function refusal(kind: ErrorKind, message: string | RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

/** After a refused create: no record, no runtime container, no volume, no name held. */
function assertNothingPersisted(h: ContainerHarness): void {
  assert.deepEqual(h.recordDirs(), [], 'no container directory');
  assert.deepEqual(h.svc.list({ all: true, filters: Filters.empty() }), []);
  assert.equal(h.host.containers.size, 0, 'nothing reached the runtime');
  assert.deepEqual(readdirSync(join(h.dir, 'volumes')), [], 'no volume created');
  assert.deepEqual(h.svc.counts(), { total: 0, running: 0, paused: 0, stopped: 0 });
}

describe('containers: create refuses bad requests with docker\'s messages and persists nothing', () => {
  const cases: { what: string; body: Partial<ContainerCreateRequest>; name?: string; kind: ErrorKind; message: string | RegExp }[] = [
    { what: 'memory below 6MB', body: { HostConfig: { Memory: 6 * 1024 * 1024 - 1 } }, kind: 'InvalidArgument', message: 'Minimum memory limit allowed is 6MB' },
    { what: 'swap below memory', body: { HostConfig: { Memory: 64 << 20, MemorySwap: 32 << 20 } }, kind: 'InvalidArgument', message: 'Minimum memoryswap limit should be larger than memory limit, see usage' },
    { what: 'a name with a space', body: {}, name: 'bad name', kind: 'InvalidArgument', message: 'Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
    { what: 'a name starting with a dash', body: {}, name: '-web', kind: 'InvalidArgument', message: 'Invalid container name (-web), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
    { what: 'a one-character name', body: {}, name: 'a', kind: 'InvalidArgument', message: 'Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
    { what: 'an unknown image (tag given)', body: { Image: 'nope:1' }, kind: 'NotFound', message: 'No such image: nope:1' },
    { what: 'an unknown image (default tag)', body: { Image: 'nope' }, kind: 'NotFound', message: 'No such image: nope:latest' },
    { what: 'a bind with too many fields', body: { HostConfig: { Binds: ['/a:/b:ro:x'] } }, kind: 'InvalidArgument', message: "invalid volume specification: '/a:/b:ro:x'" },
    { what: 'a bind with an empty target', body: { HostConfig: { Binds: ['/a:'] } }, kind: 'InvalidArgument', message: "invalid volume specification: '/a:'" },
    { what: 'a relative bind target', body: { HostConfig: { Binds: ['/tmp:data'] } }, kind: 'InvalidArgument', message: `invalid mount config for type "bind": invalid mount path: 'data' mount path must be absolute` },
    { what: 'a bind onto /', body: { HostConfig: { Binds: ['/tmp:/'] } }, kind: 'InvalidArgument', message: "invalid specification: destination can't be '/'" },
    { what: 'an unknown bind mode', body: { HostConfig: { Binds: ['/tmp:/data:rx'] } }, kind: 'InvalidArgument', message: 'invalid mode: rx' },
    {
      what: 'an invalid volume name',
      body: { HostConfig: { Binds: ['my vol:/data'] } },
      kind: 'InvalidArgument',
      message: 'create my vol: "my vol" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    },
    { what: '--mount bind without a source', body: { HostConfig: { Mounts: [{ Type: 'bind', Target: '/data' }] } }, kind: 'InvalidArgument', message: 'invalid mount config for type "bind": field Source must not be empty' },
    {
      what: '--mount bind with a missing source',
      body: { HostConfig: { Mounts: [{ Type: 'bind', Source: '/nonexistent/shoal-src', Target: '/data' }] } },
      kind: 'InvalidArgument',
      message: 'invalid mount config for type "bind": bind source path does not exist: /nonexistent/shoal-src',
    },
    { what: '--mount tmpfs with a source', body: { HostConfig: { Mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/t' }] } }, kind: 'InvalidArgument', message: 'invalid mount config for type "tmpfs": field Source must not be specified' },
    { what: 'a duplicate mount point (bind + tmpfs)', body: { HostConfig: { Binds: ['/tmp:/data'], Tmpfs: { '/data': '' } } }, kind: 'InvalidArgument', message: 'Duplicate mount point: /data' },
    { what: 'a duplicate mount point (two volumes)', body: { HostConfig: { Binds: ['v1:/data', 'v2:/data'] } }, kind: 'InvalidArgument', message: 'Duplicate mount point: /data' },
    { what: 'an unknown added capability', body: { HostConfig: { CapAdd: ['FOO'] } }, kind: 'InvalidArgument', message: 'invalid CapAdd: unknown capability: "CAP_FOO"' },
    { what: 'an unknown dropped capability', body: { HostConfig: { CapDrop: ['CAP_BAR'] } }, kind: 'InvalidArgument', message: 'invalid CapDrop: unknown capability: "CAP_BAR"' },
    { what: 'an unknown restart policy', body: { HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, kind: 'InvalidArgument', message: "invalid restart policy 'sometimes'" },
    { what: 'AutoRemove with a restart policy', body: { HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, kind: 'InvalidArgument', message: "can't create 'AutoRemove' container with restart policy" },
    { what: 'an invalid stop signal', body: { StopSignal: 'SIGNOPE' }, kind: 'InvalidArgument', message: 'invalid signal: SIGNOPE' },
    { what: 'a relative working directory', body: { WorkingDir: 'app' }, kind: 'InvalidArgument', message: "the working directory 'app' is invalid, it needs to be an absolute path" },
    { what: 'an empty command line', body: { Entrypoint: [], Cmd: [] }, kind: 'InvalidArgument', message: 'No command specified' },
    { what: '--init without an init binary', body: { HostConfig: { Init: true } }, kind: 'InvalidArgument', message: 'docker-init binary not found: install tini to use --init' },
    { what: '--cpus with a CPU quota', body: { HostConfig: { NanoCpus: 5e8, CpuQuota: 1000 } }, kind: 'InvalidArgument', message: 'Conflicting options: Nano CPUs and CPU Period cannot both be set' },
  ];
  for (const c of cases) {
    it(`refuses ${c.what}`, async () => {
      await using h = await aContainerHarness(images);
      await assert.rejects(h.create(c.body, c.name), refusal(c.kind, c.message));
      assertNothingPersisted(h);
    });
  }

  it('refuses a body that is not an object or has no image', async () => {
    await using h = await aContainerHarness(images);
    await assert.rejects(h.svc.create('nope', undefined), refusal('InvalidArgument', 'container config: expected a JSON object'));
    await assert.rejects(h.svc.create({ Cmd: ['x'] }, undefined), refusal('InvalidArgument', 'Config.Image: an image is required'));
    await assert.rejects(h.svc.create({ Image: images.ref, Env: 'A=1' }, undefined), refusal('InvalidArgument', 'Env: expected an array of strings'));
    assertNothingPersisted(h);
  });

  it('accepts exactly 6MB of memory', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ HostConfig: { Memory: 6 * 1024 * 1024 } });
    assert.equal(h.inspect(id).HostConfig.Memory, 6 * 1024 * 1024);
  });

  it('refuses a taken name with docker\'s 409 text, and frees the name when the holder is removed', async () => {
    await using h = await aContainerHarness(images);
    const first = await h.create({}, 'web');
    await assert.rejects(
      h.create({}, 'web'),
      refusal('Conflict', `Conflict. The container name "/web" is already in use by container "${first}". You have to remove (or rename) that container to be able to reuse that name.`),
    );
    await assert.rejects(h.create({}, '/web'), refusal('Conflict', /^Conflict\. The container name "\/web" is already in use/));
    assert.deepEqual(h.recordDirs(), [first], 'the refused create left nothing');
    await h.svc.remove('web');
    const second = await h.create({}, 'web');
    assert.equal(h.inspect('web').Id, second);
  });
});

describe('containers: create', () => {
  it('stores the record before anything runs: state created, docker defaults filled in', async () => {
    await using h = await aContainerHarness(images);
    h.clock.advance(1234);
    const { Id, Warnings } = await h.svc.create({ Image: images.ref, Labels: { app: 'x' } }, 'named');
    assert.match(Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(Warnings, []);
    const c = h.inspect(Id);
    assert.equal(c.Name, '/named');
    assert.equal(c.Image, images.image.imageId);
    assert.equal(c.Config.Image, images.ref);
    assert.equal(c.Created, new Date(h.clock.now()).toISOString());
    assert.deepEqual(
      { Status: c.State.Status, Running: c.State.Running, ExitCode: c.State.ExitCode, StartedAt: c.State.StartedAt, FinishedAt: c.State.FinishedAt },
      { Status: 'created', Running: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
    );
    assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(c.HostConfig.ShmSize, 64 * 1024 * 1024);
    assert.deepEqual(c.Config.Labels, { 'org.shoal.test.image': 'misbehave', app: 'x' }, 'image labels, then the request\'s');
    assert.equal(c.LogPath, join(h.root, Id, 'container.log'));
    assert.deepEqual(h.recordDirs(), [Id]);
    assert.deepEqual(readdirSync(join(h.root, Id)).sort(), ['config.v2.json', 'hostname', 'hosts', 'resolv.conf']);
    assert.equal(h.host.containers.size, 0, 'create does not touch the runtime');
  });

  it('generates docker-style names, distinct and reproducible from the seed', async () => {
    await using a = await aContainerHarness(images, { seed: 7 });
    await using b = await aContainerHarness(images, { seed: 7 });
    const namesA: string[] = [];
    const namesB: string[] = [];
    for (let i = 0; i < 5; i++) {
      namesA.push(a.inspect(await a.create()).Name);
      namesB.push(b.inspect(await b.create()).Name);
    }
    for (const n of namesA) assert.match(n, /^\/[a-z]+_[a-z]+\d?$/);
    assert.equal(new Set(namesA).size, 5, 'generated names are unique');
    assert.deepEqual(namesA, namesB);
    const { Id: empty } = await a.svc.create({ Image: images.ref }, '');
    assert.match(a.inspect(empty).Name, /^\/[a-z]+_[a-z]+\d?$/, 'an empty name means "generate one"');
  });

  it('generateName appends a digit after repeated collisions, as docker does', () => {
    const zero: Random = { float: () => 0, bytes: (n) => new Uint8Array(n) };
    const taken = new Set(['/admiring_babbage']);
    assert.equal(generateName(zero, (n) => taken.has(n)), 'admiring_babbage0');
    assert.equal(generateName(zero, () => false), 'admiring_babbage');
    assert.ok(isValidName('/web.1_a-b') && !isValidName('') && !isValidName('_x') && !isValidName('a'));
    assert.equal(canonicalName('web'), '/web');
    assert.equal(canonicalName('/web'), '/web');
  });

  it('merges the environment: image env, then the request\'s by key; HOSTNAME and (with a tty) TERM added', async () => {
    await using h = await aContainerHarness(images);
    const a = await h.run({ Env: ['FOO=bar', 'PATH=/custom/bin'] });
    assert.deepEqual(h.spec(a).process.env, ['PATH=/custom/bin', 'FOO=bar', `HOSTNAME=${a.slice(0, 12)}`]);
    const b = await h.run({ Hostname: 'web', Env: ['A=1'], Tty: true });
    assert.deepEqual(h.spec(b).process.env, [IMAGE_PATH, 'A=1', 'HOSTNAME=web', 'TERM=xterm']);
    assert.equal(h.spec(b).hostname, 'web');
    assert.equal(h.inspect(b).Config.Hostname, 'web');
    const c = await h.run({ Env: ['HOSTNAME=mine', 'TERM=dumb'], Tty: true });
    assert.deepEqual(h.spec(c).process.env, [IMAGE_PATH, 'HOSTNAME=mine', 'TERM=dumb'], 'the request\'s HOSTNAME and TERM win');
    assert.equal(h.spec(c).hostname, c.slice(0, 12));
  });

  it('mergeEnv overrides by key, keeps first-seen order and defaults PATH', () => {
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['A=1', 'B=3', 'C=4', DEFAULT_PATH]);
    assert.deepEqual(mergeEnv(undefined, null), [DEFAULT_PATH]);
    assert.deepEqual(mergeEnv(['PATH=/x'], []), ['PATH=/x']);
    assert.equal(DEFAULT_PATH, IMAGE_PATH);
  });

  it('applies docker\'s entrypoint/cmd rules: a request entrypoint drops the image cmd', async () => {
    await using h = await aContainerHarness(images);
    const cmdline = async (body: Partial<ContainerCreateRequest>): Promise<{ Path: string; Args: string[]; Cmd: string[] | null | undefined; Entrypoint: string[] | null | undefined }> => {
      const { Id } = await h.svc.create({ Image: images.ref, ...body }, undefined);
      const c = h.inspect(Id);
      return { Path: c.Path, Args: c.Args, Cmd: c.Config.Cmd, Entrypoint: c.Config.Entrypoint };
    };
    assert.deepEqual(await cmdline({}), { Path: '/misbehave', Args: ['sleep'], Cmd: ['sleep'], Entrypoint: ['/misbehave'] }, 'the image\'s entrypoint and cmd');
    assert.deepEqual(await cmdline({ Cmd: ['crash', '3'] }), { Path: '/misbehave', Args: ['crash', '3'], Cmd: ['crash', '3'], Entrypoint: ['/misbehave'] }, 'cmd replaces the image cmd');
    assert.deepEqual(await cmdline({ Entrypoint: ['/bin/sh'] }), { Path: '/bin/sh', Args: [], Cmd: null, Entrypoint: ['/bin/sh'] }, 'entrypoint drops the image cmd');
    assert.deepEqual(await cmdline({ Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'] }), { Path: '/bin/sh', Args: ['-c', 'echo hi'], Cmd: ['echo hi'], Entrypoint: ['/bin/sh', '-c'] });
    assert.deepEqual(await cmdline({ Entrypoint: null, Cmd: null }), { Path: '/misbehave', Args: ['sleep'], Cmd: ['sleep'], Entrypoint: ['/misbehave'] }, 'null means "the image\'s"');
    assert.deepEqual(commandLine({ Image: 'x', Entrypoint: ['e'] }, { Entrypoint: ['ie'], Cmd: ['ic'] }), ['e']);
    assert.deepEqual(commandLine({ Image: 'x' }, {}), []);
  });

  it('runs the command line it stored', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run(fakeProgram('sleep', '--ignore', 'SIGHUP'));
    assert.deepEqual(h.spec(id).process.args, ['fake', 'sleep', '--ignore', 'SIGHUP']);
    assert.equal(h.inspect(id).Path, 'fake');
    assert.deepEqual(h.inspect(id).Args, ['sleep', '--ignore', 'SIGHUP']);
  });

  it('writes hostname, hosts and resolv.conf for the container', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ Hostname: 'box' });
    const c = h.inspect(id);
    assert.equal(readFileSync(c.HostnamePath, 'utf8'), 'box\n');
    assert.match(readFileSync(c.HostsPath, 'utf8'), /^127\.0\.0\.1\tlocalhost\n.*\n127\.0\.1\.1\tbox\n$/s);
    assert.equal(readFileSync(c.ResolvConfPath, 'utf8'), 'nameserver 192.0.2.53\n');
  });

  it('lists the planned mounts in inspect, with volumes under the volumes root', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ HostConfig: { Binds: ['/tmp:/host-tmp:ro', 'data:/data'], Mounts: [{ Type: 'tmpfs', Target: '/scratch' }], Tmpfs: { '/run': 'size=1m' } } });
    const m = h.inspect(id).Mounts;
    assert.deepEqual(m, [
      { Type: 'bind', Source: '/tmp', Destination: '/host-tmp', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'data', Source: join(h.dir, 'volumes', 'data', '_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/scratch', Mode: '', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/run', Mode: '', RW: true, Propagation: '' },
    ]);
  });
});
