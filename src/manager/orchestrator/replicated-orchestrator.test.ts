import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../test/fakes/clock.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { UpdateSupervisor } from './update-supervisor.js';
import { Harness, aNode, aService } from './fixtures.testkit.js';

describe('ReplicatedOrchestrator (memory store, fake agent)', () => {
  it('fills slots, scales up and down, and removes everything when the service is deleted', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aNode('n2'), aService({ replicas: 3 }));
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps), new UpdateSupervisor(h.deps), new TaskReaper(h.deps));
    h.startAgent();
    await h.quiesce();
    let tasks = await h.tasks();
    assert.deepEqual(tasks.map((t) => t.Slot).sort(), [1, 2, 3]);
    assert.ok(tasks.every((t) => t.Status.State === 'running' && t.DesiredState === 'running' && t.NodeID !== undefined));

    await h.updateService('svc1', (s) => (s.Spec.Mode = { Replicated: { Replicas: 5 } }));
    await h.quiesce();
    tasks = await h.tasks();
    assert.deepEqual(tasks.map((t) => t.Slot).sort(), [1, 2, 3, 4, 5]);
    const svc = await h.service();
    assert.equal(svc.UpdateStatus, undefined, 'a scale is not an update');
    assert.ok(tasks.every((t) => t.SpecVersion?.Index === svc.SpecVersion?.Index), 'every task is up to date after a scale');

    await h.updateService('svc1', (s) => (s.Spec.Mode = { Replicated: { Replicas: 2 } }));
    await h.quiesce();
    tasks = await h.tasks();
    assert.equal(tasks.length, 2, 'removed tasks are shut down by the agent and deleted by the reaper');
    assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 2, 'the survivors are spread over both nodes');
    assert.ok(tasks.every((t) => t.Status.State === 'running'));

    await h.deleteService('svc1');
    await h.quiesce();
    assert.deepEqual(await h.tasks(), []);
  });

  it('marks tasks of services deleted while it was not running for removal at start', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aService({ replicas: 2 }));
    h.start(new ReplicatedOrchestrator(h.deps));
    await h.quiesce();
    await h.stop();
    await h.deleteService('svc1');
    h.start(new ReplicatedOrchestrator(h.deps));
    await h.quiesce();
    assert.deepEqual((await h.tasks()).map((t) => t.DesiredState), ['remove', 'remove']);
  });
});
