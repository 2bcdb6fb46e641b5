import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../test/fakes/clock.js';
import { JobsOrchestrator } from './jobs-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { Harness, aNode, aService, recorder } from './fixtures.testkit.js';

describe('JobsOrchestrator (memory store, fake agent)', () => {
  it('runs a replicated job to TotalCompletions, MaxConcurrent at a time, and again on update', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aService({ mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, specVersion: 1 }));
    let peak = 0;
    h.start(
      recorder(h.store, (c) => {
        const busy = [...c.tasks.values()].filter((t) => t.DesiredState === 'complete' && t.Status.State !== 'complete').length;
        peak = Math.max(peak, busy);
      }),
    );
    h.start(new JobsOrchestrator(h.deps), new RestartSupervisor(h.deps));
    h.startAgent();
    await h.quiesce();
    let svc = await h.service();
    assert.deepEqual(svc.JobStatus?.JobIteration, { Index: 1 });
    let tasks = await h.tasks();
    assert.equal(tasks.filter((t) => t.Status.State === 'complete').length, 5);
    assert.deepEqual(tasks.map((t) => t.Slot).sort(), [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);

    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ForceUpdate = 1));
    await h.quiesce();
    svc = await h.service();
    const iteration = svc.JobStatus?.JobIteration.Index;
    assert.equal(iteration, svc.SpecVersion?.Index);
    tasks = await h.tasks();
    assert.equal(tasks.filter((t) => t.JobIteration?.Index === iteration && t.Status.State === 'complete').length, 5);
  });

  it('restarts failed job tasks (on-failure by default) until the slot completes', async () => {
    let failures = 2;
    await using h = new Harness({ clock: new FakeClock(), behave: () => (failures-- > 0 ? 'fail' : 'exit0') });
    await h.create(aNode('n1'), aService({ mode: { ReplicatedJob: { TotalCompletions: 1 } } }));
    h.start(new JobsOrchestrator(h.deps), new RestartSupervisor(h.deps));
    h.startAgent();
    await h.advance(20_000, 5000);
    const tasks = await h.tasks();
    assert.deepEqual(tasks.map((t) => t.Status.State).sort(), ['complete', 'failed', 'failed']);
    assert.ok(tasks.every((t) => t.Slot === 0));
  });

  it('runs a global job once per node, and on nodes that join later', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aNode('n2'), aService({ mode: { GlobalJob: {} } }));
    h.start(new JobsOrchestrator(h.deps), new RestartSupervisor(h.deps));
    h.startAgent();
    await h.quiesce();
    await h.create(aNode('n3'));
    await h.quiesce();
    const tasks = await h.tasks();
    assert.deepEqual(tasks.map((t) => [t.NodeID, t.Status.State]).sort(), [
      ['n1', 'complete'],
      ['n2', 'complete'],
      ['n3', 'complete'],
    ]);
  });
});
