import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, lstatSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { nullLogger } from '../../../lib/logger.js';
import { misbehaveImage, webImage } from '../../../../test/fixtures/images/build.js';
import type { BuiltImageTar } from '../../../../test/fixtures/images/build.js';
import { dockerConfigWith, freePort, startRegistry } from '../../../../test/harness/registry.js';
import type { PushResult, TestRegistry } from '../../../../test/harness/registry.js';
import { chainIds, shortId } from './digest.js';
import { openImageStore } from './image-store.js';
import type { ImageStoreOptions, LocalImageStore } from './image-store.js';
import type { PullProgress } from './store-port.js';

let dir: string;
let n = 0;
let web: BuiltImageTar;
let mis: BuiltImageTar;
let plain: TestRegistry;
let webPush: PushResult;
const servers: Server[] = [];

async function freshStore(registry: ImageStoreOptions['registry'] = {}): Promise<LocalImageStore> {
  // An empty docker config dir, so the host's ~/.docker never leaks into a test.
  const cfg = mkdtempSync(join(dir, 'no-docker-config-'));
  return openImageStore({ root: join(dir, `store-${n++}`), logger: nullLogger, registry: { dockerConfigDir: cfg, ...registry } });
}

function leftovers(s: LocalImageStore): { layers: string[]; tmp: string[] } {
  return { layers: readdirSync(join(s.root, 'layers')), tmp: readdirSync(join(s.root, 'tmp')) };
}

function errorWith(kind: string, message: string | RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.kind, kind, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-images-pull-'));
  web = await webImage();
  mis = await misbehaveImage();
  plain = await startRegistry();
  webPush = await plain.push(web.path, 'shoal-test/web:1');
});
after(async () => {
  await plain?.stop();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('image pull from a registry', () => {
  it('pulls an image, verifying and unpacking its layers, with docker progress statuses', async () => {
    const s = await freshStore();
    const events: PullProgress[] = [];
    const ref = `${plain.host}/shoal-test/web:1`;
    const t0 = performance.now();
    const r = await s.pull(ref, { onProgress: (p) => events.push(p) });
    const ms = performance.now() - t0;
    assert.equal(r.id, web.imageId);
    assert.deepEqual(r.repoTags, [ref]);
    assert.deepEqual(r.repoDigests, [`${plain.host}/shoal-test/web@${webPush.digest}`]);
    assert.ok(lstatSync(join(s.layerDirs(r)[0]!, 'bin/busybox')).isFile());
    const statuses = new Set(events.map((e) => e.status));
    for (const st of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) assert.ok(statuses.has(st), st);
    assert.equal(events[0]?.status, 'Pulling from shoal-test/web');
    assert.deepEqual(
      events.slice(-2).map((e) => e.status),
      [`Digest: ${webPush.digest}`, `Status: Downloaded newer image for ${ref}`],
    );
    const layerIds = webPush.layers.map((l) => shortId(l.digest));
    assert.deepEqual(new Set(events.filter((e) => e.status === 'Pull complete').map((e) => e.id)), new Set(layerIds));
    console.log(`  pull ${ref}: 2 layers, ${(webPush.layers.reduce((a, l) => a + l.size, 0) / 1e6).toFixed(2)} MB compressed, ${ms.toFixed(0)} ms`);

    const again: PullProgress[] = [];
    await s.pull(ref, { onProgress: (p) => again.push(p) });
    assert.deepEqual(
      again.filter((e) => e.status === 'Already exists').map((e) => e.id),
      layerIds,
    );
    assert.equal(again.at(-1)?.status, `Status: Image is up to date for ${ref}`);
    assert.deepEqual(leftovers(s).tmp, []);

    // The digest reference goes with the last tag of its repository.
    const out = await s.remove(ref, {});
    assert.deepEqual(out.slice(0, 3), [{ Untagged: ref }, { Untagged: `${plain.host}/shoal-test/web@${webPush.digest}` }, { Deleted: web.imageId }]);
  });

  it('pulls by digest without adding a tag', async () => {
    const s = await freshStore();
    const r = await s.pull(`${plain.host}/shoal-test/web@${webPush.digest}`, {});
    assert.deepEqual(r.repoTags, []);
    assert.deepEqual(r.repoDigests, [`${plain.host}/shoal-test/web@${webPush.digest}`]);
    assert.equal((await s.resolve(`${plain.host}/shoal-test/web@${webPush.digest}`))?.id, web.imageId);
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`chooses this platform from a ${format === 'docker' ? 'manifest list' : 'OCI index'}, or another one when asked`, async () => {
      const pushed = await plain.pushMultiPlatform(web.path, `shoal-test/multi-${format}:1`, { format });
      const s = await freshStore();
      const ref = `${plain.host}/shoal-test/multi-${format}:1`;
      const r = await s.pull(ref, {});
      assert.equal(r.id, web.imageId);
      assert.deepEqual(r.repoDigests, [`${plain.host}/shoal-test/multi-${format}@${pushed.index.digest}`]);
      const other = await s.pull(ref, { platform: r.architecture === 'arm64' ? 'linux/amd64' : 'linux/arm64' });
      assert.equal(other.id, pushed.foreign.configDigest);
      assert.notEqual(other.id, r.id);
      assert.equal(leftovers(s).layers.length, 2, 'same layers, stored once');
      await assert.rejects(s.pull(ref, { platform: 'linux/s390x' }), errorWith('NotFound', 'no matching manifest for linux/s390x in the manifest list entries'));
    });
  }

  it('pulls an OCI manifest with uncompressed layers', async () => {
    await plain.push(mis.path, 'shoal-test/misbehave:oci', { format: 'oci', layers: 'none' });
    const s = await freshStore();
    const r = await s.pull(`${plain.host}/shoal-test/misbehave:oci`, {});
    assert.equal(r.id, mis.imageId);
  });

  it('unpacks a layer once when the same image is pulled twice at the same time', async () => {
    const s = await freshStore();
    const ref = `${plain.host}/shoal-test/web:1`;
    const events: PullProgress[] = [];
    const [a, b] = await Promise.all([s.pull(ref, { onProgress: (p) => events.push(p) }), s.pull(ref, { onProgress: (p) => events.push(p) })]);
    assert.equal(a.id, b.id);
    const base = shortId(webPush.layers[0]!.digest);
    assert.equal(events.filter((e) => e.id === base && e.status === 'Pull complete').length, 1);
    assert.deepEqual(leftovers(s), { layers: chainIds(web.diffIds).map((c) => c.slice(7)).sort(), tmp: [] });
  });

  it('says when a tag does not exist', async () => {
    const s = await freshStore();
    await assert.rejects(s.pull(`${plain.host}/shoal-test/web:nope`, {}), errorWith('NotFound', `manifest for ${plain.host}/shoal-test/web:nope not found: manifest unknown: manifest unknown`));
    await assert.rejects(s.pull(`${plain.host}/shoal-test/nothing-here:1`, {}), errorWith('NotFound', /manifest unknown|pull access denied/));
    await assert.rejects(s.pull('Bad:ref', {}), errorWith('InvalidArgument', /invalid reference format/));
  });

  it('refuses a corrupted blob with a digest error and stores nothing', async () => {
    const reg = await startRegistry();
    try {
      const pushed = await reg.push(mis.path, 'shoal-test/misbehave:1');
      // Corrupt the big (busybox) layer: the app layer may finish first and must be discarded too.
      reg.corruptBlob(pushed.layers[0]!.digest);
      const s = await freshStore();
      await assert.rejects(
        s.pull(`${reg.host}/shoal-test/misbehave:1`, {}),
        errorWith('InvalidArgument', new RegExp(`^filesystem layer verification failed for digest ${pushed.layers[0]!.digest}`)),
      );
      assert.deepEqual(leftovers(s), { layers: [], tmp: [] });
      assert.deepEqual(await s.list(), []);
      assert.deepEqual(readdirSync(join(s.root, 'blobs/sha256')), []);
    } finally {
      await reg.stop();
    }
  });

  it('stops at once and stores nothing when the pull is aborted', async () => {
    const s = await freshStore();
    const ac = new AbortController();
    await assert.rejects(
      s.pull(`${plain.host}/shoal-test/web:1`, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.status === 'Downloading') ac.abort();
        },
      }),
      errorWith('Canceled', /canceled/),
    );
    assert.deepEqual(leftovers(s), { layers: [], tmp: [] });
  });

  it('fails fast when nothing listens, and times out a registry that never answers', async () => {
    const port = await freePort();
    const s = await freshStore({ timeoutMs: 300 });
    await assert.rejects(s.pull(`127.0.0.1:${port}/x:1`, {}), errorWith('Unavailable', /ECONNREFUSED|connect/));
    const hang = createServer(() => undefined);
    servers.push(hang);
    const hangPort = await new Promise<number>((r) => hang.listen(0, '127.0.0.1', () => r((hang.address() as { port: number }).port)));
    const t0 = Date.now();
    await assert.rejects(s.pull(`127.0.0.1:${hangPort}/x:1`, {}), errorWith('Unavailable', /timed out after 300 ms/));
    assert.ok(Date.now() - t0 < 5000);
  });

  it('refuses schema 1 manifests with docker message', async () => {
    const fake = createServer((req, res) => {
      if (req.url === '/v2/') res.writeHead(200).end('{}');
      else res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(JSON.stringify({ schemaVersion: 1, name: 'old', tag: '1', fsLayers: [] }));
    });
    servers.push(fake);
    const port = await new Promise<number>((r) => fake.listen(0, '127.0.0.1', () => r((fake.address() as { port: number }).port)));
    const s = await freshStore();
    await assert.rejects(s.pull(`127.0.0.1:${port}/old:1`, {}), errorWith('InvalidArgument', /^Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed\. Suggest the author of 127\.0\.0\.1:\d+\/old:1/));
  });
});

describe('image pull with registry auth', () => {
  let token: TestRegistry;
  let basic: TestRegistry;
  before(async () => {
    token = await startRegistry({ auth: 'token' });
    basic = await startRegistry({ auth: 'basic' });
    await token.push(web.path, 'shoal-test/web:1');
    await basic.push(web.path, 'shoal-test/web:1');
  });
  after(async () => {
    await token?.stop();
    await basic?.stop();
  });

  it('follows the bearer challenge with explicit credentials', async () => {
    const s = await freshStore();
    const before = token.tokenRequests.length;
    const r = await s.pull(`${token.host}/shoal-test/web:1`, { auth: { username: 'shoal', password: 'secret' } });
    assert.equal(r.id, web.imageId);
    const reqs = token.tokenRequests.slice(before);
    assert.deepEqual(reqs, [{ user: 'shoal', scopes: ['repository:shoal-test/web:pull'] }]);
  });

  it('uses basic credentials from config.json for the token (DOCKER_CONFIG)', async () => {
    const cfg = dockerConfigWith(dir, token.host, 'shoal', 'secret');
    const old = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = cfg;
    try {
      const s = await openImageStore({ root: join(dir, `store-${n++}`), logger: nullLogger });
      const r = await s.pull(`${token.host}/shoal-test/web:1`, {});
      assert.equal(r.id, web.imageId);
      assert.equal(token.tokenRequests.at(-1)?.user, 'shoal');
    } finally {
      if (old === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = old;
    }
  });

  it('refuses anonymous and wrong credentials with docker message', async () => {
    const s = await freshStore();
    const denied = /^pull access denied for shoal-test\/web, repository does not exist or may require 'docker login'/;
    await assert.rejects(s.pull(`${token.host}/shoal-test/web:1`, {}), errorWith('NotFound', denied));
    await assert.rejects(s.pull(`${token.host}/shoal-test/web:1`, { auth: { username: 'shoal', password: 'wrong' } }), errorWith('NotFound', denied));
    assert.deepEqual(leftovers(s), { layers: [], tmp: [] });
  });

  it('answers a Basic challenge with credentials from config.json', async () => {
    const s = await freshStore({ dockerConfigDir: dockerConfigWith(dir, `http://${basic.host}`, 'shoal', 'secret') });
    const r = await s.pull(`${basic.host}/shoal-test/web:1`, {});
    assert.equal(r.id, web.imageId);
    const anon = await freshStore();
    await assert.rejects(anon.pull(`${basic.host}/shoal-test/web:1`, {}), errorWith('NotFound', /pull access denied/));
  });
});
