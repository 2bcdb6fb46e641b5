import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Task } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { restartTimes, shouldRestart, slotGaveUp } from './restart-policy.js';
import { superviseRestarts } from './restart.js';
import { SECOND_NS, T0, aNode, aService, aTask } from './fixtures.testkit.js';

const nodes = (...ns: Node[]): Map<string, Node> => new Map(ns.map((n) => [n.ID, n]));
const ctx = (now: number, ns: Map<string, Node> = nodes(aNode('n1'), aNode('n2'))) => ({ now, random: seededRandom(1), nodes: ns });

describe('restart supervisor core', () => {
  it('replaces a failed task in its slot with a READY task, and releases it after the restart delay', () => {
    const svc = aService({ replicas: 1, restart: { Condition: 'any', Delay: 2 * SECOND_NS } });
    const failed = aTask('t1', svc, { slot: 1, node: 'n1', state: 'failed', at: T0 + 500 });
    const r = superviseRestarts(svc, [failed], ctx(T0 + 1000));
    assert.deepEqual(r.plan.updates.map((t) => [t.ID, t.DesiredState]), [['t1', 'shutdown']]);
    assert.equal(r.plan.creates.length, 1);
    const repl = r.plan.creates[0]!;
    assert.equal(repl.Slot, 1);
    assert.equal(repl.DesiredState, 'ready');
    assert.equal(repl.NodeID, undefined);
    assert.equal(repl.Status.State, 'new');
    assert.equal(r.wakeAt, T0 + 2500, 'the delay counts from the failure');

    const held = [{ ...failed, DesiredState: 'shutdown' as const }, repl];
    assert.equal(superviseRestarts(svc, held, ctx(T0 + 2499)).plan.isEmpty, true);
    const released = superviseRestarts(svc, held, ctx(T0 + 2500)).plan.updates;
    assert.deepEqual(released.map((t) => [t.ID, t.DesiredState]), [[repl.ID, 'running']]);
  });

  it('honours the conditions: none never, on-failure not after exit 0, any always', () => {
    for (const [condition, state, want] of [
      ['none', 'failed', false],
      ['on-failure', 'failed', true],
      ['on-failure', 'complete', false],
      ['any', 'complete', true],
    ] as const) {
      const svc = aService({ restart: { Condition: condition } });
      const t = aTask('t1', svc, { slot: 1, node: 'n1', state });
      const r = superviseRestarts(svc, [t], ctx(T0));
      assert.equal(r.plan.creates.length, want ? 1 : 0, `${condition}/${state}`);
      assert.equal(r.plan.updates[0]?.DesiredState, 'shutdown');
    }
  });

  it('jobs default to on-failure and leave completed tasks alone', () => {
    const svc = aService({ mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } });
    svc.JobStatus = { JobIteration: { Index: 1 } };
    const done = aTask('t1', svc, { slot: 1, node: 'n1', state: 'complete', desired: 'complete', iteration: 1 });
    assert.equal(superviseRestarts(svc, [done], ctx(T0)).plan.isEmpty, true);
    const failed = aTask('t2', svc, { slot: 1, node: 'n1', state: 'failed', desired: 'complete', iteration: 1 });
    const r = superviseRestarts(svc, [failed], ctx(T0));
    assert.equal(r.plan.creates[0]?.JobIteration?.Index, 1);
    assert.equal(r.plan.creates[0]?.DesiredState, 'ready');
  });

  it('counts attempts from the slot history, within the window', () => {
    const svc = aService({ restart: { Condition: 'any', MaxAttempts: 2, Window: 10 * SECOND_NS } });
    // t1 original, t2 and t3 restarts (same spec), t3 now failing.
    const slot: Task[] = [
      aTask('t1', svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 }),
      aTask('t2', svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 + 1000 }),
      aTask('t3', svc, { slot: 1, state: 'failed', createdAt: T0 + 2000 }),
    ];
    assert.deepEqual(restartTimes(slot, slot[2]!), [T0 + 2000, T0 + 1000]);
    assert.equal(shouldRestart(slot[2]!, slot, T0 + 3000, false), false);
    // 11 s after the first restart, only one restart is in the window.
    assert.equal(shouldRestart(slot[2]!, slot, T0 + 11_500, false), true);
    // An update (different spec) starts a new chain.
    const updated = aTask('t4', svc, { slot: 1, state: 'failed', createdAt: T0 + 3000, spec: { ContainerSpec: { Image: 'web:2' }, RestartPolicy: svc.Spec.TaskTemplate.RestartPolicy! } });
    assert.deepEqual(restartTimes([...slot, updated], updated), []);
  });

  it('a slot whose policy gave up stays given up, even after the window passes', () => {
    const svc = aService({ restart: { Condition: 'any', MaxAttempts: 1, Window: SECOND_NS } });
    const slot: Task[] = [
      aTask('t1', svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 }),
      aTask('t2', svc, { slot: 1, state: 'failed', desired: 'shutdown', createdAt: T0 + 1000 }),
    ];
    assert.equal(slotGaveUp(slot, false, () => true), true);
    const none = aService({ restart: { Condition: 'none' } });
    assert.equal(slotGaveUp([aTask('x', none, { slot: 1, state: 'failed', desired: 'shutdown' })], false, () => true), true);
    // Shut down on request (a drain) is not giving up.
    assert.equal(slotGaveUp([aTask('y', none, { slot: 1, state: 'shutdown', desired: 'shutdown' })], false, () => true), false);
  });

  it('replaces tasks of down or drained nodes without the delay; waits for a drained task to stop', () => {
    const svc = aService({ restart: { Delay: 5 * SECOND_NS } });
    const down = nodes(aNode('n1', { state: 'down' }), aNode('n2'));
    const onDown = aTask('t1', svc, { slot: 1, node: 'n1', state: 'running' });
    const r1 = superviseRestarts(svc, [onDown], ctx(T0 + 10, down));
    assert.equal(r1.plan.creates.length, 1);
    // The node failed, not the task: no restart delay (swarm waits it), and no wait for a stop that cannot come.
    const repl1 = r1.plan.creates[0]!;
    const released1 = superviseRestarts(svc, [{ ...onDown, DesiredState: 'shutdown' as const }, repl1], ctx(T0 + 10, down));
    assert.equal(repl1.DesiredState, 'ready', 'created held at READY, like every restart');
    assert.deepEqual(released1.plan.updates.map((t) => [t.ID, t.DesiredState]), [[repl1.ID, 'running']], 'and released at once');
    assert.equal(released1.wakeAt, undefined);

    const drained = nodes(aNode('n1', { availability: 'drain' }), aNode('n2'));
    const onDrained = aTask('t1', svc, { slot: 1, node: 'n1', state: 'running' });
    const r2 = superviseRestarts(svc, [onDrained], ctx(T0, drained));
    const repl = r2.plan.creates[0]!;
    const stopping = { ...onDrained, DesiredState: 'shutdown' as const };
    assert.equal(superviseRestarts(svc, [stopping, repl], ctx(T0, drained)).plan.isEmpty, true, 'old one still running');
    const stopped = { ...stopping, Status: { ...stopping.Status, State: 'shutdown' as const } };
    const released = superviseRestarts(svc, [stopped, repl], ctx(T0 + 10, drained)).plan.updates;
    assert.deepEqual(released.map((t) => t.DesiredState), ['running']);
  });

  it('leaves global tasks on unusable nodes to the global orchestrator, restarts them on good nodes', () => {
    const svc = aService({ mode: { Global: {} } });
    const ns = nodes(aNode('n1', { availability: 'drain' }), aNode('n2'));
    const a = aTask('a', svc, { node: 'n1', state: 'failed' });
    const b = aTask('b', svc, { node: 'n2', state: 'failed' });
    const r = superviseRestarts(svc, [a, b], ctx(T0, ns));
    assert.deepEqual(r.plan.updates.map((t) => t.ID), ['b']);
    assert.equal(r.plan.creates[0]?.NodeID, 'n2');
    assert.equal(r.plan.creates[0]?.Slot, undefined);
  });

  it('does not replace a task when another live task carries the slot (start-first)', () => {
    const svc = aService();
    const old = aTask('old', svc, { slot: 1, node: 'n1', state: 'failed', spec: { ContainerSpec: { Image: 'web:0' } } });
    const fresh = aTask('new', svc, { slot: 1, node: 'n2', state: 'starting', createdAt: T0 + 1 });
    const r = superviseRestarts(svc, [old, fresh], ctx(T0 + 10));
    assert.deepEqual(r.plan.updates.map((t) => [t.ID, t.DesiredState]), [['old', 'shutdown']]);
    assert.equal(r.plan.creates.length, 0);
  });

  it('creates replacements strictly after the slot history, even when the clock has not moved', () => {
    const svc = aService();
    const t = aTask('t1', svc, { slot: 1, state: 'failed', createdAt: T0 });
    const repl = superviseRestarts(svc, [t], ctx(T0)).plan.creates[0]!;
    assert.ok(Date.parse(repl.CreatedAt) > T0);
  });
});
