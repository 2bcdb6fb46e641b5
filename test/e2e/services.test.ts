/**
 * End to end: services on a one-node swarm with real runc, driven by the unmodified docker CLI. The manager and the
 * agent talk over the mutual-TLS RPC even on one node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { freePort } from '../harness/registry.js';

const until = untilWithin(30000);

describe('services through the docker CLI, on real containers', () => {
  let d: TestDaemon;
  const running = async (service: string): Promise<string[]> =>
    ok(await d.docker('ps', '--filter', `label=com.docker.swarm.service.name=${service}`, '--format', '{{.Names}}'), 'ps')
      .split('\n')
      .filter((l) => l !== '');
  const replicas = async (service: string): Promise<string> => ok(await d.docker('service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}'), 'ls').trim();

  before(async () => {
    d = await startDaemon({ hostname: 'svc-e2e' });
    ok(await d.docker('load', '-i', (await buildImageTar('web')).path), 'load web');
    ok(await d.docker('load', '-i', (await buildImageTar('web-v2')).path), 'load web v2');
    ok(await d.docker('load', '-i', (await buildImageTar('misbehave')).path), 'load misbehave');
    const port = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`), 'swarm init');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('creates 3 replicas, waiting for convergence like docker; ls and ps show them', async () => {
    const r = await d.docker('service', 'create', '--name', 'web', '--replicas', '3', '--restart-delay', '1s', 'shoal-test/web:1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /overall progress: 3 out of 3 tasks/);
    assert.match(r.stdout, /verify: Service [0-9a-z]{25} converged/);
    assert.equal(await replicas('web'), '3/3');
    const ps = ok(await d.docker('service', 'ps', 'web', '--format', '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}'), 'service ps');
    const rows = ps.trim().split('\n').sort();
    assert.equal(rows.length, 3);
    rows.forEach((row, i) => assert.match(row, new RegExp(`^web\\.${i + 1} svc-e2e Running Running`)));
    const names = (await running('web')).sort();
    assert.equal(names.length, 3);
    for (const n of names) assert.match(n, /^web\.[123]\.[0-9a-z]{25}$/);
    const body = ok(await d.docker('exec', names[0] ?? '', 'wget', '-qO-', 'http://127.0.0.1/'), 'exec');
    assert.match(body, /^hostname=[0-9a-f]{12} version=1\n$/);
  });

  it('shoal service ls/ps/inspect print what the docker CLI prints; service logs prefix each line like docker', async () => {
    for (const args of [
      ['service', 'ls'],
      ['service', 'ls', '-q'],
      ['service', 'ps', 'web', '--format', '{{.Name}} {{.Image}} {{.Node}} {{.DesiredState}}'],
      ['service', 'inspect', '--format', '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}}', 'web'],
    ]) {
      const dk = await d.docker(...args);
      const sh = await d.shoal(...args);
      assert.equal(sh.stdout, dk.stdout, args.join(' '));
      assert.equal(sh.code, dk.code, args.join(' '));
    }
    const ps = ok(await d.shoal('service', 'ps', 'web'), 'shoal service ps').split('\n')[0] ?? '';
    assert.deepEqual(ps.split(/ {2,}/), ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS']);
    ok(await d.docker('service', 'create', '-d', '--name', 'talker', '--restart-condition', 'none', 'shoal-test/misbehave:1', 'echo-stdout-stderr'), 'create talker');
    const logs = await until('the logs', async () => {
      const r = await d.docker('service', 'logs', 'talker');
      return r.stdout.includes('line 2') && r.stderr.includes('line 2') ? r : undefined;
    });
    assert.match(logs.stdout, /^talker\.1\.[0-9a-z]{12}@svc-e2e {4}\| misbehave stdout line 1$/m);
    assert.match(logs.stderr, /^talker\.1\.[0-9a-z]{12}@svc-e2e {4}\| misbehave stderr line 1$/m);
    const raw = ok(await d.shoal('service', 'logs', '--raw', 'talker'), 'shoal logs --raw');
    assert.match(raw, /misbehave stdout line 2/);
    ok(await d.docker('service', 'rm', 'talker'), 'rm talker');
  });

  it('replaces a killed task container after the restart delay, keeping the old task in history', async () => {
    const [victim] = await running('web');
    assert.ok(victim);
    ok(await d.docker('kill', victim), 'kill');
    await until('a replacement', async () => ((await running('web')).length === 3 && !(await running('web')).includes(victim) ? true : undefined));
    const ps = ok(await d.docker('service', 'ps', 'web', '--format', '{{.Name}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}'), 'ps');
    assert.match(ps, /\|Shutdown\|Failed .*\|"task: non-zero exit \(137\)"/);
  });

  it('scales 3 → 20 → 3', async () => {
    ok(await d.docker('service', 'scale', 'web=20'), 'scale up');
    assert.equal(await replicas('web'), '20/20');
    assert.equal((await running('web')).length, 20);
    ok(await d.docker('service', 'scale', 'web=3'), 'scale down');
    await until('extra containers gone', async () => ((await running('web')).length === 3 ? true : undefined));
    assert.equal(await replicas('web'), '3/3');
  });

  it('update --image with start-first never drops below 3 running, and completes', async () => {
    let min = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const n = (await running('web')).length;
        min = Math.min(min, n);
      }
    })();
    const r = await d.docker('service', 'update', '--image', 'shoal-test/web:2', '--update-order', 'start-first', '--update-parallelism', '1', 'web');
    sampling = false;
    await sampler;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(min >= 3, `only ${min} containers were running at one point`);
    assert.equal(ok(await d.docker('service', 'inspect', '-f', '{{.UpdateStatus.State}}', 'web'), 'inspect'), 'completed\n');
    const [one] = await running('web');
    assert.match(ok(await d.docker('exec', one ?? '', 'wget', '-qO-', 'http://127.0.0.1/'), 'exec'), /version=2/);
  });

  it('service rollback goes back to the previous spec', async () => {
    const r = await d.docker('service', 'rollback', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rollback: manually requested rollback/);
    assert.equal(ok(await d.docker('service', 'inspect', '-f', '{{.Spec.TaskTemplate.ContainerSpec.Image}} {{.UpdateStatus.State}}', 'web'), 'image'), 'shoal-test/web:1 rollback_completed\n');
    const [one] = await running('web');
    assert.match(ok(await d.docker('exec', one ?? '', 'wget', '-qO-', 'http://127.0.0.1/'), 'exec'), /version=1/);
  });

  it('a failing update is rolled back by failure_action rollback', async () => {
    const r = await d.docker(
      'service', 'update', '--image', 'shoal-test/misbehave:1', '--args', 'crash 3', '--update-failure-action', 'rollback',
      '--update-monitor', '2s', '--update-parallelism', '1', '--restart-condition', 'none', 'web',
    );
    // The docker CLI reports the rollback and exits non-zero, as with docker.
    assert.match(r.stdout + r.stderr, /rollback/);
    await until('rollback_completed', async () =>
      (await d.docker('service', 'inspect', '-f', '{{.UpdateStatus.State}}', 'web')).stdout === 'rollback_completed\n' ? true : undefined,
    );
    assert.equal(ok(await d.docker('service', 'inspect', '-f', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', 'web'), 'image'), 'shoal-test/web:1\n');
    await until('3 running again', async () => ((await replicas('web')) === '3/3' ? true : undefined));
  });

  it('a global service runs one task on the node', async () => {
    ok(await d.docker('service', 'create', '--name', 'everywhere', '--mode', 'global', 'shoal-test/misbehave:1', 'sleep'), 'create global');
    assert.equal(await replicas('everywhere'), '1/1');
    const ps = ok(await d.docker('service', 'ps', 'everywhere', '--format', '{{.Name}}'), 'ps');
    assert.match(ps, /^everywhere\.[0-9a-z]{25}\n$/);
  });

  it('a replicated job runs to its total completions', async () => {
    ok(await d.docker('service', 'create', '--name', 'batch', '--mode', 'replicated-job', '--replicas', '4', '--max-concurrent', '2', 'shoal-test/misbehave:1', 'exit-code', '0'), 'create job');
    await until('4 completions', async () => {
      const ps = ok(await d.docker('service', 'ps', 'batch', '--format', '{{.CurrentState}}'), 'ps');
      if (ps.split('\n').filter((l) => l.startsWith('Complete')).length === 4) return true;
      throw new Error(`service ps batch:\n${ps}`);
    });
  });

  it('a task with a healthcheck counts as running only once healthy', async () => {
    ok(
      await d.docker('service', 'create', '-d', '--name', 'slowstart', '--health-cmd', '/healthcheck', '--health-interval', '300ms', '--health-retries', '10',
        'shoal-test/misbehave:1', 'healthy-after', '2'),
      'create',
    );
    const early = await until('a starting task', async () => {
      const st = ok(await d.docker('service', 'ps', 'slowstart', '--format', '{{.CurrentState}}'), 'ps');
      return st.startsWith('Starting') || st.startsWith('Running') ? st : undefined;
    });
    assert.match(early, /^Starting/, 'the task must not be running before its healthcheck passes');
    await until('running once healthy', async () => ((await replicas('slowstart')) === '1/1' ? true : undefined));
    const [c] = await running('slowstart');
    assert.equal(ok(await d.docker('inspect', '-f', '{{.State.Health.Status}}', c ?? ''), 'health'), 'healthy\n');
    ok(await d.docker('service', 'rm', 'slowstart'), 'rm');
  });

  it('draining the node shuts its tasks down; making it active again brings them back', async () => {
    ok(await d.docker('service', 'create', '-d', '--name', 'drainme', '--replicas', '2', 'shoal-test/misbehave:1', 'sleep'), 'create');
    await until('2 running', async () => ((await replicas('drainme')) === '2/2' ? true : undefined));
    ok(await d.docker('node', 'update', '--availability', 'drain', 'self'), 'drain');
    await until('tasks shut down', async () => ((await running('drainme')).length === 0 ? true : undefined));
    assert.equal(await replicas('drainme'), '0/2');
    ok(await d.docker('node', 'update', '--availability', 'active', 'self'), 'activate');
    await until('2 running again', async () => ((await replicas('drainme')) === '2/2' ? true : undefined));
    ok(await d.docker('service', 'rm', 'drainme'), 'rm');
  });

  it('refuses bad input with clear errors', async () => {
    const cases: [string[], RegExp][] = [
      [['service', 'create', '--name', 'bad1', '--mode', 'global', '--replicas', '2', 'shoal-test/web:1'], /replicas can only be used with replicated or replicated-job mode/],
      [['service', 'create', '-d', '--name', 'bad2', '--constraint', 'node.labels.zone=a', 'shoal-test/web:1'], /invalid constraint expression "node\.labels\.zone=a"/],
      [['service', 'rm', 'no-such-service'], /service no-such-service not found/],
    ];
    for (const [args, re] of cases) {
      const r = await d.docker(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
  });

  it('reservations larger than any node leave the task pending with the reason', async () => {
    ok(await d.docker('service', 'create', '-d', '--name', 'huge', '--reserve-memory', '1000g', 'shoal-test/web:1'), 'create huge');
    const err = await until('a scheduling error', async () => {
      const ps = ok(await d.docker('service', 'ps', '--no-trunc', 'huge', '--format', '{{.CurrentState}}|{{.Error}}'), 'ps');
      return ps.includes('no suitable node') ? ps : undefined;
    });
    assert.match(err, /^Pending .*\|"no suitable node \(insufficient resources on 1 node\)"/);
  });

  it('an image that cannot be found is rejected with docker\'s "No such image"', async () => {
    ok(await d.docker('service', 'create', '-d', '--name', 'ghost', '--restart-condition', 'none', '127.0.0.1:1/nowhere/ghost:1'), 'create ghost');
    const ps = await until('a rejected task', async () => {
      const out = ok(await d.docker('service', 'ps', '--no-trunc', 'ghost', '--format', '{{.CurrentState}}|{{.Error}}'), 'ps');
      return out.startsWith('Rejected') ? out : undefined;
    });
    assert.match(ps, /No such image: 127\.0\.0\.1:1\/nowhere\/ghost:1/);
  });

  it('a stale version is refused with "update out of sequence", and service rm removes the tasks', async () => {
    const v = Number(ok(await d.docker('service', 'inspect', '-f', '{{.Version.Index}}', 'huge'), 'version').trim());
    const spec = ok(await d.docker('service', 'inspect', '-f', '{{json .Spec}}', 'huge'), 'spec');
    ok(await d.docker('service', 'scale', '-d', 'huge=2'), 'scale');
    const res = await fetchUpdate(d.socket, 'huge', v, spec);
    assert.equal(res.status, 500);
    assert.match(res.body, /update out of sequence/);
    ok(await d.docker('service', 'rm', 'web', 'everywhere', 'batch', 'huge', 'ghost'), 'rm');
    await until('task containers gone', async () => ((await running('web')).length + (await running('everywhere')).length === 0 ? true : undefined));
  });
});

async function fetchUpdate(socket: string, ref: string, version: number, spec: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path: `/v1.47/services/${ref}/update?version=${version}`, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(spec);
  });
}
