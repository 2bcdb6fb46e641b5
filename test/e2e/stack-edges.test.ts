/**
 * End to end, the corners of `stack deploy` and `compose up` (issue 6) on the real kernel, with a daemon in a
 * network namespace this test makes and real registries (test/harness/registry.ts) reached from inside it:
 *
 *  - a stack deploy that fails partway (one service's image cannot be pulled) reports the failure per service, the
 *    other service runs, and a second deploy once the image exists converges without touching the good service;
 *  - the same for `compose up -d`: the failing service is named with the reason, nothing half-made blocks the re-run;
 *  - `stack config` of two files and a .env is what `docker stack config` prints (pinned by a golden file), and a
 *    bad file is reported as file:line:col;
 *  - `--resolve-image always|changed|never`, side by side with `docker stack deploy` against the same daemon;
 *  - `--with-registry-auth` against a registry demanding HTTP Basic credentials.
 *
 * The registries listen on the host's loopback; a small relay (a process in the namespace listening on the same
 * 127.0.0.1:<port>, piped through a unix socket to a server in this process) makes `127.0.0.1:<port>/image` mean
 * the same registry to the daemon, the docker CLI and the test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { assertGolden } from '../harness/golden.js';
import { dockerConfigWith, freePort, startRegistry, type TestRegistry } from '../harness/registry.js';

const NS = `shltest-sedge-${process.pid.toString(36)}`;
const until = untilWithin(60000);
const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** Pipes two sockets into each other; either side's end or error ends both. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

/**
 * Makes 127.0.0.1:<port> inside the namespace reach 127.0.0.1:<port> of the host: a relay process in the namespace
 * (its own process group, killed by PID) accepts there and connects to a unix socket, which a server here forwards
 * to the host's port. Unix sockets live in the file system, so they cross network namespaces.
 */
async function loopbackRelay(ns: string, port: number, dir: string): Promise<AsyncDisposable> {
  const sock = join(dir, `relay-${port}.sock`);
  const open = new Set<Socket>();
  const server: Server = createServer((c) => {
    const up = createConnection(port, '127.0.0.1');
    for (const x of [c, up]) {
      open.add(x);
      x.once('close', () => open.delete(x));
    }
    splice(c, up);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(sock, () => res());
  });
  const script = [
    "const net = require('node:net');",
    `net.createServer((c) => { const u = net.connect(${JSON.stringify(sock)}); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })`,
    `  .listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`,
  ].join('\n');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      await gone;
    }
    for (const x of open) x.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  try {
    await new Promise<void>((res, rej) => {
      let err = '';
      const timer = setTimeout(() => rej(new Error(`relay for port ${port} did not start: ${err}`)), 10000);
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          res();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`relay for port ${port} exited with ${code}: ${err}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { [Symbol.asyncDispose]: stop };
}

/** A registry on the host's loopback that the daemon in the namespace reaches at the same address. */
async function registryInNs(dir: string, opts: Parameters<typeof startRegistry>[0] = {}): Promise<TestRegistry & AsyncDisposable> {
  const reg = await startRegistry(opts);
  let relay: AsyncDisposable;
  try {
    relay = await loopbackRelay(NS, Number(reg.host.split(':')[1]), dir);
  } catch (e) {
    await reg.stop();
    throw e;
  }
  const stop = async (): Promise<void> => {
    await relay[Symbol.asyncDispose]();
    await reg.stop();
  };
  return Object.assign(Object.create(reg) as TestRegistry, { stop, [Symbol.asyncDispose]: stop });
}

describe('stack deploy and compose up: partial failures, stack config, --resolve-image, --with-registry-auth', () => {
  let d: TestDaemon;
  let tmp: string;
  let reg: TestRegistry & AsyncDisposable;
  let webTar: string;
  let webV2Tar: string;

  const write = (name: string, text: string): string => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const inspect = async (service: string, format: string): Promise<string> => ok(await d.docker('service', 'inspect', '-f', format, service), `service inspect ${service}`).trim();
  const imageOf = (service: string): Promise<string> => inspect(service, '{{.Spec.TaskTemplate.ContainerSpec.Image}}');
  const stackImageLabel = (service: string): Promise<string> => inspect(service, '{{index .Spec.Labels "com.docker.stack.image"}}');
  const runningTasks = async (service: string): Promise<string[]> =>
    lines(ok(await d.docker('service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', service), `service ps ${service}`)).sort();
  const replicas = async (service: string): Promise<string> => ok(await d.docker('service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}'), 'service ls').trim();
  const stackRm = async (stack: string): Promise<void> => {
    ok(await d.shoal('stack', 'rm', stack), `stack rm ${stack}`);
    await until(`the tasks of ${stack} to be gone`, async () => (lines(ok(await d.docker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`), 'ps')).length === 0 ? true : undefined));
  };
  /** The docker CLI against this daemon, with extra environment. */
  const docker = (env: Record<string, string>, ...args: string[]): Promise<RunResult> =>
    run('docker', args, { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config'), ...env }, timeoutMs: 60000 });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'shoal-stack-edges-'));
    spawnSync('ip', ['netns', 'del', NS]);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0);
    d = await startDaemon({ hostname: 'stack-edges', netns: NS, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    webTar = (await buildImageTar('web')).path;
    webV2Tar = (await buildImageTar('web-v2')).path;
    ok(await d.docker('load', '-i', webTar), 'load web');
    const port = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`), 'swarm init');
    reg = await registryInNs(tmp);
  });
  after(async () => {
    await reg?.[Symbol.asyncDispose]();
    await d?.[Symbol.asyncDispose]();
    spawnSync('ip', ['netns', 'del', NS]);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  it('stack: a service whose image cannot be pulled is reported by name and reason, the other runs; a redeploy converges without touching it', async () => {
    const file = write('partial.yml', `services:\n  good:\n    image: shoal-test/web:1\n  bad:\n    image: ${reg.host}/missing:1\n`);
    const first = await d.shoal('stack', 'deploy', '--detach=false', '-c', file, 'part');
    assert.equal(first.code, 1, `the deploy must fail:\n${first.stdout}\n${first.stderr}`);
    const why = `No such image: ${reg.host}/missing:1 \\(pulling it failed: manifest for ${reg.host}/missing:1 not found: manifest unknown: manifest unknown\\)`;
    assert.match(first.stdout, new RegExp(`^part_bad: failed: task part_bad\\.1 \\(\\w{12}\\) was rejected: ${why}$`, 'm'), first.stdout);
    assert.match(first.stdout, /^part_good: converged$/m, 'the good service is still waited for, and comes up');
    const errors = lines(first.stderr).filter((l) => l.startsWith('service '));
    assert.equal(errors.length, 1, first.stderr);
    assert.match(errors[0] ?? '', new RegExp(`^service part_bad failed: task part_bad\\.1 \\(\\w{12}\\) was rejected: ${why}$`));
    assert.equal(await replicas('part_good'), '1/1');
    const goodTasks = await runningTasks('part_good');
    const goodVersion = await inspect('part_good', '{{.Version.Index}}');

    await reg.push(webTar, 'missing:1');
    const second = await d.shoal('stack', 'deploy', '--detach=false', '-c', file, 'part');
    const out = ok(second, 'second deploy');
    assert.match(out, /^Updating service part_bad \(id: \w+\)$/m, 'the image now resolves to a digest: the spec changed');
    assert.doesNotMatch(out, /Updating service part_good/);
    assert.match(out, /^part_bad: converged$/m);
    assert.match(out, /^part_good: converged$/m);
    assert.equal(await replicas('part_bad'), '1/1');
    assert.match(await imageOf('part_bad'), new RegExp(`^${reg.host}/missing:1@sha256:[0-9a-f]{64}$`));
    assert.deepEqual(await runningTasks('part_good'), goodTasks, 'good keeps its tasks');
    assert.equal(await inspect('part_good', '{{.Version.Index}}'), goodVersion, 'good was not updated');
    await stackRm('part');
  });

  it('compose: up -d with an image that cannot be pulled names the service and why, makes no container; after the push, up -d converges', async () => {
    const file = write('compose-partial.yml', `services:\n  good:\n    image: shoal-test/web:1\n  bad:\n    image: ${reg.host}/cmissing:1\n`);
    const compose = (...args: string[]): Promise<RunResult> => d.shoal('compose', '-f', file, '-p', 'sedge', ...args);
    const containers = async (): Promise<string[]> => lines(ok(await d.docker('ps', '-a', '--filter', 'label=com.docker.compose.project=sedge', '--format', '{{.Names}} {{.State}}'), 'ps')).sort();
    const first = await compose('up', '-d');
    assert.equal(first.code, 1, `up must fail:\n${first.stdout}\n${first.stderr}`);
    assert.match(first.stderr, new RegExp(`^ ✘ Image ${reg.host}/cmissing:1 {2}Error$`, 'm'));
    assert.match(
      first.stderr,
      new RegExp(`^service "bad": pulling image ${reg.host}/cmissing:1 failed: manifest for ${reg.host}/cmissing:1 not found: manifest unknown: manifest unknown$`, 'm'),
      first.stderr,
    );
    assert.doesNotMatch(first.stderr, /service "good"/);
    assert.deepEqual(await containers(), [], 'no container is made before every image is there');
    assert.deepEqual(lines(ok(await d.docker('network', 'ls', '-q', '--filter', 'name=sedge_default'), 'network ls')), [], 'images come first: no network is left behind');

    await reg.push(webTar, 'cmissing:1');
    const second = await compose('up', '-d');
    ok(second, 'up -d after the push');
    assert.match(second.stderr, new RegExp(`^ ✔ Image ${reg.host}/cmissing:1 {2}Pulled$`, 'm'));
    assert.deepEqual(await containers(), ['sedge-bad-1 running', 'sedge-good-1 running']);
    assert.deepEqual(lines(ok(await d.docker('network', 'ls', '--filter', 'name=sedge_default', '--format', '{{.Name}}'), 'network ls')), ['sedge_default']);
    ok(await compose('down'), 'compose down');
    assert.deepEqual(await containers(), []);
  });

  it('stack config: two files and a .env, merged and interpolated, print what docker stack config prints (golden); a bad file names file:line:col', async () => {
    const dir = join(tmp, 'config');
    mkdirSync(dir);
    const base = join(dir, 'docker-compose.yml');
    const prod = join(dir, 'docker-compose.prod.yml');
    writeFileSync(
      base,
      `version: "3.8"
x-common: &common
  restart: on-failure
  labels:
    team: core
services:
  web:
    <<: *common
    image: "\${SEDGE_REGISTRY}/web:\${SEDGE_TAG:-latest}"
    command: ["httpd", "-f", "-p", "80"]
    environment:
      - MODE=\${SEDGE_MODE}
      - EMPTY=
      - UNSET
    ports:
      - "8080:80"
      - "9000-9001:9000-9001/udp"
    networks:
      - front
    deploy:
      replicas: 3
      update_config:
        parallelism: 1
        delay: 10s
        order: start-first
      resources:
        limits: { cpus: "0.25", memory: 64M }
        reservations: { memory: 32m }
      placement:
        constraints: ["node.role == worker"]
    healthcheck:
      test: ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"]
      interval: 30s
      timeout: 5s
      retries: 3
    secrets:
      - db_password
    configs:
      - source: site
        target: /www/index.html
        mode: 0440
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
      "ON": "on"
    volumes:
      - dbdata:/var/lib/postgresql/data
    networks:
      back:
        aliases: [database]
    secrets:
      - source: db_password
        uid: "999"
    stop_grace_period: 1m30s
    deploy:
      placement:
        max_replicas_per_node: 1
      restart_policy:
        condition: any
        max_attempts: 5
        window: 2m
networks:
  front: {}
  back:
    driver_opts:
      encrypted: "true"
volumes:
  dbdata:
    labels:
      backup: "yes"
secrets:
  db_password:
    file: ./db_password.txt
configs:
  site:
    file: ./index.html
`,
    );
    writeFileSync(prod, 'version: "3.8"\nservices:\n  web:\n    deploy:\n      replicas: 5\n    environment:\n      - MODE=production\n  db:\n    ulimits:\n      nofile: 65536\n');
    const dotenv = { SEDGE_REGISTRY: 'registry.example.com:5000', SEDGE_TAG: '1.4', SEDGE_MODE: 'dev' };
    writeFileSync(join(dir, '.env'), Object.entries(dotenv).map(([k, v]) => `${k}=${v}\n`).join(''));
    writeFileSync(join(dir, 'db_password.txt'), 'pw\n');
    writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>\n');

    const shoal = ok(await d.shoal('stack', 'config', '-c', base, '-c', prod), 'shoal stack config');
    assert.match(shoal, /^ {6}MODE: production$/m, 'the second file wins');
    assert.match(shoal, /^ {4}image: registry\.example\.com:5000\/web:1\.4$/m, '.env is read');
    // The docker CLI's stack loader does not read .env: it gets the same variables from its environment.
    const fromDocker = ok(await docker(dotenv, 'stack', 'config', '-c', base, '-c', prod), 'docker stack config');
    assert.equal(shoal, fromDocker);
    assertGolden('stack-config', shoal.split(dir).join('<DIR>'));

    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'services:\n  web:\n    image: x\n    deploy:\n      replicas: many\n');
    const r = await d.shoal('stack', 'config', '-c', base, '-c', bad);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\.yml:5:17: services\.web\.deploy\.replicas: /);
    assertGolden('stack-config-error', r.stderr.split(dir).join('<DIR>'));
  });

  it('--resolve-image always pins the digest, never keeps the tag, changed re-resolves only a changed image; as docker stack deploy does', async () => {
    const first = await reg.push(webTar, 'rimg/web:1');
    const file1 = write('resolve-1.yml', `services:\n  app:\n    image: ${reg.host}/rimg/web:1\n`);
    const file2 = write('resolve-2.yml', `services:\n  app:\n    image: ${reg.host}/rimg/web:2\n`);
    const name1 = `${reg.host}/rimg/web:1`;
    const name2 = `${reg.host}/rimg/web:2`;
    /** Deploys with both CLIs (stacks `s<stack>` and `d<stack>`) and checks both services' image and label. */
    const both = async (stack: string, file: string, mode: string, image: string, label: string): Promise<string> => {
      const out = ok(await d.shoal('stack', 'deploy', '--resolve-image', mode, '-c', file, `s${stack}`), `shoal stack deploy --resolve-image ${mode}`);
      ok(await docker({}, 'stack', 'deploy', '--resolve-image', mode, '-c', file, `d${stack}`), `docker stack deploy --resolve-image ${mode}`);
      for (const st of [`s${stack}`, `d${stack}`]) {
        assert.equal(await imageOf(`${st}_app`), image, `${st}: ${mode}`);
        assert.equal(await stackImageLabel(`${st}_app`), label, `${st}: the label keeps the name as written`);
      }
      return out;
    };

    await both('always', file1, 'always', `${name1}@${first.digest}`, name1);
    await both('never', file1, 'never', name1, name1);
    const v2 = await reg.push(webV2Tar, 'rimg/web:1');
    assert.notEqual(v2.digest, first.digest);
    const changed = await both('always', file1, 'changed', `${name1}@${first.digest}`, name1);
    assert.doesNotMatch(changed, /Updating/, 'same image in the file, same digest kept: nothing to update');
    const always = await both('always', file1, 'always', `${name1}@${v2.digest}`, name1);
    assert.match(always, /^Updating service salways_app \(id: \w+\)$/m);
    await reg.push(webV2Tar, 'rimg/web:2');
    await both('always', file2, 'changed', `${name2}@${v2.digest}`, name2);
    await both('never', file2, 'never', name2, name2);
    for (const st of ['salways', 'dalways', 'snever', 'dnever']) await stackRm(st);
  });

  it('--with-registry-auth: without it the tasks cannot pull from a registry that wants credentials; with it they run', async () => {
    await using priv = await registryInNs(tmp, { auth: 'basic' });
    await priv.push(webTar, 'private/web:1');
    const config = join(d.dir, 'docker-config');
    mkdirSync(config, { recursive: true });
    const made = dockerConfigWith(tmp, priv.host, 'shoal', 'secret');
    writeFileSync(join(config, 'config.json'), readFileSync(join(made, 'config.json')));
    const name = `${priv.host}/private/web:1`;
    const file = write('private.yml', `services:\n  app:\n    image: ${name}\n`);

    const without = await d.shoal('stack', 'deploy', '--detach=false', '-c', file, 'priv');
    assert.equal(without.code, 1, `${without.stdout}\n${without.stderr}`);
    assert.match(without.stderr, new RegExp(`^image ${name} could not be accessed on a registry to record$`, 'm'), 'the lookup is refused too');
    assert.match(without.stdout, new RegExp(`^priv_app: failed: task priv_app\\.1 \\(\\w{12}\\) was rejected: No such image: ${name} \\(pulling it failed: .*\\)$`, 'm'), without.stdout);
    assert.match(without.stderr, /^service priv_app failed: .*(pull access denied|authentication required|unauthorized)/im);

    // The spec stays the same (no digest without --resolve-image): only the credentials change, and the tasks run.
    const withAuth = ok(await d.shoal('stack', 'deploy', '--detach=false', '--resolve-image', 'never', '--with-registry-auth', '-c', file, 'priv'), 'deploy --with-registry-auth');
    assert.match(withAuth, /^Updating service priv_app \(id: \w+\)$/m);
    assert.match(withAuth, /^priv_app: converged$/m);
    assert.equal(await imageOf('priv_app'), name);

    // With the credentials the lookup works too: the image is pinned.
    const pinned = ok(await d.shoal('stack', 'deploy', '--detach=false', '--with-registry-auth', '-c', file, 'priv'), 'deploy --with-registry-auth, resolve always');
    assert.match(pinned, /^priv_app: converged$/m);
    assert.match(await imageOf('priv_app'), new RegExp(`^${name}@sha256:[0-9a-f]{64}$`));
    const tasks = await runningTasks('priv_app');
    // Sent again, unchanged: the service is updated (the credentials cannot be compared) but its tasks stay.
    ok(await d.shoal('stack', 'deploy', '--detach=false', '--with-registry-auth', '-c', file, 'priv'), 'deploy --with-registry-auth again');
    assert.deepEqual(await runningTasks('priv_app'), tasks);
    // A deploy without the flag (and without a lookup, which would fail without credentials) changes nothing.
    assert.doesNotMatch(ok(await d.shoal('stack', 'deploy', '--resolve-image', 'changed', '-c', file, 'priv'), 'deploy without the flag'), /Updating/);

    // The credentials never show.
    const seen = ok(await d.docker('service', 'inspect', 'priv_app'), 'service inspect') + ok(await d.docker('inspect', '--type', 'task', ...tasks), 'task inspect');
    assert.doesNotMatch(seen, /PullOptions|RegistryAuth/);

    // The docker CLI's --with-registry-auth works against Shoal the same way.
    ok(await docker({}, 'stack', 'deploy', '--detach=false', '--with-registry-auth', '-c', file, 'dpriv'), 'docker stack deploy --with-registry-auth');
    assert.equal(await replicas('dpriv_app'), '1/1');
    await stackRm('priv');
    await stackRm('dpriv');
  });
});
