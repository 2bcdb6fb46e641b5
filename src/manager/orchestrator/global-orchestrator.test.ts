import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../test/fakes/clock.js';
import { GlobalOrchestrator } from './global-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { UpdateSupervisor } from './update-supervisor.js';
import { Harness, aNode, aService } from './fixtures.testkit.js';

describe('GlobalOrchestrator (memory store, fake agent)', () => {
  it('follows nodes: added, paused, drained, relabelled, and updates node by node', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1', { labels: { disk: 'ssd' } }), aNode('n2', { labels: { disk: 'ssd' } }), aService({ mode: { Global: {} }, constraints: ['node.labels.disk==ssd'] }));
    h.start(new GlobalOrchestrator(h.deps), new RestartSupervisor(h.deps), new UpdateSupervisor(h.deps), new TaskReaper(h.deps));
    h.startAgent();
    await h.quiesce();
    const runningOn = async (): Promise<string[]> =>
      (await h.tasks())
        .filter((t) => t.Status.State === 'running' && t.DesiredState === 'running')
        .map((t) => t.NodeID ?? '')
        .sort();
    assert.deepEqual(await runningOn(), ['n1', 'n2']);
    assert.ok((await h.tasks()).every((t) => t.Slot === undefined));

    await h.create(aNode('n3', { labels: { disk: 'ssd' } }), aNode('n4'));
    await h.quiesce();
    assert.deepEqual(await runningOn(), ['n1', 'n2', 'n3'], 'a new node gets a task; one without the label does not');

    await h.updateNode('n1', (n) => (n.Spec.Availability = 'pause'));
    await h.updateNode('n2', (n) => (n.Spec.Availability = 'drain'));
    await h.quiesce();
    assert.deepEqual(await runningOn(), ['n1', 'n3'], 'pause keeps the task; drain shuts it down');

    await h.updateNode('n4', (n) => (n.Spec.Labels = { disk: 'ssd' }));
    await h.updateNode('n3', (n) => (n.Spec.Labels = {}));
    await h.quiesce();
    assert.deepEqual(await runningOn(), ['n1', 'n4']);

    await h.updateNode('n1', (n) => (n.Spec.Availability = 'active'));
    await h.updateService('svc1', (s) => (s.Spec.TaskTemplate.ContainerSpec = { Image: 'web:2' }));
    await h.advance(6000);
    const live = (await h.tasks()).filter((t) => t.DesiredState === 'running');
    assert.deepEqual(live.map((t) => [t.NodeID, t.Spec.ContainerSpec?.Image, t.Status.State]).sort(), [
      ['n1', 'web:2', 'running'],
      ['n4', 'web:2', 'running'],
    ]);
    assert.equal((await h.service()).UpdateStatus?.State, 'completed');
  });
});
