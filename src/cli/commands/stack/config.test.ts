/**
 * `stack config` as `docker stack config` prints it: yaml.v3's quoting, the first file's `version`, defaults the model
 * filled in left out, one-number ulimits, host IPs dropped with docker's warning, the first file's `x-` keys.
 * (test/e2e/stack-edges.test.ts compares a whole project with the docker CLI's output.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureContext } from '../container/engine-stub.testkit.js';
import type { ComposeHost } from './common.js';
import { DEFAULT_VERSION, fileVersion, goDuration, goYaml, run } from './config.js';

function host(files: Record<string, string>, env: Record<string, string> = {}): ComposeHost {
  return {
    readFile: (p) => files[p],
    readBytes: (p) => (files[p] !== undefined ? Buffer.from(files[p]) : undefined),
    readStdin: () => files['/proj/stdin'] ?? '',
    cwd: () => '/proj',
    env,
  };
}

function config(files: Record<string, string>, args: string[], env: Record<string, string> = {}): { out: string; err: string } {
  const cap = captureContext('unix:///nowhere', env);
  run(cap.ctx, { composeFile: args }, host(files, env));
  return { out: cap.out(), err: cap.err() };
}

describe('goYaml: strings quoted as yaml.v3 quotes them', () => {
  it('double quotes what would read back as another type, in YAML 1.2 or 1.1', () => {
    for (const s of ['', '0.5', '80', 'true', 'True', 'null', '~', 'y', 'yes', 'on', 'off', 'n', 'no', '1:20', '12:30:45', '1_000', '0755', '0x1F', '0o17', '1e3', '.inf', '2001-12-14', '+1']) {
      assert.equal(goYaml({ k: s }), `k: "${s}"\n`, JSON.stringify(s));
    }
  });

  it('single quotes what cannot be plain, and leaves the rest plain', () => {
    for (const s of ['nginx:', 'a: b', '- x', '#x', 'x #y', '@x', '`x', '%x', '!x', '*x', '&x', '|', '>', '?', ' lead', 'trail ', '{x}', '[x]', ',x']) {
      assert.equal(goYaml({ k: s }), `k: '${s}'\n`, JSON.stringify(s));
    }
    for (const s of ['1000:1000', 'x,y', "it's", 'a"b', '=', 'node.role == manager', 'é', 'registry.example.com:5000/web:1.4']) {
      assert.equal(goYaml({ k: s }), `k: ${s}\n`, JSON.stringify(s));
    }
  });

  it('keys too; numbers, booleans and null as they are; several lines as a literal block', () => {
    assert.equal(goYaml({ ON: 'on', n: 5, b: true, z: null, m: 'a\nb' }), '"ON": "on"\n"n": 5\nb: true\nz: null\nm: |-\n  a\n  b\n');
  });
});

describe('stack config', () => {
  it('prints the first file version, else the docker CLI latest', () => {
    const svc = 'services:\n  a:\n    image: x\n';
    assert.match(config({ '/proj/a.yml': `version: "3.8"\n${svc}` }, ['a.yml']).out, /^version: "3\.8"\nservices:\n/);
    assert.match(config({ '/proj/a.yml': svc }, ['a.yml']).out, new RegExp(`^version: "${DEFAULT_VERSION.replace('.', '\\.')}"\n`));
    assert.equal(fileVersion('version: 3\n'), '3');
    assert.equal(fileVersion('services: {}\n'), undefined);
  });

  it('leaves out what the model filled in by default in secret and config references, keeps what differs', () => {
    const file = `services:
  a:
    image: x
    secrets:
      - pw
      - source: pw
        target: /etc/pw
        uid: "999"
        mode: 0400
    configs:
      - cfg
      - source: cfg
        gid: "5"
secrets:
  pw: { file: ./pw }
configs:
  cfg: { file: ./cfg }
`;
    const { out } = config({ '/proj/a.yml': file, '/proj/pw': 'x', '/proj/cfg': 'y' }, ['a.yml']);
    assert.match(out, /^ {4}configs:\n {6}- source: cfg\n {6}- source: cfg\n {8}gid: "5"\n/m);
    assert.match(out, /^ {4}secrets:\n {6}- source: pw\n {6}- source: pw\n {8}target: \/etc\/pw\n {8}uid: "999"\n {8}mode: 256\n/m);
  });

  it('a ulimit with soft = hard is one number; a port host IP is dropped with docker warning', () => {
    const file = `services:
  a:
    image: x
    ulimits:
      nproc: 100
      nofile: { soft: 10, hard: 20 }
    ports:
      - "127.0.0.1:9000:9000/udp"
      - "127.0.0.1:8080:80"
`;
    const { out, err } = config({ '/proj/a.yml': file }, ['a.yml']);
    assert.match(out, /^ {4}ulimits:\n {6}nofile:\n {8}soft: 10\n {8}hard: 20\n {6}nproc: 100\n/m);
    assert.doesNotMatch(out, /host_ip/);
    assert.equal(
      err,
      "ignoring IP-address (127.0.0.1:9000:9000/udp) service will listen on '0.0.0.0'\nignoring IP-address (127.0.0.1:8080:80) service will listen on '0.0.0.0'\n",
    );
  });

  it('prints the first file top-level x- keys last, interpolated (environment over .env), keys sorted', () => {
    const files = {
      '/proj/a.yml': 'x-b: ${B}\nx-a: { z: [2, 1], k: "${A}" }\nservices:\n  s:\n    image: i\n',
      '/proj/b.yml': 'x-c: dropped\nservices:\n  s:\n    image: j\n',
      '/proj/.env': 'A=from-dotenv\nB=dotenv-b\n',
    };
    const { out } = config(files, ['a.yml', 'b.yml'], { B: '7' });
    assert.match(out, /^ {4}image: j\nx-a:\n {2}k: from-dotenv\n {2}z:\n {4}- 2\n {4}- 1\nx-b: "7"\n$/m);
    assert.doesNotMatch(out, /x-c/);
  });

  it('durations as Go prints them', () => {
    assert.equal(goDuration(90e9), '1m30s');
    assert.equal(goDuration(120e9), '2m0s');
    assert.equal(goDuration(500e6), '500ms');
    assert.equal(goDuration(3.6e12 + 1e9), '1h0m1s');
  });

  it('a bad file fails with file:line:col and the field', () => {
    assert.throws(
      () => config({ '/proj/a.yml': 'services:\n  web:\n    image: x\n    deploy:\n      replicas: many\n' }, ['a.yml']),
      (e: Error) => e.message === 'a.yml:5:17: services.web.deploy.replicas: must be an integer, got "many"',
    );
  });
});
