import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task, UpdateConfig } from '../../api/types.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import type { ClusterCache } from './cache.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { UpdateSupervisor } from './update-supervisor.js';
import type { Behaviour } from './fixtures.testkit.js';
import { Harness, SECOND_NS, aNode, aService, recorder } from './fixtures.testkit.js';

const image = (t: Task): string | undefined => t.Spec.ContainerSpec?.Image;

async function harness(o: { replicas: number; update?: UpdateConfig; behave?: (t: Task) => Behaviour; restartDelay?: number }): Promise<Harness> {
  const h = new Harness({ clock: new FakeClock(), ...(o.behave ? { behave: o.behave } : {}) });
  await h.create(
    aNode('n1'),
    aNode('n2'),
    aService({ replicas: o.replicas, ...(o.update ? { update: o.update } : {}), ...(o.restartDelay !== undefined ? { restart: { Delay: o.restartDelay } } : {}) }),
  );
  h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps), new UpdateSupervisor(h.deps), new TaskReaper(h.deps));
  h.startAgent();
  await h.quiesce();
  return h;
}

const running = (c: ClusterCache): Task[] => [...c.tasks.values()].filter((t) => t.Status.State === 'running');
const bound = (c: ClusterCache): Task[] =>
  [...c.tasks.values()].filter((t) => t.NodeID !== undefined && ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'].includes(t.Status.State));

describe('UpdateSupervisor (memory store, fake agent)', () => {
  it('stop-first: updating → completed after Monitor, never fewer than replicas − parallelism running', async () => {
    await using h = await harness({ replicas: 4, update: { Parallelism: 2, Order: 'stop-first', Monitor: 5 * SECOND_NS } });
    let low = Number.POSITIVE_INFINITY;
    h.start(recorder(h.store, (c) => (low = Math.min(low, running(c).length))));
    await h.advance(1000);
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:2' }));
    await h.quiesce();
    let svc = await h.service();
    assert.equal(svc.UpdateStatus?.State, 'updating');
    assert.equal(svc.UpdateStatus?.Message, 'update in progress');
    assert.ok(svc.UpdateStatus?.StartedAt);
    const live = (await h.tasks()).filter((t) => t.DesiredState === 'running');
    assert.deepEqual(live.map(image), ['web:2', 'web:2', 'web:2', 'web:2']);
    assert.ok(live.every((t) => t.Status.State === 'running' && t.SpecVersion?.Index === svc.SpecVersion?.Index));

    await h.advance(4999);
    assert.equal((await h.service()).UpdateStatus?.State, 'updating', 'still monitoring');
    await h.advance(1);
    svc = await h.service();
    assert.equal(svc.UpdateStatus?.State, 'completed');
    assert.equal(svc.UpdateStatus?.Message, 'update completed');
    assert.ok(svc.UpdateStatus?.CompletedAt);
    assert.equal(low, 2, 'at most 2 slots down at once');
  });

  it('start-first: never more than replicas + parallelism tasks on nodes, never fewer than replicas running', async () => {
    await using h = await harness({ replicas: 3, update: { Parallelism: 1, Order: 'start-first', Monitor: 0 } });
    let high = 0;
    let low = Number.POSITIVE_INFINITY;
    h.start(
      recorder(h.store, (c) => {
        high = Math.max(high, bound(c).length);
        low = Math.min(low, running(c).length);
      }),
    );
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:2' }));
    await h.quiesce();
    assert.equal((await h.service()).UpdateStatus?.State, 'completed');
    assert.deepEqual((await h.tasks()).filter((t) => t.Status.State === 'running').map(image), ['web:2', 'web:2', 'web:2']);
    assert.equal(high, 4);
    assert.equal(low, 3);
  });

  it('failure_action pause: a new task that fails pauses the update with swarm message', async () => {
    await using h = await harness({ replicas: 3, update: { Parallelism: 1, FailureAction: 'pause' }, behave: (t) => (image(t) === 'web:bad' ? 'reject' : 'run') });
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:bad' }));
    await h.quiesce();
    const svc = await h.service();
    assert.equal(svc.UpdateStatus?.State, 'paused');
    const bad = (await h.tasks()).find((t) => image(t) === 'web:bad' && t.Status.State === 'rejected')!;
    assert.equal(svc.UpdateStatus?.Message, `update paused due to failure or early termination of task ${bad.ID}`);
    const serving = (await h.tasks()).filter((t) => t.Status.State === 'running');
    assert.deepEqual(serving.map(image), ['web:1', 'web:1'], 'only the first slot was touched');
  });

  it('failure_action rollback: back to the previous spec, rollback_started → rollback_completed', async () => {
    await using h = await harness({
      replicas: 2,
      update: { Parallelism: 1, FailureAction: 'rollback', Monitor: 2 * SECOND_NS },
      behave: (t) => (image(t) === 'web:bad' ? 'fail' : 'run'),
    });
    const states: string[] = [];
    h.start(
      recorder(h.store, (c) => {
        const s = c.services.get('svc1')?.UpdateStatus?.State;
        if (s !== undefined && states.at(-1) !== s) states.push(s);
      }),
    );
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:bad' }));
    await h.advance(10_000, 1000);
    const svc = await h.service();
    assert.deepEqual(states, ['updating', 'rollback_started', 'rollback_completed']);
    assert.equal(svc.Spec.TaskTemplate.ContainerSpec?.Image, 'web:1');
    assert.match(svc.UpdateStatus?.Message ?? '', /^rollback completed$/);
    const live = (await h.tasks()).filter((t) => t.DesiredState === 'running');
    assert.deepEqual(live.map(image), ['web:1', 'web:1']);
    assert.ok(live.every((t) => t.Status.State === 'running' && t.SpecVersion?.Index === svc.SpecVersion?.Index));
  });

  it('drives a manual rollback to rollback_completed', async () => {
    await using h = await harness({ replicas: 2, update: { Parallelism: 0, Monitor: 0 } });
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:2' }));
    await h.quiesce();
    assert.equal((await h.service()).UpdateStatus?.State, 'completed');
    await h.rollbackService('svc1');
    await h.advance(5000);
    const svc = await h.service();
    assert.equal(svc.UpdateStatus?.State, 'rollback_completed');
    assert.deepEqual((await h.tasks()).filter((t) => t.Status.State === 'running').map(image), ['web:1', 'web:1']);
  });

  it('resumes an update after a manager restart', async () => {
    await using h = await harness({ replicas: 3, update: { Parallelism: 1, Delay: 10 * SECOND_NS, Monitor: 0 } });
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:2' }));
    await h.quiesce();
    const count = async (): Promise<number> => (await h.tasks()).filter((t) => t.DesiredState === 'running' && image(t) === 'web:2').length;
    assert.equal(await count(), 1, 'waiting out the delay after the first slot');
    await h.stop();
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps), new UpdateSupervisor(h.deps), new TaskReaper(h.deps));
    h.startAgent();
    await h.quiesce();
    assert.equal(await count(), 1, 'the delay is still honoured');
    await h.advance(10_000);
    assert.equal(await count(), 2);
    await h.advance(10_000);
    assert.equal(await count(), 3);
    assert.equal((await h.service()).UpdateStatus?.State, 'completed');
  });
});
