import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerInspect } from '../../api/container.js';
import { isShoalError } from '../../api/errors.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { aContainerHarness, drain, eventually, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import type { ContainerRecord } from './record-store.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const S = 1e9;

/** The record on disk, as a restarted agent will read it. */
function onDisk(h: ContainerHarness, id: string): ContainerRecord {
  return JSON.parse(readFileSync(join(h.root, id, 'config.v2.json'), 'utf8')) as ContainerRecord;
}

/** The agent "restarts": the old service stops monitoring, a new one on the same data and host loads. */
async function restartAgent(old: ContainerHarness, between?: () => void): Promise<ContainerHarness> {
  old.svc.close();
  between?.();
  const next = await aContainerHarness(images, { host: old.host, clock: old.clock, root: old.root, seed: 99 });
  await next.svc.load();
  return next;
}

const pick = (c: ContainerInspect): Record<string, unknown> => ({
  Status: c.State.Status,
  Running: c.State.Running,
  ExitCode: c.State.ExitCode,
  Pid: c.State.Pid,
  StartedAt: c.State.StartedAt,
  FinishedAt: c.State.FinishedAt,
  Error: c.State.Error,
});

describe('containers: records on disk', () => {
  it('saves the record at create and after every state change', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({}, 'persisted');
    assert.equal(onDisk(h, id).inspect.State.Status, 'created');
    assert.equal(onDisk(h, id).inspect.Name, '/persisted');
    await h.svc.start(id);
    assert.deepEqual(pick(onDisk(h, id).inspect), pick(h.inspect(id)));
    assert.equal(onDisk(h, id).inspect.State.Status, 'running');
    h.clock.advance(2000);
    h.host.exit(id, 9);
    await eventually(() => onDisk(h, id).inspect.State.Status === 'exited', 'the exit on disk');
    assert.deepEqual(pick(onDisk(h, id).inspect), pick(h.inspect(id)));
    assert.equal(onDisk(h, id).inspect.State.ExitCode, 9);
  });

  it('keeps the planned mounts with the record (anonymous volume names survive a restart)', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ HostConfig: { Binds: ['/anon', 'named:/named'] } });
    const rec = onDisk(h, id);
    assert.deepEqual(rec.mounts.map((m) => m.kind), ['volume', 'volume']);
    assert.equal(rec.mounts[0]!.kind === 'volume' && rec.mounts[0]!.anonymous, true);
  });
});

describe('containers: adoption by a restarted agent (second FakeRuntime on the same host)', () => {
  it('monitors running containers again and records their later exit', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run({}, 'survivor');
    const before = pick(a.inspect(id));
    await using b = await restartAgent(a);
    assert.deepEqual(pick(b.inspect('survivor')), before, 'running, same pid and StartedAt');
    b.clock.advance(30_000);
    b.host.exit(id, 3);
    await eventually(() => b.state(id).Status === 'exited', 'the adopted container\'s exit');
    assert.equal(b.state(id).ExitCode, 3);
    assert.equal(b.state(id).FinishedAt, rfc3339Nano(b.clock.now()));
    assert.equal(onDisk(b, id).inspect.State.ExitCode, 3);
    assert.equal(a.state(id).Status, 'running', 'the closed service no longer follows it');
    assert.deepEqual(b.errors(), []);
  });

  it('records the exit code of containers that exited while the agent was down', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run({}, 'died');
    let finishedAt = 0;
    await using b = await restartAgent(a, () => {
      a.clock.advance(5000);
      finishedAt = a.clock.now();
      a.host.exit(id, 7);
      a.clock.advance(5000);
    });
    const s = b.state('died');
    assert.deepEqual(
      { Status: s.Status, Running: s.Running, ExitCode: s.ExitCode, Pid: s.Pid, FinishedAt: s.FinishedAt, Error: s.Error },
      { Status: 'exited', Running: false, ExitCode: 7, Pid: 0, FinishedAt: rfc3339Nano(finishedAt), Error: '' },
    );
    assert.equal(onDisk(b, id).inspect.State.ExitCode, 7, 'saved');
    assert.deepEqual(await b.svc.wait(id, 'not-running'), { StatusCode: 7 });
  });

  it('records an OOM kill that happened while the agent was down', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run();
    await using b = await restartAgent(a, () => a.host.oomKill(id));
    assert.deepEqual([b.state(id).Status, b.state(id).ExitCode, b.state(id).OOMKilled], ['exited', 137, true]);
  });

  it('marks a container the runtime lost as exited 255 with an error', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run();
    await using b = await restartAgent(a, () => a.host.containers.delete(id));
    assert.deepEqual([b.state(id).Status, b.state(id).ExitCode], ['exited', 255]);
    assert.equal(b.state(id).Error, 'container disappeared from the runtime while the daemon was down');
  });

  it('keeps created and stopped containers as they were, and every name taken', async () => {
    await using a = await aContainerHarness(images);
    const created = await a.create({}, 'created');
    const stopped = await a.run({}, 'stopped');
    await a.svc.stop(stopped);
    const running = await a.run({}, 'running');
    const snapshot = [created, stopped, running].map((id) => pick(a.inspect(id)));
    await using b = await restartAgent(a);
    assert.deepEqual([created, stopped, running].map((id) => pick(b.inspect(id))), snapshot);
    assert.deepEqual(b.svc.counts(), { total: 3, running: 1, paused: 0, stopped: 2 });
    for (const name of ['created', 'stopped', 'running']) {
      await assert.rejects(b.create({}, name), (e: unknown) => isShoalError(e, 'Conflict'));
    }
    await b.svc.start(created);
    assert.equal(b.state(created).Status, 'running');
  });

  it('can stop, kill and remove an adopted container', async () => {
    await using a = await aContainerHarness(images);
    const x = await a.run(fakeProgram('sleep', '--ignore', 'SIGTERM'), 'xx');
    const y = await a.run({}, 'yy');
    await using b = await restartAgent(a);
    const stopping = b.svc.stop('xx', { timeoutS: 2 });
    await b.armed(1);
    b.clock.advance(2000);
    assert.equal(await stopping, 'stopped');
    assert.equal(b.state(x).ExitCode, 137);
    await b.svc.remove('yy', { force: true });
    assert.deepEqual(b.host.traces(y), []);
    assert.deepEqual(b.recordDirs(), [x]);
  });

  it('runs the healthcheck of an adopted container again', async () => {
    await using a = await aContainerHarness(images);
    a.host.onExec = (_id, spec) => (spec.args[0] === 'probe' ? { exitCode: 0, stdout: 'ok\n' } : undefined);
    const id = await a.run({ Healthcheck: { Test: ['CMD', 'probe'], Interval: 1 * S } });
    await a.armed(1);
    await using b = await restartAgent(a);
    await eventually(() => b.clock.pendingSleeps === 1, 'only the new agent\'s probe timer');
    b.clock.advance(1000);
    await eventually(() => b.state(id).Health?.Status === 'healthy', 'healthy after a probe by the new agent');
  });

  it('applies the restart policy to a container that exited while the agent was down', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run({ HostConfig: { RestartPolicy: { Name: 'on-failure' } } });
    await using b = await restartAgent(a, () => a.host.exit(id, 1));
    await eventually(() => b.state(id).Status === 'restarting', 'a restart scheduled');
    await b.armed(1);
    b.clock.advance(b.clock.nextDeadline! - b.clock.now());
    await eventually(() => b.state(id).Status === 'running', 'running again');
    assert.equal(b.host.containers.get(id)?.exit, undefined, 'a new run in the runtime');
    assert.deepEqual(b.errors(), []);
  });

  it('restarts a container that was waiting to be restarted when the agent went down (not stuck "restarting")', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run({ ...fakeProgram('exit', '1'), HostConfig: { RestartPolicy: { Name: 'always' } } });
    await eventually(() => a.state(id).Status === 'restarting', 'in backoff');
    await a.armed(1);
    const restarts = a.host.containers.get(id)!;
    await using b = await restartAgent(a);
    await eventually(() => b.clock.pendingSleeps >= 1 && b.state(id).Restarting, 'the new agent schedules the restart');
    b.clock.advance(60_000);
    await eventually(() => b.host.containers.get(id) !== restarts, 'a new run');
    assert.deepEqual(b.errors(), []);
  });

  it('removes an AutoRemove container that exited while the agent was down', async () => {
    await using a = await aContainerHarness(images);
    const id = await a.run({ HostConfig: { AutoRemove: true } }, 'ephemeral');
    await using b = await restartAgent(a, () => a.host.exit(id, 0));
    await eventually(() => b.recordDirs().length === 0, 'the record removed');
    await drain();
    assert.throws(() => b.inspect('ephemeral'), (e: unknown) => isShoalError(e, 'NotFound'));
    assert.deepEqual(b.host.traces(id), []);
    assert.deepEqual(b.errors(), []);
  });
});
