import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../test/fakes/clock.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { Harness, SECOND_NS, aNode, aService } from './fixtures.testkit.js';

const live = (tasks: { DesiredState: string }[]): number => tasks.filter((t) => t.DesiredState === 'running' || t.DesiredState === 'ready').length;

describe('RestartSupervisor (memory store, fake agent)', () => {
  it('replaces a failed task after the restart delay, through the READY gate', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aService({ replicas: 1, restart: { Condition: 'any', Delay: 3 * SECOND_NS } }));
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps));
    h.startAgent();
    await h.quiesce();
    const [first] = await h.tasks();
    assert.equal(first?.Status.State, 'running');

    await h.report(first.ID, 'failed', 'task: non-zero exit (1)');
    await h.quiesce();
    let tasks = await h.tasks();
    const repl = tasks.find((t) => t.ID !== first.ID)!;
    assert.equal(tasks.find((t) => t.ID === first.ID)?.DesiredState, 'shutdown');
    assert.equal(repl.Slot, 1);
    assert.equal(repl.DesiredState, 'ready');
    assert.equal(repl.Status.State, 'ready', 'the agent prepared it and holds it');

    await h.advance(2999); // the delay counts from the failure
    assert.equal((await h.store.view().get('tasks', repl.ID))?.DesiredState, 'ready');
    await h.advance(1);
    tasks = await h.tasks();
    assert.equal(tasks.find((t) => t.ID === repl.ID)?.Status.State, 'running');
  });

  it('keeps counting MaxAttempts across a manager restart, and leaves the slot empty when spent', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aService({ replicas: 1, restart: { Condition: 'on-failure', Delay: 0, MaxAttempts: 2 } }));
    const components = (): [ReplicatedOrchestrator, RestartSupervisor, TaskReaper] => [
      new ReplicatedOrchestrator(h.deps),
      new RestartSupervisor(h.deps),
      new TaskReaper(h.deps),
    ];
    h.start(...components());
    h.startAgent();
    const failRunning = async (): Promise<void> => {
      await h.quiesce();
      const running = (await h.tasks()).find((t) => t.Status.State === 'running');
      assert.ok(running, 'a task runs');
      await h.report(running.ID, 'failed', 'task: non-zero exit (1)');
      await h.quiesce();
    };
    await failRunning(); // restart 1
    await failRunning(); // restart 2
    assert.equal((await h.tasks()).length, 3);

    await h.stop(); // the leader goes away; a new one starts from the store alone
    h.start(...components());
    h.startAgent();
    await failRunning();
    const tasks = await h.tasks();
    assert.equal(tasks.length, 3, 'no third restart');
    assert.equal(live(tasks), 0);
    await h.advance(60_000, 10_000);
    assert.equal((await h.tasks()).length, 3, 'and none later either');
  });

  it('restart condition none leaves an exited task alone, any restarts it even after exit 0', async () => {
    await using h = new Harness({ clock: new FakeClock(), behave: () => 'exit0' });
    await h.create(
      aNode('n1'),
      aService({ id: 'none', name: 'none', replicas: 1, restart: { Condition: 'none' } }),
      aService({ id: 'any', name: 'any', replicas: 1, restart: { Condition: 'any', Delay: 0, MaxAttempts: 1 } }),
    );
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps));
    h.startAgent();
    await h.quiesce();
    assert.equal((await h.tasks('none')).length, 1);
    assert.equal((await h.tasks('any')).length, 2);
  });

  it('moves tasks off a node that goes down or is drained', async () => {
    await using h = new Harness({ clock: new FakeClock(), place: (_t, nodes) => nodes[0]?.ID });
    await h.create(aNode('n1'), aService({ replicas: 2, restart: { Delay: SECOND_NS } }));
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps), new TaskReaper(h.deps));
    h.startAgent();
    await h.quiesce();
    assert.ok((await h.tasks()).every((t) => t.NodeID === 'n1' && t.Status.State === 'running'));

    await h.create(aNode('n2'));
    await h.updateNode('n1', (n) => (n.Spec.Availability = 'drain'));
    await h.quiesce();
    let tasks = await h.tasks();
    const running = tasks.filter((t) => t.Status.State === 'running');
    assert.deepEqual(running.map((t) => t.NodeID), ['n2', 'n2'], 'drain: no restart delay, the old tasks stopped first');
    assert.ok(tasks.filter((t) => t.NodeID === 'n1').every((t) => t.Status.State === 'shutdown' && t.DesiredState === 'shutdown'));

    await h.advance(10_000);
    await h.create(aNode('n3'));
    await h.updateNode('n2', (n) => (n.Status.State = 'down'));
    await h.quiesce();
    tasks = await h.tasks();
    // The node failed, not the tasks: the replacements start without the restart delay (swarm waits it).
    assert.deepEqual(tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running').map((t) => t.NodeID), ['n3', 'n3']);
  });
});
