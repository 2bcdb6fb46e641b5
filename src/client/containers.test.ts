/** The container/image calls: what reaches the daemon (method, path, query, body) and how answers are read. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from './client.js';
import type { EngineClient } from './client.js';
import {
  containerInspect,
  containerKill,
  containerList,
  containerLogs,
  containerRemove,
  containerStart,
  containerStop,
  containerWait,
  execCreate,
  execInspect,
} from './containers.js';
import { imageInspect, imageList, imageLoad, imagePrune, imagePull, imageRemove, imageTag, messageError, readJSONMessages } from './images.js';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Handler = (c: { req: Recorded; res: ServerResponse; json: (status: number, body: unknown) => void }) => void;

/** A recording daemon: routes by "METHOD /path" (version prefix and query stripped); /_ping answers 1.47. */
class Recorder {
  readonly requests: Recorded[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'shoal-client-'));
  readonly host = `unix://${join(this.dir, 'd.sock')}`;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const r: Recorded = { method: req.method ?? '', path: url.pathname.replace(/^\/v[\d.]+/, ''), query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      this.requests.push(r);
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(status === 204 ? undefined : JSON.stringify(body));
      };
      const h = this.routes.get(`${r.method} ${r.path}`);
      if (h === undefined) json(404, { message: 'no route' });
      else h({ req: r, res, json });
    });
  });

  on(route: string, h: Handler): this {
    this.routes.set(route, h);
    return this;
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(this.host.slice('unix://'.length), r));
    return this;
  }
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}${r.query.size > 0 ? '?' + r.query.toString() : ''}`);
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('container and image client calls', () => {
  let engine: Recorder;
  let client: EngineClient;
  let releaseWait: (() => void) | undefined;

  before(async () => {
    engine = await new Recorder()
      .on('GET /containers/json', (c) => c.json(200, [{ Id: 'c1', Names: ['/web'] }]))
      .on('GET /containers/web/json', (c) => c.json(200, { Id: 'c1', Name: '/web', Config: { Tty: false } }))
      .on('POST /containers/web/start', (c) => c.json(204, ''))
      .on('POST /containers/web/stop', (c) => c.json(204, ''))
      .on('POST /containers/web/kill', (c) => c.json(204, ''))
      .on('DELETE /containers/web', (c) => c.json(204, ''))
      .on('POST /containers/web/wait', (c) => {
        // Headers first (the waiter is registered), the body when the container exits.
        c.res.writeHead(200, { 'Content-Type': 'application/json' });
        c.res.flushHeaders();
        releaseWait = () => c.res.end(JSON.stringify({ StatusCode: 7, Error: null }));
      })
      .on('GET /containers/web/logs', (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        c.res.end('');
      })
      .on('POST /containers/web/exec', (c) => c.json(201, { Id: 'e1' }))
      .on('GET /exec/e1/json', (c) => c.json(200, { ID: 'e1', Running: false, ExitCode: 3, ContainerID: 'c1' }))
      .on('GET /images/json', (c) => c.json(200, null))
      .on('GET /images/busybox/json', (c) => c.json(200, { Id: 'sha256:1', RepoTags: ['busybox:latest'] }))
      .on('DELETE /images/busybox', (c) => c.json(200, [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:1' }]))
      .on('POST /images/busybox/tag', (c) => c.json(201, ''))
      .on('POST /images/prune', (c) => c.json(200, { ImagesDeleted: null, SpaceReclaimed: 0 }))
      .on('POST /images/create', (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/json' });
        c.res.end('{"status":"Pulling from library/busybox","id":"latest"}\r\n{"status":"Digest: sha256:ab"}\r\n');
      })
      .on('POST /images/load', (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/json' });
        c.res.end(JSON.stringify({ stream: `Loaded image: busybox:latest (${c.req.body.length} bytes)\n` }) + '\n');
      })
      .start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
  });

  after(async () => {
    await client.close();
    await engine.close();
  });

  const last = (): string => engine.calls().at(-1) ?? '';

  it('lists and inspects containers with docker’s query parameters', async () => {
    assert.deepEqual(await containerList(client, { all: true, limit: 2, size: true, filters: { status: { exited: true } } }), [{ Id: 'c1', Names: ['/web'] }]);
    assert.equal(last(), 'GET /containers/json?all=1&limit=2&size=1&filters=%7B%22status%22%3A%7B%22exited%22%3Atrue%7D%7D');
    await containerList(client);
    assert.equal(last(), 'GET /containers/json');
    assert.equal((await containerInspect(client, 'web', { size: true })).Id, 'c1');
    assert.equal(last(), 'GET /containers/web/json?size=1');
  });

  it('starts, stops, kills and removes', async () => {
    await containerStart(client, 'web');
    assert.equal(last(), 'POST /containers/web/start');
    await containerStop(client, 'web', { signal: 'SIGINT', timeout: 5 });
    assert.equal(last(), 'POST /containers/web/stop?signal=SIGINT&t=5');
    await containerStop(client, 'web');
    assert.equal(last(), 'POST /containers/web/stop');
    await containerKill(client, 'web', 'HUP');
    assert.equal(last(), 'POST /containers/web/kill?signal=HUP');
    await containerRemove(client, 'web', { force: true, volumes: true });
    assert.equal(last(), 'DELETE /containers/web?v=1&force=1');
  });

  it('waits: registered once the headers arrive, the status when the body does', async () => {
    const w = containerWait(client, 'web', 'next-exit');
    let done = false;
    void w.result.then(() => (done = true));
    await w.registered;
    assert.equal(last(), 'POST /containers/web/wait?condition=next-exit');
    assert.equal(done, false);
    releaseWait?.();
    assert.deepEqual(await w.result, { StatusCode: 7, Error: null });
  });

  it('asks for logs with the docker client’s parameters', async () => {
    const res = await containerLogs(client, 'web', { stdout: true, stderr: true, since: '1700000000', timestamps: true, follow: true, tail: '10', details: false });
    res.resume();
    assert.equal(last(), 'GET /containers/web/logs?stdout=1&stderr=1&since=1700000000&timestamps=1&follow=1&tail=10');
  });

  it('creates and inspects execs', async () => {
    const body = { User: '', Privileged: false, Tty: false, AttachStdin: false, AttachStderr: true, AttachStdout: true, Detach: false, DetachKeys: '', Env: null, WorkingDir: '', Cmd: ['ls'] };
    assert.deepEqual(await execCreate(client, 'web', body), { Id: 'e1' });
    assert.deepEqual(JSON.parse(engine.requests.at(-1)?.body.toString() ?? ''), body);
    assert.equal((await execInspect(client, 'e1')).ExitCode, 3);
  });

  it('lists, inspects, removes, tags and prunes images', async () => {
    assert.deepEqual(await imageList(client, { all: true, filters: { reference: { 'busy*': true } } }), []);
    assert.equal(last(), 'GET /images/json?all=1&filters=%7B%22reference%22%3A%7B%22busy*%22%3Atrue%7D%7D');
    assert.equal((await imageInspect(client, 'busybox')).Id, 'sha256:1');
    assert.deepEqual(await imageRemove(client, 'busybox', { force: true }), [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:1' }]);
    assert.equal(last(), 'DELETE /images/busybox?force=1');
    await imageTag(client, 'busybox', 'docker.io/library/mine', 'v1');
    assert.equal(last(), 'POST /images/busybox/tag?repo=docker.io%2Flibrary%2Fmine&tag=v1');
    assert.deepEqual(await imagePrune(client, { dangling: { true: true } }), { ImagesDeleted: null, SpaceReclaimed: 0 });
    assert.equal(last(), 'POST /images/prune?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D');
  });

  it('pulls with fromImage, tag, platform, insecure=1 and X-Registry-Auth', async () => {
    const res = await imagePull(client, { fromImage: 'docker.io/library/busybox', tag: 'latest', platform: 'linux/amd64', insecure: true, registryAuth: 'e30=' });
    const messages = [];
    for await (const m of readJSONMessages(res)) messages.push(m);
    assert.deepEqual(messages, [{ status: 'Pulling from library/busybox', id: 'latest' }, { status: 'Digest: sha256:ab' }]);
    assert.equal(last(), 'POST /images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest&platform=linux%2Famd64&insecure=1');
    assert.equal(engine.requests.at(-1)?.headers['x-registry-auth'], 'e30=');
  });

  it('loads a tarball streamed as application/x-tar', async () => {
    const res = await imageLoad(client, Readable.from([Buffer.alloc(1000), Buffer.alloc(24)]), { quiet: true, size: 1024 });
    const messages = [];
    for await (const m of readJSONMessages(res)) messages.push(m);
    assert.deepEqual(messages, [{ stream: 'Loaded image: busybox:latest (1024 bytes)\n' }]);
    assert.equal(last(), 'POST /images/load?quiet=1');
    assert.equal(engine.requests.at(-1)?.headers['content-type'], 'application/x-tar');
  });
});

describe('NDJSON progress messages', () => {
  it('parses lines split across chunks, multi-byte characters included', async () => {
    const text = '{"status":"a"}\n{"status":"é✓"}\r\n\n{"stream":"x"}';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const got = [];
      for await (const m of readJSONMessages(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) got.push(m);
      assert.deepEqual(got, [{ status: 'a' }, { status: 'é✓' }, { stream: 'x' }], `cut ${cut}`);
    }
  });

  it('turns errorDetail into an error (401: authentication is required)', () => {
    assert.equal(messageError({ status: 'x' }), undefined);
    assert.equal(messageError({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' })?.message, 'manifest unknown');
    assert.equal(messageError({ error: 'old style' })?.message, 'old style');
    assert.equal(messageError({ errorDetail: { code: 401, message: 'x' } })?.message, 'authentication is required');
  });
});
