/**
 * End to end: stacks on a one-node swarm whose daemon runs in a network namespace this test makes. The
 * getting-started compose file (web ×5 on 80:80 on webnet, a monitor on a manager) deployed with `shoal stack
 * deploy`: it converges, the routing mesh spreads requests over the 5 tasks, the unmodified docker CLI's `stack
 * ls/services/ps` print what shoal's print, a redeploy of the same file changes nothing, a changed image rolls the
 * tasks, `stack rm` leaves nothing behind; then `docker stack deploy` of the same file makes the same service specs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { REPO, run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { freePort } from '../harness/registry.js';

const FILE = join(REPO, 'examples/getting-started/docker-compose.yml');
const NS = `shltest-stack-${process.pid.toString(36)}`;

const until = untilWithin(60000);

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** A service's inspect output with what differs between two deploys of one file taken out. */
function comparable(json: string, stack: string, networks: ReadonlyMap<string, string>): unknown {
  const [s] = JSON.parse(json) as Record<string, unknown>[];
  assert.ok(s);
  const text = JSON.stringify({ Spec: s.Spec, EndpointSpec: (s.Endpoint as { Spec?: unknown } | undefined)?.Spec, Ports: (s.Endpoint as { Ports?: unknown } | undefined)?.Ports });
  const named = text.replace(/"Target":"([^"]+)"/g, (_m, id: string) => `"Target":"${networks.get(id) ?? id}"`);
  return JSON.parse(named.replaceAll(`${stack}_`, 'STACK_').replaceAll(`"${stack}"`, '"STACK"')) as unknown;
}

describe('stacks: shoal stack deploy/ls/services/ps/rm on the real kernel, side by side with docker stack', () => {
  let d: TestDaemon;
  let tmp: string;
  const inNs = (...args: string[]): Promise<RunResult> => run('ip', ['netns', 'exec', NS, ...args], { timeoutMs: 15000 });
  const get = async (): Promise<string> => ok(await inNs('busybox', 'wget', '-qO-', 'http://127.0.0.1/'), 'GET /').trim();
  const networkNames = async (): Promise<Map<string, string>> => {
    const out = ok(await d.docker('network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}'), 'network ls');
    return new Map(lines(out).map((l) => l.split(' ') as [string, string]));
  };
  const running = async (service: string): Promise<number> =>
    lines(ok(await d.docker('service', 'ps', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}', service), 'service ps')).filter((l) => l.startsWith('Running')).length;
  /** Nothing of the stack is left: services, networks, secrets, configs, containers. */
  const assertGone = async (stack: string): Promise<void> => {
    const label = `label=com.docker.stack.namespace=${stack}`;
    assert.deepEqual(lines(ok(await d.docker('service', 'ls', '-q', '--filter', label), 'service ls')), []);
    await until(`the networks of ${stack} to be gone`, async () => (lines(ok(await d.docker('network', 'ls', '-q', '--filter', label), 'network ls')).length === 0 ? true : undefined));
    assert.deepEqual(lines(ok(await d.docker('secret', 'ls', '-q', '--filter', label), 'secret ls')), []);
    assert.deepEqual(lines(ok(await d.docker('config', 'ls', '-q', '--filter', label), 'config ls')), []);
    await until(`the containers of ${stack} to be gone`, async () => (lines(ok(await d.docker('ps', '-aq', '--filter', label), 'ps')).length === 0 ? true : undefined));
  };
  let shoalSpecs: Map<string, unknown>;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'shoal-stack-e2e-'));
    spawnSync('ip', ['netns', 'del', NS]);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0);
    d = await startDaemon({ hostname: 'stack-e2e', netns: NS, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    for (const kind of ['web', 'web-v2', 'misbehave'] as const) ok(await d.docker('load', '-i', (await buildImageTar(kind)).path), `load ${kind}`);
    const port = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`), 'swarm init');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
    spawnSync('ip', ['netns', 'del', NS]);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const r = ok(await d.shoal('stack', 'deploy', '--dry-run', '-c', FILE, 'gs'), 'dry run');
    assert.match(r, /^Would create network gs_webnet$/m);
    assert.match(r, /^Would create service gs_web$/m);
    assert.deepEqual(lines(ok(await d.docker('service', 'ls', '-q'), 'service ls')), []);
    assert.deepEqual(lines(ok(await d.docker('network', 'ls', '-q', '--filter', 'label=com.docker.stack.namespace=gs'), 'network ls')), []);
  });

  it('deploys the getting-started stack: networks then services, and --detach=false waits until 5/5 run', async () => {
    const r = await d.shoal('stack', 'deploy', '--detach=false', '-c', FILE, 'gs');
    const out = ok(r, 'stack deploy');
    const order = lines(out).filter((l) => l.startsWith('Creating '));
    assert.equal(order[0], 'Creating network gs_webnet', out);
    assert.ok(order.includes('Creating service gs_web'), out);
    assert.match(out, /^gs_web: converged$/m);
    assert.equal(await running('gs_web'), 5, 'converged means 5 running tasks, right when deploy returns');
    const ls = ok(await d.docker('service', 'ls', '--filter', 'name=gs_web', '--format', '{{.Replicas}}'), 'service ls');
    assert.equal(ls.trim(), '5/5');
  });

  it('the routing mesh spreads 50 requests to 127.0.0.1:80 over all 5 tasks', async () => {
    await until('the mesh to answer', async () => ((await get()).startsWith('hostname=') ? true : undefined));
    const seen = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const body = await get();
      const host = /hostname=(\S+)/.exec(body)?.[1] ?? body;
      seen.set(host, (seen.get(host) ?? 0) + 1);
    }
    assert.equal(seen.size, 5, `50 requests reached ${seen.size} tasks: ${JSON.stringify([...seen])}`);
  });

  it('stack ls, services and ps print the same through the docker CLI and shoal', async () => {
    for (const args of [['stack', 'ls'], ['stack', 'services', 'gs'], ['stack', 'services', '-q', 'gs'], ['stack', 'ps', '--no-trunc', 'gs'], ['stack', 'ps', '-q', 'gs'], ['stack', 'ps', '--format', '{{.Name}} {{.DesiredState}}', 'gs']]) {
      const docker = ok(await d.docker(...args), `docker ${args.join(' ')}`);
      const shoal = ok(await d.shoal(...args), `shoal ${args.join(' ')}`);
      // CURRENT STATE carries an age that may tick between the two calls (and so the column widths)
      const strip = (s: string): string => s.replace(/(Running|Shutdown|Failed|Complete) [^\n]*? ago/g, '$1').replace(/ +/g, ' ');
      assert.equal(strip(shoal), strip(docker), args.join(' '));
    }
    assert.match(ok(await d.shoal('stack', 'ls'), 'ls'), /^gs\s+2$/m);
  });

  it('a redeploy of the same file updates nothing', async () => {
    const before = ok(await d.docker('service', 'inspect', '--format', '{{.Version.Index}}', 'gs_web', 'gs_monitor'), 'inspect');
    const out = ok(await d.shoal('stack', 'deploy', '-c', FILE, 'gs'), 'redeploy');
    assert.doesNotMatch(out, /Updating|Creating/, out);
    assert.equal(ok(await d.docker('service', 'inspect', '--format', '{{.Version.Index}}', 'gs_web', 'gs_monitor'), 'inspect'), before);
    shoalSpecs = new Map();
    const names = await networkNames();
    for (const svc of ['web', 'monitor']) shoalSpecs.set(svc, comparable(ok(await d.docker('service', 'inspect', `gs_${svc}`), 'inspect'), 'gs', names));
  });

  it('a redeploy with a changed image rolls the tasks to the new image', async () => {
    const changed = join(tmp, 'docker-compose.yml');
    const text = readFileSync(FILE, 'utf8').replace(/^([ \t]*image:[ \t]*)shoal-test\/web:1[ \t]*$/m, '$1shoal-test/web:2');
    assert.match(text, /image: shoal-test\/web:2/);
    writeFileSync(changed, text);
    const out = ok(await d.shoal('stack', 'deploy', '--detach=false', '-c', changed, 'gs'), 'redeploy v2');
    assert.match(out, /^Updating service gs_web \(id: \w+\)$/m);
    assert.doesNotMatch(out, /Updating service gs_monitor/);
    await until('every web task to serve version 2', async () => {
      for (let i = 0; i < 20; i++) if (!(await get()).includes('version=2')) return undefined;
      return true;
    });
    const images = lines(ok(await d.docker('service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Image}}', 'gs_web'), 'ps'));
    assert.deepEqual(new Set(images), new Set(['shoal-test/web:2']));
  });

  it('stack rm removes services, then networks; nothing of the stack is left', async () => {
    const out = ok(await d.shoal('stack', 'rm', 'gs'), 'stack rm');
    assert.deepEqual(lines(out), ['Removing service gs_monitor', 'Removing service gs_web', 'Removing network gs_webnet']);
    await assertGone('gs');
    const again = await d.shoal('stack', 'rm', 'gs');
    assert.equal(again.code, 0);
    assert.equal(again.stderr, 'Nothing found in stack: gs\n');
  });

  it('docker stack deploy of the same file makes the same service specs as shoal stack deploy', async () => {
    ok(await d.docker('stack', 'deploy', '-c', FILE, 'other'), 'docker stack deploy');
    await until('other_web to run 5 tasks', async () => ((await running('other_web')) === 5 ? true : undefined));
    const names = await networkNames();
    for (const svc of ['web', 'monitor']) {
      const docker = comparable(ok(await d.docker('service', 'inspect', `other_${svc}`), 'inspect'), 'other', names);
      assert.deepEqual(docker, shoalSpecs.get(svc), svc);
    }
    // shoal sees docker's stack as its own: a shoal redeploy changes nothing, and shoal removes it cleanly
    assert.doesNotMatch(ok(await d.shoal('stack', 'deploy', '-c', FILE, 'other'), 'shoal redeploy of a docker stack'), /Updating|Creating/);
    ok(await d.shoal('stack', 'rm', 'other'), 'stack rm other');
    await assertGone('other');
  });

  it('depends_on service_healthy: web is created only once db is healthy, and the deploy says it waits', async () => {
    // retries: with docker's default of 3, checks every 500 ms call db unhealthy (and kill it) before its 3 s are up
    const file = join(tmp, 'deps.yml');
    writeFileSync(
      file,
      `services:
  db:
    image: shoal-test/misbehave:1
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; sleep 100000"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 500ms
      retries: 20
    stop_grace_period: 1s
  web:
    image: shoal-test/web:1
    depends_on:
      db: { condition: service_healthy }
`,
    );
    try {
      const out = ok(await d.shoal('stack', 'deploy', '--resolve-image', 'never', '-c', file, 'deps'), 'stack deploy deps');
      const at = (line: string): number => {
        const i = lines(out).indexOf(line);
        assert.ok(i >= 0, `missing ${JSON.stringify(line)} in\n${out}`);
        return i;
      };
      assert.ok(at('Creating service deps_db') < at('Waiting for service deps_db to be healthy before creating deps_web'), out);
      assert.ok(at('Waiting for service deps_db to be healthy before creating deps_web') < at('Service deps_db is healthy (1/1 running)'), out);
      assert.ok(at('Service deps_db is healthy (1/1 running)') < at('Creating service deps_web'), out);
      // when db's task got to RUNNING (healthy) against when web was created, both as the daemon recorded them
      const taskIds = lines(ok(await d.docker('service', 'ps', '-q', '--no-trunc', 'deps_db'), 'service ps'));
      const states = lines(ok(await d.docker('inspect', '--type', 'task', '--format', '{{.Status.State}} {{json .Status.Timestamp}}', ...taskIds), 'inspect tasks'));
      const runningAt = states
        .filter((l) => l.startsWith('running '))
        .map((l) => Date.parse(JSON.parse(l.slice('running '.length)) as string))
        .sort((a, b) => a - b)[0];
      assert.ok(runningAt !== undefined && !Number.isNaN(runningAt), `no running db task: ${states.join('; ')}`);
      const created = (svc: string): Promise<number> => d.docker('service', 'inspect', '--format', '{{json .CreatedAt}}', svc).then((r) => Date.parse(JSON.parse(ok(r, 'service inspect')) as string));
      const dbCreated = await created('deps_db');
      const webCreated = await created('deps_web');
      assert.ok(runningAt - dbCreated >= 3000, `db became healthy ${runningAt - dbCreated} ms after it was created: its check passes only after 3 s`);
      assert.ok(webCreated > runningAt, `web created at ${new Date(webCreated).toISOString()}, db running at ${new Date(runningAt).toISOString()}`);
      assert.equal(ok(await d.docker('service', 'ls', '--filter', 'name=deps_db', '--format', '{{.Replicas}}'), 'service ls').trim(), '1/1');
    } finally {
      ok(await d.shoal('stack', 'rm', 'deps'), 'stack rm deps');
    }
    await assertGone('deps');
  });
});
