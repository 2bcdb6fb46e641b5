/**
 * End to end, on the real kernel and without swarm: `shoal compose` against a daemon in a network namespace this
 * test makes. A three-service app (db with a healthcheck that passes after ~3 s, web depending on it being healthy
 * and publishing 8086, client reaching web by name) goes up with `up -d --wait`, answers on the published port,
 * is listed by `ps`, is partly recreated after an edit, and `down -v` leaves nothing of the project behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';

const until = untilWithin(20000);

const NS = `shltest-compose-${process.pid.toString(36)}`;
const PROJECT = 'shlapp';

function composeFile(greeting: string): string {
  return `services:
  db:
    image: shoal-test/misbehave:1
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 300ms
      timeout: 2s
      retries: 50
    stop_grace_period: 1s
    volumes: ["data:/data"]
  web:
    image: shoal-test/web:1
    depends_on:
      db:
        condition: service_healthy
    ports: ["8086:80"]
    environment:
      GREETING: ${greeting}
  client:
    image: shoal-test/misbehave:1
    depends_on: [web]
    command: sh -c 'until wget -qO- http://web/ > /tmp/got; do sleep 0.2; done; echo fetched; exec sleep 3600'
    stop_grace_period: 1s
volumes:
  data: {}
`;
}

describe('shoal compose on one host (no swarm)', () => {
  let d: TestDaemon;
  let dir: string;
  let file: string;
  const compose = (...args: string[]): Promise<RunResult> => d.shoal('compose', '-f', file, '-p', PROJECT, ...args);
  const inspect = async (ref: string, format: string): Promise<string> => ok(await d.docker('inspect', ref, '--format', format), `inspect ${ref}`).trim();
  const idOf = (name: string): Promise<string> => inspect(name, '{{.Id}}');

  before(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0);
    // The embedded DNS forwards to an upstream that does not answer: no test query may leave the machine.
    d = await startDaemon({ hostname: 'compose-e2e', netns: NS, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    ok(await d.docker('load', '-i', (await buildImageTar('web')).path), 'load web');
    ok(await d.docker('load', '-i', (await buildImageTar('misbehave')).path), 'load misbehave');
    dir = mkdtempSync(join(tmpdir(), 'shoal-compose-e2e-'));
    file = join(dir, 'compose.yaml');
    writeFileSync(file, composeFile('one'));
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('up -d --wait returns once db is healthy, with web started only after that', async () => {
    const up = await compose('up', '-d', '--wait');
    ok(up, 'compose up -d --wait');
    assert.match(up.stderr, new RegExp(`Network ${PROJECT}_default {2}Created`));
    assert.match(up.stderr, new RegExp(`Volume ${PROJECT}_data {2}Created`));
    assert.match(up.stderr, new RegExp(`Container ${PROJECT}-db-1 {2}Healthy`));
    assert.match(up.stderr, new RegExp(`Container ${PROJECT}-web-1 {2}Started`));
    assert.equal(await inspect(`${PROJECT}-db-1`, '{{.State.Health.Status}}'), 'healthy');
    for (const s of ['db', 'web', 'client']) assert.equal(await inspect(`${PROJECT}-${s}-1`, '{{.State.Status}}'), 'running', s);
    const dbStarted = Date.parse(await inspect(`${PROJECT}-db-1`, '{{.State.StartedAt}}'));
    const webStarted = Date.parse(await inspect(`${PROJECT}-web-1`, '{{.State.StartedAt}}'));
    const clientStarted = Date.parse(await inspect(`${PROJECT}-client-1`, '{{.State.StartedAt}}'));
    assert.ok(webStarted - dbStarted >= 3000, `web started ${webStarted - dbStarted} ms after db, before db could be healthy`);
    assert.ok(clientStarted >= webStarted, 'client starts after web');
    // docker compose's names and labels.
    assert.equal(await inspect(`${PROJECT}-web-1`, '{{index .Config.Labels "com.docker.compose.project"}}'), PROJECT);
    assert.equal(await inspect(`${PROJECT}-web-1`, '{{index .Config.Labels "com.docker.compose.service"}}'), 'web');
    assert.equal(await inspect(`${PROJECT}-web-1`, '{{index .Config.Labels "com.docker.compose.container-number"}}'), '1');
    assert.equal(await inspect(`${PROJECT}-web-1`, '{{index .Config.Labels "com.docker.compose.oneoff"}}'), 'False');
    assert.equal(await inspect(`${PROJECT}-web-1`, '{{index .Config.Labels "com.docker.compose.project.working_dir"}}'), dir);
  });

  it('publishes web on the host and lets client reach web by its service name', async () => {
    const body = ok(await run('ip', ['netns', 'exec', NS, 'busybox', 'wget', '-qO-', 'http://127.0.0.1:8086/'], { timeoutMs: 15000 }), 'GET :8086').trim();
    const webHost = await inspect(`${PROJECT}-web-1`, '{{.Config.Hostname}}');
    assert.equal(body, `hostname=${webHost} version=1`);
    const got = await until('client to fetch http://web/', async () => {
      const r = await d.docker('exec', `${PROJECT}-client-1`, 'cat', '/tmp/got');
      return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
    });
    assert.equal(got, `hostname=${webHost} version=1`);
    const logs = ok(await compose('logs', 'client'), 'compose logs client');
    assert.match(logs, new RegExp(`^${PROJECT}-client-1 \\| fetched$`, 'm'));
  });

  it('ps lists the three containers with docker compose columns', async () => {
    const out = ok(await compose('ps'), 'compose ps');
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)[0]),
      ['client', 'db', 'web'].map((s) => `${PROJECT}-${s}-1`),
    );
    assert.match(lines.find((l) => l.startsWith(`${PROJECT}-web-1`)) ?? '', /shoal-test\/web:1 .* web .*Up .*0\.0\.0\.0:8086->80\/tcp/);
    const ids = ok(await compose('ps', '-q'), 'compose ps -q').trim().split('\n');
    assert.equal(ids.length, 3);
  });

  it('a second up after editing web recreates web only', async () => {
    const before = { db: await idOf(`${PROJECT}-db-1`), web: await idOf(`${PROJECT}-web-1`), client: await idOf(`${PROJECT}-client-1`) };
    writeFileSync(file, composeFile('two'));
    const up = await compose('up', '-d');
    ok(up, 'compose up -d (edited)');
    assert.match(up.stderr, new RegExp(`Container ${PROJECT}-web-1 {2}Recreated`));
    assert.doesNotMatch(up.stderr, /db-1 {2}Recreated|client-1 {2}Recreated/);
    assert.equal(await idOf(`${PROJECT}-db-1`), before.db);
    assert.equal(await idOf(`${PROJECT}-client-1`), before.client);
    const web = await idOf(`${PROJECT}-web-1`);
    assert.notEqual(web, before.web);
    assert.match(await inspect(web, '{{json .Config.Env}}'), /"GREETING=two"/);
    assert.equal(await inspect(web, '{{.State.Status}}'), 'running');
  });

  it('down -v leaves no container, network or volume of the project', async () => {
    const down = await compose('down', '-v');
    ok(down, 'compose down -v');
    assert.match(down.stderr, new RegExp(`Network ${PROJECT}_default {2}Removed`));
    assert.equal(ok(await d.docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`), 'ps').trim(), '');
    assert.doesNotMatch(ok(await d.docker('network', 'ls', '--format', '{{.Name}}'), 'network ls'), new RegExp(`^${PROJECT}_`, 'm'));
    assert.doesNotMatch(ok(await d.docker('volume', 'ls', '--format', '{{.Name}}'), 'volume ls'), new RegExp(`^${PROJECT}_`, 'm'));
    assert.equal(ok(await compose('ps', '-a', '-q'), 'ps after down').trim(), '');
  });

  it('up in the foreground runs a job to completion first, prefixes each line and returns when all have exited', async () => {
    const f = join(dir, 'jobs.yaml');
    writeFileSync(
      f,
      `services:
  job:
    image: shoal-test/misbehave:1
    command: ["sh", "-c", "echo job-ran"]
  after:
    image: shoal-test/misbehave:1
    depends_on:
      job:
        condition: service_completed_successfully
    command: ["sh", "-c", "echo after-ran"]
`,
    );
    const r = await d.shoal('compose', '-f', f, '-p', 'shlfg', 'up');
    ok(r, 'compose up (foreground)');
    assert.match(r.stderr, /Container shlfg-job-1 {2}Exited/);
    assert.match(r.stdout, /^shlfg-job-1\s+\| job-ran$/m);
    assert.match(r.stdout, /^shlfg-after-1 \| after-ran$/m);
    assert.match(r.stdout, /^shlfg-after-1 exited with code 0$/m);
    const jobEnd = Date.parse(await inspect('shlfg-job-1', '{{.State.FinishedAt}}'));
    const afterStart = Date.parse(await inspect('shlfg-after-1', '{{.State.StartedAt}}'));
    assert.ok(afterStart >= jobEnd, 'after starts once job has completed');
    ok(await d.shoal('compose', '-f', f, '-p', 'shlfg', 'down'), 'down shlfg');
  });

  it('fails clearly when a service_healthy dependency turns unhealthy, without starting the dependent', async () => {
    const f = join(dir, 'unhealthy.yaml');
    writeFileSync(
      f,
      `services:
  sick:
    image: shoal-test/misbehave:1
    healthcheck:
      test: ["CMD-SHELL", "exit 1"]
      interval: 200ms
      retries: 1
    stop_grace_period: 1s
  dependent:
    image: shoal-test/misbehave:1
    depends_on:
      sick:
        condition: service_healthy
`,
    );
    const r = await d.shoal('compose', '-f', f, '-p', 'shlsick', 'up', '-d');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dependency failed to start: container shlsick-sick-1 is unhealthy/);
    assert.equal(await inspect('shlsick-dependent-1', '{{.State.Status}}'), 'created');
    ok(await d.shoal('compose', '-f', f, '-p', 'shlsick', 'down'), 'down shlsick');
  });

  it('refuses a missing external network clearly and makes nothing', async () => {
    const f = join(dir, 'external.yaml');
    writeFileSync(f, 'services:\n  a:\n    image: shoal-test/misbehave:1\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n    name: no-such-net\n');
    const r = await d.shoal('compose', '-f', f, '-p', 'shlext', 'up', '-d');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /network no-such-net declared as external, but could not be found/);
    assert.equal(ok(await d.docker('ps', '-aq', '--filter', 'label=com.docker.compose.project=shlext'), 'ps').trim(), '');
  });
});
