import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError, notFound, outOfSequence } from '../api/errors.js';
import { captureLogger } from '../lib/logger.js';
import { decodeFrames } from './frames.js';
import { Router } from './router.js';
import { startApiServer } from './server.js';
import type { ApiServer } from './server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

function call(
  socketPath: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Reads from a raw socket until `pred` holds for what arrived. */
function readUntil(sock: Socket, pred: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    const onData = (c: Buffer): void => {
      acc += c.toString('latin1');
      if (pred(acc)) {
        sock.off('data', onData);
        resolve(acc);
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.once('close', () => resolve(acc));
  });
}

describe('API server', () => {
  let dir: string;
  let sock: string;
  let server: ApiServer;
  const logger = captureLogger();
  let swarmState = 'inactive';
  let hijackSignal: AbortSignal | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-server-'));
    sock = join(dir, 'sub', 'dir', 'docker.sock');
    const router = new Router()
      .get('/echo', (req, res) => {
        res.json(200, {
          apiVersion: req.apiVersion,
          path: req.path,
          at141: req.versionAtLeast('1.41'),
          force: req.queryBool('force'),
          dflt: req.queryBool('insertDefaults', true),
          n: req.queryInt('n', { default: 7 }),
        });
      })
      .get('/nodes/{id}', (req, res) => res.json(200, { id: req.param('id') }))
      .get('/missing/{id}', (req) => {
        throw notFound('node.not_found', `node ${req.param('id')} not found`);
      })
      .post('/stale', () => {
        throw outOfSequence();
      })
      .get('/crash', () => {
        throw new TypeError("Cannot read properties of undefined (reading 'Spec')");
      })
      .get('/crash-mid-stream', async (_req, res) => {
        const s = res.ndjson();
        await s.write({ a: 1 });
        throw new Error('late failure');
      })
      .post('/body', async (req, res) => res.json(200, { got: await req.json() }))
      .post('/body-small', async (req, res) => res.json(200, { got: await req.json({ maxBytes: 16 }) }))
      .post('/body-optional', async (req, res) => res.json(200, { got: (await req.jsonOptional()) ?? null }))
      .post('/update', (req, res) => res.json(200, { version: req.queryRequiredUint('version') }))
      .get('/list', (req, res) => res.json(200, req.filters(['id', 'label']).toJSON()))
      .post('/nothing', () => undefined)
      .delete('/gone', (_req, res) => res.noContent())
      .get('/ndjson', async (_req, res) => {
        const s = res.ndjson();
        await s.write({ n: 1 });
        await s.write({ n: 2 });
        s.end();
      })
      .get('/logs', async (req, res) => {
        const s = res.logStream({ tty: req.queryBool('tty') });
        await s.writeFrame(1, 'out line\n');
        await s.writeFrame(2, 'err line\n');
        s.end();
      })
      .post('/exec/{id}/start', async (req, res) => {
        const body = await req.json<{ Tty: boolean }>();
        res.header('X-Exec', req.param('id'));
        const { socket, head } = res.hijack();
        hijackSignal = req.signal;
        socket.write(`tty=${body.Tty} head=${head.toString()}|`);
        socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
        // Half-open like docker attach: the client's EOF on stdin is 'end'; this handler has nothing more to say.
        socket.on('end', () => socket.end());
      });
    server = await startApiServer({
      router,
      logger,
      engineVersion: '9.9.9',
      swarmHeader: () => swarmState,
      listen: [`unix://${sock}`, 'tcp://127.0.0.1:0'],
      shutdownGraceMs: 500,
    });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('listening', () => {
    it('creates the parent directory and the socket with mode 0660', async () => {
      const st = await stat(sock);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o660);
    });

    it('listens on TCP too and reports the bound port', async () => {
      const tcp = server.addresses.find((a) => a.startsWith('tcp://'));
      assert.match(tcp ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(tcp?.split(':').pop());
      const res = await fetch(`http://127.0.0.1:${port}/_ping`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'OK');
    });
  });

  describe('versions', () => {
    it('accepts unversioned paths at the maximum version', async () => {
      const r = await call(sock, 'GET', '/echo');
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { apiVersion: '1.47', path: '/echo', at141: true, force: false, dflt: true, n: 7 });
    });

    it('accepts /v1.24 … /v1.47 and exposes the version', async () => {
      for (const v of ['1.24', '1.30', '1.41', '1.47']) {
        const r = await call(sock, 'GET', `/v${v}/echo`);
        assert.equal(r.status, 200, v);
        assert.equal(JSON.parse(r.body).apiVersion, v);
      }
      assert.equal(JSON.parse((await call(sock, 'GET', '/v1.40/echo')).body).at141, false);
    });

    it('rejects a version above the maximum', async () => {
      const r = await call(sock, 'GET', '/v1.99/echo');
      assert.equal(r.status, 400);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.body, '{"message":"client version 1.99 is too new. Maximum supported API version is 1.47"}\n');
    });

    it('rejects a version below the minimum', async () => {
      const r = await call(sock, 'GET', '/v1.12/_ping');
      assert.equal(r.status, 400);
      assert.equal(
        JSON.parse(r.body).message,
        'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
      );
    });
  });

  describe('/_ping', () => {
    const common = (h: IncomingHttpHeaders): void => {
      assert.equal(h['api-version'], '1.47');
      assert.equal(h['ostype'], 'linux');
      assert.equal(h['server'], 'Docker/9.9.9 (linux)');
      assert.equal(h['docker-experimental'], 'false');
      assert.equal(h['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(h['pragma'], 'no-cache');
      assert.equal(h['builder-version'], '1');
    };

    it('answers HEAD unversioned with every header and an empty text/plain body', async () => {
      swarmState = 'active/manager';
      const r = await call(sock, 'HEAD', '/_ping');
      assert.equal(r.status, 200);
      common(r.headers);
      assert.equal(r.headers['swarm'], 'active/manager');
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(r.headers['content-length'], '0');
      assert.equal(r.body, '');
    });

    it('answers GET with OK, versioned or not', async () => {
      swarmState = 'inactive';
      for (const p of ['/_ping', '/v1.47/_ping', '/v1.24/_ping']) {
        const r = await call(sock, 'GET', p);
        assert.equal(r.status, 200, p);
        common(r.headers);
        assert.equal(r.headers['swarm'], 'inactive');
        assert.equal(r.body, 'OK');
      }
    });

    it('is not routed for other methods', async () => {
      assert.equal((await call(sock, 'POST', '/_ping')).status, 404);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with 404 page not found', async () => {
      for (const [m, p] of [['GET', '/nope'], ['GET', '/v1.47/nope'], ['PUT', '/echo']] as const) {
        const r = await call(sock, m, p);
        assert.equal(r.status, 404);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.body, '{"message":"page not found"}\n');
        assert.equal(r.headers['api-version'], '1.47', 'common headers on errors too');
      }
    });

    it('maps ShoalErrors through the one mapper', async () => {
      const r = await call(sock, 'GET', '/missing/wrk9');
      assert.equal(r.status, 404);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.body, '{"message":"node wrk9 not found"}\n');
      const s = await call(sock, 'POST', '/stale');
      assert.equal(s.status, 500);
      assert.equal(JSON.parse(s.body).message, 'rpc error: code = Unknown desc = update out of sequence');
    });

    it('turns a non-ShoalError into a 500, logs it and keeps serving on the same connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const before = logger.records.length;
        const r = await call(sock, 'GET', '/crash', { agent });
        assert.equal(r.status, 500);
        assert.equal(r.headers['content-type'], 'application/json');
        const msg = JSON.parse(r.body).message as string;
        assert.equal(msg, "Cannot read properties of undefined (reading 'Spec')");
        assert.doesNotMatch(r.body, /at .*\.ts/);
        const logged = logger.records.slice(before).find((x) => x.level === 'error');
        assert.ok(logged, 'the 500 was logged');
        assert.ok((logged.obj as { err?: unknown }).err instanceof TypeError);
        const again = await call(sock, 'GET', '/nodes/abc', { agent });
        assert.equal(again.status, 200);
        assert.deepEqual(JSON.parse(again.body), { id: 'abc' });
      } finally {
        agent.destroy();
      }
    });

    it('just ends the response when a handler throws after headers went out', async () => {
      const r = await call(sock, 'GET', '/crash-mid-stream');
      assert.equal(r.status, 200);
      assert.equal(r.body, '{"a":1}\n');
      assert.equal((await call(sock, 'GET', '/nodes/x')).status, 200);
    });

    it('answers a malformed request line without crashing', async () => {
      const s = connect(sock);
      s.write('THIS IS NOT HTTP\r\n\r\n');
      const got = await readUntil(s, (x) => x.includes('\r\n\r\n'));
      assert.match(got, /^HTTP\/1\.1 400/);
      s.destroy();
      assert.equal((await call(sock, 'GET', '/nodes/x')).status, 200);
    });
  });

  describe('request helpers', () => {
    it('parses a JSON body', async () => {
      const r = await call(sock, 'POST', '/body', { headers: { 'Content-Type': 'application/json' }, body: '{"Name":"web"}' });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { got: { Name: 'web' } });
    });

    it('rejects malformed JSON with a 400 naming the problem', async () => {
      const r = await call(sock, 'POST', '/body', { headers: { 'Content-Type': 'application/json' }, body: '{"Name":' });
      assert.equal(r.status, 400);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(JSON.parse(r.body).message, /^invalid JSON: .+/);
    });

    it('rejects an empty body where one is required, with dockerd’s text', async () => {
      const r = await call(sock, 'POST', '/body', { headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).message, 'invalid JSON: got EOF while reading request body');
      const o = await call(sock, 'POST', '/body-optional');
      assert.deepEqual(JSON.parse(o.body), { got: null });
    });

    it('rejects a body over the cap and a non-JSON content type', async () => {
      const big = await call(sock, 'POST', '/body-small', { body: JSON.stringify({ a: 'x'.repeat(100) }) });
      assert.equal(big.status, 400);
      assert.equal(JSON.parse(big.body).message, 'request body too large (limit 16 bytes)');
      const ct = await call(sock, 'POST', '/body', { headers: { 'Content-Type': 'text/plain' }, body: '{}' });
      assert.equal(ct.status, 400);
      assert.equal(JSON.parse(ct.body).message, "Content-Type specified (text/plain) must be 'application/json'");
    });

    it('reads docker-style booleans', async () => {
      const cases: [string, boolean][] = [['1', true], ['true', true], ['True', true], ['yes', true], ['0', false], ['false', false], ['', false], ['none', false], ['NO', false]];
      for (const [v, want] of cases) {
        const r = await call(sock, 'GET', `/echo?force=${encodeURIComponent(v)}&insertDefaults=${encodeURIComponent(v)}`);
        const b = JSON.parse(r.body);
        assert.equal(b.force, want, `force=${v}`);
        assert.equal(b.dflt, want, `insertDefaults=${v}`);
      }
    });

    it('reads integers and names the parameter when one is bad', async () => {
      assert.equal(JSON.parse((await call(sock, 'GET', '/echo?n=42')).body).n, 42);
      assert.equal(JSON.parse((await call(sock, 'GET', '/echo?n=')).body).n, 7);
      const bad = await call(sock, 'GET', '/echo?n=4x');
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body).message, 'invalid value for n: "4x"');
      const v = await call(sock, 'POST', '/update?version=abc');
      assert.equal(v.status, 400);
      assert.equal(JSON.parse(v.body).message, 'invalid value for version: "abc"');
      assert.equal((await call(sock, 'POST', '/update')).status, 400);
      assert.equal((await call(sock, 'POST', '/update?version=-1')).status, 400);
      assert.deepEqual(JSON.parse((await call(sock, 'POST', '/update?version=12')).body), { version: 12 });
    });

    it('reads and validates the filters parameter', async () => {
      const f = encodeURIComponent('{"label":{"a=b":true},"id":["x"]}');
      assert.deepEqual(JSON.parse((await call(sock, 'GET', `/list?filters=${f}`)).body), { label: { 'a=b': true }, id: { x: true } });
      const bad = await call(sock, 'GET', `/list?filters=${encodeURIComponent('{"role":{"manager":true}}')}`);
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body).message, "invalid filter 'role'");
      assert.equal((await call(sock, 'GET', '/list?filters=%7B')).status, 400);
    });
  });

  describe('response helpers', () => {
    it('sends an empty 200 when the handler writes nothing, and 204 for noContent', async () => {
      const r = await call(sock, 'POST', '/nothing');
      assert.equal(r.status, 200);
      assert.equal(r.body, '');
      const d = await call(sock, 'DELETE', '/gone');
      assert.equal(d.status, 204);
    });

    it('streams NDJSON in chunks', async () => {
      const r = await call(sock, 'GET', '/ndjson');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.equal(r.body, '{"n":1}\n{"n":2}\n');
    });

    it('writes multiplexed log frames (multiplexed-stream at ≥1.42, raw-stream below)', async () => {
      const r = await call(sock, 'GET', '/v1.47/logs');
      assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
      const { frames, rest } = decodeFrames(r.raw);
      assert.equal(rest.length, 0);
      assert.deepEqual(
        frames.map((f) => [f.stream, f.data.toString()]),
        [
          [1, 'out line\n'],
          [2, 'err line\n'],
        ],
      );
      assert.deepEqual([...r.raw.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 9]);
      const old = await call(sock, 'GET', '/v1.41/logs');
      assert.equal(old.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.equal(decodeFrames(old.raw).frames.length, 2);
      const tty = await call(sock, 'GET', '/logs?tty=1');
      assert.equal(tty.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.equal(tty.body, 'out line\nerr line\n');
    });

    it('hijacks an Upgrade: tcp connection (101, then raw bytes both ways)', async () => {
      const s = connect(sock);
      const body = '{"Detach":false,"Tty":false}';
      s.write(
        'POST /v1.47/exec/e1/start HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      const head = await readUntil(s, (x) => x.includes('|'));
      assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
      assert.match(head, /\r\nContent-Type: application\/vnd\.docker\.raw-stream\r\n/);
      assert.match(head, /\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/);
      assert.match(head, /\r\nApi-Version: 1\.47\r\n/);
      assert.match(head, /\r\nX-Exec: e1\r\n/);
      assert.ok(head.endsWith('\r\n\r\ntty=false head=|'));
      s.write('hello');
      assert.equal(await readUntil(s, (x) => x.includes('hello')), 'echo:hello');
      assert.equal(hijackSignal?.aborted, false);
      s.destroy();
      await new Promise((resolve) => hijackSignal?.addEventListener('abort', resolve, { once: true }));
      assert.equal(hijackSignal?.aborted, true, 'the request signal ends with the hijacked connection');
    });

    it('answers a normal route asked with Upgrade normally, then closes', async () => {
      const s = connect(sock);
      s.write('GET /nodes/n1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const got = await readUntil(s, () => false); // until close
      assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(got.endsWith('{"id":"n1"}\n'));
    });

    it('refuses to hijack without an upgrade', async () => {
      const r = await call(sock, 'POST', '/exec/e1/start', { headers: { 'Content-Type': 'application/json' }, body: '{"Tty":true}' });
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).message, /Upgrade: tcp/);
    });
  });
});

describe('API server lifecycle', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-life-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const start = (path: string, router = new Router()): Promise<ApiServer> =>
    startApiServer({ router, logger: captureLogger(), engineVersion: '0', swarmHeader: () => 'inactive', listen: [`unix://${path}`], shutdownGraceMs: 300 });

  it('replaces a stale socket file nobody answers on', async () => {
    const path = join(dir, 'stale.sock');
    // A process that listens and dies without closing leaves the socket file behind.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
    assert.equal(r.status, 0);
    assert.ok((await stat(path)).isSocket());
    const s = await start(path);
    try {
      assert.equal((await call(path, 'GET', '/_ping')).body, 'OK');
    } finally {
      await s.close();
    }
    assert.equal(existsSync(path), false, 'socket removed on close');
  });

  it('refuses a socket another process answers on, and a path that is not a socket', async () => {
    const live = join(dir, 'live.sock');
    const other = createNetServer().listen(live);
    await new Promise((r) => other.once('listening', r));
    try {
      await assert.rejects(start(live), (e) => isShoalError(e, 'FailedPrecondition') && /another daemon/.test(e.message));
    } finally {
      await new Promise((r) => other.close(r));
    }
    const file = join(dir, 'file.sock');
    await writeFile(file, 'not a socket');
    await assert.rejects(start(file), (e) => isShoalError(e, 'FailedPrecondition') && /not a socket/.test(e.message));
    assert.ok(existsSync(file), 'never deletes a non-socket');
  });

  it('rejects bad listen addresses', async () => {
    await assert.rejects(
      startApiServer({ router: new Router(), logger: captureLogger(), engineVersion: '0', swarmHeader: () => '', listen: ['fd://'] }),
      (e) => isShoalError(e, 'InvalidArgument'),
    );
  });

  it('close() ends keep-alive connections and aborts streaming handlers', async () => {
    const path = join(dir, 'close.sock');
    let aborted: unknown;
    const router = new Router().get('/follow', async (req, res) => {
      const s = res.ndjson();
      await s.write({ started: true });
      await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = req.signal.reason;
      s.end();
    });
    const s = await start(path, router);
    const agent = new Agent({ keepAlive: true });
    try {
      assert.equal((await call(path, 'GET', '/_ping', { agent })).status, 200); // leaves an idle keep-alive socket
      const first = new Promise<string>((resolve, reject) => {
        const req = request({ socketPath: path, path: '/follow' }, (res) => {
          res.once('data', (c: Buffer) => resolve(c.toString()));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(await first, '{"started":true}\n');
      const t0 = Date.now();
      await s.close();
      assert.ok(Date.now() - t0 < 2000, 'close did not hang');
      assert.ok(isShoalError(aborted, 'Canceled'), 'the handler saw the shutdown');
      assert.equal(existsSync(path), false);
      await assert.rejects(call(path, 'GET', '/_ping'));
    } finally {
      agent.destroy();
      await s.close(); // idempotent
    }
  });
});
