/**
 * End to end on the real kernel: the bundled daemon runs real containers (runc under conmon, overlayfs, cgroup v1),
 * driven by the unmodified docker CLI and by shoal. Images are the project's own fixtures built from busybox-static.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, readdirSync } from 'node:fs';
import { buildImageTar, MISBEHAVE_STDERR, MISBEHAVE_STDOUT, ociLayoutImage } from '../fixtures/images/build.js';
import { customArchive } from '../fixtures/images/custom.js';
import { hostileLayers } from '../fixtures/images/hostile.js';
import { run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { startRegistry } from '../harness/registry.js';

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The cgroup v1 directory of a container's init process for one controller. */
function cgroupFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line, `no ${controller} cgroup for pid ${pid}`);
  const path = line.split(':')[2] ?? '';
  const mount = `/sys/fs/cgroup/${controller}`;
  return readFileSync(`${mount}${path}/${file}`, 'utf8').trim();
}

describe('containers on one host, through both CLIs', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ hostname: 'ctr-e2e' });
    const web = await buildImageTar('web');
    const mis = await buildImageTar('misbehave');
    assert.equal(ok(await d.docker('load', '-i', web.path), 'docker load'), 'Loaded image: shoal-test/web:1\n');
    assert.equal(ok(await d.shoal('image', 'load', '-i', mis.path), 'shoal image load'), 'Loaded image: shoal-test/misbehave:1\n');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('lists, inspects, tags and removes images alike in both CLIs; an OCI layout loads too', async () => {
    const oci = await ociLayoutImage('web-v2');
    ok(await d.docker('load', '-i', oci.path), 'load oci layout');
    const dl = ok(await d.docker('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'), 'docker images');
    const sl = ok(await d.shoal('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'), 'shoal images');
    assert.equal(sl, dl);
    assert.match(dl, /^shoal-test\/web:2 [0-9a-f]{12} /m);
    ok(await d.docker('tag', 'shoal-test/web:2', 'extra/web:copy'), 'tag');
    const insp = JSON.parse(ok(await d.docker('image', 'inspect', 'extra/web:copy'), 'inspect')) as { RepoTags: string[]; Config: { Cmd: string[] } }[];
    assert.deepEqual(insp[0]?.RepoTags.sort(), ['extra/web:copy', 'shoal-test/web:2']);
    assert.deepEqual(insp[0]?.Config.Cmd, ['/web.sh']);
    assert.equal(ok(await d.docker('rmi', 'extra/web:copy'), 'rmi tag'), 'Untagged: extra/web:copy\n');
    const rm = ok(await d.shoal('rmi', 'shoal-test/web:2'), 'rmi image');
    assert.match(rm, /^Untagged: shoal-test\/web:2\nDeleted: sha256:[0-9a-f]{64}\n/);
    const missing = await d.docker('image', 'inspect', 'shoal-test/nope:1');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: shoal-test\/nope:1/);
  });

  it('refuses hostile tarballs through the API, writing nothing outside the store', async () => {
    const outside = `${d.dir}/outside`;
    mkdirSync(outside, { recursive: true });
    for (const [i, c] of hostileLayers(outside).entries()) {
      const a = customArchive(d.dir, [{ layers: [c.layer], repoTag: `hostile/case:${i}` }], { name: `hostile-${i}` });
      const r = await d.docker('load', '-i', a.path);
      assert.notEqual(r.code, 0, `${c.name} was loaded`);
      assert.deepEqual(readdirSync(outside), [], `${c.name} wrote outside the store`);
    }
    const list = ok(await d.docker('images', '--format', '{{.Repository}}'), 'images');
    assert.doesNotMatch(list, /hostile/);
  });

  it('runs a web container; exec reaches it, ps and inspect agree across CLIs', async () => {
    const id = ok(await d.docker('run', '-d', '--name', 'web1', '--hostname', 'web-one', 'shoal-test/web:1'), 'run -d').trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const body = await until('the web server', async () => {
      const r = await d.docker('exec', 'web1', 'wget', '-qO-', 'http://127.0.0.1/');
      return r.code === 0 ? r.stdout : undefined;
    });
    assert.equal(body, 'hostname=web-one version=1\n');
    const fmt = '{{.ID}} {{.Image}} {{.Command}} {{.Names}} {{.State}}';
    const dps = ok(await d.docker('ps', '--format', fmt), 'docker ps');
    assert.equal(ok(await d.shoal('ps', '--format', fmt), 'shoal ps'), dps);
    assert.equal(dps, `${id.slice(0, 12)} shoal-test/web:1 "/web.sh" web1 running\n`);
    const header = ok(await d.shoal('ps'), 'ps table').split('\n')[0] ?? '';
    assert.deepEqual(header.split(/ {2,}/), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
    const st = ok(await d.shoal('inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Config.Hostname}} {{.Name}}', 'web1'), 'inspect');
    assert.equal(st, 'running true web-one /web1\n');
    assert.equal(ok(await d.docker('exec', 'web1', 'cat', '/etc/hostname'), 'hostname file'), 'web-one\n');
    assert.match(ok(await d.docker('exec', 'web1', 'cat', '/etc/hosts'), 'hosts'), /127\.0\.0\.1\s+localhost/);
    const ex = await d.docker('exec', 'web1', 'sh', '-c', 'exit 3');
    assert.equal(ex.code, 3);
  });

  it('logs: both streams, --tail, -t and -f until the container exits', async () => {
    const r = await d.docker('run', '--name', 'echo1', 'shoal-test/misbehave:1', 'echo-stdout-stderr');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, MISBEHAVE_STDOUT.map((l) => `${l}\n`).join(''));
    assert.equal(r.stderr, MISBEHAVE_STDERR.map((l) => `${l}\n`).join(''));
    const logs = await d.shoal('logs', 'echo1');
    assert.equal(logs.stdout, r.stdout);
    assert.equal(logs.stderr, r.stderr);
    const tailed = await d.docker('logs', '--tail', '1', '-t', 'echo1');
    const all = `${tailed.stdout}${tailed.stderr}`.trim().split('\n');
    assert.equal(all.length, 1);
    assert.match(all[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z misbehave (stdout|stderr) line 2$/);
    ok(await d.docker('run', '-d', '--name', 'ticker', 'shoal-test/misbehave:1', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done'), 'ticker');
    const followed = ok(await d.docker('logs', '-f', 'ticker'), 'logs -f');
    assert.equal(followed, 'tick 1\ntick 2\ntick 3\n');
  });

  it('stop sends the stop signal, then SIGKILL after the grace period (exit 137 for a SIGTERM-ignoring process)', async () => {
    ok(await d.docker('run', '-d', '--name', 'stubborn', 'shoal-test/misbehave:1', 'ignore-term'), 'run');
    await until('the trap to be installed', async () => ((await d.docker('logs', 'stubborn')).stdout.includes('ignoring') ? true : undefined), 5000).catch(() => true);
    const t0 = Date.now();
    assert.equal(ok(await d.docker('stop', '-t', '1', 'stubborn'), 'stop'), 'stubborn\n');
    const took = Date.now() - t0;
    assert.ok(took >= 900, `stop returned after ${took} ms, before the grace period`);
    assert.equal(ok(await d.docker('inspect', '-f', '{{.State.ExitCode}} {{.State.Status}}', 'stubborn'), 'inspect'), '137 exited\n');
    ok(await d.docker('run', '-d', '--name', 'polite', 'shoal-test/misbehave:1', 'sleep'), 'run');
    ok(await d.shoal('stop', 'polite'), 'stop polite');
    assert.equal(ok(await d.docker('inspect', '-f', '{{.State.ExitCode}}', 'polite'), 'inspect'), '0\n');
    const kill = await d.docker('kill', 'polite');
    assert.equal(kill.code, 1);
    assert.match(kill.stderr, /is not running/);
  });

  it('an out-of-memory kill shows as exit 137 with OOMKilled', async () => {
    const r = await d.docker('run', '--name', 'hog', '-m', '16m', 'shoal-test/misbehave:1', 'oom');
    assert.equal(r.code, 137, r.stderr);
    assert.equal(ok(await d.shoal('inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', 'hog'), 'inspect'), '137 true\n');
  });

  it('healthchecks move starting → healthy, and starting → unhealthy', async () => {
    ok(await d.docker('run', '-d', '--name', 'getswell', '--health-cmd', '/healthcheck', '--health-interval', '300ms', '--health-retries', '2', 'shoal-test/misbehave:1', 'healthy-after', '1'), 'run');
    assert.equal(ok(await d.docker('inspect', '-f', '{{.State.Health.Status}}', 'getswell'), 'inspect'), 'starting\n');
    await until('healthy', async () => ((await d.docker('inspect', '-f', '{{.State.Health.Status}}', 'getswell')).stdout === 'healthy\n' ? true : undefined));
    assert.match(ok(await d.docker('ps', '--filter', 'name=getswell', '--format', '{{.Status}}'), 'ps'), /\(healthy\)/);
    ok(await d.shoal('run', '-d', '--name', 'sick', '--health-cmd', 'exit 1', '--health-interval', '200ms', '--health-retries', '2', 'shoal-test/misbehave:1', 'sleep'), 'run');
    await until('unhealthy', async () => ((await d.shoal('inspect', '-f', '{{.State.Health.Status}}', 'sick')).stdout === 'unhealthy\n' ? true : undefined));
    const h = JSON.parse(ok(await d.docker('inspect', '-f', '{{json .State.Health}}', 'sick'), 'health')) as { FailingStreak: number; Log: { ExitCode: number }[] };
    assert.ok(h.FailingStreak >= 2);
    assert.equal(h.Log.at(-1)?.ExitCode, 1);
  });

  it('applies limits, capabilities, sysctls, ulimits, mounts, read-only root and --init', async () => {
    const vol = `${d.dir}/bindsrc`;
    ok(await run('mkdir', ['-p', vol]), 'mkdir');
    ok(await run('sh', ['-c', `echo from-host > ${vol}/f`]), 'write');
    ok(
      await d.docker(
        'run', '-d', '--name', 'limited', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', '--cap-drop', 'NET_RAW', '--sysctl', 'net.ipv4.ip_forward=1',
        '--ulimit', 'nofile=1024:2048', '--read-only', '--tmpfs', '/scratch', '-v', `${vol}:/data:ro`, '-v', 'named1:/vol', '--init', '-u', 'nobody',
        'shoal-test/misbehave:1', 'sleep',
      ),
      'run limited',
    );
    const pid = Number(ok(await d.docker('inspect', '-f', '{{.State.Pid}}', 'limited'), 'pid').trim());
    assert.ok(pid > 0);
    assert.equal(cgroupFile(pid, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(cgroupFile(pid, 'cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(cgroupFile(pid, 'pids', 'pids.max'), '50');
    const sh = (cmd: string): Promise<RunResult> => d.docker('exec', 'limited', 'sh', '-c', cmd);
    assert.equal(ok(await sh('cat /proc/1/cmdline | tr "\\0" " "'), 'init'), '/sbin/docker-init -- /misbehave sleep ');
    assert.equal(ok(await sh('id -u'), 'uid'), '65534\n');
    assert.equal(ok(await sh('cat /proc/sys/net/ipv4/ip_forward'), 'sysctl'), '1\n');
    assert.match(ok(await sh('grep "Max open files" /proc/1/limits'), 'ulimit'), /Max open files\s+1024\s+2048\s+files/);
    assert.equal(ok(await sh('cat /data/f'), 'bind'), 'from-host\n');
    assert.notEqual((await sh('touch /data/x')).code, 0, 'a :ro bind must be read-only');
    assert.notEqual((await sh('touch /rootfile')).code, 0, '--read-only must make / read-only');
    assert.equal((await d.docker('exec', '-u', 'root', 'limited', 'sh', '-c', 'touch /scratch/ok && touch /vol/ok')).code, 0);
    const capEff = ok(await d.docker('exec', '-u', 'root', 'limited', 'sh', '-c', 'grep CapBnd /proc/self/status'), 'caps');
    const bnd = BigInt(`0x${capEff.split(/\s+/)[1] ?? '0'}`);
    assert.equal(bnd & (1n << 13n), 0n, 'CAP_NET_RAW (bit 13) must be dropped');
    assert.notEqual(bnd & (1n << 0n), 0n, 'CAP_CHOWN stays');
  });

  it('refuses bad input with docker messages, leaving nothing behind', async () => {
    const before = ok(await d.docker('ps', '-aq', '--no-trunc'), 'ps');
    const cases: [string[], RegExp][] = [
      [['create', '--name', 'web1', 'shoal-test/web:1'], /Conflict\. The container name "\/web1" is already in use by container/],
      [['create', '-m', '4m', 'shoal-test/web:1'], /Minimum memory limit allowed is 6MB/],
      [['create', '--cap-add', 'BOGUS', 'shoal-test/web:1'], /unknown capability: "CAP_BOGUS"/],
      [['create', '--mount', `type=bind,source=${d.dir}/no/such/dir,target=/x`, 'shoal-test/web:1'], /bind source path does not exist/],
      [['create', '--pull', 'never', 'shoal-test/absent:1'], /No such image: shoal-test\/absent:1/],
    ];
    for (const [args, re] of cases) {
      const r = await d.docker(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.equal(ok(await d.docker('ps', '-aq', '--no-trunc'), 'ps'), before);
    const rm = await d.docker('rm', 'web1');
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /container is running: stop the container before removing or force remove/);
    const nope = await d.shoal('logs', 'no-such-container');
    assert.equal(nope.code, 1);
    assert.match(nope.stderr, /No such container: no-such-container/);
  });

  it('a terminal session: run -it and exec -it through a pseudo-terminal', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
    const r = await run('script', ['-qec', 'docker run --rm -it shoal-test/misbehave:1 sh -c "tty; stty size; echo done"', '/dev/null'], { env, timeoutMs: 20000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /done/);
    const e = await run('script', ['-qec', 'docker exec -it web1 sh -c "tty && echo inside"', '/dev/null'], { env, timeoutMs: 20000 });
    assert.equal(e.code, 0, e.stdout + e.stderr);
    assert.match(e.stdout, /inside/);
  });

  it('containers outlive a kill -9 of the daemon: adopted on restart, with logs and exit codes', async () => {
    ok(await d.docker('run', '-d', '--name', 'survivor', 'shoal-test/misbehave:1', 'sh', '-c', 'echo before; sleep 2; echo after; exit 7'), 'run');
    const pid = ok(await d.docker('inspect', '-f', '{{.State.Pid}}', 'survivor'), 'pid').trim();
    await d.kill9();
    // The container runs on while no daemon exists.
    assert.doesNotThrow(() => process.kill(Number(pid), 0));
    await d.restart();
    assert.equal(ok(await d.docker('inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor'), 'inspect'), `running ${pid}\n`);
    const w = await d.docker('wait', 'survivor');
    assert.equal(w.stdout, '7\n', w.stderr);
    assert.equal(ok(await d.docker('logs', 'survivor'), 'logs'), 'before\nafter\n');
    // The web container kept serving throughout.
    assert.equal(ok(await d.docker('exec', 'web1', 'wget', '-qO-', 'http://127.0.0.1/'), 'web after restart'), 'hostname=web-one version=1\n');
  });

  it('pulls from a registry v2 on 127.0.0.1 (plain HTTP on loopback), with per-layer progress', async () => {
    await using reg = await startRegistry();
    const web = await buildImageTar('web');
    await reg.push(web.path, 'pulltest/web:1');
    const r = await d.docker('pull', `${reg.host}/pulltest/web:1`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Pull complete|Already exists/);
    assert.match(r.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${reg.host}/pulltest/web:1`));
    const s = await d.shoal('pull', `${reg.host}/pulltest/web:1`);
    assert.equal(s.code, 0, s.stderr);
    const digests = ok(await d.docker('images', '--digests', '--format', '{{.Repository}} {{.Digest}}', `${reg.host}/pulltest/web`), 'digests');
    assert.match(digests, /sha256:[0-9a-f]{64}/);
    const missing = await d.docker('pull', `${reg.host}/pulltest/absent:1`);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found|manifest unknown/);
  });

  it('image prune -a removes unused images and keeps the ones containers use', async () => {
    const oci = await ociLayoutImage('web-v2');
    ok(await d.docker('load', '-i', oci.path), 'load');
    const prune = ok(await d.shoal('image', 'prune', '-a', '-f'), 'prune');
    assert.match(prune, /^Deleted Images:\nuntagged: shoal-test\/web:2\ndeleted: sha256:[0-9a-f]{64}\n/);
    assert.match(prune, /Total reclaimed space: /);
    const left = ok(await d.docker('images', '--format', '{{.Repository}}:{{.Tag}}'), 'images');
    assert.doesNotMatch(left, /shoal-test\/web:2/);
    assert.match(left, /shoal-test\/web:1/);
    assert.match(left, /shoal-test\/misbehave:1/);
  });
});
