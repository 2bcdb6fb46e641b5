/**
 * `compose up`'s image step against a scripted Engine API: images already there are not pulled, each missing one is
 * pulled once, and images that cannot be pulled are all tried and reported, one ` ✘ Image` line per image and one
 * error line per service that uses it (naming the service, the image and the registry's reason).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import { loadProject } from '../../../compose/model/load.js';
import { captureContext, EngineStub } from '../container/engine-stub.testkit.js';
import { ensureImages } from './engine.js';
import { Progress } from './progress.js';

const project = loadProject({
  files: [
    {
      path: '/p/compose.yml',
      content: `services:
  here: { image: "local/here:1" }
  fetch: { image: "127.0.0.1:5000/fetch:1" }
  also-fetch: { image: "127.0.0.1:5000/fetch:1" }
  gone: { image: "127.0.0.1:5000/gone:1" }
  gone-too: { image: "127.0.0.1:5000/gone:1" }
  denied: { image: "127.0.0.1:5000/denied:1" }
`,
    },
  ],
  workingDir: '/p',
  env: {},
  readFile: () => undefined,
  projectName: 'p',
});

describe('compose: ensureImages', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
    engine.on(`GET /images/${encodeURIComponent('local/here:1')}/json`, (c) => c.json(200, { Id: 'sha256:1' }));
    engine.on('POST /images/create', (c) => {
      const from = c.req.query.get('fromImage');
      if (from === '127.0.0.1:5000/fetch') {
        c.res.writeHead(200, { 'Content-Type': 'application/json' });
        c.res.end(`${JSON.stringify({ status: 'Pulling from fetch', id: '1' })}\n${JSON.stringify({ status: 'Status: Downloaded newer image for 127.0.0.1:5000/fetch:1' })}\n`);
      } else if (from === '127.0.0.1:5000/gone') c.json(404, { message: 'manifest for 127.0.0.1:5000/gone:1 not found: manifest unknown: manifest unknown' });
      else c.json(404, { message: "pull access denied for 127.0.0.1:5000/denied, repository does not exist or may require 'docker login'" });
    });
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  it('pulls each missing image once, tries every one, and names each service whose image could not be pulled', async () => {
    const cap = captureContext(engine.host);
    const services = Object.keys(project.services);
    await assert.rejects(ensureImages(cap.ctx, client, project, services, new Progress(cap.ctx.err)), (e: Error) => {
      assert.deepEqual(e.message.split('\n').sort(), [
        'service "denied": pulling image 127.0.0.1:5000/denied:1 failed: pull access denied for 127.0.0.1:5000/denied, repository does not exist or may require \'docker login\'',
        'service "gone": pulling image 127.0.0.1:5000/gone:1 failed: manifest for 127.0.0.1:5000/gone:1 not found: manifest unknown: manifest unknown',
        'service "gone-too": pulling image 127.0.0.1:5000/gone:1 failed: manifest for 127.0.0.1:5000/gone:1 not found: manifest unknown: manifest unknown',
      ]);
      return true;
    });
    const pulls = engine.calls().filter((c) => c.startsWith('POST /images/create'));
    assert.equal(pulls.length, 3, `one pull per missing image: ${pulls.join(', ')}`);
    assert.deepEqual(cap.err().split('\n').filter((l) => l !== '').sort(), [
      ' ✔ Image 127.0.0.1:5000/fetch:1  Pulled',
      ' ✘ Image 127.0.0.1:5000/denied:1  Error',
      ' ✘ Image 127.0.0.1:5000/gone:1  Error',
    ]);
  });

  it('succeeds, pulling nothing, when the images are there', async () => {
    const cap = captureContext(engine.host);
    await ensureImages(cap.ctx, client, project, ['here'], new Progress(cap.ctx.err));
    assert.deepEqual(engine.calls(), [`GET /images/${encodeURIComponent('local/here:1')}/json`]);
    assert.equal(cap.err(), '');
  });
});
