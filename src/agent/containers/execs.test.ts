import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isShoalError, type ErrorKind } from '../../api/errors.js';
import { aContainerHarness, eventually, fixtureImages, type FixtureImages } from '../../../test/builders/containers.js';
import { parseExecConfig } from './execs.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

function refusal(kind: ErrorKind, message: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShoalError(e), `expected a ShoalError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.message, message);
    return true;
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('containers: exec', () => {
  it('refuses an exec in a container that is not running with a 409', async () => {
    await using h = await aContainerHarness(images);
    const created = await h.create();
    assert.throws(() => h.execs.create(created, { Cmd: ['true'] }), refusal('Conflict', `Container ${created} is not running`));
    const stopped = await h.run();
    await h.svc.stop(stopped);
    assert.throws(() => h.execs.create(stopped, { Cmd: ['true'] }), refusal('Conflict', `Container ${stopped} is not running`));
    assert.equal(h.inspect(stopped).ExecIDs, null);
    assert.throws(() => h.execs.create('nothing', { Cmd: ['true'] }), refusal('NotFound', 'No such container: nothing'));
  });

  it('records the exit code in the exec\'s inspect and drops it from the container\'s ExecIDs', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const { Id } = h.execs.create(id, { Cmd: ['fake', 'exit', '3'], AttachStdout: true });
    assert.match(Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(h.inspect(id).ExecIDs, [Id]);
    const before = h.execs.inspect(Id);
    assert.deepEqual({ Running: before.Running, ExitCode: before.ExitCode, ContainerID: before.ContainerID }, { Running: false, ExitCode: null, ContainerID: id });
    const proc = await h.execs.start(Id);
    assert.equal(await proc.exited, 3);
    await eventually(() => h.execs.inspect(Id).ExitCode === 3, 'the exit code recorded');
    const after = h.execs.inspect(Id);
    assert.equal(after.Running, false);
    assert.deepEqual(after.ProcessConfig, { tty: false, entrypoint: 'fake', arguments: ['exit', '3'], privileged: false, user: '' });
    assert.equal(after.OpenStdout, true);
    assert.equal(h.inspect(id).ExecIDs, null, 'a finished exec leaves the container\'s list');
  });

  it('is running while its process runs; a second start is refused', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const { Id } = h.execs.create(id, { Cmd: ['fake', 'sleep'] });
    const proc = await h.execs.start(Id);
    assert.equal(h.execs.inspect(Id).Running, true);
    await assert.rejects(h.execs.start(Id), refusal('Conflict', `Error: Exec command ${Id} is already running`));
    proc.kill('SIGTERM');
    assert.equal(await proc.exited, 143);
    await eventually(() => h.execs.inspect(Id).ExitCode === 143, 'the exit');
    await assert.rejects(h.execs.start(Id), refusal('Conflict', `Error: Exec command ${Id} has already run`));
  });

  it('runs with the container\'s env plus its own, the resolved user and the working directory', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Env: ['A=1'], WorkingDir: '/tmp', User: 'nobody' });
    const a = h.execs.create(id, { Cmd: ['fake', 'print', 'stdout:hi', 'stderr:ho'], Env: ['B=2'] });
    const proc = await h.execs.start(a.Id);
    const [out, err, code] = await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited]);
    assert.deepEqual([out, err, code], ['hi\n', 'ho\n', 0]);
    const spec = h.host.execs.at(-1)!.spec;
    assert.deepEqual(spec.env, [...h.inspect(id).Config.Env!, 'B=2']);
    assert.ok(spec.env?.includes('A=1'));
    assert.deepEqual([spec.cwd, spec.uid, spec.gid], ['/tmp', 65534, 65534]);
    const b = h.execs.create(id, { Cmd: ['fake', 'exit', '0'], User: 'root', WorkingDir: '/' });
    await (await h.execs.start(b.Id)).exited;
    const specB = h.host.execs.at(-1)!.spec;
    assert.deepEqual([specB.cwd, specB.uid, specB.gid], ['/', 0, 0]);
  });

  it('refuses to start when the container stopped after the exec was created', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const { Id } = h.execs.create(id, { Cmd: ['true'] });
    h.host.exit(id, 0);
    await eventually(() => h.state(id).Status === 'exited', 'exit');
    await assert.rejects(h.execs.start(Id), refusal('Conflict', `Container ${id} is not running`));
  });

  it('ends an exec when its container exits', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    const { Id } = h.execs.create(id, { Cmd: ['fake', 'sleep'] });
    const proc = await h.execs.start(Id);
    h.host.exit(id, 0);
    assert.equal(await proc.exited, 137);
    await eventually(() => h.execs.inspect(Id).Running === false, 'the exec stopped');
  });

  it('validates the exec body and unknown exec IDs with docker\'s messages', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run();
    assert.throws(() => h.execs.create(id, { Cmd: [] }), refusal('InvalidArgument', 'No exec command specified'));
    assert.throws(() => h.execs.create(id, {}), refusal('InvalidArgument', 'No exec command specified'));
    assert.throws(() => h.execs.create(id, { Cmd: 'ls' }), refusal('InvalidArgument', 'Cmd: expected an array of strings'));
    assert.throws(() => h.execs.create(id, []), refusal('InvalidArgument', 'exec config: expected a JSON object'));
    assert.throws(() => h.execs.inspect('nope'), refusal('NotFound', 'No such exec instance: nope'));
    await assert.rejects(h.execs.start('nope'), refusal('NotFound', 'No such exec instance: nope'));
    assert.deepEqual(parseExecConfig({ Cmd: ['sh'], Tty: true, AttachStdin: true }), {
      Cmd: ['sh'], Env: [], WorkingDir: '', User: '', Tty: true, AttachStdin: true, AttachStdout: false, AttachStderr: false, Privileged: false,
    });
  });
});
