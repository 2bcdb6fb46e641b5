import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { createClient, parseHost } from './index.js';

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, resolve));
}

describe('EngineClient version negotiation', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-nego-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A bare server: `apiHeader` on HEAD/GET /_ping (none if undefined); records the paths of other calls. */
  async function bare(name: string, o: { apiHeader?: string; headStatus?: number }): Promise<{ server: Server; host: string; paths: string[] }> {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      if (req.url === '/_ping') {
        paths.push(`${req.method} /_ping`);
        if (req.method === 'HEAD' && o.headStatus !== undefined) {
          res.statusCode = o.headStatus;
          res.end();
          return;
        }
        if (o.apiHeader !== undefined) res.setHeader('Api-Version', o.apiHeader);
        res.end(req.method === 'GET' ? 'OK' : undefined);
        return;
      }
      paths.push(`${req.method} ${req.url}`);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    const path = join(dir, `${name}.sock`);
    await listen(server, path);
    return { server, host: `unix://${path}`, paths };
  }

  const cases: [string, { apiHeader?: string; headStatus?: number }, string, string[]][] = [
    ['older', { apiHeader: '1.41' }, '1.41', ['HEAD /_ping']],
    ['newer', { apiHeader: '1.52' }, '1.47', ['HEAD /_ping']],
    ['none', {}, '1.24', ['HEAD /_ping']],
    ['head405', { apiHeader: '1.45', headStatus: 405 }, '1.45', ['HEAD /_ping', 'GET /_ping']],
  ];
  for (const [name, o, want, pings] of cases) {
    it(`uses ${want} when the daemon says ${o.apiHeader ?? 'nothing'}${o.headStatus ? ` and HEAD is ${o.headStatus}` : ''}`, async () => {
      const b = await bare(name, o);
      const c = createClient({ host: b.host });
      try {
        await c.request('GET', '/info');
        await c.request('GET', '/nodes', { query: { filters: { id: { x: true } } } });
        assert.deepEqual(b.paths, [...pings, `GET /v${want}/info`, `GET /v${want}/nodes?filters=%7B%22id%22%3A%7B%22x%22%3Atrue%7D%7D`]);
      } finally {
        await c.close();
        await new Promise((r) => b.server.close(r));
      }
    });
  }

  it('skips negotiation when the version is pinned', async () => {
    const b = await bare('pinned', { apiHeader: '1.47' });
    const c = createClient({ host: b.host, apiVersion: '1.40' });
    try {
      await c.request('GET', '/info');
      assert.deepEqual(b.paths, ['GET /v1.40/info']);
    } finally {
      await c.close();
      await new Promise((r) => b.server.close(r));
    }
  });
});

describe('parseHost', () => {
  it('reads unix and tcp hosts', () => {
    assert.deepEqual(parseHost('unix:///run/shoal/docker.sock'), { kind: 'unix', socketPath: '/run/shoal/docker.sock', url: 'unix:///run/shoal/docker.sock' });
    assert.deepEqual(parseHost('tcp://10.0.0.1:2376'), { kind: 'tcp', hostname: '10.0.0.1', port: 2376, url: 'tcp://10.0.0.1:2376' });
    assert.deepEqual(parseHost('tcp://[::1]:2375'), { kind: 'tcp', hostname: '::1', port: 2375, url: 'tcp://[::1]:2375' });
    assert.equal((parseHost('tcp://manager1') as { port: number }).port, 2375);
    assert.throws(() => parseHost('ssh://x'), (e) => isShoalError(e, 'InvalidArgument'));
  });
});

describe('EngineClient connection errors', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-conn-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing socket like docker does', async () => {
    const host = `unix://${join(dir, 'nobody.sock')}`;
    const c = createClient({ host });
    try {
      await assert.rejects(
        c.info(),
        (e) =>
          isShoalError(e, 'Unavailable') &&
          e.code === 'client.connect' &&
          e.message === `Cannot connect to the Shoal daemon at ${host}. Is the daemon running?`,
      );
    } finally {
      await c.close();
    }
  });

  it('reports a refused connection (stale socket file) the same way', async () => {
    const stale = join(dir, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
    const c = createClient({ host: `unix://${stale}` });
    try {
      await assert.rejects(
        c.ping(),
        (e) => isShoalError(e, 'Unavailable') && e.message === `Cannot connect to the Shoal daemon at unix://${stale}. Is the daemon running?`,
      );
    } finally {
      await c.close();
    }
  });

  it('retries again after a failed negotiation', async () => {
    const path = join(dir, 'later.sock');
    const c = createClient({ host: `unix://${path}` });
    try {
      await assert.rejects(c.info(), (e) => isShoalError(e, 'Unavailable'));
      const server = createServer((req, res) => {
        res.setHeader('Api-Version', '1.47');
        res.setHeader('Content-Type', 'application/json');
        res.end(req.url === '/_ping' ? undefined : '{"up":true}');
      });
      await listen(server, path);
      try {
        assert.deepEqual(await c.request('GET', '/info'), { up: true });
      } finally {
        await new Promise((r) => server.close(r));
      }
    } finally {
      await c.close();
    }
  });
});
