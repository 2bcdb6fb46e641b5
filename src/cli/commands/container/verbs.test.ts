/**
 * The container verbs through the whole CLI (parsing, registration, output) against a scripted daemon: exec, logs,
 * ps, stop, kill, rm, wait, inspect and the top-level inspect.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import { CliError } from '../../errors.js';
import { runCli } from '../../program.js';
import { accept101, captureContext, EngineStub, FakeTerminal, frame } from './engine-stub.testkit.js';
import * as exec from './exec.js';

const ID = 'feed'.padEnd(64, '1');

async function cli(engine: EngineStub, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli({
    argv,
    out: { write: (s) => (out += String(s)) },
    err: { write: (s) => (err += String(s)) },
    env: { SHOAL_HOST: engine.host },
    version: '0.0.0-test',
  });
  return { code, out, err };
}

function inspectBody(tty = false): unknown {
  return { Id: ID, Name: '/web', State: { Status: 'running', Running: true, ExitCode: 0 }, Config: { Tty: tty, OpenStdin: false, Image: 'busybox' }, HostConfig: { AutoRemove: false } };
}

describe('container verbs', () => {
  let engine: EngineStub;
  beforeEach(async () => {
    engine = await new EngineStub().start();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('exec: inspects, creates the exec with docker’s body, streams it and exits with its code', async () => {
    engine
      .on('GET /containers/web/json', (c) => c.json(200, inspectBody()))
      .on('POST /containers/web/exec', (c) => c.json(201, { Id: 'e1' }))
      .onUpgrade('POST /exec/e1/start', (_r, socket) => {
        accept101(socket, true);
        socket.end(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
      })
      .on('GET /exec/e1/json', (c) => c.json(200, { ID: 'e1', Running: false, ExitCode: 2, ContainerID: ID }));
    const client = createClient({ host: engine.host, apiVersion: '1.47' });
    const cap = captureContext(engine.host, { HOME: '/root', TERM: 'xterm' });
    await assert.rejects(
      exec.run(cap.ctx, client, 'web', ['sh', '-c', 'exit 2'], { env: ['A=1', 'TERM=xterm'], workdir: '/srv', user: 'nobody' }, new FakeTerminal()),
      (e: unknown) => e instanceof CliError && e.exitCode === 2,
    );
    await client.close();
    assert.equal(cap.out(), 'out\n');
    assert.equal(cap.err(), 'err\n');
    assert.deepEqual(engine.calls(), ['GET /containers/web/json', 'POST /containers/web/exec', 'POST /exec/e1/start', 'GET /exec/e1/json']);
    assert.equal(
      engine.requests.find((r) => r.path === '/containers/web/exec')?.body.toString(),
      JSON.stringify({
        User: 'nobody',
        Privileged: false,
        Tty: false,
        AttachStdin: false,
        AttachStderr: true,
        AttachStdout: true,
        Detach: false,
        DetachKeys: '',
        Env: ['A=1', 'TERM=xterm'],
        WorkingDir: '/srv',
        Cmd: ['sh', '-c', 'exit 2'],
      }),
    );
    assert.equal(engine.requests.find((r) => r.path === '/exec/e1/start')?.headers.upgrade, 'tcp');
  });

  it('exec -d starts detached; an unknown container is reported before anything is created', async () => {
    engine
      .on('GET /containers/web/json', (c) => c.json(200, inspectBody()))
      .on('POST /containers/web/exec', (c) => c.json(201, { Id: 'e2' }))
      .on('POST /exec/e2/start', (c) => c.json(200, ''));
    const r = await cli(engine, 'exec', '-d', 'web', 'touch', '/x');
    assert.deepEqual([r.code, r.out, r.err], [0, '', '']);
    assert.equal(engine.requests.find((q) => q.path === '/exec/e2/start')?.body.toString(), '{"Detach":true,"Tty":false}');
    const bad = await cli(engine, 'exec', 'ghost', 'ls');
    assert.deepEqual([bad.code, bad.err], [1, 'Error response from daemon: no route for GET /containers/ghost/json\n']);
  });

  it('logs: demultiplexed, with since/tail/timestamps sent the docker way', async () => {
    engine
      .on('GET /containers/web/json', (c) => c.json(200, inspectBody()))
      .on(`GET /containers/${ID}/logs`, (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        c.res.end(Buffer.concat([frame(1, 'line 1\n'), frame(2, 'oops\n'), frame(1, 'line 2\n')]));
      });
    const r = await cli(engine, 'logs', '--tail', '2', '-t', '--since', '2013-01-02T13:23:37Z', 'web');
    assert.deepEqual([r.code, r.out, r.err], [0, 'line 1\nline 2\n', 'oops\n']);
    assert.equal(engine.calls().at(-1), `GET /containers/${ID}/logs?stdout=1&stderr=1&since=1357133017.000000000&timestamps=1&tail=2`);
  });

  it('logs of a TTY container are copied raw', async () => {
    engine
      .on('GET /containers/web/json', (c) => c.json(200, inspectBody(true)))
      .on(`GET /containers/${ID}/logs`, (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
        c.res.end('raw\r\n');
      });
    const r = await cli(engine, 'container', 'logs', '-f', 'web');
    assert.deepEqual([r.code, r.out], [0, 'raw\r\n']);
    assert.match(engine.calls().at(-1) ?? '', /follow=1&tail=all$/);
  });

  it('ps / container ls: docker’s query and table', async () => {
    engine.on('GET /containers/json', (c) =>
      c.json(200, [
        { Id: ID, Names: ['/web'], Image: 'busybox', ImageID: 'sha256:' + '2'.repeat(64), Command: 'sleep 1000', Created: Math.floor(Date.now() / 1000) - 30, Ports: [], Labels: {}, State: 'running', Status: 'Up 30 seconds', Mounts: [] },
      ]),
    );
    const r = await cli(engine, 'ps', '-a', '--filter', 'status=running');
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      'CONTAINER ID   IMAGE     COMMAND        CREATED          STATUS          PORTS     NAMES\n' +
        'feed11111111   busybox   "sleep 1000"   30 seconds ago   Up 30 seconds             web\n',
    );
    assert.equal(engine.calls().at(-1), 'GET /containers/json?all=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D');
    const q = await cli(engine, 'container', 'ls', '-q', '--no-trunc');
    assert.equal(q.out, ID + '\n');
    const n = await cli(engine, 'container', 'ps', '-n', '3', '-s', '--format', '{{.Names}} {{.Size}}');
    assert.equal(n.out, 'web 0B\n');
    assert.equal(engine.calls().at(-1), 'GET /containers/json?all=1&limit=3&size=1');
  });

  it('stop, kill, rm and wait print each name (or code) in order and join the errors', async () => {
    engine
      .on('POST /containers/a/stop', (c) => c.json(204, ''))
      .on('POST /containers/b/stop', (c) => c.json(404, { message: 'No such container: b' }))
      .on('POST /containers/a/kill', (c) => c.json(204, ''))
      .on('DELETE /containers/a', (c) => c.json(204, ''))
      .on('POST /containers/a/wait', (c) => c.json(200, { StatusCode: 0 }))
      .on('POST /containers/c/wait', (c) => c.json(200, { StatusCode: 137 }));
    const stop = await cli(engine, 'stop', '-t', '3', '-s', 'SIGINT', 'a', 'b');
    assert.deepEqual([stop.code, stop.out, stop.err], [1, 'a\n', 'Error response from daemon: No such container: b\n']);
    assert.ok(engine.calls().includes('POST /containers/a/stop?signal=SIGINT&t=3'));
    const kill = await cli(engine, 'kill', '-s', 'HUP', 'a');
    assert.deepEqual([kill.code, kill.out], [0, 'a\n']);
    assert.equal(engine.calls().at(-1), 'POST /containers/a/kill?signal=HUP');
    const rm = await cli(engine, 'rm', '-f', '-v', 'a', 'ghost');
    assert.deepEqual([rm.code, rm.out, rm.err], [0, 'a\n', 'Error response from daemon: no route for DELETE /containers/ghost\n']);
    assert.ok(engine.calls().includes('DELETE /containers/a?v=1&force=1'));
    const rmNoForce = await cli(engine, 'container', 'remove', 'ghost');
    assert.equal(rmNoForce.code, 1);
    const wait = await cli(engine, 'wait', 'a', 'c');
    assert.deepEqual([wait.code, wait.out], [0, '0\n137\n']);
  });

  it('inspect: containers, then images; --type; a format; docker’s errors', async () => {
    engine
      .on('GET /containers/web/json', (c) => c.json(200, inspectBody()))
      .on('GET /containers/busybox/json', (c) => c.json(404, { message: 'No such container: busybox' }))
      .on('GET /images/busybox/json', (c) => c.json(200, { Id: 'sha256:1', RepoTags: ['busybox:latest'] }))
      .on('GET /containers/nothing/json', (c) => c.json(404, { message: 'No such container: nothing' }))
      .on('GET /images/nothing/json', (c) => c.json(404, { message: 'No such image: nothing:latest' }))
      .on('GET /info', (c) => c.json(200, { Swarm: { ControlAvailable: false } }));
    const both = await cli(engine, 'inspect', '-f', '{{.Id}}', 'web', 'busybox');
    assert.deepEqual([both.code, both.out, both.err], [0, `${ID}\nsha256:1\n`, '']);
    const missing = await cli(engine, 'inspect', 'nothing');
    assert.deepEqual([missing.code, missing.out, missing.err], [1, '[]\n', 'Error: No such object: nothing\n']);
    const typed = await cli(engine, 'inspect', '--type', 'container', 'busybox');
    assert.deepEqual([typed.code, typed.err], [1, 'Error response from daemon: No such container: busybox\n']);
    const badType = await cli(engine, 'inspect', '--type', 'thing', 'x');
    assert.equal(badType.code, 125);
    assert.match(badType.err, /unknown type: "thing": must be one of "config", "container", "image"/);
    const ci = await cli(engine, 'container', 'inspect', 'web');
    assert.equal(ci.code, 0);
    assert.equal((JSON.parse(ci.out) as { Id: string }[])[0]?.Id, ID);
  });

  it('run and create flag errors exit 125 before contacting the daemon', async () => {
    for (const argv of [
      ['run', '-m', '4x', 'busybox'],
      ['create', '--sysctl', 'kernel.pid_max=1', 'busybox'],
      ['container', 'run', '--ulimit', 'nofile=2:1', 'busybox'],
      ['run'],
    ]) {
      const r = await cli(engine, ...argv);
      assert.equal(r.code, 125, argv.join(' '));
    }
    assert.deepEqual(engine.calls(), []);
  });
});
