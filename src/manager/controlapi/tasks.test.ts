import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import type { Task } from '../../api/types.js';
import { aWorker, initializedControl } from '../../../test/builders/control.js';
import type { ControlDeps } from './deps.js';
import { createService, getService, updateService } from './services.js';
import { getTask, listTasks, taskName } from './tasks.js';

const WORKER = 'w1' + 'k'.repeat(23);

function aTask(id: string, serviceId: string, patch: Partial<Task> = {}): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Labels: {},
    Spec: { ContainerSpec: { Image: 'img:1' } },
    ServiceID: serviceId,
    Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'running', Message: 'started' },
    DesiredState: 'running',
    ...patch,
  };
}

/** Two services and their tasks, as the orchestrators would have made them. */
async function cluster(): Promise<{ deps: ControlDeps; nodeId: string; web: string; agent: string }> {
  const { deps, nodeId } = await initializedControl();
  await deps.store.update((tx) => tx.create('nodes', aWorker(WORKER, 'worker-1')));
  const spec = (name: string, mode: object, labels: Record<string, string>): object => ({
    Name: name,
    Labels: labels,
    TaskTemplate: { ContainerSpec: { Image: 'img:1' } },
    Mode: mode,
  });
  const web = (await createService(deps, spec('lab_web', { Replicated: { Replicas: 2 } }, { 'com.docker.stack.namespace': 'lab' }))).service.ID;
  const agent = (await createService(deps, spec('agent', { Global: {} }, {}))).service.ID;
  const labels = { 'com.docker.stack.namespace': 'lab' };
  await deps.store.update((tx) => {
    tx.create('tasks', aTask('a1' + 'x'.repeat(23), web, { Slot: 1, NodeID: nodeId, Labels: labels, SpecVersion: { Index: 1 } }));
    tx.create('tasks', aTask('a2' + 'x'.repeat(23), web, { Slot: 2, NodeID: WORKER, Labels: labels, SpecVersion: { Index: 1 } }));
    tx.create('tasks', aTask('a3' + 'x'.repeat(23), web, {
      Slot: 1,
      NodeID: nodeId,
      Labels: labels,
      DesiredState: 'shutdown',
      Status: { Timestamp: '', State: 'failed', Message: 'started', Err: 'task: non-zero exit (1)' },
      SpecVersion: { Index: 1 },
    }));
    tx.create('tasks', aTask('b1' + 'y'.repeat(23), agent, { NodeID: nodeId, SpecVersion: { Index: 1 } }));
    tx.create('tasks', aTask('b2' + 'y'.repeat(23), agent, { NodeID: WORKER, DesiredState: 'ready', Status: { Timestamp: '', State: 'pending', Message: 'pending task scheduling' }, SpecVersion: { Index: 1 } }));
  });
  return { deps, nodeId, web, agent };
}

async function ids(deps: ControlDeps, f: Record<string, string[]>): Promise<string[]> {
  return (await listTasks(deps, Filters.of(f))).map((t) => t.ID.slice(0, 2)).sort();
}

describe('controlapi tasks', () => {
  it('lists every task in the API view (no internal SpecVersion, docker key order)', async () => {
    const { deps } = await cluster();
    const all = await listTasks(deps);
    assert.equal(all.length, 5);
    for (const t of all) assert.equal(t.SpecVersion, undefined);
    const global = all.find((t) => t.ID.startsWith('b1'));
    assert.deepEqual(Object.keys(global ?? {}), ['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Labels', 'Spec', 'ServiceID', 'NodeID', 'Status', 'DesiredState']);
  });

  it('service: by ID, name or ID prefix; unknown → 404', async () => {
    const { deps, web, agent } = await cluster();
    assert.deepEqual(await ids(deps, { service: ['lab_web'] }), ['a1', 'a2', 'a3']);
    assert.deepEqual(await ids(deps, { service: [web] }), ['a1', 'a2', 'a3']);
    assert.deepEqual(await ids(deps, { service: [agent.slice(0, 5), 'lab_web'] }), ['a1', 'a2', 'a3', 'b1', 'b2']);
    await assert.rejects(listTasks(deps, Filters.of({ service: ['nope'] })), (e) => isShoalError(e, 'NotFound') && e.message === 'service nope not found');
  });

  it('node: by ID, hostname or ID prefix; unknown → 404', async () => {
    const { deps, nodeId } = await cluster();
    assert.deepEqual(await ids(deps, { node: ['worker-1'] }), ['a2', 'b2']);
    assert.deepEqual(await ids(deps, { node: [nodeId] }), ['a1', 'a3', 'b1']);
    assert.deepEqual(await ids(deps, { node: ['w1k'] }), ['a2', 'b2']);
    await assert.rejects(listTasks(deps, Filters.of({ node: ['nope'] })), (e) => isShoalError(e, 'NotFound') && e.message === 'node nope not found');
  });

  it('desired-state: any case; an unknown state → 400', async () => {
    const { deps } = await cluster();
    assert.deepEqual(await ids(deps, { 'desired-state': ['running'] }), ['a1', 'a2', 'b1']);
    assert.deepEqual(await ids(deps, { 'desired-state': ['Shutdown', 'ready'] }), ['a3', 'b2']);
    assert.deepEqual(await ids(deps, { 'desired-state': ['allocated'] }), []);
    await assert.rejects(
      listTasks(deps, Filters.of({ 'desired-state': ['sleeping'] })),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === "Invalid desired-state filter: 'sleeping'",
    );
  });

  it('label matches the service labels the tasks carry; id and name are prefixes', async () => {
    const { deps, nodeId } = await cluster();
    assert.deepEqual(await ids(deps, { label: ['com.docker.stack.namespace=lab'] }), ['a1', 'a2', 'a3']);
    assert.deepEqual(await ids(deps, { label: ['com.docker.stack.namespace=other'] }), []);
    assert.deepEqual(await ids(deps, { id: ['a'] }), ['a1', 'a2', 'a3']);
    assert.deepEqual(await ids(deps, { name: ['lab_web.1.'] }), ['a1', 'a3']);
    assert.deepEqual(await ids(deps, { name: [`agent.${nodeId}`] }), ['b1']);
  });

  it('_up-to-date keeps the tasks made from the current spec; runtime is container', async () => {
    const { deps, web } = await cluster();
    await assert.rejects(listTasks(deps, Filters.of({ 'up-to-date': ['1'] })), (e) => isShoalError(e, 'InvalidArgument') && e.message === "invalid filter 'up-to-date'");
    assert.deepEqual(await ids(deps, { '_up-to-date': ['true'], service: [web] }), ['a1', 'a2', 'a3']);
    const s = await getService(deps, web);
    await updateService(deps, web, { version: s.Version.Index, spec: { ...s.Spec, TaskTemplate: { ...s.Spec.TaskTemplate, ForceUpdate: 1 } } });
    assert.deepEqual(await ids(deps, { '_up-to-date': ['true'], service: [web] }), []);
    await deps.store.update((tx) => tx.create('tasks', aTask('a4' + 'x'.repeat(23), web, { Slot: 1, SpecVersion: { Index: 2 } })));
    assert.deepEqual(await ids(deps, { '_up-to-date': ['true'], service: [web] }), ['a4']);
    assert.deepEqual(await ids(deps, { runtime: ['container'], service: [web] }), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(await ids(deps, { runtime: ['plugin'] }), []);
  });

  it('gets by ID, full task name or unique ID prefix', async () => {
    const { deps } = await cluster();
    const a1 = 'a1' + 'x'.repeat(23);
    assert.equal((await getTask(deps, a1)).ID, a1);
    assert.equal((await getTask(deps, `lab_web.1.${a1}`)).ID, a1);
    assert.equal((await getTask(deps, 'a1')).ID, a1);
    await assert.rejects(getTask(deps, 'a'), (e) => isShoalError(e, 'InvalidArgument') && e.message === 'task a is ambiguous (3 matches found)');
    await assert.rejects(getTask(deps, 'zz'), (e) => isShoalError(e, 'NotFound') && e.message === 'task zz not found');
  });

  it('names tasks as swarm does', () => {
    assert.equal(taskName(aTask('t', 's', { Slot: 3 }), 'web'), 'web.3.t');
    assert.equal(taskName(aTask('t', 's', { NodeID: 'n1' }), 'agent'), 'agent.n1.t');
    assert.equal(taskName(aTask('t', 's', { Name: 'custom' }), 'web'), 'custom');
  });
});
