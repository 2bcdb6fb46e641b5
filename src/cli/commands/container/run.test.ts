/**
 * `run`, `create` and `start -a` end to end against a scripted daemon: the calls in docker's order (create, attach,
 * wait, start), the hijacked stream demultiplexed to stdout/stderr, -it in raw mode with stdin forwarded and
 * resizes sent, exit statuses (the container's, 125 for run's own failures, 127 for a missing command), the pull
 * of a missing image, and flag errors reported before anything is sent.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import { CliError } from '../../errors.js';
import * as create from './create.js';
import { accept101, captureContext, EngineStub, FakeTerminal, frame, until } from './engine-stub.testkit.js';
import { DetachKeysFilter, detachKeysOrDefault, parseDetachKeys } from './attach-session.js';
import { run } from './run.js';
import type { RunOptions } from './run.js';
import * as start from './start.js';

const ID = 'c0ffee'.padEnd(64, '0');

interface Scenario {
  exitCode?: number;
  /** What the container writes once started: [stream, text] frames (raw text for a TTY). */
  output?: [number, string][];
  tty?: boolean;
  startError?: { status: number; message: string };
  createMissingImageFirst?: boolean;
}

function script(engine: EngineStub, s: Scenario): { stdinSeen: () => string } {
  let attach: Duplex | undefined;
  let stdin = '';
  let releaseWait: (() => void) | undefined;
  let creates = 0;
  engine
    .on('POST /containers/create', (c) => {
      creates++;
      if (s.createMissingImageFirst === true && creates === 1) return c.json(404, { message: 'No such image: busybox:latest' });
      return c.json(201, { Id: ID, Warnings: [] });
    })
    .onUpgrade(`POST /containers/${ID}/attach`, (_req, socket) => {
      accept101(socket, s.tty !== true);
      attach = socket;
      socket.on('data', (d: Buffer) => {
        stdin += d.toString();
        if (s.tty === true && stdin.includes('exit\r')) {
          socket.write('bye\r\n');
          socket.end();
          releaseWait?.();
        }
      });
      socket.on('error', () => undefined);
    })
    .on(`POST /containers/${ID}/wait`, (c) => {
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.flushHeaders();
      releaseWait = () => c.res.end(JSON.stringify({ StatusCode: s.exitCode ?? 0, Error: null }));
    })
    .on(`POST /containers/${ID}/start`, (c) => {
      if (s.startError !== undefined) return c.json(s.startError.status, { message: s.startError.message });
      c.json(204, '');
      if (s.tty === true) {
        attach?.write('$ ');
        return;
      }
      for (const [stream, text] of s.output ?? []) attach?.write(frame(stream, text));
      attach?.end();
      releaseWait?.();
    })
    .on(`POST /containers/${ID}/resize`, (c) => c.json(200, ''))
    .on(`POST /containers/${ID}/kill`, (c) => c.json(204, ''))
    .on('POST /images/create', (c) => {
      c.res.writeHead(200, { 'Content-Type': 'application/json' });
      c.res.end(
        [
          { status: 'Pulling from library/busybox', id: 'latest' },
          { status: 'Pulling fs layer', progressDetail: {}, id: 'a1b2c3' },
          { status: 'Downloading', progressDetail: { current: 10, total: 20 }, id: 'a1b2c3' },
          { status: 'Pull complete', progressDetail: {}, id: 'a1b2c3' },
          { status: 'Status: Downloaded newer image for busybox:latest' },
        ]
          .map((m) => JSON.stringify(m))
          .join('\r\n') + '\r\n',
      );
    });
  return { stdinSeen: () => stdin };
}

async function exitCodeOf(p: Promise<void>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof CliError) return e.exitCode;
    throw e;
  }
}

describe('run', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  const host = (terminal = new FakeTerminal()) => ({ terminal, cwd: '/w', readFile: () => '' });

  it('attaches, registers the wait, starts, streams stdout and stderr, and exits with the container’s code', async () => {
    script(engine, { exitCode: 3, output: [[1, 'hello\n'], [2, 'warning\n'], [1, 'bye\n']] });
    const cap = captureContext(engine.host);
    const code = await exitCodeOf(run(cap.ctx, client, 'busybox', ['sh', '-c', 'echo hello'], {}, host()));
    assert.equal(code, 3);
    assert.equal(cap.out(), 'hello\nbye\n');
    assert.equal(cap.err(), 'warning\n');
    assert.deepEqual(engine.calls(), [
      'POST /containers/create',
      `POST /containers/${ID}/attach?stream=1&stdout=1&stderr=1`,
      `POST /containers/${ID}/wait?condition=next-exit`,
      `POST /containers/${ID}/start`,
    ]);
    const body = JSON.parse(engine.requests.find((r) => r.path === '/containers/create')?.body.toString() ?? '{}') as Record<string, unknown>;
    assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hello']);
    assert.equal(body.Image, 'busybox');
  });

  it('exits 0 quietly when the container does', async () => {
    script(engine, { exitCode: 0, output: [[1, 'ok\n']] });
    const cap = captureContext(engine.host);
    assert.equal(await exitCodeOf(run(cap.ctx, client, 'busybox', [], {}, host())), 0);
    assert.equal(cap.err(), '');
  });

  it('--rm waits for the removal (the daemon removes the container)', async () => {
    script(engine, { exitCode: 0 });
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'busybox', [], { rm: true }, host());
    assert.ok(engine.calls().includes(`POST /containers/${ID}/wait?condition=removed`));
  });

  it('-d creates, starts and prints the ID without attaching', async () => {
    script(engine, {});
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'busybox', ['sleep', '100'], { detach: true, name: 'web' }, host());
    assert.equal(cap.out(), ID + '\n');
    assert.deepEqual(engine.calls(), ['POST /containers/create?name=web', `POST /containers/${ID}/start`]);
    const body = JSON.parse(engine.requests.find((r) => r.path === '/containers/create')?.body.toString() ?? '{}') as Record<string, unknown>;
    assert.deepEqual([body.AttachStdout, body.AttachStderr], [false, false]);
  });

  it('pulls a missing image, with progress on stderr, then creates again', async () => {
    script(engine, { createMissingImageFirst: true, output: [[1, 'hi\n']] });
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'busybox', [], {}, host());
    assert.equal(
      cap.err(),
      "Unable to find image 'busybox:latest' locally\nlatest: Pulling from library/busybox\na1b2c3: Pulling fs layer\na1b2c3: Pull complete\nStatus: Downloaded newer image for busybox:latest\n",
    );
    assert.equal(cap.out(), 'hi\n');
    assert.deepEqual(engine.calls().slice(0, 3), ['POST /containers/create', 'POST /images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest', 'POST /containers/create']);
  });

  it('--pull never does not pull; -q pulls quietly', async () => {
    script(engine, { createMissingImageFirst: true, output: [] });
    const cap = captureContext(engine.host);
    assert.equal(await exitCodeOf(run(cap.ctx, client, 'busybox', [], { pull: 'never' }, host())), 125);
    assert.equal(cap.err(), "shoal: Error response from daemon: No such image: busybox:latest.\nSee 'shoal run --help'.\n");
  });

  it('reports a command that cannot run as docker does, with 127', async () => {
    script(engine, { startError: { status: 400, message: 'failed to create task: exec: "nope": executable file not found in $PATH' } });
    const cap = captureContext(engine.host);
    assert.equal(await exitCodeOf(run(cap.ctx, client, 'busybox', ['nope'], {}, host())), 127);
    assert.equal(cap.err(), 'shoal: Error response from daemon: failed to create task: exec: "nope": executable file not found in $PATH.\n');
  });

  it('reports its own failures with 125 and the help hint, before sending anything', async () => {
    script(engine, {});
    const cap = captureContext(engine.host);
    assert.equal(await exitCodeOf(run(cap.ctx, client, 'busybox', [], { rm: true, restart: 'always' }, host())), 125);
    assert.equal(cap.err(), "shoal: conflicting options: cannot specify both --restart and --rm.\nSee 'shoal run --help'.\n");
    assert.equal(await exitCodeOf(run(cap.ctx, client, 'busybox', [], { pull: 'sometimes' }, host())), 125);
    assert.match(cap.err(), /invalid pull option: 'sometimes': must be one of "always", "missing" or "never"/);
    assert.deepEqual(engine.calls(), []);
  });

  it('-it needs a terminal on stdin', async () => {
    script(engine, {});
    const cap = captureContext(engine.host);
    await assert.rejects(run(cap.ctx, client, 'busybox', [], { interactive: true, tty: true }, host()), { message: 'the input device is not a TTY' });
    assert.deepEqual(engine.calls(), []);
  });

  it('-it: raw terminal, stdin forwarded, TTY sized and resized, terminal restored', async () => {
    const s = script(engine, { tty: true, exitCode: 0 });
    const term = new FakeTerminal(true, true, true);
    const cap = captureContext(engine.host);
    const done = run(cap.ctx, client, 'busybox', ['sh'], { interactive: true, tty: true } satisfies RunOptions, host(term));
    // Wait for the initial resize (sent right after start), then resize and type.
    await until(() => engine.calls().some((c) => c.includes('/resize')), 'the first resize');
    term.resizeTo(50, 132);
    await until(() => engine.calls().includes(`POST /containers/${ID}/resize?h=50&w=132`), 'the resize to 50x132');
    term.type('ls\r');
    term.type('exit\r');
    await done;
    assert.equal(cap.out(), '$ bye\r\n');
    assert.equal(s.stdinSeen(), 'ls\rexit\r');
    assert.deepEqual(term.rawModes, [true, false]);
    const calls = engine.calls();
    assert.ok(calls.includes(`POST /containers/${ID}/attach?stream=1&stdin=1&stdout=1&stderr=1`));
    assert.ok(calls.includes(`POST /containers/${ID}/resize?h=40&w=120`));
    assert.ok(calls.includes(`POST /containers/${ID}/resize?h=50&w=132`));
    const body = JSON.parse(engine.requests.find((r) => r.path === '/containers/create')?.body.toString() ?? '{}') as { HostConfig: { ConsoleSize: number[] } };
    assert.deepEqual(body.HostConfig.ConsoleSize, [40, 120]);
  });

  it('-it: ctrl-p ctrl-q detaches, leaving the container running (exit 0, terminal restored)', async () => {
    const s = script(engine, { tty: true });
    const term = new FakeTerminal(true, true, true);
    const cap = captureContext(engine.host);
    const done = run(cap.ctx, client, 'busybox', ['sh'], { interactive: true, tty: true }, host(term));
    await until(() => engine.calls().some((c) => c.includes('/resize')), 'the first resize');
    term.type('echo\x10\x11ignored');
    await done;
    assert.deepEqual(term.rawModes, [true, false]);
    await until(() => s.stdinSeen() === 'echo', 'the input before the detach keys');
    assert.equal(s.stdinSeen(), 'echo');
    assert.ok(!engine.calls().some((c) => c.includes('/kill')));
  });

  it('forwards signals to a foreground container without a TTY', async () => {
    let attach: Duplex | undefined;
    let release: (() => void) | undefined;
    engine
      .on('POST /containers/create', (c) => c.json(201, { Id: ID, Warnings: null }))
      .onUpgrade(`POST /containers/${ID}/attach`, (_r, socket) => {
        accept101(socket, true);
        attach = socket;
      })
      .on(`POST /containers/${ID}/wait`, (c) => {
        c.res.writeHead(200, { 'Content-Type': 'application/json' });
        c.res.flushHeaders();
        release = () => c.res.end('{"StatusCode":130}');
      })
      .on(`POST /containers/${ID}/start`, (c) => c.json(204, ''))
      .on(`POST /containers/${ID}/kill`, (c) => {
        c.json(204, '');
        attach?.end();
        release?.();
      });
    const term = new FakeTerminal();
    const cap = captureContext(engine.host);
    const done = exitCodeOf(run(cap.ctx, client, 'busybox', ['sleep', '100'], {}, host(term)));
    await until(() => engine.calls().includes(`POST /containers/${ID}/start`), 'the start');
    term.signal('SIGINT');
    assert.equal(await done, 130);
    assert.ok(engine.calls().includes(`POST /containers/${ID}/kill?signal=INT`));
  });
});

describe('create and start', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  it('create prints the ID and the daemon’s warnings', async () => {
    engine.on('POST /containers/create', (c) => c.json(201, { Id: ID, Warnings: ['Your kernel does not support swap limit capabilities.'] }));
    const cap = captureContext(engine.host);
    await create.run(cap.ctx, client, 'busybox', [], { memory: 6 * 1024 * 1024 }, { terminal: new FakeTerminal(), cwd: '/', readFile: () => '' });
    assert.equal(cap.out(), ID + '\n');
    assert.equal(cap.err(), 'WARNING: Your kernel does not support swap limit capabilities.\n');
  });

  it('start prints each name, then fails listing the ones that did not start', async () => {
    engine.on('POST /containers/a/start', (c) => c.json(204, '')).on('POST /containers/b/start', (c) => c.json(404, { message: 'No such container: b' }));
    const cap = captureContext(engine.host);
    await assert.rejects(start.run(cap.ctx, client, ['a', 'b'], {}, new FakeTerminal()), { message: 'Error: failed to start containers: b' });
    assert.equal(cap.out(), 'a\n');
    assert.equal(cap.err(), 'Error response from daemon: No such container: b\n');
  });

  it('start -a streams the container and exits with its code', async () => {
    script(engine, { exitCode: 4, output: [[1, 'again\n']] });
    engine.on('GET /containers/web/json', (c) => c.json(200, { Id: ID, Name: '/web', Config: { Tty: false, OpenStdin: false }, HostConfig: { AutoRemove: false }, State: {} }));
    const cap = captureContext(engine.host);
    assert.equal(await exitCodeOf(start.run(cap.ctx, client, ['web'], { attach: true }, new FakeTerminal())), 4);
    assert.equal(cap.out(), 'again\n');
  });
});

describe('detach keys (ctrl-p ctrl-q)', () => {
  it('passes ordinary input through and holds a possible sequence until it is decided', () => {
    const f = new DetachKeysFilter();
    assert.deepEqual(f.push(Buffer.from('ab')), { forward: Buffer.from('ab'), detach: false });
    assert.deepEqual(f.push(Buffer.from([16])), { forward: Buffer.alloc(0), detach: false });
    assert.deepEqual(f.push(Buffer.from('x')), { forward: Buffer.from([16, 120]), detach: false });
    assert.deepEqual(f.push(Buffer.from([65, 16])), { forward: Buffer.from([65]), detach: false });
    assert.deepEqual(f.push(Buffer.from([17, 66])), { forward: Buffer.alloc(0), detach: true });
  });

  it('reads --detach-keys like moby/term (ctrl-x, single characters), falling back to the default', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-_,ctrl-[')], [1, 120, 0, 31, 27]);
    assert.throws(() => parseDetachKeys('ctrl-1'), { message: "Unknown character: 'ctrl-1'" });
    const warnings: string[] = [];
    assert.deepEqual([...detachKeysOrDefault('bogus', (m) => warnings.push(m))], [16, 17]);
    assert.deepEqual(warnings, ["invalid detach escape keys, using default: Unknown character: 'bogus'"]);
    const f = new DetachKeysFilter(parseDetachKeys('ctrl-a,d'));
    assert.deepEqual(f.push(Buffer.from([1, 100])), { forward: Buffer.alloc(0), detach: true });
  });
});
