/** The image verbs through the whole CLI against a scripted daemon: pull, load, images, rmi, tag, prune, inspect. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import { runCli } from '../../program.js';
import { captureContext, EngineStub, FakeTerminal } from '../container/engine-stub.testkit.js';
import * as prune from './prune.js';
import { encodeAuth, findAuth } from './registry-auth.js';

async function cli(engine: EngineStub, env: Record<string, string>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli({ argv, out: { write: (s) => (out += String(s)) }, err: { write: (s) => (err += String(s)) }, env: { SHOAL_HOST: engine.host, ...env }, version: '0' });
  return { code, out, err };
}

const ndjson = (messages: unknown[]): string => messages.map((m) => JSON.stringify(m)).join('\r\n') + '\r\n';

describe('image verbs', () => {
  let engine: EngineStub;
  let dir: string;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    dir = mkdtempSync(join(tmpdir(), 'shoal-image-verbs-'));
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pull: default tag, plain progress lines, the full reference; --insecure and --platform reach the daemon', async () => {
    engine.on('POST /images/create', (c) => {
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.end(
        ndjson([
          { status: 'Pulling from library/busybox', id: 'latest' },
          { status: 'Pulling fs layer', progressDetail: {}, id: 'a1b2c3' },
          { status: 'Downloading', progressDetail: { current: 5, total: 10 }, id: 'a1b2c3' },
          { status: 'Pull complete', progressDetail: {}, id: 'a1b2c3' },
          { status: 'Digest: sha256:abc' },
          { status: 'Status: Downloaded newer image for busybox:latest' },
        ]),
      );
    });
    const r = await cli(engine, { HOME: dir }, 'pull', 'busybox');
    assert.deepEqual([r.code, r.err], [0, '']);
    assert.equal(
      r.out,
      'Using default tag: latest\nlatest: Pulling from library/busybox\na1b2c3: Pulling fs layer\na1b2c3: Pull complete\nDigest: sha256:abc\n' +
        'Status: Downloaded newer image for busybox:latest\ndocker.io/library/busybox:latest\n',
    );
    assert.equal(engine.calls().at(-1), 'POST /images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest');
    assert.equal(engine.requests.at(-1)?.headers['x-registry-auth'], undefined);

    const q = await cli(engine, { HOME: dir }, 'image', 'pull', '-q', '--insecure', '--platform', 'linux/amd64', '127.0.0.1:5000/app:v1');
    assert.deepEqual([q.code, q.out], [0, '127.0.0.1:5000/app:v1\n']);
    assert.equal(engine.calls().at(-1), 'POST /images/create?fromImage=127.0.0.1%3A5000%2Fapp&tag=v1&platform=linux%2Famd64&insecure=1');
  });

  it('pull sends the credentials of ~/.docker/config.json as X-Registry-Auth', async () => {
    engine.on('POST /images/create', (c) => {
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.end(ndjson([{ status: 'Status: Image is up to date for 127.0.0.1:5000/app:v1' }]));
    });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const r = await cli(engine, { DOCKER_CONFIG: dir }, 'pull', '127.0.0.1:5000/app:v1');
    assert.equal(r.code, 0);
    const header = engine.requests.at(-1)?.headers['x-registry-auth'];
    assert.equal(typeof header, 'string');
    assert.deepEqual(JSON.parse(Buffer.from(String(header).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()), {
      username: 'alice',
      password: 's3cret',
      serveraddress: '127.0.0.1:5000',
    });
  });

  it('pull reports errors from the daemon and from the stream, and bad references locally', async () => {
    engine.on('POST /images/create', (c) => {
      if (c.req.query.get('fromImage') === 'docker.io/library/nope') return c.json(404, { message: 'pull access denied for nope, repository does not exist' });
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.end(ndjson([{ status: 'Pulling from library/half', id: 'latest' }, { errorDetail: { message: 'unexpected EOF' }, error: 'unexpected EOF' }]));
    });
    const denied = await cli(engine, { HOME: dir }, 'pull', 'nope');
    assert.deepEqual([denied.code, denied.err], [1, 'Error response from daemon: pull access denied for nope, repository does not exist\n']);
    const half = await cli(engine, { HOME: dir }, 'pull', 'half');
    assert.deepEqual([half.code, half.err], [1, 'unexpected EOF\n']);
    const bad = await cli(engine, { HOME: dir }, 'pull', 'Bad:Ref');
    assert.deepEqual([bad.code, bad.err], [1, 'invalid reference format: repository name (library/Bad) must be lowercase\n']);
    const allTags = await cli(engine, { HOME: dir }, 'pull', '-a', 'busybox:1');
    assert.deepEqual([allTags.code, allTags.err], [1, "tag can't be used with --all-tags/-a\n"]);
  });

  it('load -i streams the file and prints the daemon’s lines', async () => {
    engine.on('POST /images/load', (c) => {
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.end(ndjson([{ stream: `Loaded image: busybox:latest\n` }, { stream: `(${c.req.body.length} bytes, ${c.req.headers['content-type']})\n` }]));
    });
    const tar = join(dir, 'busybox.tar');
    writeFileSync(tar, Buffer.alloc(10_240, 1));
    const r = await cli(engine, {}, 'load', '-i', tar);
    assert.deepEqual([r.code, r.out, r.err], [0, 'Loaded image: busybox:latest\n(10240 bytes, application/x-tar)\n', '']);
    assert.equal(engine.calls().at(-1), 'POST /images/load?quiet=1');
    const missing = await cli(engine, {}, 'image', 'load', '-i', join(dir, 'nope.tar'));
    assert.deepEqual([missing.code, missing.err], [1, `open ${join(dir, 'nope.tar')}: no such file or directory\n`]);
  });

  it('images / image ls: reference filter from the argument, docker’s table', async () => {
    engine.on('GET /images/json', (c) =>
      c.json(200, [{ Id: 'sha256:' + 'a'.repeat(64), ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: Math.floor(Date.now() / 1000) - 7200, Size: 4_261_550, SharedSize: -1, Labels: null, Containers: -1 }]),
    );
    const r = await cli(engine, {}, 'images', 'busybox');
    assert.equal(r.out, 'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    aaaaaaaaaaaa   2 hours ago   4.26MB\n');
    assert.equal(engine.calls().at(-1), 'GET /images/json?filters=%7B%22reference%22%3A%7B%22busybox%22%3Atrue%7D%7D');
    const q = await cli(engine, {}, 'image', 'ls', '-a', '-q');
    assert.equal(q.out, 'aaaaaaaaaaaa\n');
    assert.equal(engine.calls().at(-1), 'GET /images/json?all=1');
  });

  it('rmi / image rm print Untagged and Deleted; -f forgives only unknown images', async () => {
    engine
      .on('DELETE /images/busybox', (c) => c.json(200, [{ Untagged: 'busybox:latest' }, { Untagged: 'busybox@sha256:ab' }, { Deleted: 'sha256:' + 'a'.repeat(64) }]))
      .on('DELETE /images/ghost', (c) => c.json(404, { message: 'No such image: ghost:latest' }))
      .on('DELETE /images/used', (c) => c.json(409, { message: 'conflict: unable to remove repository reference "used" (must force) - container 1 is using its referenced image 2' }));
    const r = await cli(engine, {}, 'rmi', 'busybox');
    assert.deepEqual([r.code, r.out], [0, `Untagged: busybox:latest\nUntagged: busybox@sha256:ab\nDeleted: sha256:${'a'.repeat(64)}\n`]);
    const forced = await cli(engine, {}, 'image', 'rm', '-f', 'ghost');
    assert.deepEqual([forced.code, forced.err], [0, 'Error response from daemon: No such image: ghost:latest\n']);
    assert.equal(engine.calls().at(-1), 'DELETE /images/ghost?force=1');
    const used = await cli(engine, {}, 'image', 'remove', '-f', 'ghost', 'used');
    assert.equal(used.code, 1);
    assert.match(used.err, /No such image: ghost:latest\nError response from daemon: conflict/);
    await cli(engine, {}, 'rmi', '--no-prune', 'busybox');
    assert.equal(engine.calls().at(-1), 'DELETE /images/busybox?noprune=1');
  });

  it('tag sends the normalized repository and the tag (latest by default)', async () => {
    engine.on('POST /images/busybox/tag', (c) => c.json(201, ''));
    assert.equal((await cli(engine, {}, 'tag', 'busybox', 'me/box')).code, 0);
    assert.equal(engine.calls().at(-1), 'POST /images/busybox/tag?repo=docker.io%2Fme%2Fbox&tag=latest');
    assert.equal((await cli(engine, {}, 'image', 'tag', 'busybox', '127.0.0.1:5000/box:v2')).code, 0);
    assert.equal(engine.calls().at(-1), 'POST /images/busybox/tag?repo=127.0.0.1%3A5000%2Fbox&tag=v2');
    const digest = await cli(engine, {}, 'tag', 'busybox', 'me/box@sha256:' + 'a'.repeat(64));
    assert.deepEqual([digest.code, digest.err], [1, 'refusing to create a tag with a digest reference\n']);
  });

  it('image prune: asks first (anything but y cancels quietly), reports what went and the space', async () => {
    engine.on('POST /images/prune', (c) =>
      c.json(200, { ImagesDeleted: [{ Untagged: 'old:1' }, { Deleted: 'sha256:' + 'b'.repeat(64) }], SpaceReclaimed: 1_240_000 }),
    );
    const client = createClient({ host: engine.host, apiVersion: '1.47' });
    const no = captureContext(engine.host);
    const term = new FakeTerminal();
    term.lines.push('n');
    await prune.run(no.ctx, client, {}, term);
    assert.equal(no.out(), 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
    assert.deepEqual(engine.calls(), []);

    const yes = captureContext(engine.host);
    term.lines.push('y');
    await prune.run(yes.ctx, client, { all: true }, term);
    assert.equal(
      yes.out(),
      'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ' +
        `Deleted Images:\nuntagged: old:1\ndeleted: sha256:${'b'.repeat(64)}\n\nTotal reclaimed space: 1.24MB\n`,
    );
    assert.equal(engine.calls().at(-1), 'POST /images/prune?filters=%7B%22dangling%22%3A%7B%22false%22%3Atrue%7D%7D');
    await client.close();

    const forced = await cli(engine, {}, 'image', 'prune', '-f', '--filter', 'until=24h');
    assert.equal(forced.code, 0);
    assert.equal(engine.calls().at(-1), 'POST /images/prune?filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%2C%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D');
  });

  it('image inspect prints what it found, then the errors', async () => {
    engine.on('GET /images/busybox/json', (c) => c.json(200, { Id: 'sha256:1', RepoTags: ['busybox:latest'] })).on('GET /images/ghost/json', (c) => c.json(404, { message: 'No such image: ghost:latest' }));
    const r = await cli(engine, {}, 'image', 'inspect', '-f', '{{index .RepoTags 0}}', 'busybox', 'ghost');
    assert.deepEqual([r.code, r.out, r.err], [1, 'busybox:latest\n', 'Error response from daemon: No such image: ghost:latest\n']);
  });
});

describe('registry credentials (docker config.json)', () => {
  it('finds auths by registry host, Docker Hub under its v1 URL', () => {
    const config = JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        'https://registry.example.com': { username: 'u', password: 'p' },
      },
    });
    assert.deepEqual(findAuth(config, 'docker.io'), { username: 'hubuser', password: 'hubpass', serveraddress: 'https://index.docker.io/v1/' });
    assert.deepEqual(findAuth(config, 'registry.example.com'), { username: 'u', password: 'p', serveraddress: 'registry.example.com' });
    assert.equal(findAuth(config, 'other:5000'), undefined);
    assert.equal(findAuth('not json', 'docker.io'), undefined);
    assert.equal(encodeAuth({ a: '>>>?' }), 'eyJhIjoiPj4-PyJ9');
  });
});
