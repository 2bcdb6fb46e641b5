import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ShoalError, conflict, isShoalError } from '../api/errors.js';
import { deferred, waitFor } from '../lib/async.js';
import { systemClock } from '../lib/clock.js';
import { nullLogger } from '../lib/logger.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { makePki, type TestPki } from '../../test/harness/pki.js';
import { connectRpc, type RpcClient, type RpcClientOptions } from './client.js';
import { MANAGERS_ONLY, streamRoute, unaryRoute, type RpcContext, type RpcRoute } from './route.js';
import { startRpcServer, type RpcServer } from './server.js';
import type { RpcTls } from './tls.js';

const asJson = (body: unknown): Record<string, unknown> => body as Record<string, unknown>;

/** Expects `p` to reject with a ShoalError and returns it. */
async function rejection(p: Promise<unknown>): Promise<ShoalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

void describe('rpc over mutual TLS', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let manager: RpcTls;
  let worker: RpcTls;
  const servers: RpcServer[] = [];
  const clients: RpcClient[] = [];
  /** What the handlers saw, per test. */
  const seen: { path: string; ctx: RpcContext; body: unknown }[] = [];
  /** Handlers parked on these until a test releases them. */
  const parked = deferred<void>();
  const ended: string[] = [];

  const routes: RpcRoute[] = [
    unaryRoute({
      path: '/echo',
      decode: asJson,
      handler: (body, ctx) => {
        seen.push({ path: '/echo', ctx, body });
        return { echo: body, nodeId: ctx.peer.nodeId, role: ctx.peer.role, remote: ctx.remoteAddress };
      },
    }),
    unaryRoute({ path: '/admin', roles: MANAGERS_ONLY, decode: asJson, handler: () => ({ ok: true }) }),
    unaryRoute({
      path: '/fail',
      decode: asJson,
      handler: () => {
        throw conflict('test.conflict', 'it went wrong: ünïcode');
      },
    }),
    unaryRoute({ path: '/crash', decode: asJson, handler: () => Promise.reject(new Error('boom')) }),
    unaryRoute({
      path: '/slow',
      decode: asJson,
      handler: async (_b, ctx) => {
        seen.push({ path: '/slow', ctx, body: undefined });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        ended.push('/slow');
        return {};
      },
    }),
    streamRoute<{ n: number }, { i: number; pad: string }>({
      path: '/count',
      decode: (b) => ({ n: Number(asJson(b)['n']) }),
      handler: async ({ n }, out) => {
        for (let i = 0; i < n; i++) await out.write({ i, pad: 'x'.repeat(100) });
      },
    }),
    streamRoute<Record<string, unknown>, { i: number }>({
      path: '/count-then-fail',
      decode: asJson,
      handler: async (_b, out) => {
        await out.write({ i: 0 });
        await out.write({ i: 1 });
        throw new ShoalError('NotFound', 'test.gone', 'the thing is gone');
      },
    }),
    streamRoute<Record<string, unknown>, { hello: string }>({
      path: '/forever',
      decode: asJson,
      handler: async (_b, out, ctx) => {
        seen.push({ path: '/forever', ctx, body: undefined });
        await out.write({ hello: ctx.peer.nodeId });
        await Promise.race([
          parked.promise,
          new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true })),
        ]);
        ended.push(ctx.signal.aborted ? '/forever:aborted' : '/forever:released');
      },
    }),
  ];

  const serve = async (listen = '127.0.0.1:0', tls: RpcTls = manager): Promise<RpcServer> => {
    const s = await startRpcServer({ listen, tls, routes, logger: nullLogger });
    servers.push(s);
    return s;
  };
  const client = (server: RpcServer, tls: RpcTls, extra: Partial<RpcClientOptions> = {}): RpcClient => {
    const c = connectRpc({ address: server.addr, tls, logger: nullLogger, ...extra });
    clients.push(c);
    return c;
  };

  before(async () => {
    pki = await makePki();
    manager = await pki.node('mgr1', 'manager');
    worker = await pki.node('wrk1', 'worker');
  });

  after(async () => {
    parked.resolve();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  void it('a unary call round-trips JSON; the handler sees the caller from its certificate', async () => {
    const server = await serve();
    const c = client(server, worker);
    const reply = await c.call<Record<string, unknown>>('/echo', { a: [1, 'two'] });
    assert.deepEqual(reply, { echo: { a: [1, 'two'] }, nodeId: 'wrk1', role: 'worker', remote: '127.0.0.1' });
    assert.deepEqual(seen.at(-1)?.ctx.peer, { nodeId: 'wrk1', role: 'worker', clusterId: 'cluster1' });
  });

  void it('a handler error reaches the caller as the same ShoalError; other errors become Internal', async () => {
    const server = await serve();
    const c = client(server, worker);
    const e = await rejection(c.call('/fail', {}));
    assert.deepEqual([e.kind, e.code, e.message], ['Conflict', 'test.conflict', 'it went wrong: ünïcode']);
    const crash = await rejection(c.call('/crash', {}));
    assert.deepEqual([crash.kind, crash.code], ['Internal', 'rpc.internal']);
    const unknown = await rejection(c.call('/nope', {}));
    assert.deepEqual([unknown.kind, unknown.code], ['NotFound', 'rpc.unknown_route']);
  });

  void it('streams NDJSON in order, through flow control, and ends cleanly', async () => {
    const server = await serve();
    const c = client(server, worker);
    const got: number[] = [];
    for await (const m of c.stream<{ i: number }>('/count', { n: 5000 }, new AbortController().signal)) got.push(m.i);
    assert.equal(got.length, 5000);
    assert.ok(got.every((v, i) => v === i));
  });

  void it('a stream handler’s error is thrown from the loop after the messages before it', async () => {
    const server = await serve();
    const c = client(server, worker);
    const got: number[] = [];
    const e = await rejection(
      (async () => {
        for await (const m of c.stream<{ i: number }>('/count-then-fail', {}, new AbortController().signal)) got.push(m.i);
      })(),
    );
    assert.deepEqual(got, [0, 1]);
    assert.deepEqual([e.kind, e.code, e.message], ['NotFound', 'test.gone', 'the thing is gone']);
  });

  void it('refuses a client whose certificate comes from another CA', async () => {
    const server = await serve();
    const other = await makePki();
    const stranger = await other.node('evil', 'manager');
    const before = seen.length;
    const c = client(server, { ...stranger, caPem: manager.caPem });
    const e = await rejection(c.call('/echo', {}));
    assert.equal(e.kind, 'Unavailable');
    assert.equal(seen.length, before, 'no handler ran');
  });

  void it('refuses a node of another cluster signed by the same CA', async () => {
    const server = await serve();
    const c = client(server, await pki.node('alien', 'worker', { clusterId: 'cluster2' }));
    const e = await rejection(c.call('/echo', {}));
    assert.equal(e.code, 'rpc.permission_denied');
  });

  void it('authorises routes by role: a worker cannot call a managers-only route', async () => {
    const server = await serve();
    const e = await rejection(client(server, worker).call('/admin', {}));
    assert.deepEqual([e.kind, e.code], ['FailedPrecondition', 'rpc.permission_denied']);
    assert.deepEqual(await client(server, manager).call('/admin', {}), { ok: true });
  });

  void it('the client refuses a server that is not a manager', async () => {
    const impostor = await serve('127.0.0.1:0', worker);
    const e = await rejection(client(impostor, manager).call('/echo', {}));
    assert.equal(e.kind, 'Unavailable');
    // Even when told to accept the worker's name, the OU check still refuses it.
    const e2 = await rejection(client(impostor, manager, { servername: 'swarm-worker' }).call('/echo', {}));
    assert.match(e2.message, /not a manager/);
  });

  void it('a call past its deadline fails with rpc.deadline_exceeded and cancels the handler', async () => {
    const server = await serve();
    const clock = new FakeClock();
    const c = client(server, worker, { clock });
    const call = rejection(c.call('/slow', {}, { deadlineMs: 1000 }));
    const handler = await waitFor(systemClock, () => seen.find((s) => s.path === '/slow')?.ctx, {
      timeoutMs: 5000,
      intervalMs: 2,
      what: 'the handler to start',
    });
    clock.advance(999);
    assert.equal(handler.signal.aborted, false);
    clock.advance(1);
    const e = await call;
    assert.deepEqual([e.kind, e.code], ['Unavailable', 'rpc.deadline_exceeded']);
    await waitFor(systemClock, () => (ended.includes('/slow') ? true : undefined), {
      timeoutMs: 5000,
      intervalMs: 2,
      what: 'the handler to see the cancellation',
    });
  });

  void it('reconnects after the server restarts on the same address', async () => {
    const first = await serve();
    const listen = first.addr;
    const c = client(first, worker);
    assert.deepEqual((await c.call<Record<string, unknown>>('/echo', { n: 1 }))['echo'], { n: 1 });
    await first.close();
    const down = await rejection(c.call('/echo', { n: 2 }));
    assert.equal(down.kind, 'Unavailable');
    await serve(listen);
    assert.deepEqual((await c.call<Record<string, unknown>>('/echo', { n: 3 }))['echo'], { n: 3 });
  });

  void it('aborting a stream on the client ends the handler', async () => {
    const server = await serve();
    const c = client(server, worker);
    const ac = new AbortController();
    const got: unknown[] = [];
    const before = ended.length;
    for await (const m of c.stream<{ hello: string }>('/forever', {}, ac.signal)) {
      got.push(m);
      ac.abort();
    }
    assert.deepEqual(got, [{ hello: 'wrk1' }]);
    await waitFor(systemClock, () => (ended.length > before ? true : undefined), {
      timeoutMs: 5000,
      intervalMs: 2,
      what: 'the stream handler to end',
    });
    assert.equal(ended.at(-1), '/forever:aborted');
  });

  void it('closing the server ends open streams with rpc.shutting_down', async () => {
    const server = await serve();
    const c = client(server, worker);
    const iterating = rejection(
      (async () => {
        for await (const _ of c.stream('/forever', {}, new AbortController().signal)) await server.close();
      })(),
    );
    const e = await iterating;
    assert.equal(e.kind, 'Unavailable');
    assert.equal(e.code, 'rpc.shutting_down');
  });

  void it('a closed client fails calls with rpc.client_closed', async () => {
    const server = await serve();
    const c = client(server, worker);
    await c.call('/echo', {});
    await c.close();
    const e = await rejection(c.call('/echo', {}));
    assert.equal(e.code, 'rpc.client_closed');
  });
});
