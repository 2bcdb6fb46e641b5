import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../../../client/service-types.js';
import { serviceProgress } from './wait.js';

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
