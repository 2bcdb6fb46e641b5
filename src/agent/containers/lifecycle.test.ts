import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError, type ErrorKind } from '../../api/errors.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { aContainerHarness, drain, eventually, fakeProgram, fixtureImages, settled, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

function refusal(kind: ErrorKind, message: string | RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

const exited = (h: ContainerHarness, id: string): Promise<void> => eventually(() => h.state(id).Status === 'exited', `${id.slice(0, 12)} exited`);
const noErrors = (h: ContainerHarness): void => assert.deepEqual(h.errors(), [], 'nothing logged at error level');

describe('containers: start and exit', () => {
  it('start runs the container: running, pid and StartedAt from the runtime', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create();
    h.clock.advance(5000);
    assert.equal(await h.svc.start(id), 'started');
    const s = h.state(id);
    assert.equal(s.Status, 'running');
    assert.equal(s.Running, true);
    assert.equal(s.Pid, h.host.containers.get(id)!.pid);
    assert.ok(s.Pid > 0);
    assert.equal(s.StartedAt, rfc3339Nano(h.clock.now()));
    assert.equal(await h.svc.start(id), 'already-running');
    assert.deepEqual(h.svc.counts(), { total: 1, running: 1, paused: 0, stopped: 0 });
    noErrors(h);
  });

  it('an exit propagates its code and FinishedAt; Pid goes back to 0', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.clock.advance(61_000);
    h.host.exit(id, 3);
    await exited(h, id);
    const s = h.state(id);
    assert.deepEqual(
      { Running: s.Running, ExitCode: s.ExitCode, Pid: s.Pid, OOMKilled: s.OOMKilled, FinishedAt: s.FinishedAt, Error: s.Error },
      { Running: false, ExitCode: 3, Pid: 0, OOMKilled: false, FinishedAt: rfc3339Nano(h.clock.now()), Error: '' },
    );
    assert.deepEqual(h.svc.counts(), { total: 1, running: 0, paused: 0, stopped: 1 });
    noErrors(h);
  });

  it('a program that exits at once is recorded as exited with its code', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run(fakeProgram('exit', '42'));
    await exited(h, id);
    assert.equal(h.state(id).ExitCode, 42);
  });

  it('a container can be started again after it exited; the new run replaces the old one in the runtime', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.exit(id, 1);
    await exited(h, id);
    await h.svc.start(id);
    assert.equal(h.state(id).Status, 'running');
    assert.equal(h.state(id).ExitCode, 0, 'the last exit code is cleared by the new run');
    h.host.exit(id, 2);
    await exited(h, id);
    assert.equal(h.state(id).ExitCode, 2);
  });

  it('a start the runtime refuses leaves no runtime container and records the error', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ Entrypoint: ['/nonexistent/bin'], Cmd: [] });
    await assert.rejects(h.svc.start(id), refusal('InvalidArgument', /no such file or directory/));
    assert.equal(h.host.containers.size, 0);
    assert.equal(h.state(id).Running, false);
    assert.match(h.state(id).Error, /stat \/nonexistent\/bin: no such file or directory/);
  });

  it('an OOM kill is recorded as OOMKilled with 137; the next start clears it', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('oom'), HostConfig: { Memory: 64 << 20 } });
    await exited(h, id);
    assert.equal(h.state(id).OOMKilled, true);
    assert.equal(h.state(id).ExitCode, 137);
    const other = await h.run();
    h.host.oomKill(other);
    await exited(h, other);
    assert.deepEqual([h.state(other).OOMKilled, h.state(other).ExitCode], [true, 137]);
    await h.svc.start(other);
    assert.equal(h.state(other).OOMKilled, false);
  });
});

describe('containers: stop and kill', () => {
  it('stop sends SIGTERM and returns when the container exits (no SIGKILL needed)', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    assert.equal(await h.svc.stop(id), 'stopped');
    assert.equal(h.state(id).Status, 'exited');
    assert.equal(h.state(id).ExitCode, 128 + 15);
    assert.equal(h.clock.pendingSleeps, 0, 'the grace timer is cancelled');
    assert.equal(await h.svc.stop(id), 'not-running');
    noErrors(h);
  });

  it('stop sends the configured stop signal, or the one asked for', async () => {
    await using h = await aContainerHarness(images);
    const a = await h.run({ StopSignal: 'SIGINT' });
    await h.svc.stop(a);
    assert.equal(h.state(a).ExitCode, 128 + 2);
    const b = await h.run();
    await h.svc.stop(b, { signal: 'HUP' });
    assert.equal(h.state(b).ExitCode, 128 + 1);
  });

  it('a program ignoring SIGTERM is killed with SIGKILL after the grace period (fake clock)', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run(fakeProgram('sleep', '--ignore', 'SIGTERM'));
    const stopping = h.svc.stop(id);
    const done = settled(stopping);
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 10_000, 'docker\'s default grace period: 10 s');
    h.clock.advance(9_999);
    await drain();
    assert.equal(done(), false, 'still waiting within the grace period');
    assert.equal(h.state(id).Running, true, 'SIGTERM was ignored');
    h.clock.advance(1);
    assert.equal(await stopping, 'stopped');
    assert.equal(h.state(id).ExitCode, 137);
    assert.equal(h.state(id).Status, 'exited');
    noErrors(h);
  });

  it('the grace period comes from the request, then the container\'s StopTimeout', async () => {
    await using h = await aContainerHarness(images);
    const a = await h.run({ ...fakeProgram('sleep', '--ignore', 'SIGTERM'), StopTimeout: 3 });
    const sa = h.svc.stop(a);
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 3_000);
    h.clock.advance(3_000);
    await sa;
    const b = await h.run({ ...fakeProgram('sleep', '--ignore', 'SIGTERM'), StopTimeout: 3 });
    const sb = h.svc.stop(b, { timeoutS: 1 });
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 1_000);
    h.clock.advance(1_000);
    await sb;
    assert.equal(h.state(b).ExitCode, 137);
  });

  it('kill sends SIGKILL by default or the signal given; on a container that is not running it is a 409', async () => {
    await using h = await aContainerHarness(images);
    const a = await h.run({}, 'killme');
    await h.svc.kill('killme');
    await exited(h, a);
    assert.equal(h.state(a).ExitCode, 137);
    await assert.rejects(h.svc.kill('killme'), refusal('Conflict', `Cannot kill container: killme: Container ${a} is not running`));
    const created = await h.create();
    await assert.rejects(h.svc.kill(created), refusal('Conflict', `Cannot kill container: ${created}: Container ${created} is not running`));
    const b = await h.run();
    await h.svc.kill(b, 'SIGUSR1');
    await exited(h, b);
    assert.equal(h.state(b).ExitCode, 128 + 10);
    const c = await h.run();
    await assert.rejects(h.svc.kill(c, 'SIGNOPE'), refusal('InvalidArgument', 'invalid signal: SIGNOPE'));
    assert.equal(h.state(c).Running, true);
  });
});

describe('containers: remove', () => {
  it('refuses to remove a running container without force, with docker\'s 409 text', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({}, 'busy');
    await assert.rejects(
      h.svc.remove('busy'),
      refusal('Conflict', 'cannot remove container "/busy": container is running: stop the container before removing or force remove'),
    );
    assert.equal(h.state(id).Running, true);
    assert.equal(h.host.containers.get(id)?.exit, undefined, 'not signalled');
  });

  it('rm -f kills and removes: no record, no runtime traces, name free', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({}, 'gone');
    await h.svc.remove('gone', { force: true });
    assert.throws(() => h.inspect('gone'), refusal('NotFound', 'No such container: gone'));
    assert.throws(() => h.inspect(id), refusal('NotFound', `No such container: ${id}`));
    assert.deepEqual(h.host.traces(id), []);
    assert.deepEqual(h.recordDirs(), []);
    await h.create({}, 'gone');
    noErrors(h);
  });

  it('rm of a stopped container; --volumes removes anonymous volumes only', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ HostConfig: { Binds: ['keep:/keep', '/anon'] } });
    const anon = h.inspect(id).Mounts.find((m) => m.Destination === '/anon')!.Name!;
    await h.svc.stop(id);
    await h.svc.remove(id, { volumes: true });
    assert.equal(existsSync(join(h.dir, 'volumes', anon)), false);
    assert.equal(existsSync(join(h.dir, 'volumes', 'keep', '_data')), true, 'named volumes outlive the container');
    assert.deepEqual(h.host.traces(id), []);
  });

  it('rm of a created container, and of an unknown one', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create();
    await h.svc.remove(id.slice(0, 12));
    assert.deepEqual(h.recordDirs(), []);
    await assert.rejects(h.svc.remove('nothing'), refusal('NotFound', 'No such container: nothing'));
  });

  it('finds containers by ID prefix and refuses an ambiguous prefix', async () => {
    await using h = await aContainerHarness(images);
    const ids = [await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create(), await h.create()];
    // 17 IDs over 16 hex digits: two share a first character.
    const byFirst = new Map<string, string[]>();
    for (const id of ids) byFirst.set(id[0]!, [...(byFirst.get(id[0]!) ?? []), id]);
    const [shared] = [...byFirst.entries()].find(([, v]) => v.length > 1)!;
    assert.throws(() => h.inspect(shared), refusal('InvalidArgument', `multiple IDs found with provided prefix: ${shared}`));
    assert.equal(h.inspect(ids[0]!.slice(0, 20)).Id, ids[0]);
  });
});

describe('containers: wait', () => {
  it('not-running waits for the exit of a running container and returns at once for a stopped or created one', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const w = h.svc.wait(id, 'not-running');
    const done = settled(w);
    await drain();
    assert.equal(done(), false);
    h.host.exit(id, 5);
    assert.deepEqual(await w, { StatusCode: 5 });
    assert.deepEqual(await h.svc.wait(id, ''), { StatusCode: 5 });
    const created = await h.create();
    assert.deepEqual(await h.svc.wait(created, 'not-running'), { StatusCode: 0 });
  });

  it('next-exit waits for the next run to end, even when the container is stopped now', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    h.host.exit(id, 5);
    await exited(h, id);
    const w = h.svc.wait(id, 'next-exit');
    const done = settled(w);
    await drain();
    assert.equal(done(), false);
    await h.svc.start(id);
    h.host.exit(id, 6);
    assert.deepEqual(await w, { StatusCode: 6 });
  });

  it('removed waits until the container is removed', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const w = h.svc.wait(id, 'removed');
    const done = settled(w);
    h.host.exit(id, 4);
    await exited(h, id);
    await drain();
    assert.equal(done(), false, 'an exit is not a removal');
    await h.svc.remove(id);
    assert.deepEqual(await w, { StatusCode: 4 });
  });

  it('refuses an unknown condition and stops waiting when the signal aborts', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    await assert.rejects(h.svc.wait(id, 'bogus'), refusal('InvalidArgument', 'invalid condition: "bogus"'));
    const ac = new AbortController();
    const w = h.svc.wait(id, 'not-running', ac.signal);
    ac.abort(new Error('client went away'));
    await assert.rejects(w, /client went away/);
  });
});

describe('containers: AutoRemove', () => {
  it('removes the container when it exits by itself; wait removed resolves', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ ...fakeProgram('sleep'), HostConfig: { AutoRemove: true, Binds: ['/anon'] } });
    const anon = h.inspect(id).Mounts[0]!.Name!;
    const removed = h.svc.wait(id, 'removed');
    await h.svc.start(id);
    h.host.exit(id, 0);
    await removed;
    assert.deepEqual(h.recordDirs(), []);
    assert.deepEqual(h.host.traces(id), []);
    assert.equal(existsSync(join(h.dir, 'volumes', anon)), false, 'anonymous volumes go with it (docker run --rm)');
    noErrors(h);
  });

  it('removes the container after stop', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ HostConfig: { AutoRemove: true } }, 'rmme');
    const removed = h.svc.wait(id, 'removed');
    await h.svc.stop('rmme');
    await removed;
    assert.throws(() => h.inspect('rmme'), refusal('NotFound', 'No such container: rmme'));
    noErrors(h);
  });

  it('rm -f of an AutoRemove container removes it once, without errors', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ HostConfig: { AutoRemove: true } });
    await h.svc.remove(id, { force: true });
    await drain();
    assert.deepEqual(h.recordDirs(), []);
    noErrors(h);
  });
});

describe('containers: restart policies (fake clock backoff)', () => {
  /** Waits for the container to be in restart backoff after `count` restarts, and returns the backoff delay. */
  async function backoff(h: ContainerHarness, id: string, count: number): Promise<number> {
    await eventually(() => h.state(id).Status === 'restarting' && h.inspect(id).RestartCount === count, `restart #${count} scheduled`);
    await h.armed(1);
    return h.clock.nextDeadline! - h.clock.now();
  }

  it('on-failure:2 restarts a failing container twice with doubling backoff, then leaves it exited', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '1'), HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    assert.equal(await backoff(h, id, 1), 100);
    assert.equal(h.state(id).Restarting, true);
    assert.equal(h.state(id).ExitCode, 1);
    const waiting = settled(h.svc.wait(id, 'not-running'));
    await drain();
    assert.equal(waiting(), false, 'a restarting container is not "not running"');
    h.clock.advance(99);
    await drain();
    assert.equal(h.state(id).Status, 'restarting', 'not before the backoff');
    h.clock.advance(1);
    assert.equal(await backoff(h, id, 2), 200);
    h.clock.advance(200);
    await exited(h, id);
    assert.equal(h.inspect(id).RestartCount, 2);
    assert.equal(h.state(id).ExitCode, 1);
    assert.equal(h.state(id).Restarting, false);
    await drain();
    assert.equal(h.clock.pendingSleeps, 0, 'no further restart');
    noErrors(h);
  });

  it('on-failure does not restart a container that exits 0', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '0'), HostConfig: { RestartPolicy: { Name: 'on-failure' } } });
    await exited(h, id);
    await drain();
    assert.equal(h.inspect(id).RestartCount, 0);
    assert.equal(h.clock.pendingSleeps, 0);
  });

  it('always restarts after any exit; stop during the backoff ends the restarting', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '0'), HostConfig: { RestartPolicy: { Name: 'always' } } });
    assert.equal(await backoff(h, id, 1), 100);
    h.clock.advance(100);
    assert.equal(await backoff(h, id, 2), 200);
    h.clock.advance(200);
    assert.equal(await backoff(h, id, 3), 400);
    assert.equal(await h.svc.stop(id), 'stopped');
    assert.equal(h.state(id).Status, 'exited');
    assert.equal(h.state(id).Restarting, false);
    h.clock.advance(10_000);
    await drain();
    assert.equal(h.state(id).Status, 'exited', 'the pending restart was cancelled');
    assert.equal(h.host.containers.get(id)?.exit?.exitCode, 0, 'the runtime still holds the last (exited) run');
    noErrors(h);
  });

  it('stop of a running container with restart=always does not restart it', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ HostConfig: { RestartPolicy: { Name: 'always' } } });
    await h.svc.stop(id);
    await drain();
    assert.equal(h.state(id).Status, 'exited');
    assert.equal(h.clock.pendingSleeps, 0);
    assert.equal(h.inspect(id).RestartCount, 0);
  });

  it('a manual start after the retries ran out resets the restart count, as docker does', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '1'), HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } } });
    await backoff(h, id, 1);
    h.clock.advance(100);
    await exited(h, id);
    assert.equal(h.inspect(id).RestartCount, 1);
    await h.svc.start(id);
    assert.equal(await backoff(h, id, 1), 100, 'the count starts again from 0: the policy applies to the new run');
    h.clock.advance(100);
    await exited(h, id);
    assert.equal(h.inspect(id).RestartCount, 1);
  });

  it('rm -f during the backoff removes the container and cancels the restart', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '1'), HostConfig: { RestartPolicy: { Name: 'always' } } });
    await backoff(h, id, 1);
    await assert.rejects(h.svc.remove(id), refusal('Conflict', /container is running/));
    await h.svc.remove(id, { force: true });
    h.clock.advance(1000);
    await drain();
    assert.deepEqual(h.host.traces(id), []);
    assert.deepEqual(h.recordDirs(), []);
    noErrors(h);
  });
});

describe('containers: console resize', () => {
  it('resizes the console of a TTY container through its attach session; refuses a stopped one', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.create({ Tty: true, OpenStdin: true });
    const attached = h.svc.attach(id);
    await h.svc.start(id);
    const a = await attached;
    h.svc.resize(id, 40, 120);
    assert.deepEqual(h.host.terminalSize(id), { rows: 40, cols: 120 });
    a.detach();
    await h.svc.stop(id, { timeoutS: 0 });
    assert.throws(() => h.svc.resize(id, 10, 10), refusal('Conflict', /is not running/));
  });
});
