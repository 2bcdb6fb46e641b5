import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, isShoalError } from '../../api/errors.js';
import type { ApiRequest } from '../request.js';
import type { Router } from '../router.js';
import type { EngineBackend } from './backend.js';

/** The `X-Registry-Auth` header: base64url JSON of {username, password, ...}; `e30=` ({}) when there is none. */
function registryAuth(req: ApiRequest): unknown {
  const h = req.header('x-registry-auth');
  if (!h) return undefined;
  try {
    return JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
  } catch {
    throw invalidArgument('image.bad_auth', 'invalid X-Registry-Auth header');
  }
}

/** `/images/*`: pull (NDJSON progress), load, list, inspect, remove, tag, prune. */
export function imageRoutes(router: Router, b: EngineBackend): void {
  const im = b.images;
  router.post('/images/create', async (req, res) => {
    const from = req.queryString('fromImage');
    if (!from) throw invalidArgument('image.pull_no_image', 'fromImage is required (importing with fromSrc is not supported)');
    const tag = req.queryString('tag');
    const ref = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from;
    let out: ReturnType<typeof res.ndjson> | undefined;
    const queue: unknown[] = [];
    const onProgress = (p: unknown): void => {
      out ??= res.ndjson(200);
      queue.push(p);
      void flush();
    };
    let flushing = Promise.resolve();
    const flush = (): Promise<void> =>
      (flushing = flushing.then(async () => {
        while (queue.length > 0 && out && !out.closed) await out.write(queue.shift());
      }));
    try {
      const r = await im.pull(ref, { insecure: req.queryBool('insecure'), auth: registryAuth(req), onProgress, signal: req.signal });
      out ??= res.ndjson(200);
      if (r.digest) queue.push({ status: `Digest: ${r.digest}` });
      queue.push({ status: `Status: Downloaded newer image for ${r.name}` });
      await flush();
    } catch (e) {
      // Before any output the error is a normal error response; after it, docker reports it in the stream.
      if (!out) throw e;
      const message = e instanceof Error ? e.message : String(e);
      queue.push({ errorDetail: { message }, error: message });
      await flush();
    } finally {
      out?.end();
    }
  });
  router.post('/images/load', async (req, res) => {
    const dir = await mkdtemp(join(im.tempDir(), 'load-'));
    const file = join(dir, 'image.tar');
    try {
      await pipeline(req.raw, createWriteStream(file));
      const out = res.ndjson(200);
      try {
        const loaded = await im.load(file, () => undefined);
        for (const l of loaded) await out.write({ stream: `Loaded image${l.startsWith('sha256:') ? ' ID' : ''}: ${l}\n` });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!isShoalError(e)) throw e;
        await out.write({ errorDetail: { message }, error: message });
      } finally {
        out.end();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  router.get('/images/json', async (req, res) =>
    res.json(200, await im.list({ all: req.queryBool('all'), filters: req.filters(['dangling', 'label', 'before', 'since', 'reference', 'until']), digests: req.queryBool('digests') })),
  );
  router.get('/images/{name*}/json', async (req, res) => res.json(200, await im.inspect(req.param('name'))));
  router.delete('/images/{name*}', async (req, res) => res.json(200, await im.remove(req.param('name'), { force: req.queryBool('force'), noprune: req.queryBool('noprune') })));
  router.post('/images/{name*}/tag', async (req, res) => {
    const repo = req.queryString('repo');
    if (!repo) throw invalidArgument('image.tag_no_repo', 'repository name must have at least one component');
    await im.tag(req.param('name'), repo, req.queryString('tag') || 'latest');
    res.empty(201);
  });
  router.post('/images/prune', async (req, res) => res.json(200, await im.prune(req.filters(['dangling', 'label', 'until']))));
}
