import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { conflict, invalidArgument, isShoalError, notFound, outOfSequence, unavailable } from '../api/errors.js';
import { Filters } from '../api/filters.js';
import type { Node } from '../api/types.js';
import { createClient } from '../client/index.js';
import { captureLogger } from '../lib/logger.js';
import type { ApiRequest } from './request.js';
import { Router } from './router.js';
import { startApiServer } from './server.js';
import type { ApiServer } from './server.js';

// src/client may not import src/server (layering), so the client-against-real-server test lives here.

interface Seen {
  method: string;
  path: string;
  apiVersion: string;
  query: Record<string, string>;
  body: unknown;
  contentType: string | undefined;
}

const node = (id: string): Node =>
  ({ ID: id, Version: { Index: 3 }, Spec: { Labels: {}, Role: 'manager', Availability: 'active' } }) as unknown as Node;

describe('EngineClient against the API server', () => {
  let dir: string;
  let sock: string;
  let server: ApiServer;
  const seen: Seen[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-client-'));
    sock = join(dir, 'docker.sock');
    const record = async (req: ApiRequest): Promise<void> => {
      seen.push({
        method: req.method,
        path: req.path,
        apiVersion: req.apiVersion,
        query: Object.fromEntries(req.query),
        body: await req.jsonOptional(),
        contentType: req.header('content-type'),
      });
    };
    const router = new Router()
      .get('/version', (_req, res) => res.json(200, { Version: '9.9.9', ApiVersion: '1.47', Os: 'linux', Arch: 'amd64', GitCommit: 'x', GoVersion: 'n/a' }))
      .get('/info', (_req, res) => res.json(200, { ID: 'x', Swarm: { NodeID: 'n1', LocalNodeState: 'active', ControlAvailable: true } }))
      .post('/swarm/init', async (req, res) => {
        await record(req);
        res.json(200, 'n1');
      })
      .post('/swarm/join', async (req) => record(req))
      .post('/swarm/leave', async (req) => record(req))
      .get('/swarm', (_req, res) => res.json(200, { ID: 'c1', Version: { Index: 7 }, JoinTokens: { Worker: 'w', Manager: 'm' } }))
      .post('/swarm/update', async (req) => {
        await record(req);
        if (req.queryRequiredUint('version') !== 7) throw outOfSequence();
      })
      .get('/nodes', async (req, res) => {
        await record(req);
        res.json(200, [node('n1'), node('n2')]);
      })
      .get('/nodes/{id}', (req, res) => {
        const id = req.param('id');
        if (id === 'missing') throw notFound('node.not_found', 'node missing not found');
        if (id === 'amb') throw invalidArgument('node.ambiguous', 'node amb is ambiguous (2 matches found)');
        if (id === 'busy') throw unavailable('x', 'This node is not a swarm manager.');
        if (id === 'dup') throw conflict('x', 'name conflicts with an existing object');
        if (id === 'boom') throw new Error('kaboom');
        res.json(200, node(id));
      })
      .post('/nodes/{id}/update', async (req) => record(req))
      .delete('/nodes/{id}', async (req) => record(req))
      .get('/events', async (_req, res) => {
        const s = res.ndjson();
        await s.write({ Type: 'node' });
        await s.write({ Type: 'service' });
        s.end();
      });
    server = await startApiServer({
      router,
      logger: captureLogger(),
      engineVersion: '9.9.9',
      swarmHeader: () => 'active/manager',
      listen: [`unix://${sock}`],
    });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pings and negotiates 1.47 once', async () => {
    const c = createClient({ host: `unix://${sock}` });
    try {
      const p = await c.ping();
      assert.deepEqual(p, { apiVersion: '1.47', osType: 'linux', experimental: false, builderVersion: '1', swarm: 'active/manager' });
      assert.equal(await c.apiVersion(), '1.47');
      const v = await c.version();
      assert.equal(v.Version, '9.9.9');
      const info = await c.info();
      assert.equal(info.Swarm.NodeID, 'n1');
    } finally {
      await c.close();
    }
  });

  it('sends the swarm calls the CLI needs', async () => {
    const c = createClient({ host: `unix://${sock}` });
    try {
      seen.length = 0;
      assert.equal(await c.swarmInit({ ListenAddr: '0.0.0.0:2377', ForceNewCluster: false }), 'n1');
      await c.swarmJoin({ RemoteAddrs: ['10.0.0.1:2377'], JoinToken: 'SWMTKN-1-x' });
      await c.swarmLeave(true);
      await c.swarmLeave();
      const swarm = await c.swarmInspect();
      assert.equal(swarm.JoinTokens.Worker, 'w');
      await c.swarmUpdate(7, { Name: 'default' }, { rotateWorkerToken: true });
      assert.deepEqual(
        seen.map((s) => [s.method, s.path, s.apiVersion, s.query, s.body, s.contentType]),
        [
          ['POST', '/swarm/init', '1.47', {}, { ListenAddr: '0.0.0.0:2377', ForceNewCluster: false }, 'application/json'],
          ['POST', '/swarm/join', '1.47', {}, { RemoteAddrs: ['10.0.0.1:2377'], JoinToken: 'SWMTKN-1-x' }, 'application/json'],
          ['POST', '/swarm/leave', '1.47', { force: '1' }, undefined, undefined],
          ['POST', '/swarm/leave', '1.47', {}, undefined, undefined],
          [
            'POST',
            '/swarm/update',
            '1.47',
            { version: '7', rotateWorkerToken: 'true', rotateManagerToken: 'false', rotateManagerUnlockKey: 'false' },
            { Name: 'default' },
            'application/json',
          ],
        ],
      );
    } finally {
      await c.close();
    }
  });

  it('sends the node calls the CLI needs', async () => {
    const c = createClient({ host: `unix://${sock}` });
    try {
      seen.length = 0;
      const all = await c.nodeList();
      assert.deepEqual(all.map((n) => n.ID), ['n1', 'n2']);
      await c.nodeList({ role: { manager: true } });
      await c.nodeList(Filters.of({ name: ['wrk'] }));
      await c.nodeList({});
      assert.equal((await c.nodeInspect('a b/c')).ID, 'a b/c', 'path-escaped ref');
      await c.nodeUpdate('n1', 3, { Labels: { a: 'b' }, Role: 'worker', Availability: 'drain' });
      await c.nodeRemove('n2', true);
      await c.nodeRemove('n2');
      assert.deepEqual(
        seen.map((s) => [s.method, s.path, s.query, s.body]),
        [
          ['GET', '/nodes', {}, undefined],
          ['GET', '/nodes', { filters: '{"role":{"manager":true}}' }, undefined],
          ['GET', '/nodes', { filters: '{"name":{"wrk":true}}' }, undefined],
          ['GET', '/nodes', {}, undefined],
          ['POST', '/nodes/n1/update', { version: '3' }, { Labels: { a: 'b' }, Role: 'worker', Availability: 'drain' }],
          ['DELETE', '/nodes/n2', { force: '1' }, undefined],
          ['DELETE', '/nodes/n2', {}, undefined],
        ],
      );
    } finally {
      await c.close();
    }
  });

  it('turns error responses into ShoalErrors with the daemon’s message verbatim', async () => {
    const c = createClient({ host: `unix://${sock}` });
    try {
      const cases: [string, string, string][] = [
        ['missing', 'NotFound', 'node missing not found'],
        ['amb', 'InvalidArgument', 'node amb is ambiguous (2 matches found)'],
        ['busy', 'Unavailable', 'This node is not a swarm manager.'],
        ['dup', 'Conflict', 'name conflicts with an existing object'],
        ['boom', 'Internal', 'kaboom'],
      ];
      for (const [ref, kind, message] of cases) {
        await assert.rejects(c.nodeInspect(ref), (e) => isShoalError(e) && e.kind === kind && e.message === message, ref);
      }
      await assert.rejects(
        c.swarmUpdate(6, {}),
        (e) => isShoalError(e, 'Internal') && e.message === 'rpc error: code = Unknown desc = update out of sequence' && e.code === 'http.500',
      );
      await assert.rejects(c.request('GET', '/nope'), (e) => isShoalError(e, 'NotFound') && e.message === 'page not found');
    } finally {
      await c.close();
    }
  });

  it('streams a response', async () => {
    const c = createClient({ host: `unix://${sock}` });
    try {
      const res = await c.stream('GET', '/events');
      let text = '';
      for await (const chunk of res) text += String(chunk);
      assert.equal(text, '{"Type":"node"}\n{"Type":"service"}\n');
    } finally {
      await c.close();
    }
  });
});

