/**
 * `GET /distribution/{name}/json` against real registries (test/harness/registry.ts): the top manifest's descriptor
 * (a manifest list stays one) with its digest, the platforms, credentials from the X-Registry-Auth value or the
 * daemon's docker config, docker's errors, and `--registry-lookup` refusing registries out of scope at once.
 * Also the X-Registry-Auth decoder the agents pull with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { nullLogger } from '../../../lib/logger.js';
import { webImage } from '../../../../test/fixtures/images/build.js';
import type { BuiltImageTar } from '../../../../test/fixtures/images/build.js';
import { dockerConfigWith, startRegistry } from '../../../../test/harness/registry.js';
import type { TestRegistry } from '../../../../test/harness/registry.js';
import { decodeRegistryAuth } from './auth-header.js';
import { inspectDistribution, lookupAllowed } from './distribution.js';
import { hostPlatform } from './platform.js';

const header = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

let dir: string;
let noConfig: string;
let web: BuiltImageTar;
let plain: TestRegistry;
let basic: TestRegistry;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-distribution-'));
  noConfig = mkdtempSync(join(dir, 'no-docker-config-'));
  web = await webImage();
  plain = await startRegistry();
  basic = await startRegistry({ auth: 'basic' });
});
after(async () => {
  await plain?.stop();
  await basic?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const inspect = (image: string, o: { registryAuth?: string; scope?: 'all' | 'loopback' | 'none'; configDir?: string } = {}): ReturnType<typeof inspectDistribution> =>
  inspectDistribution(image, { scope: o.scope ?? 'loopback', registryAuth: o.registryAuth, signal: undefined, log: nullLogger }, { dockerConfigDir: o.configDir ?? noConfig });

describe('distribution inspect', () => {
  it('a manifest: its media type, digest and size, and the platform of its config', async () => {
    const pushed = await plain.push(web.path, 'dist/web:1');
    const r = await inspect(`${plain.host}/dist/web:1`);
    assert.deepEqual(r.Descriptor, { mediaType: pushed.mediaType, digest: pushed.digest, size: pushed.size });
    const host = hostPlatform();
    assert.deepEqual(r.Platforms, [{ architecture: host.architecture, os: 'linux' }]);
    assert.deepEqual((await inspect(`${plain.host}/dist/web@${pushed.digest}`)).Descriptor.digest, pushed.digest, 'by digest too');
  });

  it('a manifest list stays one: its own digest, and every entry platform', async () => {
    const { index } = await plain.pushMultiPlatform(web.path, 'dist/multi:1');
    const r = await inspect(`${plain.host}/dist/multi:1`);
    assert.equal(r.Descriptor.digest, index.digest);
    assert.equal(r.Descriptor.mediaType, index.mediaType);
    assert.equal(r.Platforms.length, 2);
    assert.ok(r.Platforms.some((p) => p.architecture === hostPlatform().architecture && p.os === 'linux'));
  });

  it('an unknown tag is docker manifest-unknown NotFound', async () => {
    await assert.rejects(inspect(`${plain.host}/dist/web:nope`), (e: unknown) => {
      assert.ok(isShoalError(e, 'NotFound'));
      assert.match(e.message, new RegExp(`^manifest for ${plain.host}/dist/web:nope not found: manifest unknown`));
      return true;
    });
  });

  it('a registry that wants credentials: refused without, answered with the header or the daemon docker config', async () => {
    const pushed = await basic.push(web.path, 'private/web:1');
    const image = `${basic.host}/private/web:1`;
    await assert.rejects(inspect(image), (e: unknown) => isShoalError(e) && /pull access denied|unauthorized|authentication required/i.test(e.message));
    await assert.rejects(inspect(image, { registryAuth: header({ username: 'shoal', password: 'wrong' }) }), (e: unknown) => isShoalError(e));
    assert.equal((await inspect(image, { registryAuth: header({ username: 'shoal', password: 'secret', serveraddress: basic.host }) })).Descriptor.digest, pushed.digest);
    const config = dockerConfigWith(dir, basic.host, 'shoal', 'secret');
    assert.equal((await inspect(image, { configDir: config })).Descriptor.digest, pushed.digest);
    assert.equal((await inspect(image, { configDir: config, registryAuth: 'e30=' })).Descriptor.digest, pushed.digest, '`{}` holds no credentials: the config is used');
  });

  it('--registry-lookup: loopback refuses other registries before any request, none refuses all', async () => {
    const started = Date.now();
    await assert.rejects(inspect('shoal-test/web:1'), (e: unknown) => {
      assert.ok(isShoalError(e, 'NotFound'));
      assert.equal(e.message, 'no such image: shoal-test/web:1: looking it up in docker.io is turned off (--registry-lookup loopback)');
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(inspect(`${plain.host}/dist/web:1`, { scope: 'none' }), /looking it up in 127\.0\.0\.1:\d+ is turned off \(--registry-lookup none\)/);
    assert.equal(lookupAllowed('all', 'docker.io'), true);
    assert.equal(lookupAllowed('loopback', 'localhost:5000'), true);
    assert.equal(lookupAllowed('loopback', '[::1]:5000'), true);
    assert.equal(lookupAllowed('loopback', 'registry.example.com'), false);
    assert.equal(lookupAllowed('none', '127.0.0.1:5000'), false);
  });
});

describe('decodeRegistryAuth', () => {
  it('reads the credentials of an X-Registry-Auth value, base64url or base64', () => {
    assert.deepEqual(decodeRegistryAuth(header({ username: 'u', password: 'p', serveraddress: 'r' })), { username: 'u', password: 'p' });
    assert.deepEqual(decodeRegistryAuth(Buffer.from(JSON.stringify({ identitytoken: 't?>' })).toString('base64')), { identitytoken: 't?>' });
    assert.deepEqual(decodeRegistryAuth(header({ registrytoken: 'rt' })), { registrytoken: 'rt' });
  });

  it('holds none for empty, `{}`, junk and non-objects', () => {
    for (const v of [undefined, '', 'e30=', header({ username: '' }), '!!!not base64', header([1, 2]), header('text'), header({ username: 5 })]) {
      assert.equal(decodeRegistryAuth(v), undefined, String(v));
    }
  });
});
