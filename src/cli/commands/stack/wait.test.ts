import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import type { Service, Task } from '../../../client/service-types.js';
import { captureContext, EngineStub } from '../container/engine-stub.testkit.js';
import type { WaitEnvironment } from '../service/progress.js';
import { serviceProgress, waitOnStack } from './wait.js';

const svc = (o: Partial<Service> & { replicas?: number } = {}): Service => ({
  ID: 's1',
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: 'st_web', Labels: {}, TaskTemplate: {}, Mode: { Replicated: { Replicas: o.replicas ?? 2 } } },
  ...o,
});

const task = (id: string, slot: number, state: string, o: Partial<Task> = {}): Task => ({
  ID: id.padEnd(25, '0'),
  ServiceID: 's1',
  Slot: slot,
  NodeID: 'n1',
  DesiredState: 'running',
  Status: { State: state },
  ...o,
});

const active = new Set(['n1']);

describe('serviceProgress', () => {
  it('converges when every slot runs an up-to-date task on an active node', () => {
    assert.deepEqual(serviceProgress(svc(), [task('a', 1, 'running'), task('b', 2, 'starting')], active), { converged: false, running: 1, desired: 2 });
    assert.deepEqual(serviceProgress(svc(), [task('a', 1, 'running'), task('b', 2, 'running')], active), { converged: true, running: 2, desired: 2 });
    assert.equal(serviceProgress(svc(), [task('a', 1, 'running'), task('b', 2, 'running', { NodeID: 'gone' })], active).converged, false, 'a task on a down node does not count');
  });

  it('is not converged while an update is in progress', () => {
    const s = svc({ UpdateStatus: { State: 'updating' } });
    assert.equal(serviceProgress(s, [task('a', 1, 'running'), task('b', 2, 'running')], active).converged, false);
  });

  it('fails on a failed or rejected task, naming the task and why', () => {
    const p = serviceProgress(svc(), [task('abc', 1, 'failed', { Status: { State: 'failed', Err: 'task: non-zero exit (1)' } })], active);
    assert.equal(p.failure, 'task st_web.1 (abc000000000) failed: task: non-zero exit (1)');
    const r = serviceProgress(svc(), [task('def', 2, 'rejected', { Status: { State: 'rejected', Err: 'No such image: nope:1' } })], active);
    assert.equal(r.failure, 'task st_web.2 (def000000000) was rejected: No such image: nope:1');
  });

  it('ignores failures of tasks that existed before the deploy', () => {
    const p = serviceProgress(svc({ replicas: 1 }), [task('old', 1, 'failed'), task('new', 1, 'running')], active, new Set(['old'.padEnd(25, '0')]));
    assert.deepEqual(p, { converged: true, running: 1, desired: 1 });
  });

  it('fails when the update paused or rolled back', () => {
    assert.equal(serviceProgress(svc({ UpdateStatus: { State: 'paused', Message: 'update paused due to failure' } }), [], active).failure, 'update paused: update paused due to failure');
    assert.match(serviceProgress(svc({ UpdateStatus: { State: 'rollback_completed', Message: 'rolled back' } }), [], active).failure ?? '', /update rolled back/);
  });

  it('global services want ServiceStatus.DesiredTasks', () => {
    const s = svc({ Spec: { Name: 'g', Labels: {}, TaskTemplate: {}, Mode: { Global: {} } }, ServiceStatus: { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 } });
    assert.deepEqual(serviceProgress(s, [task('a', 0, 'running')], active), { converged: true, running: 1, desired: 1 });
  });
});

describe('waitOnStack', () => {
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

  /** Services `st_<name>` whose one task goes through `steps[name]` (one step per poll, the last one repeating). */
  function swarm(steps: Record<string, string[]>): void {
    const services = Object.keys(steps).map((n) => svc({ ID: `id-${n}`, replicas: 1, Spec: { Name: `st_${n}`, Labels: {}, TaskTemplate: {}, Mode: { Replicated: { Replicas: 1 } } } }));
    let poll = 0;
    engine.on('GET /services', (c) => c.json(200, services));
    engine.on('GET /nodes', (c) => c.json(200, [{ ID: 'n1', Status: { State: 'ready' } }]));
    engine.on('GET /tasks', (c) => {
      poll++;
      c.json(
        200,
        Object.entries(steps).map(([n, s]) => {
          const state = s[Math.min(poll, s.length) - 1] ?? 'new';
          return task(`t-${n}`, 1, state, { ServiceID: `id-${n}`, Status: { State: state, ...(state === 'rejected' ? { Err: `No such image: ${n}:1` } : {}) } });
        }),
      );
    });
  }

  function env(interruptAt = Infinity): WaitEnvironment {
    let pauses = 0;
    return { tty: false, now: () => 0, pause: () => Promise.resolve(++pauses >= interruptAt) };
  }

  it('reports a failed service, keeps waiting for the others, then fails naming each failed one', async () => {
    swarm({ bad: ['pending', 'rejected'], good: ['pending', 'starting', 'starting', 'running'], worse: ['failed'] });
    const cap = captureContext(engine.host);
    await assert.rejects(waitOnStack(cap.ctx, client, 'st', ['id-bad', 'id-good', 'id-worse'], env()), (e: Error) => {
      assert.deepEqual(e.message.split('\n'), [
        'service st_worse failed: task st_worse.1 (t-worse00000) failed: failed',
        'service st_bad failed: task st_bad.1 (t-bad0000000) was rejected: No such image: bad:1',
      ]);
      return true;
    });
    const out = cap.out().split('\n');
    assert.ok(out.includes('st_bad: failed: task st_bad.1 (t-bad0000000) was rejected: No such image: bad:1'), cap.out());
    assert.ok(out.indexOf('st_good: converged') > out.indexOf('st_bad: failed: task st_bad.1 (t-bad0000000) was rejected: No such image: bad:1'), cap.out());
  });

  it('ends without an error when every service converged; quiet prints nothing', async () => {
    swarm({ a: ['starting', 'running'], b: ['running'] });
    const cap = captureContext(engine.host);
    await waitOnStack(cap.ctx, client, 'st', ['id-a', 'id-b'], env(), { quiet: true });
    assert.equal(cap.out(), '');
  });

  it('an interrupt leaves the rest in the background, but still reports what failed so far', async () => {
    swarm({ bad: ['rejected'], slow: ['starting'] });
    const cap = captureContext(engine.host);
    await assert.rejects(waitOnStack(cap.ctx, client, 'st', ['id-bad', 'id-slow'], env(2)), (e: Error) => e.message.startsWith('service st_bad failed: '));
    assert.match(cap.out(), /^Operation continuing in background\.$/m);
  });
});
