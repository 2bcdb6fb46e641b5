import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthcheckConfig, HealthLogEntry } from '../../api/container.js';
import { Filters } from '../../api/filters.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { aContainerHarness, drain, eventually, fakeProgram, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { effectiveHealthcheck, probeArgs } from './health.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

const S = 1e9;
const MS = 1e6;

/**
 * A container whose healthcheck runs `probe`; each probe's result comes from `results` in order (exit code), and
 * prints `probe <n>` so the test can wait for exactly that probe's log entry.
 */
async function withProbes(h: ContainerHarness, check: HealthcheckConfig, results: number[]): Promise<{ id: string; probes: () => number }> {
  let n = 0;
  h.host.onExec = (_id, spec) => {
    if (spec.args[0] !== 'probe') return undefined;
    n++;
    return { stdout: `probe ${n}\n`, exitCode: results[n - 1] ?? 0 };
  };
  const id = await h.run({ Healthcheck: { Test: ['CMD', 'probe'], ...check } });
  return { id, probes: () => n };
}

const health = (h: ContainerHarness, id: string): { Status: string; FailingStreak: number; Log: HealthLogEntry[] } => {
  const v = h.state(id).Health;
  assert.ok(v, 'the container has a health state');
  return v;
};
const lastOutput = (h: ContainerHarness, id: string): string | undefined => h.state(id).Health?.Log.at(-1)?.Output;

/** Advances the fake clock by `ms` and waits for probe `n`'s log entry. */
async function probe(h: ContainerHarness, id: string, ms: number, n: number): Promise<void> {
  h.clock.advance(ms);
  await eventually(() => lastOutput(h, id) === `probe ${n}\n`, `probe ${n}'s result`);
}

describe('containers: healthchecks (fake runtime exec, fake clock)', () => {
  it('starts in "starting", probes after each interval, and one success makes it healthy', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 2 * S, Retries: 3 }, [0]);
    assert.deepEqual(health(h, id), { Status: 'starting', FailingStreak: 0, Log: [] });
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 2000, 'the first probe comes after one interval');
    h.clock.advance(1999);
    await drain();
    assert.equal(h.host.execs.length, 0);
    const start = h.clock.now() + 1;
    await probe(h, id, 1, 1);
    assert.deepEqual(health(h, id), {
      Status: 'healthy',
      FailingStreak: 0,
      Log: [{ Start: rfc3339Nano(start), End: rfc3339Nano(start), ExitCode: 0, Output: 'probe 1\n' }],
    });
    assert.deepEqual(h.host.execs.map((e) => e.spec.args), [['probe']]);
    assert.deepEqual(h.svc.list({ all: false, filters: Filters.of({ health: ['healthy'] }) }).map((c) => c.Id), [id]);
  });

  it('counts consecutive failures: unhealthy after Retries, healthy again after one success', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 1 * S, Retries: 3 }, [1, 1, 2, 0, 1]);
    await h.armed(1);
    await probe(h, id, 1000, 1);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['starting', 1]);
    await probe(h, id, 1000, 2);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['starting', 2]);
    await probe(h, id, 1000, 3);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['unhealthy', 3]);
    assert.deepEqual(health(h, id).Log.map((e) => e.ExitCode), [1, 1, 2]);
    await probe(h, id, 1000, 4);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['healthy', 0]);
    await probe(h, id, 1000, 5);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['healthy', 1], 'one failure is not enough');
  });

  it('defaults Retries to 3 and Interval to 30 s', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, {}, [1, 1, 1]);
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 30_000);
    await probe(h, id, 30_000, 1);
    await probe(h, id, 30_000, 2);
    assert.equal(health(h, id).Status, 'starting');
    await probe(h, id, 30_000, 3);
    assert.equal(health(h, id).Status, 'unhealthy');
  });

  it('does not count failures of probes that start within the start period, and counts the first one after it', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 2 * S, StartPeriod: 5 * S, Retries: 1 }, [1, 1, 1]);
    await h.armed(1);
    await probe(h, id, 2000, 1); // t=2s: inside the start period
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['starting', 0]);
    await probe(h, id, 2000, 2); // t=4s: inside
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['starting', 0]);
    await probe(h, id, 2000, 3); // t=6s: after the start period (docker compares the probe's start with StartedAt)
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['unhealthy', 1]);
    assert.equal(health(h, id).Log.length, 3, 'uncounted failures are still logged');
  });

  it('counts failures inside the start period once the container has been healthy', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 1 * S, StartPeriod: 60 * S, Retries: 1 }, [0, 1]);
    await h.armed(1);
    await probe(h, id, 1000, 1);
    assert.equal(health(h, id).Status, 'healthy');
    await probe(h, id, 1000, 2);
    assert.deepEqual([health(h, id).Status, health(h, id).FailingStreak], ['unhealthy', 1]);
  });

  it('probes every StartInterval during the start period until healthy, then every Interval', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 10 * S, StartPeriod: 30 * S, StartInterval: 1 * S }, [1, 0]);
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 1000);
    await probe(h, id, 1000, 1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 1000, 'still starting: the start interval');
    await probe(h, id, 1000, 2);
    assert.equal(health(h, id).Status, 'healthy');
    assert.equal(h.clock.nextDeadline, h.clock.now() + 10_000, 'healthy: the interval');
  });

  it('kills a probe that exceeds its timeout and logs docker\'s message with exit code -1', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Healthcheck: { Test: ['CMD', 'fake', 'sleep'], Interval: 1 * S, Timeout: 500 * MS, Retries: 1 } });
    await h.armed(1);
    h.clock.advance(1000);
    await eventually(() => h.host.execs.length === 1 && h.clock.pendingSleeps === 1, 'the probe running with its timeout armed');
    assert.equal(h.clock.nextDeadline, h.clock.now() + 500);
    h.clock.advance(499);
    await drain();
    assert.deepEqual(health(h, id).Log, [], 'not timed out yet');
    const start = h.clock.now() - 499;
    h.clock.advance(1);
    await eventually(() => health(h, id).Log.length === 1, 'the timed-out probe\'s entry');
    assert.deepEqual(health(h, id), {
      Status: 'unhealthy',
      FailingStreak: 1,
      Log: [{ Start: rfc3339Nano(start), End: rfc3339Nano(start + 500), ExitCode: -1, Output: 'Health check exceeded timeout (500ms)' }],
    });
    assert.equal(h.clock.nextDeadline, h.clock.now() + 1000, 'the next probe is scheduled');
  });

  it('defaults the timeout to 30 s and prints it as Go does', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Healthcheck: { Test: ['CMD', 'fake', 'sleep'], Interval: 1 * S } });
    await h.armed(1);
    h.clock.advance(1000);
    await eventually(() => h.host.execs.length === 1 && h.clock.pendingSleeps === 1, 'the probe running');
    h.clock.advance(30_000);
    await eventually(() => health(h, id).Log.length === 1, 'the timed-out probe');
    assert.equal(health(h, id).Log[0]!.Output, 'Health check exceeded timeout (30s)');
  });

  it('keeps the last five results', async () => {
    await using h = await aContainerHarness(images);
    const { id } = await withProbes(h, { Interval: 1 * S }, [0, 1, 0, 1, 0, 1, 0]);
    await h.armed(1);
    for (let n = 1; n <= 7; n++) await probe(h, id, 1000, n);
    const log = health(h, id).Log;
    assert.deepEqual(log.map((e) => e.Output), ['probe 3\n', 'probe 4\n', 'probe 5\n', 'probe 6\n', 'probe 7\n']);
    assert.deepEqual(log.map((e) => e.ExitCode), [0, 1, 0, 1, 0]);
  });

  it('runs CMD-SHELL probes through /bin/sh -c', async () => {
    await using h = await aContainerHarness(images);
    const id = await h.run({ Healthcheck: { Test: ['CMD-SHELL', 'test -f /ready'], Interval: 1 * S } });
    await h.armed(1);
    h.clock.advance(1000);
    await eventually(() => health(h, id).Log.length === 1, 'the probe');
    assert.deepEqual(h.host.execs[0]!.spec.args, ['/bin/sh', '-c', 'test -f /ready']);
    assert.deepEqual(probeArgs(['CMD', 'a', 'b']), ['a', 'b']);
    assert.deepEqual(probeArgs(['CMD-SHELL', 'a', 'b']), ['/bin/sh', '-c', 'a b']);
  });

  it('stops probing when the container exits, and starts again from "starting" on the next run', async () => {
    await using h = await aContainerHarness(images);
    const { id, probes } = await withProbes(h, { Interval: 1 * S }, [0, 0, 0]);
    await h.armed(1);
    await probe(h, id, 1000, 1);
    h.host.exit(id, 0);
    await eventually(() => h.state(id).Status === 'exited', 'exit');
    await drain();
    assert.equal(h.clock.pendingSleeps, 0, 'no probe timer left');
    h.clock.advance(5000);
    await drain();
    assert.equal(probes(), 1);
    await h.svc.start(id);
    assert.deepEqual(health(h, id), { Status: 'starting', FailingStreak: 0, Log: [] });
    await h.armed(1);
    await probe(h, id, 1000, 2);
    assert.equal(health(h, id).Status, 'healthy');
  });

  it('has no health state without a check, or with NONE', async () => {
    await using h = await aContainerHarness(images);
    const a = await h.run();
    const b = await h.run({ Healthcheck: { Test: ['NONE'] } });
    assert.equal(h.state(a).Health, undefined);
    assert.equal(h.state(b).Health, undefined);
    assert.equal(h.inspect(b).Config.Healthcheck, undefined);
    await drain();
    assert.equal(h.clock.pendingSleeps, 0);
    const c = await h.run(fakeProgram('sleep'));
    assert.deepEqual(h.svc.list({ all: false, filters: Filters.of({ health: ['none'] }) }).map((x) => x.Id).sort(), [a, b, c].sort());
  });
});

describe('containers: the image\'s healthcheck', () => {
  it('runs the image\'s HEALTHCHECK, and a request that only replaces the command keeps its timings', async () => {
    await using withHealth = await fixtureImages('misbehave-health');
    await using h = await aContainerHarness(withHealth);
    const a = await h.run();
    assert.deepEqual(h.inspect(a).Config.Healthcheck, { Test: ['CMD', '/healthcheck'], Interval: 1 * S, Timeout: 2 * S, Retries: 2 });
    await h.armed(1);
    assert.equal(h.clock.nextDeadline, h.clock.now() + 1000);
    h.clock.advance(1000);
    await eventually(() => health(h, a).Status === 'healthy', 'healthy');
    assert.deepEqual(h.host.execs.at(-1)!.spec.args, ['/healthcheck']);
    // What `docker run --health-cmd probe` sends: the flags not given as zeros.
    const b = await h.run({ Healthcheck: { Test: ['CMD', 'probe'], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 } });
    assert.deepEqual(h.inspect(b).Config.Healthcheck, { Test: ['CMD', 'probe'], Interval: 1 * S, Timeout: 2 * S, Retries: 2 });
  });
});

describe('containers: effective healthcheck', () => {
  const image = { Test: ['CMD', '/healthcheck'], Interval: 1 * S, Timeout: 2 * S, Retries: 2 };
  it('takes the image\'s check, with the request\'s fields over it', () => {
    assert.deepEqual(effectiveHealthcheck(undefined, image), image);
    assert.deepEqual(effectiveHealthcheck({ Interval: 5 * S }, image), { ...image, Interval: 5 * S });
    assert.deepEqual(effectiveHealthcheck({ Test: ['CMD-SHELL', 'true'] }, image), { ...image, Test: ['CMD-SHELL', 'true'] });
    assert.deepEqual(effectiveHealthcheck({ Test: [] }, image), image, 'an empty test inherits the image\'s');
    assert.deepEqual(
      effectiveHealthcheck({ Test: ['CMD', 'x'], Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 }, image),
      { ...image, Test: ['CMD', 'x'] },
      'zeros (what `docker run --health-cmd` sends for the flags not given) keep the image\'s values',
    );
  });
  it('NONE or no test at all means no check', () => {
    assert.equal(effectiveHealthcheck({ Test: ['NONE'] }, image), undefined);
    assert.equal(effectiveHealthcheck({ Interval: S }, undefined), undefined);
    assert.equal(effectiveHealthcheck(null, undefined), undefined);
  });
});
