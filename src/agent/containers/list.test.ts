import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerInspect } from '../../api/container.js';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { aContainerHarness, eventually, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { statusText } from './status-text.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const S = 1e9;

/**
 * Four containers, one second apart: `created` (never started), `exited0` (exited 0), `exited3` (exited 3), `up`
 * (running). Labels: all have app=demo; `up` and `exited3` have tier=web.
 */
async function fourContainers(h: ContainerHarness): Promise<Record<'created' | 'exited0' | 'exited3' | 'up', string>> {
  const created = await h.create({ Labels: { app: 'demo' } }, 'created');
  h.clock.advance(1000);
  const exited0 = await h.run({ Labels: { app: 'demo' } }, 'exited0');
  h.clock.advance(1000);
  const exited3 = await h.run({ Labels: { app: 'demo', tier: 'web' } }, 'exited3');
  h.clock.advance(1000);
  const up = await h.run({ Labels: { app: 'demo', tier: 'web' } }, 'up');
  h.host.exit(exited0, 0);
  h.host.exit(exited3, 3);
  await eventually(() => h.state(exited0).Status === 'exited' && h.state(exited3).Status === 'exited', 'the exits');
  return { created, exited0, exited3, up };
}

const names = (h: ContainerHarness, all: boolean, filters: Record<string, string[]> = {}, limit?: number): string[] =>
  h.svc.list({ all, filters: Filters.of(filters), ...(limit !== undefined ? { limit } : {}) }).map((c) => c.Names[0]!.slice(1));

describe('containers: list', () => {
  it('shows running containers by default and every container with all, newest first', async () => {
    await using h = await aContainerHarness(images);
    await fourContainers(h);
    assert.deepEqual(names(h, false), ['up']);
    assert.deepEqual(names(h, true), ['up', 'exited3', 'exited0', 'created']);
  });

  it('filters by status (which implies all), by exit code, by name, by label and by ID prefix', async () => {
    await using h = await aContainerHarness(images);
    const c = await fourContainers(h);
    assert.deepEqual(names(h, false, { status: ['exited'] }), ['exited3', 'exited0']);
    assert.deepEqual(names(h, false, { status: ['created', 'running'] }), ['up', 'created']);
    assert.deepEqual(names(h, true, { exited: ['3'] }), ['exited3']);
    assert.deepEqual(names(h, true, { exited: ['0'] }), ['exited0'], 'a created container has not exited');
    assert.deepEqual(names(h, true, { exited: ['0', '3'] }), ['exited3', 'exited0']);
    assert.deepEqual(names(h, true, { name: ['exited'] }), ['exited3', 'exited0'], 'names match as substrings');
    assert.deepEqual(names(h, true, { name: ['/up'] }), ['up']);
    assert.deepEqual(names(h, true, { label: ['tier'] }), ['up', 'exited3']);
    assert.deepEqual(names(h, true, { label: ['app=demo', 'tier=web'] }), ['up', 'exited3'], 'label values are ANDed');
    assert.deepEqual(names(h, true, { label: ['app=other'] }), []);
    assert.deepEqual(names(h, true, { id: [c.exited0.slice(0, 10)] }), ['exited0']);
    assert.deepEqual(names(h, true, { id: [c.exited0] }), ['exited0']);
    assert.deepEqual(names(h, true, { ancestor: [images.ref] }).length, 4);
    assert.deepEqual(names(h, true, { ancestor: ['other:1'] }), []);
    assert.deepEqual(names(h, true, { status: ['exited'], label: ['tier=web'] }), ['exited3'], 'different keys are ANDed');
  });

  it('refuses an unknown filter key', async () => {
    await using h = await aContainerHarness(images);
    assert.throws(() => names(h, true, { colour: ['red'] }), (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === "invalid filter 'colour'");
  });

  it('a limit counts stopped containers too (docker ps -n / -l)', async () => {
    await using h = await aContainerHarness(images);
    await fourContainers(h);
    h.clock.advance(1000);
    const last = await h.run(fakeProgram('exit', '0'), 'last');
    await eventually(() => h.state(last).Status === 'exited', 'exit');
    assert.deepEqual(names(h, false, {}, 1), ['last']);
    assert.deepEqual(names(h, false, {}, 2), ['last', 'up']);
    assert.deepEqual(names(h, true, {}, 3), ['last', 'up', 'exited3']);
  });

  it('shows a container in restart backoff without all, as docker does', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ ...fakeProgram('exit', '2'), HostConfig: { RestartPolicy: { Name: 'always' } } }, 'flappy');
    await eventually(() => h.state(id).Status === 'restarting', 'restarting');
    h.clock.advance(3000);
    const [row] = h.svc.list({ all: false, filters: Filters.empty() });
    assert.equal(row?.Names[0], '/flappy');
    assert.equal(row?.State, 'restarting');
    assert.equal(row?.Status, 'Restarting (2) 3 seconds ago');
  });

  it('summarizes each container as docker ps reads it', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Entrypoint: ['fake'], Cmd: ['sleep', 'a b'], Labels: { k: 'v' }, HostConfig: { Binds: ['data:/data'] } }, 'row');
    const [row] = h.svc.list({ all: true, filters: Filters.empty() });
    assert.ok(row);
    assert.equal(row.Id, id);
    assert.deepEqual(row.Names, ['/row']);
    assert.equal(row.Image, images.ref);
    assert.equal(row.ImageID, images.image.imageId);
    assert.equal(row.Command, "fake sleep 'a b'", 'arguments with spaces are quoted, as docker does');
    assert.equal(row.Created, Math.floor(h.clock.now() / 1000));
    assert.deepEqual(row.Labels, { 'org.shoal.test.image': 'misbehave', k: 'v' });
    assert.equal(row.State, 'running');
    assert.equal(row.Mounts[0]?.Name, 'data');
  });

  it('writes docker\'s status text: Created, Up <duration>, Exited (N) <duration> ago', async () => {
    await using h = await aContainerHarness(images);
    const status = (id: string): string => h.svc.list({ all: true, filters: Filters.of({ id: [id] }) })[0]!.Status;
    const created = await h.create();
    assert.equal(status(created), 'Created');
    const id = await h.run();
    assert.equal(status(id), 'Up Less than a second');
    h.clock.advance(1000);
    assert.equal(status(id), 'Up 1 second');
    h.clock.advance(44_000);
    assert.equal(status(id), 'Up 45 seconds');
    h.clock.advance(60_000);
    assert.equal(status(id), 'Up About a minute');
    h.clock.advance(3 * 3600_000);
    assert.equal(status(id), 'Up 3 hours');
    h.host.exit(id, 137);
    await eventually(() => h.state(id).Status === 'exited', 'exit');
    assert.equal(status(id), 'Exited (137) Less than a second ago');
    h.clock.advance(5 * 60_000);
    assert.equal(status(id), 'Exited (137) 5 minutes ago');
    h.clock.advance(3 * 24 * 3600_000);
    assert.equal(status(id), 'Exited (137) 3 days ago');
  });

  it('adds the health to the status of a running container', async () => {
    await using h = await aContainerHarness(images);
    const results = [0, 1];
    h.host.onExec = (_id, spec) => (spec.args[0] === 'probe' ? { exitCode: results.shift() ?? 1 } : undefined);
    const id = await h.run({ Healthcheck: { Test: ['CMD', 'probe'], Interval: 2 * S, Retries: 1 } });
    const status = (): string => h.svc.list({ all: false, filters: Filters.empty() })[0]!.Status;
    assert.equal(status(), 'Up Less than a second (health: starting)');
    await h.armed(1);
    h.clock.advance(2000);
    await eventually(() => h.state(id).Health?.Status === 'healthy', 'healthy');
    assert.equal(status(), 'Up 2 seconds (healthy)');
    h.clock.advance(2000);
    await eventually(() => h.state(id).Health?.Status === 'unhealthy', 'unhealthy');
    assert.equal(status(), 'Up 4 seconds (unhealthy)');
    assert.deepEqual(names(h, false, { health: ['unhealthy'] }).length, 1);
    assert.deepEqual(names(h, false, { health: ['healthy'] }), []);
  });

  it('statusText covers removal, dead and paused states', () => {
    const base = {
      Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1, ExitCode: 0, Error: '',
      StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
    } as const;
    const at = (state: Partial<ContainerInspect['State']>): ContainerInspect => ({ State: { ...base, ...state } }) as unknown as ContainerInspect;
    const now = Date.UTC(2024, 0, 1, 0, 2);
    assert.equal(statusText(at({ Status: 'paused', Paused: true }), now), 'Up 2 minutes (Paused)');
    assert.equal(statusText(at({ Status: 'removing', Running: false }), now), 'Removal In Progress');
    assert.equal(statusText(at({ Status: 'dead', Running: false, Dead: true }), now), 'Dead');
  });
});
