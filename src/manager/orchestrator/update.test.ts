import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task, TaskSpec } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { seededRandom } from '../../lib/random.js';
import { NO_OBSERVATIONS, superviseUpdate } from './update.js';
import type { UpdateObservations } from './update.js';
import { SECOND_NS, T0, aNode, aService, aTask } from './fixtures.testkit.js';

const V1: TaskSpec = { ContainerSpec: { Image: 'web:1' } };
const nodes = new Map([aNode('n1'), aNode('n2')].map((n) => [n.ID, n]));
const ctx = (now: number) => ({ now, random: seededRandom(11), nodes });

/** A service updated from web:1 to web:2 at SpecVersion 2, and its three old tasks (SpecVersion 1). */
function updated(o: Parameters<typeof aService>[0] = {}): { svc: Service; old: Task[] } {
  const svc = aService({ replicas: 3, image: 'web:2', specVersion: 2, ...o });
  svc.PreviousSpec = { ...structuredClone(svc.Spec), TaskTemplate: V1 };
  const old = [1, 2, 3].map((slot) => {
    const t = aTask(`old${slot}`, svc, { slot, node: 'n1', spec: V1 });
    t.SpecVersion = { Index: 1 };
    return t;
  });
  return { svc, old };
}

const at = (svc: Service, now: number, tasks: Task[], obs: UpdateObservations = NO_OBSERVATIONS) =>
  superviseUpdate(svc, tasks, ctx(now), obs);

describe('update supervisor core', () => {
  it('a scale alone re-stamps tasks and sets no UpdateStatus', () => {
    const svc = aService({ replicas: 3, specVersion: 5 });
    const t = aTask('a', svc, { slot: 1 });
    t.SpecVersion = { Index: 4 };
    const r = at(svc, T0, [t]);
    assert.equal(r.plan.service, undefined);
    assert.deepEqual(r.plan.updates.map((x) => [x.ID, x.SpecVersion?.Index]), [['a', 5]]);
  });

  it('starts an update: status updating, one stop-first slot at a time', () => {
    const { svc, old } = updated();
    const r = at(svc, T0 + 1000, old);
    assert.deepEqual(r.plan.service?.UpdateStatus, { State: 'updating', StartedAt: rfc3339Nano(T0 + 1000), Message: 'update in progress' });
    assert.deepEqual(r.plan.updates.map((t) => [t.ID, t.DesiredState]), [['old1', 'shutdown']]);
    assert.deepEqual(r.plan.creates.map((t) => [t.Slot, t.DesiredState, t.SpecVersion?.Index, t.Spec.ContainerSpec?.Image]), [[1, 'ready', 2, 'web:2']]);
  });

  it('waits while a slot is in flight, moves on when its new task runs and the old one stopped', () => {
    const { svc, old } = updated();
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const stopping = { ...old[0]!, DesiredState: 'shutdown' as const };
    const fresh = aTask('new1', svc, { slot: 1, node: 'n2', state: 'ready', desired: 'ready', createdAt: T0 + 1 });
    assert.equal(at(svc, T0 + 10, [stopping, fresh, old[1]!, old[2]!]).plan.isEmpty, true);
    const stopped = { ...stopping, Status: { ...stopping.Status, State: 'shutdown' as const } };
    const runs = { ...fresh, DesiredState: 'running' as const, Status: { ...fresh.Status, State: 'running' as const } };
    const r = at(svc, T0 + 20, [stopped, runs, old[1]!, old[2]!]);
    assert.deepEqual(r.plan.updates.map((t) => [t.ID, t.DesiredState]), [['old2', 'shutdown']]);
    assert.deepEqual(r.plan.creates.map((t) => t.Slot), [2]);
  });

  it('start-first: the new task starts next to the old one, which is shut down once the new one runs', () => {
    const { svc, old } = updated({ update: { Parallelism: 2, Order: 'start-first' } });
    const r = at(svc, T0, old);
    assert.equal(r.plan.updates.filter((t) => t.DesiredState === 'shutdown').length, 0);
    assert.deepEqual(r.plan.creates.map((t) => [t.Slot, t.DesiredState]), [
      [1, 'running'],
      [2, 'running'],
    ]);
    svc.UpdateStatus = r.plan.service!.UpdateStatus!;
    const n1 = { ...r.plan.creates[0]!, NodeID: 'n2', Status: { ...r.plan.creates[0]!.Status, State: 'running' as const } };
    const n2 = r.plan.creates[1]!;
    const r2 = at(svc, T0 + 10, [...old, n1, n2]);
    assert.deepEqual(r2.plan.updates.map((t) => [t.ID, t.DesiredState]), [['old1', 'shutdown']]);
    assert.equal(r2.plan.creates.length, 0, 'both workers are still busy');
  });

  it('parallelism 0 updates every slot at once', () => {
    const { svc, old } = updated({ update: { Parallelism: 0 } });
    assert.equal(at(svc, T0, old).plan.creates.length, 3);
  });

  it('completes after Monitor once every slot runs the new spec', () => {
    const { svc } = updated({ update: { Parallelism: 1, Monitor: 5 * SECOND_NS } });
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const fresh = [1, 2, 3].map((slot) => aTask(`n${slot}`, svc, { slot, node: 'n1', createdAt: T0 + slot, at: T0 + 1000 * slot }));
    const r1 = at(svc, T0 + 4000, fresh);
    assert.equal(r1.plan.service, undefined);
    assert.equal(r1.wakeAt, T0 + 8000);
    const r2 = at(svc, T0 + 8000, fresh);
    assert.deepEqual(r2.plan.service?.UpdateStatus, {
      State: 'completed',
      StartedAt: rfc3339Nano(T0),
      CompletedAt: rfc3339Nano(T0 + 8000),
      Message: 'update completed',
    });
  });

  it('pauses on a failure of a new task within Monitor, with swarm message', () => {
    const { svc, old } = updated();
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const bad = aTask('bad1', svc, { slot: 1, node: 'n2', state: 'failed', createdAt: T0 + 1, at: T0 + 3000 });
    const obs = { ...NO_OBSERVATIONS, runningSince: new Map([['bad1', T0 + 1000]]) };
    const r = at(svc, T0 + 3000, [{ ...old[0]!, DesiredState: 'shutdown' }, bad, old[1]!, old[2]!], obs);
    assert.equal(r.plan.service?.UpdateStatus?.State, 'paused');
    assert.equal(r.plan.service?.UpdateStatus?.Message, 'update paused due to failure or early termination of task bad1');
    assert.equal(r.plan.creates.length, 0);
    // Once paused, nothing moves.
    svc.UpdateStatus = r.plan.service.UpdateStatus!;
    assert.equal(at(svc, T0 + 4000, old).plan.isEmpty, true);
  });

  it('a failure after Monitor does not count; MaxFailureRatio tolerates some', () => {
    const { svc, old } = updated({ update: { Parallelism: 1, Monitor: SECOND_NS, MaxFailureRatio: 0.5 } });
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const late = aTask('late', svc, { slot: 1, node: 'n2', state: 'failed', createdAt: T0 + 1, at: T0 + 9000 });
    const obs = { ...NO_OBSERVATIONS, runningSince: new Map([['late', T0 + 1000]]) };
    assert.equal(at(svc, T0 + 9000, [late, old[1]!, old[2]!], obs).failures.size, 0);
    const early = aTask('early', svc, { slot: 1, node: 'n2', state: 'rejected', createdAt: T0 + 1 });
    const r = at(svc, T0 + 9000, [early, old[1]!, old[2]!], obs);
    assert.equal(r.failures.size, 1);
    assert.notEqual(r.plan.service?.UpdateStatus?.State, 'paused', '1/3 is within 0.5');
  });

  it('with continue, a slot whose new task keeps failing frees its worker; the update moves on', () => {
    const { svc, old } = updated({ update: { Parallelism: 1, FailureAction: 'continue', Monitor: 0 } });
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const stopped = { ...old[0]!, DesiredState: 'shutdown' as const, Status: { ...old[0]!.Status, State: 'shutdown' as const } };
    const failed = aTask('bad1', svc, { slot: 1, node: 'n2', state: 'failed', desired: 'shutdown', createdAt: T0 + 1 });
    const retry = aTask('bad1b', svc, { slot: 1, state: 'new', desired: 'ready', createdAt: T0 + 2 });
    const r = at(svc, T0 + 10, [stopped, failed, retry, old[1]!, old[2]!]);
    assert.deepEqual(r.plan.creates.map((t) => t.Slot), [2]);
  });

  it('rolls back: PreviousSpec becomes the spec, SpecVersion moves on, rollback_started', () => {
    const { svc, old } = updated({ update: { FailureAction: 'rollback' } });
    svc.Version = { Index: 40 };
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const bad = aTask('bad1', svc, { slot: 1, node: 'n2', state: 'rejected', createdAt: T0 + 1 });
    const r = at(svc, T0 + 100, [bad, old[1]!, old[2]!]);
    const next = r.plan.service!;
    assert.deepEqual(next.Spec.TaskTemplate, V1);
    assert.equal(next.PreviousSpec, undefined);
    assert.equal(next.SpecVersion?.Index, 40);
    assert.deepEqual(next.UpdateStatus, {
      State: 'rollback_started',
      StartedAt: rfc3339Nano(T0),
      Message: 'update rolled back due to failure or early termination of task bad1',
    });
  });

  it('drives a manual rollback with RollbackConfig to rollback_completed', () => {
    const svc = aService({ replicas: 2, image: 'web:1', specVersion: 3, rollback: { Parallelism: 0, Monitor: 0 } });
    svc.UpdateStatus = { State: 'rollback_started', Message: 'manually requested rollback', StartedAt: rfc3339Nano(T0) };
    const v2: TaskSpec = { ContainerSpec: { Image: 'web:2' } };
    const tasks = [1, 2].map((slot) => aTask(`v2-${slot}`, svc, { slot, node: 'n1', spec: v2 }));
    const r = at(svc, T0 + 10, tasks);
    assert.equal(r.plan.creates.length, 2, 'parallelism 0 from RollbackConfig');
    const fresh = r.plan.creates.map((t) => ({ ...t, NodeID: 'n2', DesiredState: 'running' as const, Status: { ...t.Status, State: 'running' as const } }));
    const stopped = tasks.map((t) => ({ ...t, DesiredState: 'shutdown' as const, Status: { ...t.Status, State: 'shutdown' as const } }));
    const done = at(svc, T0 + 20, [...stopped, ...fresh]);
    assert.equal(done.plan.service?.UpdateStatus?.State, 'rollback_completed');
    assert.equal(done.plan.service?.UpdateStatus?.Message, 'rollback completed');
  });

  it('a failing rollback pauses as rollback_paused', () => {
    const svc = aService({ replicas: 1, image: 'web:1', specVersion: 3 });
    svc.UpdateStatus = { State: 'rollback_started', Message: 'manually requested rollback', StartedAt: rfc3339Nano(T0) };
    const bad = aTask('bad', svc, { slot: 1, state: 'rejected', createdAt: T0 + 1 });
    const r = at(svc, T0 + 10, [bad]);
    assert.equal(r.plan.service?.UpdateStatus?.State, 'rollback_paused');
    assert.equal(r.plan.service?.UpdateStatus?.Message, 'rollback paused due to failure or early termination of task bad');
  });

  it('waits Delay after a slot before starting the next', () => {
    const { svc, old } = updated({ update: { Parallelism: 1, Delay: 10 * SECOND_NS } });
    svc.UpdateStatus = { State: 'updating', StartedAt: rfc3339Nano(T0), Message: 'update in progress' };
    const fresh = aTask('new1', svc, { slot: 1, node: 'n2', createdAt: T0 + 1, at: T0 + 2000 });
    const stopped = { ...old[0]!, DesiredState: 'shutdown' as const, Status: { ...old[0]!.Status, State: 'shutdown' as const } };
    const r = at(svc, T0 + 5000, [stopped, fresh, old[1]!, old[2]!]);
    assert.equal(r.plan.creates.length, 0);
    assert.equal(r.wakeAt, T0 + 12_000);
    assert.equal(at(svc, T0 + 12_000, [stopped, fresh, old[1]!, old[2]!]).plan.creates.length, 1);
  });

  it('a new endpoint spec makes allocated tasks dirty (host-mode ports)', () => {
    const svc = aService({ replicas: 1, specVersion: 2 });
    svc.Spec.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] };
    const before = aTask('a', svc, { slot: 1, node: 'n1' });
    const r = at(svc, T0, [before]);
    assert.equal(r.plan.service?.UpdateStatus?.State, 'updating', 'no Endpoint: made before the ports were added');
    const allocated = { ...before, Endpoint: { Spec: structuredClone(svc.Spec.EndpointSpec), Ports: [] } };
    assert.equal(at(svc, T0, [allocated]).plan.isEmpty, true);
    const unallocated = aTask('b', svc, { slot: 1, state: 'new' });
    assert.equal(at(svc, T0, [unallocated]).plan.isEmpty, true, 'not judged before the allocator saw it');
  });

  it('updates global services node by node, only on usable nodes', () => {
    const svc = aService({ mode: { Global: {} }, image: 'web:2', specVersion: 2 });
    const ns = new Map([aNode('n1'), aNode('n2', { availability: 'pause' })].map((n) => [n.ID, n]));
    const tasks = ['n1', 'n2'].map((n) => aTask(`t-${n}`, svc, { node: n, spec: V1 }));
    const r = superviseUpdate(svc, tasks, { now: T0, random: seededRandom(1), nodes: ns }, NO_OBSERVATIONS);
    assert.deepEqual(r.plan.creates.map((t) => [t.NodeID, t.Slot]), [['n1', undefined]]);
  });
});
