/**
 * `stack deploy` against a scripted Engine API: what a redeploy sends for each `--resolve-image` mode, and
 * `--with-registry-auth` (the credentials of the image's registry from $DOCKER_CONFIG on every create and update;
 * an existing service is updated even when its spec is the same, since the daemon never shows the credentials).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import type { Service, ServiceSpec } from '../../../client/service-types.js';
import { captureContext, EngineStub } from '../container/engine-stub.testkit.js';
import type { WaitEnvironment } from '../service/progress.js';
import { run } from './deploy.js';
import type { StackHost } from './deploy.js';

const IMAGE = '127.0.0.1:5000/team/app:1';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const NEW_DIGEST = `sha256:${'b'.repeat(64)}`;
const FILE = `services:\n  app:\n    image: ${IMAGE}\n`;

function stackHost(file: string): StackHost {
  const env: WaitEnvironment & { dispose(): void } = { tty: false, now: () => 0, pause: () => Promise.resolve(false), dispose: () => undefined };
  return {
    compose: { readFile: (p) => (p === '/proj/stack.yml' ? file : undefined), readBytes: () => undefined, readStdin: () => '', cwd: () => '/proj', env: {} },
    service: { readFile: () => '', now: () => 0, waitEnvironment: () => env },
  };
}

describe('stack deploy: --resolve-image and --with-registry-auth on a redeploy', () => {
  let engine: EngineStub;
  let client: EngineClient;
  let dir: string;
  let current: Service | undefined;
  let digest: string | undefined;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
    dir = mkdtempSync(join(tmpdir(), 'shoal-deploy-test-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: Buffer.from('me:pw').toString('base64') } } }));
    current = undefined;
    digest = DIGEST;
    engine.on('GET /info', (c) => c.json(200, { Swarm: { ControlAvailable: true, LocalNodeState: 'active' } }));
    engine.on('GET /networks', (c) => c.json(200, [{ Id: 'net-x-default', Name: 'x_default', Labels: { 'com.docker.stack.namespace': 'x' }, Scope: 'swarm' }]));
    engine.on('GET /services', (c) => c.json(200, current !== undefined ? [current] : []));
    engine.on('POST /services/create', (c) => {
      current = { ID: 'svc-app', Version: { Index: 7 }, CreatedAt: '', UpdatedAt: '', Spec: JSON.parse(c.req.body.toString()) as ServiceSpec };
      c.json(201, { ID: 'svc-app' });
    });
    engine.on('GET /tasks', (c) => c.json(200, []));
    engine.on(`GET /distribution/${IMAGE}/json`, (c) => {
      if (digest === undefined) c.json(404, { message: 'manifest unknown' });
      else c.json(200, { Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: 500 }, Platforms: [{ architecture: 'amd64', os: 'linux' }] });
    });
    engine.on('POST /services/svc-app/update', (c) => c.json(200, {}));
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The first deploy (`--resolve-image always`): the service as the daemon keeps it, image pinned, platforms set. */
  beforeEach(async () => {
    await deploy({});
    assert.equal(current?.Spec.TaskTemplate.ContainerSpec?.Image, `${IMAGE}@${DIGEST}`);
    assert.deepEqual(current?.Spec.TaskTemplate.Placement?.Platforms, [{ Architecture: 'amd64', OS: 'linux' }]);
    engine.requests.length = 0;
  });

  async function deploy(o: { resolveImage?: string; withRegistryAuth?: boolean }): Promise<{ out: string; err: string }> {
    const cap = captureContext(engine.host, { DOCKER_CONFIG: dir });
    await run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], detachGiven: true, ...o }, stackHost(FILE));
    return { out: cap.out(), err: cap.err() };
  }
  const updates = (): { spec: ServiceSpec; auth: string | undefined }[] =>
    engine.requests
      .filter((r) => r.method === 'POST' && r.path === '/services/svc-app/update')
      .map((r) => ({ spec: JSON.parse(r.body.toString()) as ServiceSpec, auth: r.headers['x-registry-auth'] as string | undefined }));

  it('changed and never keep the pinned image and its platforms: nothing to update', async () => {
    for (const resolveImage of ['changed', 'never']) {
      const { out } = await deploy({ resolveImage });
      assert.doesNotMatch(out, /Updating/, resolveImage);
    }
    assert.deepEqual(updates(), []);
    assert.ok(!engine.calls().some((c) => c.startsWith('GET /distribution')), 'no lookup for an unchanged image');
  });

  it('always looks the image up again: the same digest changes nothing, a new one updates the service', async () => {
    assert.doesNotMatch((await deploy({ resolveImage: 'always' })).out, /Updating/);
    digest = NEW_DIGEST;
    assert.match((await deploy({ resolveImage: 'always' })).out, /^Updating service x_app \(id: svc-app\)$/m);
    const [u] = updates();
    assert.equal(u?.spec.TaskTemplate.ContainerSpec?.Image, `${IMAGE}@${NEW_DIGEST}`);
    assert.equal(u?.auth, undefined, 'no credentials without --with-registry-auth');
  });

  it('always with a failed lookup leaves the image unpinned, with docker warning', async () => {
    digest = undefined;
    const { out, err } = await deploy({ resolveImage: 'always' });
    assert.match(out, /^Updating service x_app/m);
    assert.match(err, new RegExp(`^image ${IMAGE} could not be accessed on a registry to record$`, 'm'));
    assert.equal(updates()[0]?.spec.TaskTemplate.ContainerSpec?.Image, IMAGE);
  });

  it('--with-registry-auth sends the credentials with the lookup and the update, even when the spec is the same', async () => {
    const { out } = await deploy({ resolveImage: 'never', withRegistryAuth: true });
    assert.match(out, /^Updating service x_app \(id: svc-app\)$/m);
    const [u] = updates();
    assert.ok(u !== undefined);
    const decoded = JSON.parse(Buffer.from(u.auth ?? '', 'base64url').toString('utf8')) as Record<string, string>;
    assert.deepEqual(decoded, { username: 'me', password: 'pw', serveraddress: '127.0.0.1:5000' });
    assert.equal(u.spec.TaskTemplate.ContainerSpec?.Image, `${IMAGE}@${DIGEST}`, 'the spec itself is unchanged');
    assert.equal(engine.requests.find((r) => r.path.startsWith('/distribution/')), undefined);
    await deploy({ resolveImage: 'always', withRegistryAuth: true });
    const lookup = engine.requests.find((r) => r.path.startsWith('/distribution/'));
    assert.equal(lookup?.headers['x-registry-auth'], u.auth, 'the lookup carries the credentials too');
  });
});
