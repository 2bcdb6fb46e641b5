/**
 * Integration (DESIGN §4.8, issue 4): a real manager (store, dispatcher, allocator, scheduler, orchestrators,
 * reaper under its supervisor) and real agents (session, worker, container executor over ContainerService) in one
 * process, talking over the mutual-TLS RPC on 127.0.0.1, each agent on its own fake runtime host
 * (test/builders/cluster.ts). Every scenario asserts on the store (tasks, nodes, services) and on the fake runtime
 * (containers, and the order of their events). Timings are real but short; every wait has a deadline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthConfig, Task } from '../../src/api/types.js';
import { listServices } from '../../src/manager/controlapi/services.js';
import {
  aCluster,
  aServiceSpec,
  clusterImages,
  perNode,
  runningRange,
  type Cluster,
  type ClusterImages,
  type RuntimeEvent,
} from '../builders/cluster.js';

const MS = 1e6; // ns per ms

/** The seq of a task's container's first event of `kind`. */
function seqOf(events: readonly RuntimeEvent[], taskId: string, kind: RuntimeEvent['kind']): number {
  const e = events.find((x) => x.taskId === taskId && x.kind === kind);
  assert.ok(e, `no ${kind} event for task ${taskId}`);
  return e.seq;
}

/**
 * What must hold at the end of every scenario: no error was logged (no component failed, no agent part crashed),
 * each task ran in at most one container, and each container was started at most once (a task runs once; a restart
 * is a new task).
 */
function assertClean(c: Cluster): void {
  assert.deepEqual(c.errors(), []);
  const containersOfTask = new Map<string, Set<string>>();
  const starts = new Map<string, number>();
  for (const e of c.events) {
    const set = containersOfTask.get(e.taskId) ?? new Set<string>();
    set.add(e.containerId);
    containersOfTask.set(e.taskId, set);
    if (e.kind === 'start') starts.set(e.containerId, (starts.get(e.containerId) ?? 0) + 1);
  }
  for (const [task, ids] of containersOfTask) assert.equal(ids.size, 1, `task ${task} ran in ${ids.size} containers`);
  for (const [id, n] of starts) assert.equal(n, 1, `container ${id} was started ${n} times`);
}

function skew(counts: Map<string, number>): number {
  const v = [...counts.values()];
  return Math.max(...v) - Math.min(...v);
}

const slotOf = (t: Task): number => {
  assert.ok(t.Slot !== undefined, `task ${t.ID} has no slot`);
  return t.Slot;
};

/** Waits until the service's tasks satisfy `pred`; returns them. */
async function tasksWhere(c: Cluster, serviceId: string, what: string, pred: (tasks: Task[]) => boolean, timeoutMs = 10_000): Promise<Task[]> {
  return c.until(
    what,
    async () => {
      const tasks = await c.tasks(serviceId);
      return pred(tasks) ? tasks : undefined;
    },
    timeoutMs,
  );
}

/**
 * A barrier: a fresh service of the given kind is created and runs (or, a job, completes). The components that
 * create, place and run its task (its orchestrator, the allocator, the scheduler, the dispatcher, the agents) watch
 * the store in order, so they have processed every event before it. Combined with a wait for the commit a decision
 * would have been part of (a replacement is made in the same commit as its predecessor's SHUTDOWN), a decision not
 * shown by then (a restart, an extra job task, a duplicate) is not coming.
 */
let barriers = 0;
async function settle(c: Cluster, kind: 'replicated' | 'job' = 'replicated'): Promise<void> {
  const name = `barrier${++barriers}`;
  if (kind === 'replicated') {
    await c.createService(aServiceSpec(name, { replicas: 1 }));
    await c.converged(name, 1);
    return;
  }
  const s = await c.createService(aServiceSpec(name, { mode: 'replicated-job', command: ['fake', 'exit', '0'] }));
  await tasksWhere(c, s.ID, `${name} complete`, (ts) => ts.length === 1 && ts[0]?.Status.State === 'complete');
}

void describe('services on an in-process cluster (real manager and agents, fake runtime)', { timeout: 120_000 }, () => {
  let images: ClusterImages;
  before(async () => {
    images = await clusterImages();
  });
  after(async () => {
    await images?.[Symbol.asyncDispose]();
  });

  void it('spreads 3 replicas over 3 nodes, one each, each a running container named <service>.<slot>.<task>', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
    const tasks = await c.converged('web', 3);
    assert.deepEqual([...perNode(c, tasks).values()], [1, 1, 1]);
    assert.deepEqual(tasks.map(slotOf).sort(), [1, 2, 3]);
    for (const t of tasks) {
      assert.equal(t.ServiceID, svc.ID);
      assert.equal(t.Status.Message, 'started');
      assert.equal(t.SpecVersion?.Index, 1);
    }
    const running = c.running('web');
    assert.deepEqual([...perNode(c, running).values()], [1, 1, 1]);
    for (const ctr of running) {
      const t = tasks.find((x) => x.ID === ctr.taskId);
      assert.ok(t, `container ${ctr.name} belongs to no task`);
      assert.equal(ctr.name, `web.${slotOf(t)}.${t.ID}`);
      assert.equal(t.Status.ContainerStatus?.ContainerID, ctr.id);
      assert.deepEqual(ctr.args, ['fake', 'sleep']);
    }
    // Each container was created and started exactly once.
    const events = c.eventsOf('web');
    assert.deepEqual(
      events.map((e) => e.kind).sort(),
      ['create', 'create', 'create', 'start', 'start', 'start'],
    );
    assertClean(c);
  });

  void it('scales 3 → 10 → 2: spread skew ≤ 1 at each step, the extra containers removed and their tasks reaped', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
    await c.converged('web', 3);

    await c.scale('web', 10);
    const ten = await c.converged('web', 10);
    assert.ok(skew(perNode(c, ten)) <= 1, `spread ${JSON.stringify([...perNode(c, ten)])}`);
    assert.deepEqual(ten.map(slotOf).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal((await c.service('web')).SpecVersion, undefined, 'the public view hides SpecVersion');

    await c.scale('web', 2);
    const two = await c.converged('web', 2);
    assert.ok(skew(perNode(c, two)) <= 1, `spread ${JSON.stringify([...perNode(c, two)])}`);
    // The removed tasks are deleted once shut down, and their containers removed from the hosts (not just stopped).
    await tasksWhere(c, svc.ID, 'the scaled-down tasks reaped', (ts) => ts.length === 2);
    await c.until('the extra containers removed', () => (c.containers('web').length === 2 ? true : undefined));
    const events = c.eventsOf('web');
    assert.equal(events.filter((e) => e.kind === 'start').length, 10, 'no task was started twice or replaced');
    assert.equal(events.filter((e) => e.kind === 'remove').length, 8);
    assertClean(c);
  });

  void it('a container that exits 1 fails its task, which is replaced in its slot after the restart delay; an OOM kill too', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 2, restart: { delayMs: 300 } }));
    const [victim] = await c.converged('web', 2);
    assert.ok(victim);
    const ctr = c.running('web').find((x) => x.taskId === victim.ID);
    assert.ok(ctr);
    c.node(ctr.nodeId).exit(ctr.id, 1);

    const tasks = await tasksWhere(c, svc.ID, 'the killed task failed and replaced by a running one', (ts) => {
      const failed = ts.find((t) => t.ID === victim.ID);
      return failed?.Status.State === 'failed' && ts.filter((t) => t.Slot === victim.Slot && t.Status.State === 'running').length === 1;
    });
    const failed = tasks.find((t) => t.ID === victim.ID);
    assert.ok(failed);
    assert.equal(failed.DesiredState, 'shutdown');
    assert.equal(failed.Status.Err, 'task: non-zero exit (1)');
    assert.equal(failed.Status.ContainerStatus?.ExitCode, 1);
    const replacement = tasks.find((t) => t.Slot === victim.Slot && t.ID !== victim.ID);
    assert.ok(replacement);
    assert.equal(replacement.DesiredState, 'running');
    await c.converged('web', 2);
    const next = c.running('web').find((x) => x.taskId === replacement.ID);
    assert.ok(next?.startedAt !== undefined);
    const old = c.containers('web').find((x) => x.id === ctr.id);
    assert.ok(old?.finishedAt !== undefined, 'the failed container stays (exited) while its task is in the history');
    assert.equal(old.status, 'exited');
    assert.ok(next.startedAt - old.finishedAt >= 300, `replacement started ${next.startedAt - old.finishedAt} ms after the exit`);

    // The kernel's OOM killer: exit 137, the same path.
    const oomVictim = c.running('web')[0];
    assert.ok(oomVictim);
    c.node(oomVictim.nodeId).oomKill(oomVictim.id);
    const after = await tasksWhere(c, svc.ID, 'the OOM-killed task failed and replaced', (ts) => {
      const t = ts.find((x) => x.ID === oomVictim.taskId);
      return t?.Status.State === 'failed' && ts.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running').length === 2;
    });
    assert.equal(after.find((x) => x.ID === oomVictim.taskId)?.Status.Err, 'task: non-zero exit (137)');
    assert.equal(after.length, 4);
    await c.converged('web', 2);
    assertClean(c);
  });

  void it('restart max attempts: a task that always fails is run 1 + MaxAttempts times, then its slot is left empty', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(
      aServiceSpec('crash', { replicas: 1, command: ['fake', 'exit', '1'], restart: { condition: 'on-failure', delayMs: 50, maxAttempts: 2 } }),
    );
    // The last attempt is shut down in the same commit that would have created its replacement.
    const tasks = await tasksWhere(
      c,
      svc.ID,
      'three failed attempts, the last one shut down',
      (ts) => ts.length >= 3 && ts.every((t) => t.Status.State === 'failed' && t.DesiredState === 'shutdown'),
    );
    assert.equal(tasks.length, 3);
    assert.ok(tasks.every((t) => t.Slot === 1));
    for (const t of tasks) assert.equal(t.Status.Err, 'task: non-zero exit (1)');
    await settle(c);
    assert.equal((await c.tasks(svc.ID)).length, 3, 'no fourth attempt');
    const starts = c.eventsOf('crash').filter((e) => e.kind === 'start');
    assert.equal(starts.length, 3);
    assert.deepEqual(c.running('crash'), []);
    // Consecutive attempts are at least the restart delay apart.
    const exits = c.eventsOf('crash').filter((e) => e.kind === 'exit');
    for (let i = 1; i < starts.length; i++) {
      const prevExit = exits[i - 1];
      const start = starts[i];
      assert.ok(prevExit && start);
      assert.ok(start.at - prevExit.at >= 50, `attempt ${i + 1} started ${start.at - prevExit.at} ms after the previous exit`);
    }
    assertClean(c);
  });

  void it('node drain: the drained node’s tasks shut down and are rescheduled on the other nodes at once', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 6, restart: { delayMs: 5_000 } }));
    const before = await c.converged('web', 6);
    const drained = c.nodes[2];
    assert.ok(drained);
    const onDrained = before.filter((t) => t.NodeID === drained.id);
    assert.equal(onDrained.length, 2);

    await c.setAvailability(drained, 'drain');
    // The restart delay (5 s) does not apply to tasks moved off a drained node: well within this deadline.
    await tasksWhere(c, svc.ID, 'no task left to run on the drained node', (ts) => !ts.some((t) => t.NodeID === drained.id && t.DesiredState === 'running'), 4_000);
    const after = await c.converged('web', 6, 4_000);
    assert.deepEqual(perNode(c, after).get(drained.hostname), 0);
    assert.ok(skew(new Map([...perNode(c, after)].filter(([h]) => h !== drained.hostname))) <= 1);
    const tasks = await tasksWhere(c, svc.ID, 'the drained node’s tasks shut down', (ts) =>
      onDrained.every((o) => ts.find((t) => t.ID === o.ID)?.Status.State === 'shutdown'),
    );
    for (const o of onDrained) assert.equal(tasks.find((t) => t.ID === o.ID)?.DesiredState, 'shutdown');
    assert.deepEqual(drained.list().filter((x) => x.service === 'web').map((x) => x.status), ['exited', 'exited']);
    assert.equal((await c.store.view().get('nodes', drained.id))?.Status.State, 'ready', 'a drained node stays up');
    assertClean(c);
  });

  void it('node down: after the heartbeat timeout its tasks are replaced elsewhere; when it comes back its old containers stop', async () => {
    await using c = await aCluster(images, { nodes: 3, heartbeatMs: 300 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 6 }));
    const before = await c.converged('web', 6);
    const lost = c.nodes[2];
    assert.ok(lost);
    const orphaned = before.filter((t) => t.NodeID === lost.id).map((t) => t.ID);
    assert.equal(orphaned.length, 2);

    const stoppedAt = Date.now();
    await lost.stop();
    const down = await c.nodeState(lost, 'down');
    const downAfter = Date.now() - stoppedAt;
    assert.equal(down.Status.Message, 'heartbeat failure');
    assert.ok(downAfter >= 2 * c.heartbeatMs, `down ${downAfter} ms after the agent stopped`);
    const after = await c.until('6 running tasks on the two nodes left', async () => {
      const ts = (await c.tasks(svc.ID)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running' && t.NodeID !== lost.id);
      return ts.length === 6 ? ts : undefined;
    });
    assert.equal(skew(new Map([...perNode(c, after)].filter(([h]) => h !== lost.hostname))), 0);
    for (const id of orphaned) assert.equal((await c.store.view().get('tasks', id))?.DesiredState, 'shutdown');
    // The node's containers outlive its agent (conmon keeps them), as on a real partitioned node.
    assert.equal(lost.list().filter((x) => x.service === 'web' && x.status === 'running').length, 2);
    await c.until('6 replacement containers running elsewhere', () =>
      c.running('web').filter((x) => x.nodeId !== lost.id).length === 6 ? true : undefined,
    );

    // The node comes back: its agent adopts its containers, learns their tasks are to shut down, and stops them.
    await lost.start();
    await c.nodeState(lost, 'ready');
    await c.until('the returning node’s old containers stopped', () =>
      lost.list().filter((x) => x.service === 'web' && x.status === 'running').length === 0 ? true : undefined,
    );
    await tasksWhere(c, svc.ID, 'the old tasks reported shut down', (ts) => orphaned.every((id) => ts.find((t) => t.ID === id)?.Status.State === 'shutdown'));
    const final = await c.converged('web', 6);
    assert.equal(final.filter((t) => t.NodeID === lost.id).length, 0, 'running tasks are not moved back');
    assertClean(c);
  });

  void it('global service: one task per node, a joining node gets one, a drained node loses its own', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('agent', { mode: 'global' }));
    const three = await c.converged('agent', 3);
    assert.deepEqual([...perNode(c, three).values()], [1, 1, 1]);
    for (const t of three) assert.equal(t.Slot, undefined, 'global tasks have no slot');
    for (const ctr of c.running('agent')) assert.match(ctr.name, new RegExp(`^agent\\.${ctr.nodeId}\\.${ctr.taskId}$`));

    const joined = await c.addNode({ hostname: 'node-4' });
    const four = await c.converged('agent', 4);
    assert.deepEqual([...perNode(c, four).values()], [1, 1, 1, 1]);
    assert.equal(four.filter((t) => t.NodeID === joined.id).length, 1);

    const drained = c.nodes[1];
    assert.ok(drained);
    const gone = four.find((t) => t.NodeID === drained.id);
    assert.ok(gone);
    await c.setAvailability(drained, 'drain');
    const left = await c.converged('agent', 3);
    assert.equal(left.filter((t) => t.NodeID === drained.id).length, 0);
    const tasks = await tasksWhere(c, svc.ID, 'the drained node’s task shut down', (ts) => ts.find((t) => t.ID === gone.ID)?.Status.State === 'shutdown');
    assert.equal(tasks.find((t) => t.ID === gone.ID)?.DesiredState, 'shutdown');
    assert.deepEqual(drained.list().filter((x) => x.service === 'agent').map((x) => x.status), ['exited']);
    // Reactivated, it gets one again.
    await c.setAvailability(drained, 'active');
    const again = await c.converged('agent', 4);
    assert.deepEqual([...perNode(c, again).values()], [1, 1, 1, 1]);
    assertClean(c);
  });

  void it('rolling update, stop-first: slot by slot, each old container exits before its replacement starts', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    // The old containers ignore SIGTERM, so each takes its 300 ms grace period to stop: a new container that did
    // not wait at the READY gate for the old one to be gone would start first.
    const svc = await c.createService(
      aServiceSpec('web', { replicas: 3, command: ['fake', 'sleep', '--ignore', 'SIGTERM'], stopGraceMs: 300, update: { parallelism: 1, order: 'stop-first', monitorMs: 100 } }),
    );
    const old = await c.converged('web', 3);
    const startSeq = c.events.length;
    const initial = c.running('web').map((x) => x.id);

    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { ...spec.TaskTemplate.ContainerSpec, Image: images.ref('web'), Env: ['VERSION=2'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined));
    const fresh = await c.converged('web', 3);
    for (const t of fresh) {
      assert.equal(t.SpecVersion?.Index, 2);
      assert.equal(t.Spec.ContainerSpec?.Image, images.ref('web'));
    }
    for (const ctr of c.running('web')) assert.deepEqual(ctr.env.filter((e) => e.startsWith('VERSION=')), ['VERSION=2']);

    const events = c.eventsOf('web').filter((e) => e.seq > startSeq);
    for (const o of old) {
      const n = fresh.find((t) => t.Slot === o.Slot);
      assert.ok(n, `slot ${o.Slot} was not updated`);
      assert.ok(seqOf(events, o.ID, 'exit') < seqOf(events, n.ID, 'start'), `slot ${o.Slot}: the new container started before the old one stopped`);
      assert.equal(events.find((e) => e.taskId === o.ID && e.kind === 'exit')?.exitCode, 137, 'killed after its grace period');
    }
    // Parallelism 1: never fewer than replicas − 1 running, never more than replicas.
    assert.deepEqual(runningRange(events, initial), { min: 2, max: 3 });
    const status = (await c.service('web')).UpdateStatus;
    assert.equal(status?.Message, 'update completed');
    assert.ok(status.CompletedAt !== undefined);
    const all = await c.tasks(svc.ID);
    assert.equal(all.length, 6, 'one new task per slot, nothing restarted');
    assertClean(c);
  });

  void it('rolling update, start-first: each new container starts before the old one stops', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    await c.createService(aServiceSpec('web', { replicas: 3, update: { parallelism: 1, order: 'start-first', monitorMs: 100 } }));
    const old = await c.converged('web', 3);
    const startSeq = c.events.length;
    const initial = c.running('web').map((x) => x.id);

    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { ...spec.TaskTemplate.ContainerSpec, Image: images.ref('web'), Env: ['VERSION=2'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined));
    const fresh = await c.converged('web', 3);
    const events = c.eventsOf('web').filter((e) => e.seq > startSeq);
    for (const o of old) {
      const n = fresh.find((t) => t.Slot === o.Slot);
      assert.ok(n, `slot ${o.Slot} was not updated`);
      assert.ok(seqOf(events, n.ID, 'start') < seqOf(events, o.ID, 'exit'), `slot ${o.Slot}: the old container stopped before the new one started`);
    }
    // Parallelism 1: never fewer than replicas running, never more than replicas + 1.
    assert.deepEqual(runningRange(events, initial), { min: 3, max: 4 });
    assertClean(c);
  });

  void it('failure_action rollback: new tasks that exit 1 roll the service back to its previous spec', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3, update: { parallelism: 1, failureAction: 'rollback', monitorMs: 500 } }));
    await c.converged('web', 3);

    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Command: ['fake', 'exit', '1'] };
    });
    const done = await c.until('rollback completed', async () => {
      const s = await c.service('web');
      return s.UpdateStatus?.State === 'rollback_completed' ? s : undefined;
    });
    assert.deepEqual(done.Spec.TaskTemplate.ContainerSpec?.Command, ['fake', 'sleep']);
    assert.equal(done.PreviousSpec, undefined, 'an automatic rollback consumes the previous spec, as in swarmkit');
    assert.equal(done.UpdateStatus?.Message, 'rollback completed');
    const final = await c.converged('web', 3);
    for (const t of final) assert.deepEqual(t.Spec.ContainerSpec?.Command, ['fake', 'sleep']);
    for (const ctr of c.running('web')) assert.deepEqual(ctr.args, ['fake', 'sleep']);
    const failed = (await c.tasks(svc.ID)).filter((t) => t.Status.State === 'failed');
    assert.ok(failed.length >= 1, 'a new task failed');
    for (const t of failed) assert.deepEqual(t.Spec.ContainerSpec?.Command, ['fake', 'exit', '1']);
    assertClean(c);
  });

  void it('failure_action pause: the update stops after the first failure; a manual rollback restores the service', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3, update: { parallelism: 1, failureAction: 'pause', monitorMs: 500 } }));
    const old = await c.converged('web', 3);
    const oldContainers = c.running('web').map((x) => x.id).sort();

    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Command: ['fake', 'exit', '1'] };
      spec.TaskTemplate.RestartPolicy = { ...spec.TaskTemplate.RestartPolicy, Condition: 'none' };
    });
    const paused = await c.until('update paused', async () => {
      const s = await c.service('web');
      return s.UpdateStatus?.State === 'paused' ? s : undefined;
    });
    assert.match(paused.UpdateStatus?.Message ?? '', /^update paused due to failure or early termination of task [0-9a-z]{25}$/);
    const tasks = await c.tasks(svc.ID);
    const fresh = tasks.filter((t) => t.SpecVersion?.Index === 2);
    assert.equal(fresh.length, 1, 'parallelism 1: one slot was updated before the pause');
    assert.equal(fresh[0]?.Status.State, 'failed');
    const touched = fresh[0]?.Slot;
    // The two other slots still run their original containers.
    await settle(c);
    const stillRunning = c.running('web').map((x) => x.id).sort();
    assert.equal(stillRunning.length, 2);
    for (const id of stillRunning) assert.ok(oldContainers.includes(id));
    assert.deepEqual(
      old.filter((t) => t.Slot !== touched).map((t) => t.ID).sort(),
      c.running('web').map((x) => x.taskId).sort(),
    );
    assert.equal((await c.tasks(svc.ID)).filter((t) => t.SpecVersion?.Index === 2).length, 1, 'nothing more was updated while paused');

    // `docker service rollback`.
    await c.updateService('web', () => undefined, { rollback: true });
    await c.until('rollback completed', async () => ((await c.service('web')).UpdateStatus?.State === 'rollback_completed' ? true : undefined));
    const final = await c.converged('web', 3);
    for (const t of final) assert.deepEqual(t.Spec.ContainerSpec?.Command, ['fake', 'sleep']);
    assertClean(c);
  });

  void it('replicated job: at most MaxConcurrent run at once, until TotalCompletions tasks completed', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('batch', { mode: 'replicated-job', maxConcurrent: 2, totalCompletions: 5, command: ['fake', 'sleep'] }));
    // Each round: wait for the running containers, then let the oldest finish (exit 0).
    for (let done = 0; done < 5; done++) {
      const expect = Math.min(2, 5 - done);
      const running = await c.until(`${expect} job containers running (after ${done} completions)`, () => {
        const r = c.running('batch');
        return r.length === expect ? r : undefined;
      });
      const first = running.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0))[0];
      assert.ok(first);
      c.node(first.nodeId).exit(first.id, 0);
      await tasksWhere(c, svc.ID, `task ${first.taskId} complete`, (ts) => ts.find((t) => t.ID === first.taskId)?.Status.State === 'complete');
    }
    const tasks = await tasksWhere(c, svc.ID, '5 completed tasks', (ts) => ts.filter((t) => t.Status.State === 'complete').length === 5);
    await settle(c, 'job');
    assert.equal((await c.tasks(svc.ID)).length, 5, 'no task beyond TotalCompletions');
    for (const t of tasks) {
      assert.equal(t.DesiredState, 'complete');
      assert.equal(t.JobIteration?.Index, 1);
    }
    assert.deepEqual(tasks.map(slotOf).sort(), [0, 1, 2, 3, 4], 'job slots are zero-based');
    assert.ok(runningRange(c.eventsOf('batch')).max <= 2, 'never more than MaxConcurrent running');
    const batch = (await listServices(c.control, { status: true })).find((s) => s.Spec.Name === 'batch');
    assert.deepEqual(batch?.ServiceStatus, { RunningTasks: 0, DesiredTasks: 2, CompletedTasks: 5 });
    assertClean(c);
  });

  void it('constraints: tasks go only to matching nodes; with none matching the task stays pending with the reason', async () => {
    await using c = await aCluster(images, { nodes: [{}, { labels: { zone: 'a' } }, { labels: { zone: 'a' } }] });
    await c.createService(aServiceSpec('zoned', { replicas: 4, constraints: ['node.labels.zone==a'] }));
    const zoned = await c.converged('zoned', 4);
    const counts = perNode(c, zoned);
    assert.deepEqual([...counts.values()], [0, 2, 2]);
    assert.deepEqual(c.nodes[0]?.list().filter((x) => x.service === 'zoned'), []);

    const nowhere = await c.createService(aServiceSpec('nowhere', { replicas: 1, constraints: ['node.labels.zone==b'] }));
    const [pending] = await tasksWhere(c, nowhere.ID, 'an unschedulable task with its reason', (ts) => ts[0]?.Status.Err !== undefined);
    assert.ok(pending);
    assert.equal(pending.Status.State, 'pending');
    assert.equal(pending.NodeID, undefined);
    assert.equal(pending.Status.Err, 'no suitable node (scheduling constraints not satisfied on 3 nodes)');
    assert.deepEqual(c.containers('nowhere'), []);

    // A node labelled to match takes it.
    const n1 = c.nodes[0];
    assert.ok(n1);
    await c.setLabels(n1, { zone: 'b' });
    const [placed] = await c.converged('nowhere', 1);
    assert.equal(placed?.ID, pending.ID, 'the pending task itself is placed');
    assert.equal(placed?.NodeID, n1.id);
    assertClean(c);
  });

  void it('constraints on node.role, node.hostname and engine.labels', async () => {
    await using c = await aCluster(images, { nodes: [{}, { engineLabels: { disk: 'ssd' } }, {}] });
    await c.createService(aServiceSpec('on-manager', { replicas: 2, constraints: ['node.role==manager'] }));
    await c.createService(aServiceSpec('not-node-1', { replicas: 4, constraints: ['node.hostname!=node-1'] }));
    await c.createService(aServiceSpec('on-ssd', { replicas: 2, constraints: ['engine.labels.disk==ssd', 'node.role==worker'] }));
    assert.deepEqual([...perNode(c, await c.converged('on-manager', 2)).values()], [2, 0, 0]);
    assert.deepEqual([...perNode(c, await c.converged('not-node-1', 4)).values()], [0, 2, 2]);
    assert.deepEqual([...perNode(c, await c.converged('on-ssd', 2)).values()], [0, 2, 0]);
    assertClean(c);
  });

  void it('reservations larger than any node: the task stays pending with "insufficient resources"', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('huge', { replicas: 2, reserveMemory: 2 ** 40 }));
    const tasks = await tasksWhere(c, svc.ID, 'unschedulable tasks with their reason', (ts) => ts.length === 2 && ts.every((t) => t.Status.Err !== undefined));
    for (const t of tasks) {
      assert.equal(t.Status.State, 'pending');
      assert.equal(t.Status.Err, 'no suitable node (insufficient resources on 3 nodes)');
    }
    // A reservation that fits two per node on 3 nodes: 4 GiB of 8 GiB each.
    await c.createService(aServiceSpec('fits', { replicas: 7, reserveMemory: 4 * 2 ** 30 }));
    const fits = await tasksWhere(c, (await c.service('fits')).ID, '6 placed and one pending', (ts) => ts.filter((t) => t.Status.State === 'running').length === 6 && ts.some((t) => t.Status.Err !== undefined));
    assert.deepEqual([...perNode(c, fits.filter((t) => t.NodeID !== undefined)).values()], [2, 2, 2]);
    assert.equal(fits.find((t) => t.Status.State === 'pending')?.Status.Err, 'no suitable node (insufficient resources on 3 nodes)');
    assert.deepEqual(c.containers('huge'), []);
    assert.equal(c.running('fits').length, 6);
    assertClean(c);
  });

  void it('an image that cannot be pulled: the task is rejected with docker’s "No such image"', async () => {
    await using c = await aCluster(images, { nodes: 1 });
    const svc = await c.createService(aServiceSpec('ghost', { image: '127.0.0.1:1/nowhere/ghost:1', restart: { condition: 'none' } }));
    const [t] = await tasksWhere(c, svc.ID, 'a rejected task', (ts) => ts[0]?.Status.State === 'rejected');
    assert.ok(t);
    assert.match(t.Status.Err ?? '', /No such image: 127\.0\.0\.1:1\/nowhere\/ghost:1/);
    assert.equal(t.DesiredState, 'shutdown');
    assert.deepEqual(c.containers('ghost'), []);
  });

  void it('service removal: every container is removed from every host and every task deleted', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 5 }));
    await c.converged('web', 5);
    // A failed task in the history keeps its (exited) container until the service goes.
    const victim = c.running('web')[0];
    assert.ok(victim);
    c.node(victim.nodeId).exit(victim.id, 3);
    await c.converged('web', 5);
    assert.equal(c.containers('web').length, 6);

    await c.removeService('web');
    await c.until('every container removed', () => (c.containers('web').length === 0 ? true : undefined));
    await tasksWhere(c, svc.ID, 'every task deleted', (ts) => ts.length === 0);
    for (const n of c.nodes) assert.deepEqual(n.workerTasks().filter((r) => r.task.ServiceID === svc.ID), []);
    await c.until('every container record removed', () => (c.nodes.every((n) => !n.dockerPs().some((x) => x.name.startsWith('web.'))) ? true : undefined));
    assertClean(c);
  });

  void it('healthchecks: a task runs only once healthy; an unhealthy one is stopped, failed and replaced', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const check = (code: number, retries: number): HealthConfig => ({ Test: ['CMD', 'fake', 'exit', String(code)], Interval: 50 * MS, Timeout: 1000 * MS, Retries: retries });
    await c.createService(aServiceSpec('fine', { replicas: 2, healthcheck: check(0, 1) }));
    const fine = await c.converged('fine', 2);
    for (const t of fine) {
      const ctr = c.running('fine').find((x) => x.taskId === t.ID);
      assert.ok(ctr);
      const probes = c.node(ctr.nodeId).host.execs.filter((e) => e.containerId === ctr.id);
      assert.ok(probes.length >= 1, 'running only after a passing probe');
      assert.deepEqual(probes[0]?.spec.args, ['fake', 'exit', '0']);
    }

    const sick = await c.createService(
      aServiceSpec('sick', { replicas: 1, healthcheck: check(1, 2), restart: { condition: 'on-failure', delayMs: 50, maxAttempts: 1 } }),
    );
    const tasks = await tasksWhere(c, sick.ID, 'both attempts failed unhealthy', (ts) => ts.length === 2 && ts.every((t) => t.Status.State === 'failed' && t.DesiredState === 'shutdown'));
    for (const t of tasks) {
      assert.equal(t.Status.Err, 'task: non-zero exit (143): unhealthy container');
      assert.equal(t.Slot, 1);
    }
    // Never reported running: it was held at starting until the verdict.
    const starts = c.eventsOf('sick').filter((e) => e.kind === 'start');
    assert.equal(starts.length, 2);
    assert.deepEqual(c.running('sick'), []);
    assertClean(c);
  });

  void it('max replicas per node and host-mode ports: no node takes more than it may; the rest stays pending with the reason', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const capped = await c.createService(aServiceSpec('capped', { replicas: 5, maxReplicasPerNode: 1 }));
    const ct = await tasksWhere(c, capped.ID, '3 running and 2 pending', (ts) => ts.filter((t) => t.Status.State === 'running').length === 3 && ts.filter((t) => t.Status.Err !== undefined).length === 2);
    assert.deepEqual([...perNode(c, ct.filter((t) => t.NodeID !== undefined)).values()], [1, 1, 1]);
    for (const t of ct.filter((x) => x.Status.State === 'pending')) assert.equal(t.Status.Err, 'no suitable node (max replicas per node limit exceed)');

    const ported = await c.createService(aServiceSpec('ported', { replicas: 4, hostPorts: [{ published: 8080, target: 80 }] }));
    const pt = await tasksWhere(c, ported.ID, '3 running and 1 pending', (ts) => ts.filter((t) => t.Status.State === 'running').length === 3 && ts.some((t) => t.Status.Err !== undefined));
    assert.deepEqual([...perNode(c, pt.filter((t) => t.NodeID !== undefined)).values()], [1, 1, 1]);
    assert.equal(pt.find((t) => t.NodeID === undefined)?.Status.Err, 'no suitable node (host-mode port already in use on 3 nodes)');
    assert.equal(c.running('ported').length, 3);

    // A fourth node takes one more of each.
    await c.addNode();
    await tasksWhere(c, capped.ID, '4 capped tasks running', (ts) => ts.filter((t) => t.Status.State === 'running').length === 4);
    await c.converged('ported', 4);
    assertClean(c);
  });

  void it('spread preference over node.labels.zone: replicas split evenly between zones, then between nodes', async () => {
    await using c = await aCluster(images, { nodes: [{ labels: { zone: 'a' } }, { labels: { zone: 'b' } }, { labels: { zone: 'b' } }, {}] });
    await c.createService(aServiceSpec('spread', { replicas: 6, spread: 'node.labels.zone' }));
    const tasks = await c.converged('spread', 6);
    // Three groups (a, b, and the nodes without the label), two tasks each.
    assert.deepEqual([...perNode(c, tasks).values()], [2, 1, 1, 2]);
    assertClean(c);
  });

  void it('node pause: its tasks keep running, new tasks go elsewhere', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
    const before = await c.converged('web', 3);
    const paused = c.nodes[2];
    assert.ok(paused);
    const kept = before.find((t) => t.NodeID === paused.id);
    assert.ok(kept);
    await c.setAvailability(paused, 'pause');
    await c.scale('web', 7);
    const after = await c.converged('web', 7);
    assert.deepEqual(after.filter((t) => t.NodeID === paused.id).map((t) => t.ID), [kept.ID]);
    assert.deepEqual([...perNode(c, after).values()], [3, 3, 1]);
    assert.equal((await c.tasks(svc.ID)).length, 7);
    assertClean(c);
  });

  void it('agent restart within the heartbeat grace: containers adopted, nothing replaced; an exit while it was away is noticed', async () => {
    await using c = await aCluster(images, { nodes: 2, heartbeatMs: 500 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 4 }));
    const before = await c.converged('web', 4);
    const n = c.nodes[1];
    assert.ok(n);
    const seq = c.events.length;
    await n.stop();
    await n.start();
    await c.until('a new session', () => (n.sessionId !== undefined ? true : undefined));
    await settle(c);
    const same = await c.converged('web', 4);
    assert.deepEqual(same.map((t) => t.ID).sort(), before.map((t) => t.ID).sort());
    assert.deepEqual(c.eventsOf('web').filter((e) => e.seq > seq), [], 'no container created, started or stopped');

    // While its agent is away, one of its containers exits: the restarted agent reports the failure.
    const victim = n.list().find((x) => x.service === 'web' && x.status === 'running');
    assert.ok(victim);
    await n.stop();
    n.exit(victim.id, 2);
    await n.start();
    const tasks = await tasksWhere(c, svc.ID, 'the exit reported and the task replaced', (ts) =>
      ts.find((t) => t.ID === victim.taskId)?.Status.State === 'failed' && ts.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length === 4,
    );
    assert.equal(tasks.find((t) => t.ID === victim.taskId)?.Status.Err, 'task: non-zero exit (2)');
    await c.converged('web', 4);
    assertClean(c);
  });

  void it('task history retention: old tasks beyond the limit are deleted and their containers removed', async () => {
    await using c = await aCluster(images, { nodes: 1, taskHistoryLimit: 2 });
    const svc = await c.createService(aServiceSpec('flaky', { replicas: 1, restart: { delayMs: 20 } }));
    for (let i = 0; i < 5; i++) {
      const [t] = await c.converged('flaky', 1);
      assert.ok(t);
      const ctr = c.running('flaky').find((x) => x.taskId === t.ID);
      assert.ok(ctr);
      c.node(ctr.nodeId).exit(ctr.id, 1);
      await tasksWhere(c, svc.ID, `attempt ${i + 1} replaced`, (ts) => ts.some((x) => x.ID !== t.ID && Date.parse(x.CreatedAt) > Date.parse(t.CreatedAt) && x.DesiredState === 'running'));
    }
    await c.converged('flaky', 1);
    const tasks = await tasksWhere(c, svc.ID, 'the history trimmed to 2', (ts) => ts.length === 2);
    await c.until('the reaped tasks’ containers removed', () => (c.containers('flaky').length === 2 ? true : undefined));
    assert.deepEqual(
      c.containers('flaky').map((x) => x.taskId).sort(),
      tasks.map((t) => t.ID).sort(),
    );
    assert.equal(c.eventsOf('flaky').filter((e) => e.kind === 'start').length, 6);
    assertClean(c);
  });

  void it('global job: one task per node runs to completion, and nothing more', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('once-everywhere', { mode: 'global-job', command: ['fake', 'exit', '0'] }));
    const tasks = await tasksWhere(c, svc.ID, '3 completed tasks', (ts) => ts.length === 3 && ts.every((t) => t.Status.State === 'complete'));
    assert.deepEqual([...perNode(c, tasks).values()], [1, 1, 1]);
    await settle(c, 'job');
    assert.equal((await c.tasks(svc.ID)).length, 3);
    assert.equal(c.eventsOf('once-everywhere').filter((e) => e.kind === 'start').length, 3);
    assertClean(c);
  });

  void it('manager restart (SQLite store reopened): converged state kept, no duplicate tasks, the agents reconnect', async () => {
    await using c = await aCluster(images, { nodes: 3, backend: 'sqlite' });
    const svc = await c.createService(aServiceSpec('web', { replicas: 4 }));
    const before = await c.converged('web', 4);
    const containersBefore = c.running('web').map((x) => x.id).sort();
    const sessions = c.nodes.map((n) => n.sessionId);
    const seq = c.events.length;

    await c.stopManager();
    await c.until('every agent lost its session', () => (c.nodes.every((n) => n.sessionId === undefined) ? true : undefined));
    await c.reopenStore();
    await c.startManager();
    await c.until('every agent in a new session', () =>
      c.nodes.every((n, i) => n.sessionId !== undefined && n.sessionId !== sessions[i]) ? true : undefined,
    );
    for (const n of c.nodes) await c.nodeState(n, 'ready');

    await settle(c);
    const after = await c.converged('web', 4);
    assert.deepEqual(after.map((t) => t.ID).sort(), before.map((t) => t.ID).sort(), 'the same tasks');
    assert.equal((await c.tasks(svc.ID)).length, 4, 'no duplicate tasks');
    assert.deepEqual(c.running('web').map((x) => x.id).sort(), containersBefore, 'the same containers');
    assert.deepEqual(c.eventsOf('web').filter((e) => e.seq > seq), [], 'no container touched');

    // And it still works.
    await c.scale('web', 5);
    await c.converged('web', 5);
    assert.equal((await c.tasks(svc.ID)).length, 5);
    assertClean(c);
  });

  void it('manager restart keeps the restart history: MaxAttempts counts restarts made before it', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('once', { replicas: 1, restart: { condition: 'on-failure', delayMs: 50, maxAttempts: 1 } }));
    const [first] = await c.converged('once', 1);
    assert.ok(first);
    const kill = (taskId: string): void => {
      const ctr = c.running('once').find((x) => x.taskId === taskId);
      assert.ok(ctr, `no running container for task ${taskId}`);
      c.node(ctr.nodeId).exit(ctr.id, 1);
    };
    kill(first.ID);
    const [second] = await c.until('the one restart', async () => {
      const ts = await c.converged('once', 1);
      return ts[0]?.ID !== first.ID ? ts : undefined;
    });
    assert.ok(second);

    const sessions = c.nodes.map((n) => n.sessionId);
    await c.stopManager();
    await c.startManager();
    await c.until('every agent in a new session', () =>
      c.nodes.every((n, i) => n.sessionId !== undefined && n.sessionId !== sessions[i]) ? true : undefined,
    );
    kill(second.ID);
    await tasksWhere(c, svc.ID, 'the second failure shut down', (ts) => ts.find((t) => t.ID === second.ID)?.DesiredState === 'shutdown' && ts.find((t) => t.ID === second.ID)?.Status.State === 'failed');
    await settle(c);
    const tasks = await c.tasks(svc.ID);
    assert.equal(tasks.length, 2, 'MaxAttempts 1: no second restart, even across a manager restart');
    assert.deepEqual(c.running('once'), []);
    assertClean(c);
  });

  void it('manager restart in the middle of a rolling update: the update resumes and completes, one new task per slot', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 4, update: { parallelism: 1, delayMs: 300, monitorMs: 100 } }));
    const old = await c.converged('web', 4);
    const startSeq = c.events.length;
    const initial = c.running('web').map((x) => x.id);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('web'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await tasksWhere(c, svc.ID, 'the first slot updated', (ts) => ts.some((t) => t.SpecVersion?.Index === 2 && t.Status.State === 'running'));
    await c.stopManager();
    await c.startManager();
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
    const fresh = await c.converged('web', 4);
    const all = await c.tasks(svc.ID);
    assert.equal(all.length, 8, 'exactly one new task per slot');
    assert.deepEqual(fresh.map(slotOf).sort(), [1, 2, 3, 4]);
    for (const t of fresh) assert.equal(t.SpecVersion?.Index, 2);
    const events = c.eventsOf('web').filter((e) => e.seq > startSeq);
    for (const o of old) {
      const n = fresh.find((t) => t.Slot === o.Slot);
      assert.ok(n);
      assert.ok(seqOf(events, o.ID, 'exit') < seqOf(events, n.ID, 'start'), `slot ${o.Slot}: stop-first order`);
    }
    assert.deepEqual(runningRange(events, initial), { min: 3, max: 4 });
    assertClean(c);
  });

  void it('manager restart while a replacement waits out its restart delay: the delay still holds, one replacement', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 1, restart: { delayMs: 1500 } }));
    const [first] = await c.converged('web', 1);
    assert.ok(first);
    const ctr = c.running('web')[0];
    assert.ok(ctr);
    c.node(ctr.nodeId).exit(ctr.id, 1);
    const [, held] = await tasksWhere(c, svc.ID, 'a replacement held at ready', (ts) => ts.length === 2 && ts[1]?.DesiredState === 'ready');
    assert.ok(held);
    await c.stopManager();
    await c.startManager();
    const [t] = await c.converged('web', 1);
    assert.equal(t?.ID, held.ID, 'the held replacement is the one released');
    const old = c.containers('web').find((x) => x.id === ctr.id);
    const next = c.running('web')[0];
    assert.ok(old?.finishedAt !== undefined && next?.startedAt !== undefined);
    assert.ok(next.startedAt - old.finishedAt >= 1500, `released ${next.startedAt - old.finishedAt} ms after the exit`);
    assert.equal((await c.tasks(svc.ID)).length, 2);
    assertClean(c);
  });

  void it('a container that exits while the manager is down: reported when the agent reconnects, then replaced', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
    await c.converged('web', 3);
    await c.stopManager();
    const victim = c.running('web')[0];
    assert.ok(victim);
    c.node(victim.nodeId).exit(victim.id, 7);
    await c.until('the worker saw the exit', () =>
      c.node(victim.nodeId).workerTasks().find((r) => r.task.ID === victim.taskId)?.status.State === 'failed' ? true : undefined,
    );
    await c.startManager();
    const tasks = await tasksWhere(c, svc.ID, 'the failure reported and replaced', (ts) => ts.find((t) => t.ID === victim.taskId)?.Status.State === 'failed' && ts.length === 4);
    assert.equal(tasks.find((t) => t.ID === victim.taskId)?.Status.Err, 'task: non-zero exit (7)');
    await c.converged('web', 3);
    await settle(c);
    assert.equal((await c.tasks(svc.ID)).length, 4);
    assertClean(c);
  });

  void it('rolling update with parallelism 2 and a delay: at most 2 slots in flight', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    await c.createService(aServiceSpec('web', { replicas: 6, update: { parallelism: 2, delayMs: 100, monitorMs: 100 } }));
    await c.converged('web', 6);
    const startSeq = c.events.length;
    const initial = c.running('web').map((x) => x.id);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('web'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined));
    await c.converged('web', 6);
    const events = c.eventsOf('web').filter((e) => e.seq > startSeq);
    assert.deepEqual(runningRange(events, initial), { min: 4, max: 6 });
    assertClean(c);
  });

  void it('a replicated job runs again when updated: a new iteration, the old one left as it was', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('batch', { mode: 'replicated-job', maxConcurrent: 3, totalCompletions: 3, command: ['fake', 'exit', '0'] }));
    const first = await tasksWhere(c, svc.ID, '3 completions', (ts) => ts.filter((t) => t.Status.State === 'complete').length === 3);
    await c.updateService('batch', (spec) => {
      spec.TaskTemplate.ForceUpdate = 1;
    });
    const tasks = await tasksWhere(c, svc.ID, '3 more completions in iteration 2', (ts) => ts.filter((t) => t.JobIteration?.Index === 2 && t.Status.State === 'complete').length === 3);
    await settle(c, 'job');
    const all = await c.tasks(svc.ID);
    assert.equal(all.length, 6);
    for (const t of first) assert.equal(all.find((x) => x.ID === t.ID)?.Status.State, 'complete');
    assert.equal(tasks.filter((t) => t.JobIteration?.Index === 2).length, 3);
    assert.equal(c.eventsOf('batch').filter((e) => e.kind === 'start').length, 6);
    assertClean(c);
  });

  void it('restart conditions: exit 0 completes the task; "any" replaces it, "on-failure" and "none" leave the slot empty', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const ids: Record<string, string> = {};
    for (const condition of ['any', 'on-failure', 'none'] as const) {
      ids[condition] = (await c.createService(aServiceSpec(`cond-${condition}`, { replicas: 1, restart: { condition, delayMs: 20 } }))).ID;
      await c.converged(`cond-${condition}`, 1);
    }
    for (const condition of ['any', 'on-failure', 'none'] as const) {
      const ctr = c.running(`cond-${condition}`)[0];
      assert.ok(ctr);
      c.node(ctr.nodeId).exit(ctr.id, 0);
    }
    for (const condition of ['any', 'on-failure', 'none'] as const) {
      await tasksWhere(c, ids[condition] ?? '', `cond-${condition}: the first task complete and shut down`, (ts) => ts[0]?.Status.State === 'complete' && ts[0].DesiredState === 'shutdown');
    }
    await c.converged('cond-any', 1);
    await settle(c);
    assert.equal((await c.tasks(ids.any ?? '')).length, 2);
    assert.equal((await c.tasks(ids['on-failure'] ?? '')).length, 1);
    assert.equal((await c.tasks(ids.none ?? '')).length, 1);
    assert.deepEqual(c.running('cond-on-failure'), []);
    assert.deepEqual(c.running('cond-none'), []);
    // `on-failure` does replace a failure.
    await c.updateService('cond-on-failure', (spec) => {
      spec.TaskTemplate.ForceUpdate = 1;
    });
    await c.converged('cond-on-failure', 1);
    const ctr = c.running('cond-on-failure')[0];
    assert.ok(ctr);
    c.node(ctr.nodeId).exit(ctr.id, 1);
    await tasksWhere(c, ids['on-failure'] ?? '', 'the failure replaced', (ts) => ts.length === 3 && ts[2]?.DesiredState === 'running');
    await c.converged('cond-on-failure', 1);
    assertClean(c);
  });

  void it('restart window: MaxAttempts counts only the restarts inside the window', async () => {
    await using c = await aCluster(images, { nodes: 1 });
    const windowMs = 400;
    const svc = await c.createService(aServiceSpec('windowed', { replicas: 1, restart: { condition: 'on-failure', delayMs: 20, maxAttempts: 1, windowMs } }));
    const kill = async (): Promise<Task> => {
      const [t] = await c.converged('windowed', 1);
      assert.ok(t);
      const ctr = c.running('windowed').find((x) => x.taskId === t.ID);
      assert.ok(ctr);
      c.node(ctr.nodeId).exit(ctr.id, 1);
      return t;
    };
    await kill();
    const [, second] = await tasksWhere(c, svc.ID, 'the first restart', (ts) => ts.length === 2 && ts[1]?.Status.State === 'running');
    assert.ok(second);
    // Once the first restart is older than the window, a failure may be restarted again.
    await c.until('the first restart out of the window', () => (Date.now() - Date.parse(second.CreatedAt) > windowMs + 50 ? true : undefined));
    await kill();
    const [, , third] = await tasksWhere(c, svc.ID, 'a second restart', (ts) => ts.length === 3 && ts[2]?.Status.State === 'running');
    assert.ok(third);
    // A failure right away: the restart inside the window spends MaxAttempts.
    await kill();
    await tasksWhere(c, svc.ID, 'the third failure shut down', (ts) => ts[2]?.Status.State === 'failed' && ts[2].DesiredState === 'shutdown');
    await settle(c);
    assert.equal((await c.tasks(svc.ID)).length, 3);
    assertClean(c);
  });

  void it('scale to 0 and back; removing a service while its replacement is held at ready', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3, restart: { delayMs: 10_000 } }));
    await c.converged('web', 3);
    await c.scale('web', 0);
    await tasksWhere(c, svc.ID, 'every task reaped', (ts) => ts.length === 0);
    await c.until('every container removed', () => (c.containers('web').length === 0 ? true : undefined));
    await c.scale('web', 2);
    await c.converged('web', 2);

    // A replacement held at READY for its (long) restart delay: its container is created (docker create: a record,
    // no runtime container yet) but not started.
    const ctr = c.running('web')[0];
    assert.ok(ctr);
    c.node(ctr.nodeId).exit(ctr.id, 1);
    const held = await c.until('a replacement prepared and held at ready', async () => {
      const t = (await c.tasks(svc.ID)).find((x) => x.DesiredState === 'ready' && x.Status.State === 'ready');
      return t && c.nodes.some((n) => n.dockerPs().some((x) => x.name === `web.${t.Slot}.${t.ID}` && x.state === 'created')) ? t : undefined;
    });
    assert.ok(held.NodeID !== undefined);
    assert.ok(!c.containers('web').some((x) => x.taskId === held.ID), 'nothing on the runtime before start');
    await c.removeService('web');
    await c.until('every container removed', () => (c.containers('web').length === 0 ? true : undefined));
    await tasksWhere(c, svc.ID, 'every task deleted', (ts) => ts.length === 0);
    await c.until('every container record removed', () => (c.nodes.every((n) => !n.dockerPs().some((x) => x.name.startsWith('web.'))) ? true : undefined));
    assert.equal(c.eventsOf('web').filter((e) => e.kind === 'start' && e.taskId === held.ID).length, 0, 'the held task never started');
    assertClean(c);
  });

  void it('global service follows node labels: a node that stops matching loses its task, one that starts matching gets one', async () => {
    await using c = await aCluster(images, { nodes: [{ labels: { role: 'edge' } }, { labels: { role: 'edge' } }, {}] });
    const svc = await c.createService(aServiceSpec('edge', { mode: 'global', constraints: ['node.labels.role==edge'] }));
    const two = await c.converged('edge', 2);
    assert.deepEqual([...perNode(c, two).values()], [1, 1, 0]);
    const [n1, , n3] = c.nodes;
    assert.ok(n1 && n3);
    await c.setLabels(n3, { role: 'edge' });
    await c.setLabels(n1, {});
    const after = await tasksWhere(c, svc.ID, 'the task moved with the label', (ts) => {
      const live = ts.filter((t) => t.DesiredState === 'running');
      return live.length === 2 && live.some((t) => t.NodeID === n3.id) && !live.some((t) => t.NodeID === n1.id);
    });
    assert.ok(after);
    const live = await c.converged('edge', 2);
    assert.deepEqual([...perNode(c, live).values()], [0, 1, 1]);
    assert.deepEqual(n1.list().filter((x) => x.service === 'edge').map((x) => x.status), ['exited']);
    assertClean(c);
  });

  void it('an update that changes the constraints moves the tasks; a start-first rollback restores them', async () => {
    await using c = await aCluster(images, { nodes: [{ labels: { zone: 'a' } }, { labels: { zone: 'b' } }, { labels: { zone: 'b' } }] });
    await c.createService(
      aServiceSpec('web', { replicas: 2, constraints: ['node.labels.zone==a'], update: { parallelism: 1, monitorMs: 100 }, rollback: { parallelism: 1, order: 'start-first', monitorMs: 100 } }),
    );
    const inA = await c.converged('web', 2);
    assert.deepEqual([...perNode(c, inA).values()], [2, 0, 0]);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.Placement = { Constraints: ['node.labels.zone==b'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined));
    const inB = await c.converged('web', 2);
    assert.deepEqual([...perNode(c, inB).values()], [0, 1, 1]);

    const startSeq = c.events.length;
    const initial = c.running('web').map((x) => x.id);
    await c.updateService('web', () => undefined, { rollback: true });
    await c.until('rollback completed', async () => ((await c.service('web')).UpdateStatus?.State === 'rollback_completed' ? true : undefined));
    const back = await c.converged('web', 2);
    assert.deepEqual([...perNode(c, back).values()], [2, 0, 0]);
    assert.deepEqual(runningRange(c.eventsOf('web').filter((e) => e.seq > startSeq), initial), { min: 2, max: 3 }, 'start-first rollback');
    assertClean(c);
  });

  void it('global service and a node that goes down and comes back: its task is shut down, then a new one runs there', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('agent', { mode: 'global' }));
    const before = await c.converged('agent', 3);
    const lost = c.nodes[2];
    assert.ok(lost);
    const orphan = before.find((t) => t.NodeID === lost.id);
    assert.ok(orphan);
    await lost.stop();
    await c.nodeState(lost, 'down');
    await tasksWhere(c, svc.ID, 'the down node’s task no longer wanted', (ts) => ts.find((t) => t.ID === orphan.ID)?.DesiredState === 'shutdown');
    await settle(c);
    const two = (await c.tasks(svc.ID)).filter((t) => t.DesiredState === 'running');
    // No replacement elsewhere: a global task belongs to its node.
    assert.deepEqual([...perNode(c, two).values()], [1, 1, 0]);
    assert.ok(two.every((t) => t.Status.State === 'running'));
    // Its container still runs on the unreachable node, whose agent is gone.
    assert.deepEqual(lost.list().filter((x) => x.status === 'running').map((x) => x.taskId), [orphan.ID]);

    await lost.start();
    await c.nodeState(lost, 'ready');
    const three = await c.converged('agent', 3);
    const fresh = three.find((t) => t.NodeID === lost.id);
    assert.ok(fresh && fresh.ID !== orphan.ID, 'a new task on the returning node');
    await tasksWhere(c, svc.ID, 'the old task reported shut down', (ts) => ts.find((t) => t.ID === orphan.ID)?.Status.State === 'shutdown');
    assert.deepEqual(lost.list().filter((x) => x.service === 'agent' && x.status === 'running').map((x) => x.taskId), [fresh.ID]);
    assertClean(c);
  });

  void it('a node that goes down during a stop-first update: the update completes on the nodes left', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3, update: { parallelism: 1, delayMs: 200, monitorMs: 100 } }));
    await c.converged('web', 3);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('web'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await tasksWhere(c, svc.ID, 'the first slot updated', (ts) => ts.some((t) => t.SpecVersion?.Index === 2 && t.Status.State === 'running'));
    const lost = c.nodes[2];
    assert.ok(lost);
    await lost.stop();
    await c.nodeState(lost, 'down');
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
    const fresh = await c.until('3 up-to-date tasks running off the down node', async () => {
      const ts = (await c.tasks(svc.ID)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
      return ts.length === 3 && ts.every((t) => t.SpecVersion?.Index === 2 && t.NodeID !== lost.id) ? ts : undefined;
    });
    assert.deepEqual(fresh.map(slotOf).sort(), [1, 2, 3]);
    assert.equal(c.running('web').filter((x) => x.nodeId !== lost.id).length, 3);
    assertClean(c);
  });

  void it('every node paused or drained: new tasks stay pending with "not available for new tasks"; a scale alone starts no update', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 2 }));
    await c.converged('web', 2);
    const [n1, n2] = c.nodes;
    assert.ok(n1 && n2);
    await c.setAvailability(n1, 'pause');
    await c.setAvailability(n2, 'pause');
    await c.scale('web', 3);
    const [pending] = await c.until('an unschedulable task', async () => {
      const ts = (await c.tasks(svc.ID)).filter((t) => t.Status.Err !== undefined);
      return ts.length > 0 ? ts : undefined;
    });
    assert.equal(pending?.Status.Err, 'no suitable node (2 nodes not available for new tasks)');
    assert.equal(c.running('web').length, 2, 'paused nodes keep their tasks');
    assert.equal((await c.service('web')).UpdateStatus, undefined, 'scaling is not an update');
    await c.setAvailability(n2, 'active');
    const three = await c.converged('web', 3);
    assert.equal(three.find((t) => t.ID === pending?.ID)?.NodeID, n2.id);
    assertClean(c);
  });

  void it('scaling down in the middle of a rolling update: the update completes with the new size', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 6, update: { parallelism: 1, delayMs: 200, monitorMs: 100 } }));
    await c.converged('web', 6);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('web'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await tasksWhere(c, svc.ID, 'the first slot updated', (ts) => ts.some((t) => t.SpecVersion?.Index === 2 && t.Status.State === 'running'));
    await c.scale('web', 2);
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
    const two = await c.converged('web', 2);
    for (const t of two) assert.equal(t.SpecVersion?.Index, 2);
    for (const ctr of c.running('web')) assert.deepEqual(ctr.env.filter((e) => e.startsWith('VERSION=')), ['VERSION=2']);
    assertClean(c);
  });

  void it('two updates in quick succession: the second one wins everywhere, nothing of the first is left running', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 4, update: { parallelism: 1, monitorMs: 100 } }));
    await c.converged('web', 4);
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await tasksWhere(c, svc.ID, 'the first update under way', (ts) => ts.some((t) => t.SpecVersion?.Index === 2));
    await c.updateService('web', (spec) => {
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=3'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
    const four = await c.converged('web', 4);
    for (const t of four) assert.equal(t.SpecVersion?.Index, 3);
    assert.deepEqual(four.map(slotOf).sort(), [1, 2, 3, 4]);
    for (const ctr of c.running('web')) assert.deepEqual(ctr.env.filter((e) => e.startsWith('VERSION=')), ['VERSION=3']);
    assertClean(c);
  });

  void it('a service removed while a node is down: when the node returns its containers are stopped and removed', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
    await c.converged('web', 3);
    const lost = c.nodes[2];
    assert.ok(lost);
    await lost.stop();
    await c.nodeState(lost, 'down');
    await c.removeService('web');
    await c.until('the reachable nodes’ containers removed', () => (c.containers('web').every((x) => x.nodeId === lost.id) ? true : undefined));
    assert.equal(lost.list().filter((x) => x.service === 'web' && x.status === 'running').length, 1);
    await lost.start();
    await c.nodeState(lost, 'ready');
    await c.until('every container removed', () => (c.containers('web').length === 0 ? true : undefined));
    await tasksWhere(c, svc.ID, 'every task deleted', (ts) => ts.length === 0);
    assert.deepEqual(lost.workerTasks(), []);
    assertClean(c);
  });

  void it('a replicated job whose task fails is retried until it reaches its completions', async () => {
    await using c = await aCluster(images, { nodes: 2 });
    const svc = await c.createService(
      aServiceSpec('batch', { mode: 'replicated-job', maxConcurrent: 3, totalCompletions: 3, command: ['fake', 'sleep'], restart: { condition: 'on-failure', delayMs: 20 } }),
    );
    const first = await c.until('3 job containers running', () => {
      const r = c.running('batch');
      return r.length === 3 ? r : undefined;
    });
    const [bad, ...good] = first;
    assert.ok(bad);
    c.node(bad.nodeId).exit(bad.id, 1);
    for (const g of good) c.node(g.nodeId).exit(g.id, 0);
    const retry = await c.until('the failed one retried', () => {
      const r = c.running('batch');
      return r.length === 1 ? r[0] : undefined;
    });
    assert.ok(retry && retry.taskId !== bad.taskId);
    c.node(retry.nodeId).exit(retry.id, 0);
    const tasks = await tasksWhere(c, svc.ID, '3 completions', (ts) => ts.filter((t) => t.Status.State === 'complete').length === 3);
    await settle(c, 'job');
    assert.equal((await c.tasks(svc.ID)).length, 4);
    assert.equal(tasks.find((t) => t.ID === bad.taskId)?.Status.State, 'failed');
    assert.equal(tasks.find((t) => t.ID === retry.taskId)?.Slot, tasks.find((t) => t.ID === bad.taskId)?.Slot, 'retried in its slot');
    assertClean(c);
  });

  void it('stop-first update of a service that fills every node (host port, reservations): each new task takes the place its old one frees', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const ported = await c.createService(aServiceSpec('ported', { replicas: 3, hostPorts: [{ published: 8080, target: 80 }], update: { parallelism: 1, monitorMs: 100 } }));
    const big = await c.createService(aServiceSpec('big', { replicas: 3, reserveMemory: 6 * 2 ** 30, update: { parallelism: 1, monitorMs: 100 } }));
    await c.converged('ported', 3);
    await c.converged('big', 3);
    for (const name of ['ported', 'big']) {
      await c.updateService(name, (spec) => {
        spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
      });
    }
    for (const name of ['ported', 'big']) {
      await c.until(`${name} update completed`, async () => ((await c.service(name)).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
      const tasks = await c.converged(name, 3);
      assert.deepEqual([...perNode(c, tasks).values()], [1, 1, 1]);
      for (const t of tasks) assert.equal(t.SpecVersion?.Index, 2);
    }
    assert.equal((await c.tasks(ported.ID)).length, 6);
    assert.equal((await c.tasks(big.ID)).length, 6);
    assertClean(c);
  });

  void it('scale and update at once: new slots get the new spec, the old ones are rolled, nothing extra', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 3, update: { parallelism: 1, monitorMs: 100 } }));
    await c.converged('web', 3);
    await c.updateService('web', (spec) => {
      spec.Mode = { Replicated: { Replicas: 5 } };
      spec.TaskTemplate.ContainerSpec = { Image: images.ref('misbehave'), ...spec.TaskTemplate.ContainerSpec, Env: ['VERSION=2'] };
    });
    await c.until('update completed', async () => ((await c.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 15_000);
    const five = await c.converged('web', 5);
    assert.deepEqual(five.map(slotOf).sort(), [1, 2, 3, 4, 5]);
    for (const t of five) assert.equal(t.SpecVersion?.Index, 2);
    const all = await c.tasks(svc.ID);
    assert.equal(all.length, 8, '3 old + 5 new, no task made from the old spec for the new slots');
    for (const t of all.filter((x) => (x.Slot ?? 0) > 3)) assert.equal(t.SpecVersion?.Index, 2);
    assertClean(c);
  });

  void it('a node removed from the swarm (node rm --force): its tasks are replaced on the other nodes', async () => {
    await using c = await aCluster(images, { nodes: 3 });
    const svc = await c.createService(aServiceSpec('web', { replicas: 6 }));
    const before = await c.converged('web', 6);
    const gone = c.nodes[2];
    assert.ok(gone);
    const orphans = before.filter((t) => t.NodeID === gone.id).map((t) => t.ID);
    await c.removeNode(gone);
    await c.until('the session ended', () => (gone.sessionId === undefined ? true : undefined));
    const after = await c.until('6 running tasks on the nodes left', async () => {
      const ts = (await c.tasks(svc.ID)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
      return ts.length === 6 && ts.every((t) => t.NodeID !== gone.id) ? ts : undefined;
    });
    assert.deepEqual([...perNode(c, after).values()].slice(0, 2), [3, 3]);
    for (const id of orphans) assert.notEqual((await c.store.view().get('tasks', id))?.DesiredState, 'running');
    await gone.stop();
    assertClean(c);
  });
});
