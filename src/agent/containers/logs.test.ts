import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatK8sLogLine } from '../exec/log-format.js';
import { aContainerHarness, eventually, fakeProgram, fixtureImages, settled, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { LogParser, readLogs, type LogEntry, type LogOptions } from './logs.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const ALL: LogOptions = { stdout: true, stderr: true, since: 0, until: 0, tail: undefined, follow: false };
const T0 = Date.UTC(2024, 0, 1); // the fake clock's start

async function collect(h: ContainerHarness, id: string, o: Partial<LogOptions> = {}, signal = new AbortController().signal): Promise<LogEntry[]> {
  const src = h.svc.logSource(id);
  const out: LogEntry[] = [];
  for await (const e of readLogs(src.path, { ...ALL, ...o }, { running: src.running, signal, pollMs: 1 })) out.push(e);
  return out;
}
const lines = (es: LogEntry[]): string[] => es.map((e) => `${e.stream}:${e.text}`);

describe('containers: logs (k8s-file written by the fake runtime)', () => {
  it('reads what the container wrote, per stream, joining partial (P) pieces of the same stream', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.write(id, 'stdout', 'hello\n');
    h.host.write(id, 'stderr', 'oops\n');
    h.host.write(id, 'stdout', 'par');
    h.host.write(id, 'stderr', 'err ');
    h.host.write(id, 'stdout', 'tial\nnext\n');
    h.host.write(id, 'stderr', 'two\n');
    const es = await collect(h, id);
    assert.deepEqual(lines(es), ['stdout:hello', 'stderr:oops', 'stdout:partial', 'stdout:next', 'stderr:err two']);
    assert.deepEqual(lines(await collect(h, id, { stderr: false })), ['stdout:hello', 'stdout:partial', 'stdout:next']);
    assert.deepEqual(lines(await collect(h, id, { stdout: false })), ['stderr:oops', 'stderr:err two']);
    assert.deepEqual(lines(await collect(h, id, { stdout: false, stderr: false })), []);
  });

  it('timestamps entries with the time written, in UTC with nanoseconds, as docker logs -t prints them', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.write(id, 'stdout', 'a\n');
    h.clock.advance(1234);
    h.host.write(id, 'stdout', 'b\n');
    const es = await collect(h, id);
    assert.deepEqual(es.map((e) => [e.time, e.epoch]), [
      ['2024-01-01T00:00:00Z', T0 / 1000],
      ['2024-01-01T00:00:01.234Z', T0 / 1000 + 1.234],
    ]);
  });

  it('reads the output of a program that printed and exited', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run(fakeProgram('print', 'stdout:one', 'stderr:two', 'stdout:three'));
    await eventually(() => h.state(id).Status === 'exited', 'exit');
    assert.deepEqual(lines(await collect(h, id)), ['stdout:one', 'stderr:two', 'stdout:three']);
  });

  it('tail keeps the last N selected lines', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    for (let i = 1; i <= 5; i++) h.host.write(id, i % 2 === 0 ? 'stderr' : 'stdout', `line ${i}\n`);
    assert.deepEqual(lines(await collect(h, id, { tail: 2 })), ['stderr:line 4', 'stdout:line 5']);
    assert.deepEqual(lines(await collect(h, id, { tail: 2, stderr: false })), ['stdout:line 3', 'stdout:line 5'], 'tail counts selected lines only');
    assert.deepEqual(lines(await collect(h, id, { tail: 0 })), []);
    assert.equal((await collect(h, id, { tail: 100 })).length, 5);
  });

  it('since and until bound the entries by their timestamps', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    for (let i = 0; i < 4; i++) {
      h.host.write(id, 'stdout', `t${i * 10}\n`);
      h.clock.advance(10_000);
    }
    const at = (s: number): number => T0 / 1000 + s;
    assert.deepEqual(lines(await collect(h, id, { since: at(10) })), ['stdout:t10', 'stdout:t20', 'stdout:t30'], 'since is inclusive');
    assert.deepEqual(lines(await collect(h, id, { since: at(10.5) })), ['stdout:t20', 'stdout:t30']);
    assert.deepEqual(lines(await collect(h, id, { until: at(20) })), ['stdout:t0', 'stdout:t10', 'stdout:t20'], 'until is inclusive');
    assert.deepEqual(lines(await collect(h, id, { since: at(5), until: at(25) })), ['stdout:t10', 'stdout:t20']);
    assert.deepEqual(lines(await collect(h, id, { since: at(5), tail: 1 })), ['stdout:t30']);
  });

  it('yields nothing for a container that has written nothing yet (no log file)', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create();
    assert.deepEqual(await collect(h, id), []);
  });

  it('follow yields new lines as they are written and ends once the container has stopped and the file is drained', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.write(id, 'stdout', 'before 1\n');
    h.host.write(id, 'stdout', 'before 2\n');
    const got: LogEntry[] = [];
    const src = h.svc.logSource(id);
    const reading = (async () => {
      for await (const e of readLogs(src.path, { ...ALL, follow: true, tail: 1 }, { running: src.running, signal: new AbortController().signal, pollMs: 1 })) got.push(e);
    })();
    const ended = settled(reading);
    await eventually(() => got.length === 1, 'the tail');
    h.host.write(id, 'stderr', 'live 1\n');
    await eventually(() => got.length === 2, 'a line written while following');
    h.host.write(id, 'stdout', 'last ');
    h.host.write(id, 'stdout', 'words\n');
    h.host.exit(id, 0);
    await eventually(ended, 'the follow to end after the exit');
    await reading;
    assert.deepEqual(lines(got), ['stdout:before 2', 'stderr:live 1', 'stdout:last words']);
  });

  it('follow on a stopped container reads what is there and ends', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run(fakeProgram('print', 'stdout:done'));
    await eventually(() => h.state(id).Status === 'exited', 'exit');
    assert.deepEqual(lines(await collect(h, id, { follow: true })), ['stdout:done']);
  });

  it('follow ends when the signal aborts', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.write(id, 'stdout', 'x\n');
    const ac = new AbortController();
    const got: LogEntry[] = [];
    const src = h.svc.logSource(id);
    const reading = (async () => {
      for await (const e of readLogs(src.path, { ...ALL, follow: true }, { running: src.running, signal: ac.signal, pollMs: 1 })) got.push(e);
    })();
    await eventually(() => got.length === 1, 'the first line');
    ac.abort();
    await eventually(settled(reading), 'the follow to end');
    assert.equal(h.state(id).Running, true);
  });

  it('logSource tells whether the container is running and where its log is', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Tty: true });
    const src = h.svc.logSource(id);
    assert.deepEqual({ id: src.id, path: src.path, tty: src.tty, running: src.running() }, { id, path: h.inspect(id).LogPath, tty: true, running: true });
    const exited = src.exited();
    h.host.exit(id, 0);
    await exited;
    assert.equal(src.running(), false);
  });
});

describe('containers: LogParser', () => {
  it('handles records split across reads and skips lines that are not k8s-file records', () => {
    const p = new LogParser();
    const one = formatK8sLogLine(T0, 'stdout', false, 'hello world') + '\n';
    const two = formatK8sLogLine(T0 + 1, 'stderr', true, 'a') + '\n' + formatK8sLogLine(T0 + 2, 'stderr', false, 'b') + '\n';
    assert.deepEqual(p.push(one.slice(0, 10)), []);
    assert.deepEqual(lines(p.push(one.slice(10) + 'garbage\n' + two.slice(0, 5))), ['stdout:hello world']);
    const rest = p.push(two.slice(5));
    assert.deepEqual(lines(rest), ['stderr:ab']);
    assert.equal(rest[0]!.time, '2024-01-01T00:00:00.002Z', 'a joined line carries the time of its last piece');
  });

  it('parses conmon\'s +00:00 offsets and keeps nanoseconds', () => {
    const p = new LogParser();
    const [e] = p.push('2026-11-27T08:37:27.665758652+00:00 stdout F hi\n');
    assert.deepEqual(e, { time: '2026-11-27T08:37:27.665758652Z', epoch: Date.UTC(2026, 10, 27, 8, 37, 27) / 1000 + 0.665758652, stream: 'stdout', text: 'hi' });
  });
});
