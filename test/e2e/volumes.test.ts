/**
 * Volumes end to end on the real kernel: the bundled daemon, runc containers, driven by the unmodified docker CLI
 * and by shoal. Local volumes (plain, tmpfs and bind options), refcounts by containers, prune, and a restart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { assertGolden } from '../harness/golden.js';

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const IMAGE = 'shoal-test/misbehave:1';

describe('volumes through both CLIs', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ hostname: 'vol-e2e' });
    const mis = await buildImageTar('misbehave');
    ok(await d.docker('load', '-i', mis.path), 'docker load');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('create, ls, inspect and rm print alike in both CLIs', async () => {
    assert.equal(ok(await d.docker('volume', 'create', '--label', 'team=a', 'alpha'), 'create'), 'alpha\n');
    assert.equal(ok(await d.shoal('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=8m', 'beta'), 'create'), 'beta\n');
    assert.equal(ok(await d.docker('volume', 'create', 'alpha'), 'create again'), 'alpha\n');
    const anon = ok(await d.docker('volume', 'create'), 'create without a name').trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    ok(await d.docker('volume', 'rm', anon), 'rm anon');
    const dls = ok(await d.docker('volume', 'ls'), 'docker volume ls');
    assert.equal(ok(await d.shoal('volume', 'ls'), 'shoal volume ls'), dls);
    assertGolden('volume-ls', dls);
    assert.equal(ok(await d.shoal('volume', 'ls', '-q'), 'ls -q'), ok(await d.docker('volume', 'ls', '-q'), 'ls -q'));
    assert.equal(ok(await d.docker('volume', 'ls', '-q', '--filter', 'label=team=a'), 'ls label'), 'alpha\n');
    const fmt = '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.Mountpoint}}';
    assert.equal(ok(await d.shoal('volume', 'ls', '--format', fmt), 'shoal fmt'), ok(await d.docker('volume', 'ls', '--format', fmt), 'docker fmt'));
    const [v] = JSON.parse(ok(await d.docker('volume', 'inspect', 'beta'), 'inspect')) as Record<string, unknown>[];
    assert.deepEqual(
      { ...v, CreatedAt: undefined },
      { CreatedAt: undefined, Driver: 'local', Labels: null, Mountpoint: join(d.dataRoot, 'volumes/beta/_data'), Name: 'beta', Options: { device: 'tmpfs', o: 'size=8m', type: 'tmpfs' }, Scope: 'local' },
    );
    assert.match(String(v?.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const f = '{{.Name}} {{.Labels}} {{.Options}}';
    assert.equal(ok(await d.shoal('volume', 'inspect', '-f', f, 'alpha', 'beta'), 'shoal inspect -f'), ok(await d.docker('volume', 'inspect', '-f', f, 'alpha', 'beta'), 'docker inspect -f'));
    const dm = await d.docker('volume', 'inspect', 'nope');
    const sm = await d.shoal('volume', 'inspect', 'nope');
    assert.equal(dm.code, 1);
    assert.equal(sm.code, 1);
    assert.match(sm.stderr, /get nope: no such volume/);
    assert.match(dm.stderr, /no such volume/);
    const bad = await d.docker('volume', 'create', '-o', 'type=nfs', '-o', 'device=:/export', 'nfsvol');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /volume type "nfs" is not supported/);
    assert.equal(ok(await d.shoal('volume', 'rm', 'alpha', 'beta'), 'rm'), 'alpha\nbeta\n');
    const gone = await d.docker('volume', 'rm', 'alpha');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error response from daemon: get alpha: no such volume/);
    ok(await d.docker('volume', 'rm', '-f', 'alpha'), 'rm -f of a missing volume');
  });

  it('a tmpfs-option volume is a tmpfs inside the container, from -v and from --mount volume-opt', async () => {
    ok(await d.docker('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=8m,uid=1000', 'fast'), 'create');
    const seen = ok(await d.docker('run', '--rm', '-v', 'fast:/data', IMAGE, 'sh', '-c', 'grep " /data " /proc/mounts; stat -c %u /data'), 'run -v');
    assert.match(seen, /^tmpfs \/data tmpfs rw,.*size=8192k.*\n1000\n$/);
    const viaMount = ok(
      await d.shoal('run', '--rm', '--mount', 'type=volume,source=fast2,target=/cache,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=4m', IMAGE, 'sh', '-c', 'grep " /cache " /proc/mounts'),
      'run --mount',
    );
    assert.match(viaMount, /^tmpfs \/cache tmpfs rw,.*size=4096k/);
    assert.deepEqual(JSON.parse(ok(await d.docker('volume', 'inspect', '-f', '{{json .Options}}', 'fast2'), 'inspect fast2')), { device: 'tmpfs', o: 'size=4m', type: 'tmpfs' });
    const mounted = (await run('grep', ['-c', join(d.dataRoot, 'volumes/fast'), '/proc/self/mountinfo'])).stdout.trim();
    assert.equal(mounted, '0', 'unmounted once no container runs');
    ok(await d.docker('volume', 'rm', 'fast', 'fast2'), 'rm');
  });

  it('a bind-option volume shows its device directory', async () => {
    const dev = join(d.dir, 'bind-device');
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, 'hello.txt'), 'from the host\n');
    ok(await d.docker('volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dev}`, 'hostdir'), 'create');
    assert.equal(ok(await d.docker('run', '--rm', '-v', 'hostdir:/srv', IMAGE, 'cat', '/srv/hello.txt'), 'run'), 'from the host\n');
    ok(await d.docker('volume', 'rm', 'hostdir'), 'rm');
  });

  it('a named volume outlives its container; rm -v removes anonymous volumes only; in use is refused', async () => {
    ok(await d.docker('run', '--name', 'writer', '-v', 'keep:/data', '-v', '/scratch', IMAGE, 'sh', '-c', 'echo kept > /data/f'), 'writer');
    const names = ok(await d.docker('volume', 'ls', '-q'), 'ls').trim().split('\n');
    const anon = names.find((n) => /^[0-9a-f]{64}$/.test(n));
    assert.ok(anon, `an anonymous volume in ${names.join(',')}`);
    const id = ok(await d.docker('inspect', '-f', '{{.Id}}', 'writer'), 'id').trim();
    const busy = await d.docker('volume', 'rm', 'keep');
    assert.equal(busy.code, 1);
    assert.equal(busy.stderr, `Error response from daemon: remove keep: volume is in use - [${id}]\n`);
    const sbusy = await d.shoal('volume', 'rm', 'keep');
    assert.equal(sbusy.stderr, busy.stderr);
    assert.equal(ok(await d.docker('volume', 'ls', '-q', '--filter', 'dangling=true'), 'dangling'), '');
    ok(await d.docker('rm', '-v', 'writer'), 'rm -v');
    assert.deepEqual(ok(await d.docker('volume', 'ls', '-q'), 'ls').trim().split('\n'), ['keep']);
    assert.equal(ok(await d.docker('run', '--rm', '-v', 'keep:/data', IMAGE, 'cat', '/data/f'), 'reader'), 'kept\n');
    ok(await d.docker('volume', 'rm', 'keep'), 'rm once unused');
  });

  it('prune removes unused anonymous volumes, and named ones with -a; volumes survive a daemon restart', async () => {
    ok(await d.docker('create', '--name', 'holder', '-v', 'held:/h', IMAGE), 'holder');
    ok(await d.docker('create', '--name', 'anonymous', '-v', '/x', IMAGE), 'anon');
    ok(await d.docker('rm', 'anonymous'), 'rm without -v keeps the anonymous volume');
    ok(await d.docker('volume', 'create', '--label', 'k=v', 'unused'), 'unused');
    await d.restart();
    assert.equal(ok(await d.docker('volume', 'inspect', '-f', '{{.Labels}}', 'unused'), 'after restart'), 'map[k:v]\n');
    const p1 = ok(await d.docker('volume', 'prune', '-f'), 'prune');
    assert.match(p1, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    assert.equal(ok(await d.shoal('volume', 'prune', '-f', '-a'), 'prune -a'), 'Deleted Volumes:\nunused\n\nTotal reclaimed space: 0B\n');
    assert.equal(ok(await d.docker('volume', 'prune', '-f', '-a'), 'prune -a again'), 'Total reclaimed space: 0B\n');
    assert.deepEqual(ok(await d.docker('volume', 'ls', '-q'), 'ls').trim().split('\n'), ['held'], 'a volume in use by a stopped container stays');
    ok(await d.docker('rm', 'holder'), 'rm holder');
    ok(await d.docker('volume', 'rm', 'held'), 'rm held');
  });
});
