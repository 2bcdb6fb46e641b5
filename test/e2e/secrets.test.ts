/**
 * End to end: secrets and configs on a real daemon (dist/shoal.cjs), driven by the unmodified docker CLI and by
 * shoal's CLI. Both CLIs must print the same for the same command (pinned by golden files); secret data never comes
 * back through the API and is never written to disk in the clear; services take `--secret`/`--config` by name.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, SHOAL_BUNDLE, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { assertGolden, normalize } from '../harness/golden.js';
import { freePort } from '../harness/registry.js';

const PLAINTEXT = 'pa55-w0rd-only-in-memory';

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** docker's "X ago" texts change between two calls; tables realign around them, so runs of spaces are folded too. */
const agoFree = (s: string): string => s.replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?)) ago/g, '<AGO>').replace(/ {2,}/g, '  ');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('secrets and configs through the docker CLI and the shoal CLI', () => {
  let d: TestDaemon;
  const known: Record<string, string> = {};
  let env: NodeJS.ProcessEnv;
  // The docker CLI joins `{{.Labels}}` in Go map order, which differs from run to run: compare and pin them sorted.
  const labels = (out: string): string => out.replace(/"Labels":"([^"]*)"/g, (_m, l: string) => `"Labels":"${l.split(',').sort().join(',')}"`);
  const both = async (args: string[]): Promise<{ docker: RunResult; shoal: RunResult }> => ({ docker: await d.docker(...args), shoal: await d.shoal(...args) });
  const assertSame = (r: { docker: RunResult; shoal: RunResult }, what: string, map: (s: string) => string = (s) => s): void => {
    assert.equal(labels(map(r.shoal.stdout)), labels(map(r.docker.stdout)), `${what}: stdout differs`);
    assert.equal(r.shoal.stderr, r.docker.stderr, `${what}: stderr differs`);
    assert.equal(r.shoal.code, r.docker.code, `${what}: exit code differs`);
  };
  /** Store revisions and creation times differ from run to run. */
  const stable = (s: string): string => s.replace(/"Index": \d+/g, '"Index": <N>').replace(/"\d{4}-\d{2}-\d{2}T[\d:.]+Z"/g, '"<RFC3339>"');
  const pinned = (name: string, r: { docker: RunResult; shoal: RunResult }, map: (s: string) => string = (s) => s): void =>
    assertGolden(name, stable(normalize(labels(map(`${r.docker.stdout}--- stderr\n${r.docker.stderr}--- exit ${r.docker.code}\n`)), known)));

  before(async () => {
    d = await startDaemon({ hostname: 'secrets-e2e' });
    env = { ...process.env, DOCKER_HOST: d.host, SHOAL_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
    const port = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`), 'swarm init');
    writeFileSync(join(d.dir, 'pw.txt'), PLAINTEXT);
    writeFileSync(join(d.dir, 'app.conf'), 'listen 8080;\nworkers 2;\n');
    writeFileSync(join(d.dir, 'empty'), '');
    writeFileSync(join(d.dir, 'big'), Buffer.alloc(512000, 0x61));
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('secret create from a file (docker) and from stdin (shoal) print the new IDs', async () => {
    const a = ok(await d.docker('secret', 'create', '--label', 'env=prod', '--label', 'team', 'db_password', join(d.dir, 'pw.txt')), 'docker secret create').trim();
    assert.match(a, /^[0-9a-z]{25}$/);
    known[a] = '<SECRET_A>';
    const b = ok(await run(process.execPath, [SHOAL_BUNDLE, 'secret', 'create', '-l', 'env=dev', 'api_key', '-'], { env, input: 'key-from-stdin' }), 'shoal secret create -').trim();
    assert.match(b, /^[0-9a-z]{25}$/);
    known[b] = '<SECRET_B>';
    const c = ok(await run('docker', ['config', 'create', '--label', 'app=web', 'app.conf', join(d.dir, 'app.conf')], { env }), 'docker config create').trim();
    known[c] = '<CONFIG_A>';
    const e = ok(await run(process.execPath, [SHOAL_BUNDLE, 'config', 'create', 'motd', '-'], { env, input: 'hello\n' }), 'shoal config create -').trim();
    known[e] = '<CONFIG_B>';
  });

  it('the data never comes back: inspect shows no Data for secrets; the data root never holds the plaintext', async () => {
    const r = ok(await d.docker('secret', 'inspect', 'db_password'), 'inspect');
    assert.ok(!r.includes('Data') && !r.includes(Buffer.from(PLAINTEXT).toString('base64')), r);
    const list = await fetchJson('/secrets');
    assert.ok(!JSON.stringify(list).includes('Data'));
    const plain = Buffer.from(PLAINTEXT);
    const b64 = Buffer.from(Buffer.from(PLAINTEXT).toString('base64'));
    for (const f of filesUnder(d.dataRoot)) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(plain) && !bytes.includes(b64), `${f} holds the secret in the clear`);
    }
    const key = join(d.dataRoot, 'swarm', 'secrets.key');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(statSync(key).size, 32);
  });

  const sameCommands: [string, string[], ((s: string) => string)?][] = [
    ['secret-ls', ['secret', 'ls'], agoFree],
    ['secret-ls-q', ['secret', 'ls', '-q']],
    // (Labels of several labels come in Go's random map order from docker: only one-label objects are shown whole.)
    ['secret-ls-table', ['secret', 'ls', '--format', 'table {{.ID}}\t{{.Name}}\t{{.Label "env"}}\t{{.Label "team"}}']],
    ['secret-ls-labels', ['secret', 'ls', '--filter', 'name=api', '--format', 'table {{.Name}}\t{{.Labels}}']],
    ['secret-ls-json', ['secret', 'ls', '--format', 'json'], agoFree],
    ['secret-ls-filter-label', ['secret', 'ls', '--filter', 'label=env=prod', '--format', '{{.Name}}']],
    ['secret-ls-filter-name', ['secret', 'ls', '--filter', 'name=api', '--format', '{{.Name}}']],
    ['secret-ls-filter-bad', ['secret', 'ls', '--filter', 'color=blue']],
    ['secret-inspect', ['secret', 'inspect', 'db_password']],
    ['secret-inspect-pretty', ['secret', 'inspect', '--pretty', 'db_password', 'api_key']],
    ['secret-inspect-format', ['secret', 'inspect', '--format', '{{.Spec.Name}} {{json .Spec.Labels}}', 'db_password']],
    ['secret-inspect-missing', ['secret', 'inspect', 'db_password', 'nope']],
    ['secret-inspect-pretty-missing', ['secret', 'inspect', '--pretty', 'nope']],
    ['config-ls', ['config', 'ls'], agoFree],
    ['config-ls-q-filter', ['config', 'ls', '-q', '--filter', 'name=app']],
    ['config-inspect', ['config', 'inspect', 'app.conf']],
    ['config-inspect-pretty', ['config', 'inspect', '--pretty', 'app.conf']],
    ['secret-create-duplicate', ['secret', 'create', 'db_password', '__DIR__/pw.txt']],
    ['secret-create-bad-name', ['secret', 'create', 'bad/name', '__DIR__/pw.txt']],
    ['config-create-empty', ['config', 'create', 'empty', '__DIR__/empty']],
    ['config-create-missing-file', ['config', 'create', 'nofile', '__DIR__/no-such-file']],
    ['secret-create-empty', ['secret', 'create', 'empty', '__DIR__/empty']],
    ['secret-create-too-big', ['secret', 'create', 'big', '__DIR__/big']],
    ['secret-create-missing-file', ['secret', 'create', 'nofile', '__DIR__/no-such-file']],
    ['config-create-duplicate', ['config', 'create', 'app.conf', '__DIR__/app.conf']],
    ['secret-rm-missing', ['secret', 'rm', 'nope']],
  ];
  for (const [name, args, map] of sameCommands) {
    it(`${args.join(' ')}: both CLIs print the same, as pinned`, async () => {
      const real = args.map((a) => a.replace('__DIR__', d.dir));
      const r = await both(real);
      const dirFree = (s: string): string => (map ?? ((x: string) => x))(s).replaceAll(d.dir, '<DIR>');
      assertSame(r, args.join(' '), dirFree);
      pinned(name, r, dirFree);
    });
  }

  it('secrets and configs are refused by name when unknown, and accepted by name on service create', async () => {
    const missing = await both(['service', 'create', '--detach', '--name', 'bad', '--secret', 'nope', 'busybox']);
    assertSame(missing, 'unknown secret');
    pinned('service-create-unknown-secret', missing);
    const missingConfig = await both(['service', 'create', '--detach', '--name', 'bad', '--config', 'nope', 'busybox']);
    assertSame(missingConfig, 'unknown config');
    assert.match(missingConfig.docker.stderr, /config not found: nope/);

    const svc = ok(await d.docker('service', 'create', '--detach', '--name', 'web', '--secret', 'db_password', '--secret', 'source=api_key,target=key,mode=0400', '--config', 'src=app.conf,target=/etc/app.conf', 'busybox'), 'service create').trim();
    known[svc] = '<SERVICE>';
    const refs = ok(await d.docker('service', 'inspect', '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}:{{.SecretID}}:{{.File.Name}}:{{.File.Mode}} {{end}}|{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}}:{{.ConfigID}}:{{.File.Name}}{{end}}', 'web'), 'inspect');
    // The docker CLI builds the references from a Go map: their order differs from run to run.
    const [secretPart = '', configPart = ''] = normalize(refs, known).split('|');
    const sorted = `${secretPart.trim().split(' ').sort().join(' ')} |${configPart}`;
    assertGolden('service-secret-refs', sorted);
  });

  it('removal is refused while a service uses it, with docker’s text, by both CLIs', async () => {
    const r = await both(['secret', 'rm', 'db_password']);
    assertSame(r, 'secret rm in use');
    assert.match(r.docker.stderr, /secret 'db_password' is in use by the following service: web/);
    pinned('secret-rm-in-use', r);
    const c = await both(['config', 'rm', 'app.conf']);
    assertSame(c, 'config rm in use');
    assert.match(c.docker.stderr, /config 'app\.conf' is in use by the following service: web/);
  });

  it('service update --secret-rm/--secret-add/--config-rm/--config-add change the references', async () => {
    ok(await d.docker('service', 'update', '--detach', '--secret-rm', 'db_password', '--config-rm', 'app.conf', '--config-add', 'source=motd,target=/etc/motd', 'web'), 'update docker');
    const names = async (): Promise<string> =>
      ok(await d.docker('service', 'inspect', '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}|{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}}:{{.File.Name}} {{end}}', 'web'), 'inspect').trim();
    assert.equal(await names(), 'api_key |motd:/etc/motd');
    ok(await d.shoal('service', 'update', '--detach', '--secret-add', 'db_password', '--config-add', 'source=app.conf,target=/app.conf', 'web'), 'update shoal');
    assert.equal(await names(), 'api_key db_password |motd:/etc/motd app.conf:/app.conf', 'added references are appended, as docker does');
    const bad = await both(['service', 'update', '--detach', '--secret-add', 'nope', 'web']);
    assertSame(bad, 'update with unknown secret');
    assert.match(bad.docker.stderr, /secret not found: nope/);
    // Once no service uses it, db_password goes.
    ok(await d.docker('service', 'rm', 'web'), 'service rm');
    const rm = await both(['secret', 'rm', 'db_password']);
    assert.equal(rm.docker.code, 0, rm.docker.stderr);
    assert.equal(rm.docker.stdout, 'db_password\n');
    assert.match(rm.shoal.stderr, /secret db_password not found/);
  });

  it('the API: update changes labels only; data changes are refused with docker’s text; 204 on delete', async () => {
    const s = (await fetchJson('/secrets/api_key')) as { ID: string; Version: { Index: number } };
    const up = await fetchRaw('POST', `/secrets/${s.ID}/update?version=${s.Version.Index}`, { Name: 'api_key', Labels: { rotated: 'yes' } });
    assert.equal(up.status, 200, up.body);
    const after = (await fetchJson('/secrets/api_key')) as { Spec: { Labels: Record<string, string> } };
    assert.deepEqual(after.Spec.Labels, { rotated: 'yes' });
    const s2 = (await fetchJson('/secrets/api_key')) as { Version: { Index: number } };
    const bad = await fetchRaw('POST', `/secrets/api_key/update?version=${s2.Version.Index}`, { Name: 'api_key', Data: Buffer.from('new').toString('base64') });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'rpc error: code = InvalidArgument desc = only updates to Labels are allowed');
    const del = await fetchRaw('DELETE', '/configs/motd');
    assert.equal(del.status, 204);
  });

  async function fetchRaw(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '--unix-socket', d.socket, '-X', method, `http://localhost/v1.47${path}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
    const r = await run('curl', args);
    const i = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
  }
  async function fetchJson(path: string): Promise<unknown> {
    const r = await fetchRaw('GET', path);
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body);
  }
});
