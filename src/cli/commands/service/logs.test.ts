/** `service logs`: demultiplexed frames, the `svc.slot.task@node    | ` prefix, details, timestamps, raw, TTY, tasks. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import { CliError } from '../../errors.js';
import { captureContext, EngineStub, frame } from '../container/engine-stub.testkit.js';
import { parseLogDetails, run } from './logs.js';
import type { ServiceHost } from './host.js';

const TASK1 = 'task1aaaaaaaaaaaaaaaaaaaa';
const TASK2 = 'task2bbbbbbbbbbbbbbbbbbbb';
const details = (task: string, extra = ''): string => `${extra}com.docker.swarm.node.id=node1,com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=${task}`;

const host: ServiceHost = {
  readFile: () => '',
  now: () => Date.parse('2026-03-01T12:00:00Z'),
  waitEnvironment: () => {
    throw new Error('no waiting in logs');
  },
};

describe('service logs', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
    engine
      .on('GET /services/web', (c) => c.json(200, { ID: 'svc1', Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Mode: { Replicated: { Replicas: 10 } } } }))
      .on('GET /services/svc1', (c) => c.json(200, { ID: 'svc1', Spec: { Name: 'web', TaskTemplate: {}, Mode: { Replicated: { Replicas: 10 } } } }))
      .on('GET /nodes/node1', (c) => c.json(200, { ID: 'node1', Spec: { Labels: {} }, Description: { Hostname: 'manager1' } }))
      .on(`GET /tasks/${TASK1}`, (c) => c.json(200, { ID: TASK1, Slot: 1 }))
      .on(`GET /tasks/${TASK2}`, (c) => c.json(200, { ID: TASK2, Slot: 10 }));
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  function serveLogs(frames: Buffer[]): void {
    engine.on('GET /services/web/logs', ({ res }) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat(frames));
    });
  }

  it('prefixes each line with service.slot.task@node, padded to the replica count’s width; stderr stays stderr', async () => {
    serveLogs([
      frame(1, `${details(TASK1)} hello from one\n`),
      frame(2, `${details(TASK2)} oops on stderr\n`),
      frame(1, `${details(TASK1)}   indented message\n`),
    ]);
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'web', {}, host);
    assert.equal(cap.out(), 'web.1.task1aaaaaaa@manager1     | hello from one\nweb.1.task1aaaaaaa@manager1     |   indented message\n');
    assert.equal(cap.err(), 'web.10.task2bbbbbbb@manager1    | oops on stderr\n');
    const q = engine.requests.find((r) => r.path === '/services/web/logs')?.query.toString();
    assert.equal(q, 'details=1&stderr=1&stdout=1&tail=all');
    // each node, service and task is looked up once
    assert.equal(engine.calls().filter((c) => c.startsWith(`GET /tasks/${TASK1}`)).length, 1);
    assert.equal(engine.calls().filter((c) => c.startsWith('GET /nodes/node1')).length, 1);
  });

  it('-t keeps the timestamp in front; --details prints the other attributes (unescaped, sorted); --no-task-ids, --no-trunc, --no-resolve', async () => {
    serveLogs([frame(1, `2026-03-01T12:00:00.000000000Z ${details(TASK1, 'env%3Dx=a+b,')} line\n`)]);
    let cap = captureContext(engine.host);
    await run(cap.ctx, client, 'web', { timestamps: true, details: true, follow: true, tail: '5', since: '10m' }, host);
    assert.equal(cap.out(), '2026-03-01T12:00:00.000000000Z web.1.task1aaaaaaa@manager1     | env=x=a b line\n');
    const q = engine.requests.find((r) => r.path === '/services/web/logs')?.query;
    assert.equal(q?.get('since'), String(Date.parse('2026-03-01T11:50:00Z') / 1000));
    assert.equal(q?.get('follow'), '1');
    assert.equal(q?.get('timestamps'), '1');
    assert.equal(q?.get('tail'), '5');

    serveLogs([frame(1, `${details(TASK1)} line\n`)]);
    cap = captureContext(engine.host);
    await run(cap.ctx, client, 'web', { taskIds: false }, host);
    assert.equal(cap.out(), 'web.1@manager1     | line\n');
    cap = captureContext(engine.host);
    await run(cap.ctx, client, 'web', { trunc: false, resolve: false }, host);
    assert.equal(cap.out(), `svc1.1.${TASK1}@node1     | line\n`);
  });

  it('--raw: no details asked, frames copied as they are', async () => {
    serveLogs([frame(1, 'plain line\n')]);
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'web', { raw: true }, host);
    assert.equal(cap.out(), 'plain line\n');
    assert.equal(engine.requests.find((r) => r.path === '/services/web/logs')?.query.get('details'), null);
  });

  it('a TTY service needs --raw; with it the bytes are copied verbatim', async () => {
    engine.on('GET /services/tty', (c) => c.json(200, { ID: 's2', Spec: { Name: 'tty', TaskTemplate: { ContainerSpec: { TTY: true } }, Mode: { Global: {} } } }));
    engine.on('GET /services/tty/logs', ({ res }) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
      res.end('raw\r\nbytes');
    });
    const cap = captureContext(engine.host);
    await assert.rejects(run(cap.ctx, client, 'tty', {}, host), (e: unknown) => e instanceof CliError && e.message === 'tty service logs only supported with --raw');
    await run(cap.ctx, client, 'tty', { raw: true }, host);
    assert.equal(cap.out(), 'raw\r\nbytes');
  });

  it('an unknown service falls back to a task; neither gives "no such task or service"', async () => {
    engine.on(`GET /tasks/${TASK1}/logs`, ({ res }) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(frame(1, `${details(TASK1)} from the task\n`));
    });
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, TASK1, {}, host);
    assert.equal(cap.out(), 'web.1.task1aaaaaaa@manager1    | from the task\n');
    await assert.rejects(run(cap.ctx, client, 'nosuch', {}, host), (e: unknown) => e instanceof CliError && e.message === 'no such task or service: nosuch');
  });

  it('lines without the swarm attributes are docker’s errors', async () => {
    serveLogs([frame(1, 'com.docker.swarm.node.id=n line\n')]);
    await assert.rejects(run(captureContext(engine.host).ctx, client, 'web', {}, host), /missing service id in details: map\[\]/);
    serveLogs([frame(1, 'nodetails\n')]);
    await assert.rejects(run(captureContext(engine.host).ctx, client, 'web', {}, host), /invalid context in log message: nodetails/);
    assert.throws(() => parseLogDetails('a'), /invalid details format/);
  });
});
