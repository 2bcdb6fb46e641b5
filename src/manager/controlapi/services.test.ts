import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import type { Network, Secret, Service, Task } from '../../api/types.js';
import { aWorker, initializedControl } from '../../../test/builders/control.js';
import type { ControlDeps } from './deps.js';
import { createService, getService, listServices, removeService, serviceStatus, updateService } from './services.js';

// Request bodies are untrusted JSON, built here by mutation: deliberately untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function aSpec(name: string, patch: (s: Json) => void = () => undefined): Json {
  const s: Json = {
    Name: name,
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'img:1', Init: false, DNSConfig: {} }, ForceUpdate: 0 },
    Mode: { Replicated: { Replicas: 3 } },
  };
  patch(s);
  return s;
}

async function stored(deps: ControlDeps, id: string): Promise<Service> {
  const s = await deps.store.view().get('services', id);
  assert.ok(s, `service ${id} is stored`);
  return s;
}

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

function aNetwork(id: string, name: string, patch: Partial<Network> = {}): Network {
  return {
    Name: name,
    Id: id,
    Created: '2024-01-01T00:00:00Z',
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
    ...patch,
  };
}

const rpc = (code: string, desc: string): string => `rpc error: code = ${code} desc = ${desc}`;

describe('controlapi services: create', () => {
  it('stores the normalised spec with SpecVersion 1, an endpoint and timestamps; returns the API view', async () => {
    const { deps, clock } = await initializedControl();
    const { service, warnings } = await createService(deps, aSpec('web', (s) => (s.Mode = { Replicated: {} })));
    assert.deepEqual(warnings, []);
    assert.match(service.ID, /^[0-9a-z]{25}$/);
    assert.ok(service.Version.Index > 0);
    assert.equal(service.CreatedAt, new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(service.Spec.Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(service.Endpoint, { Spec: {} });
    assert.equal(service.SpecVersion, undefined, 'SpecVersion is internal');
    assert.deepEqual(Object.keys(service), ['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Spec', 'Endpoint']);
    const s = await stored(deps, service.ID);
    assert.deepEqual(s.SpecVersion, { Index: 1 });
    assert.equal(s.UpdateStatus, undefined);
    assert.equal(s.PreviousSpec, undefined);
  });

  it('copies published ports into the initial endpoint', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, aSpec('web', (s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] })));
    assert.deepEqual(service.Endpoint, { Spec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } });
  });

  it('names an unnamed service at random, never taking a used name', async () => {
    const { deps } = await initializedControl(7);
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const { service } = await createService(deps, aSpec('', (s) => delete s.Name));
      assert.match(service.Spec.Name, /^[a-z]+_[a-z]+\d?$/);
      names.add(service.Spec.Name);
    }
    assert.equal(names.size, 12);
    const again = await initializedControl(7);
    const first = (await createService(again.deps, aSpec('', (s) => (s.Name = '')))).service.Spec.Name;
    assert.ok(names.has(first), 'deterministic for a seed');
  });

  it('refuses a taken name (any case) with dockerd’s wording, and an invalid spec, and writes nothing', async () => {
    const { deps } = await initializedControl();
    await createService(deps, aSpec('web'));
    for (const name of ['web', 'WEB']) {
      await assert.rejects(createService(deps, aSpec(name)), (e) => {
        assert.ok(isShoalError(e, 'AlreadyExists'));
        assert.equal(e.message, rpc('AlreadyExists', `name conflicts with an existing object: service ${name} already exists`));
        return true;
      });
    }
    await assert.rejects(createService(deps, aSpec('bad', (s) => (s.Mode = { Replicated: { Replicas: -1 } }))), (e) => isShoalError(e, 'InvalidArgument'));
    await assert.rejects(
      createService(deps, aSpec('bad', (s) => (s.TaskTemplate.Placement = { Constraints: ['node.labels.zone=a'] }))),
      (e) => isShoalError(e, 'InvalidArgument') && e.message.includes('"node.labels.zone=a"'),
    );
    assert.equal((await listServices(deps)).length, 1);
  });

  it('resolves network targets by name, ID or prefix to IDs; refuses unknown, local and ingress networks', async () => {
    const { deps } = await initializedControl();
    await deps.store.update((tx) => {
      tx.create('networks', aNetwork('n1' + 'a'.repeat(23), 'lab_default'));
      tx.create('networks', aNetwork('n2' + 'b'.repeat(23), 'backend'));
      tx.create('networks', aNetwork('n4' + 'd'.repeat(23), 'bridge', { Scope: 'local', Driver: 'bridge' }));
    });
    const { service } = await createService(
      deps,
      aSpec('web', (s) => (s.TaskTemplate.Networks = [{ Target: 'lab_default', Aliases: ['web'] }, { Target: 'n2b' }])),
    );
    assert.deepEqual(service.Spec.TaskTemplate.Networks, [{ Target: 'n1' + 'a'.repeat(23), Aliases: ['web'] }, { Target: 'n2' + 'b'.repeat(23) }]);
    const empty = await createService(deps, aSpec('empty', (s) => (s.TaskTemplate.Networks = [])));
    assert.equal(empty.service.Spec.TaskTemplate.Networks, undefined);
    await assert.rejects(
      createService(deps, aSpec('x', (s) => (s.TaskTemplate.Networks = [{ Target: 'webnet' }]))),
      (e) => isShoalError(e, 'NotFound') && e.message === 'network webnet not found',
    );
    await assert.rejects(
      createService(deps, aSpec('x', (s) => (s.TaskTemplate.Networks = [{ Target: 'ingress' }]))),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', 'Service cannot be explicitly attached to the ingress network "ingress"'),
    );
    await assert.rejects(
      createService(deps, aSpec('x', (s) => (s.TaskTemplate.Networks = [{ Target: 'bridge' }]))),
      (e) => isShoalError(e, 'InvalidArgument') && /network bridge cannot be used with services/.test(e.message),
    );
  });

  it('checks that referenced secrets and configs exist under that name', async () => {
    const { deps } = await initializedControl();
    const secret: Secret = { ID: 's1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'pw' } };
    await deps.store.update((tx) => tx.create('secrets', secret));
    const ref = (id: string, name: string): Json => ({ File: { Name: name, UID: '0', GID: '0', Mode: 292 }, SecretID: id, SecretName: name });
    await createService(deps, aSpec('ok', (s) => (s.TaskTemplate.ContainerSpec.Secrets = [ref('s1', 'pw')])));
    await assert.rejects(
      createService(deps, aSpec('x', (s) => (s.TaskTemplate.ContainerSpec.Secrets = [ref('s1', 'other'), ref('s2', 'gone')]))),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', 'secrets not found: other, gone'),
    );
    await assert.rejects(
      createService(deps, aSpec('y', (s) => (s.TaskTemplate.ContainerSpec.Configs = [{ File: { Name: 'c' }, ConfigID: 'c1', ConfigName: 'c' }]))),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', 'config not found: c'),
    );
  });

  it('refuses a published port another service holds (ingress against anything, host only against ingress)', async () => {
    const { deps } = await initializedControl();
    const port = (published: number, mode: 'ingress' | 'host', protocol = 'tcp'): (s: Json) => void => (s) => {
      s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: published, PublishMode: mode, Protocol: protocol }] };
    };
    const a = await createService(deps, aSpec('a', port(8080, 'ingress')));
    await createService(deps, aSpec('h1', port(9090, 'host')));
    await createService(deps, aSpec('h2', port(9090, 'host')));
    await createService(deps, aSpec('u', port(8080, 'ingress', 'udp')));
    await assert.rejects(
      createService(deps, aSpec('b', port(8080, 'host'))),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', `port '8080' is already in use by service 'a' (${a.service.ID}) as an ingress port`),
    );
    await assert.rejects(createService(deps, aSpec('c', port(9090, 'ingress'))), (e) => isShoalError(e, 'InvalidArgument') && /as a host-published port$/.test(e.message));
  });

  it('gives jobs a JobStatus whose iteration is the SpecVersion', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, aSpec('job', (s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 4 } })));
    assert.deepEqual(service.JobStatus, { JobIteration: { Index: 1 }, LastExecution: service.CreatedAt });
  });
});

describe('controlapi services: list and get', () => {
  it('filters by id and name prefix, label, mode and runtime', async () => {
    const { deps } = await initializedControl();
    const web = (await createService(deps, aSpec('web', (s) => (s.Labels = { 'com.docker.stack.namespace': 'lab', tier: 'front' })))).service;
    await createService(deps, aSpec('webhook', (s) => (s.Labels = { 'com.docker.stack.namespace': 'lab' })));
    await createService(deps, aSpec('agent', (s) => (s.Mode = { Global: {} })));
    await createService(deps, aSpec('batch', (s) => (s.Mode = { ReplicatedJob: {} })));
    const names = async (f: Record<string, string[]>): Promise<string[]> => (await listServices(deps, { filters: Filters.of(f) })).map((s) => s.Spec.Name).sort();
    assert.deepEqual(await names({}), ['agent', 'batch', 'web', 'webhook']);
    assert.deepEqual(await names({ name: ['web'] }), ['web', 'webhook']);
    assert.deepEqual(await names({ id: [web.ID.slice(0, 6)] }), ['web']);
    assert.deepEqual(await names({ label: ['com.docker.stack.namespace'] }), ['web', 'webhook']);
    assert.deepEqual(await names({ label: ['com.docker.stack.namespace=lab', 'tier=front'] }), ['web']);
    assert.deepEqual(await names({ mode: ['global'] }), ['agent']);
    assert.deepEqual(await names({ mode: ['replicated', 'replicated-job'] }), ['batch', 'web', 'webhook']);
    assert.deepEqual(await names({ runtime: ['container'] }), ['agent', 'batch', 'web', 'webhook']);
    assert.deepEqual(await names({ runtime: ['plugin'] }), []);
    await assert.rejects(listServices(deps, { filters: Filters.of({ color: ['red'] }) }), (e) => isShoalError(e, 'InvalidArgument') && e.message === "invalid filter 'color'");
  });

  it('status=true fills ServiceStatus from tasks and nodes as swarmkit does', async () => {
    const { deps, nodeId } = await initializedControl();
    const downId = 'w2' + 'd'.repeat(23);
    await deps.store.update((tx) => tx.create('nodes', aWorker(downId, 'w2', 'down')));
    const web = (await createService(deps, aSpec('web'))).service;
    const agent = (await createService(deps, aSpec('agent', (s) => (s.Mode = { Global: {} })))).service;
    const job = (await createService(deps, aSpec('job', (s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } })))).service;
    await deps.store.update((tx) => {
      tx.create('tasks', aTask('t1', web.ID, { NodeID: nodeId, Slot: 1 }));
      tx.create('tasks', aTask('t2', web.ID, { NodeID: nodeId, Slot: 2, Status: { Timestamp: '', State: 'starting', Message: '' } }));
      tx.create('tasks', aTask('t3', web.ID, { NodeID: downId, Slot: 3 }));
      tx.create('tasks', aTask('t4', web.ID, { NodeID: nodeId, Slot: 3, DesiredState: 'shutdown', Status: { Timestamp: '', State: 'shutdown', Message: '' } }));
      tx.create('tasks', aTask('g1', agent.ID, { NodeID: nodeId }));
      tx.create('tasks', aTask('g2', agent.ID, { NodeID: downId, DesiredState: 'shutdown' }));
      tx.create('tasks', aTask('j1', job.ID, { Slot: 1, JobIteration: { Index: 1 }, DesiredState: 'complete', Status: { Timestamp: '', State: 'complete', Message: '' } }));
      tx.create('tasks', aTask('j2', job.ID, { Slot: 2, JobIteration: { Index: 1 }, DesiredState: 'complete' }));
      tx.create('tasks', aTask('j0', job.ID, { Slot: 1, JobIteration: { Index: 9 }, DesiredState: 'complete', Status: { Timestamp: '', State: 'complete', Message: '' } }));
    });
    const all = await listServices(deps, { status: true });
    const status = (id: string): unknown => all.find((s) => s.ID === id)?.ServiceStatus;
    assert.deepEqual(status(web.ID), { RunningTasks: 1, DesiredTasks: 3, CompletedTasks: 0 });
    assert.deepEqual(status(agent.ID), { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 });
    assert.deepEqual(status(job.ID), { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 1 });
    assert.equal((await listServices(deps))[0]?.ServiceStatus, undefined, 'only with status=true');
    const globalJob = serviceStatus(
      { ...web, Spec: { ...web.Spec, Mode: { GlobalJob: {} } }, JobStatus: { JobIteration: { Index: 1 } } },
      [aTask('a', web.ID, { JobIteration: { Index: 1 }, DesiredState: 'complete' }), aTask('b', web.ID, { JobIteration: { Index: 1 }, DesiredState: 'complete', Status: { Timestamp: '', State: 'complete', Message: '' } })],
      [],
    );
    assert.deepEqual(globalJob, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 1 });
  });

  it('gets by ID, exact name or unique ID prefix; insertDefaults fills the defaults', async () => {
    const { deps } = await initializedControl();
    const web = (await createService(deps, aSpec('web'))).service;
    assert.equal((await getService(deps, web.ID)).ID, web.ID);
    assert.equal((await getService(deps, 'web')).ID, web.ID);
    assert.equal((await getService(deps, web.ID.slice(0, 4))).ID, web.ID);
    const plain = await getService(deps, 'web');
    assert.equal(plain.Spec.UpdateConfig, undefined);
    const full = await getService(deps, 'web', { insertDefaults: true });
    assert.deepEqual(full.Spec.UpdateConfig, { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
    assert.equal(full.Spec.TaskTemplate.ContainerSpec?.StopGracePeriod, 10e9);
    await assert.rejects(getService(deps, 'nope'), (e) => isShoalError(e, 'NotFound') && e.message === 'service nope not found');
  });
});

describe('controlapi services: update, rollback, remove', () => {
  it('keeps the previous spec, resets UpdateStatus, bumps SpecVersion only when tasks must change', async () => {
    const { deps, clock } = await initializedControl();
    const created = (await createService(deps, aSpec('web'))).service;
    // An update supervisor left a status behind.
    await deps.store.update(async (tx) => {
      const s = await tx.get('services', created.ID);
      assert.ok(s);
      tx.update('services', { ...s, UpdateStatus: { State: 'completed', Message: 'update completed' } });
    });
    clock.advance(1000);
    let current = await getService(deps, 'web');
    const scaled = await updateService(deps, 'web', { version: current.Version.Index, spec: aSpec('web', (s) => (s.Mode = { Replicated: { Replicas: 5 } })) });
    assert.deepEqual(scaled.warnings, []);
    assert.deepEqual(scaled.service.Spec.Mode, { Replicated: { Replicas: 5 } });
    assert.deepEqual(scaled.service.PreviousSpec?.Mode, { Replicated: { Replicas: 3 } });
    assert.equal(scaled.service.UpdateStatus, undefined);
    assert.notEqual(scaled.service.UpdatedAt, created.UpdatedAt);
    assert.equal(scaled.service.CreatedAt, created.CreatedAt);
    assert.deepEqual((await stored(deps, created.ID)).SpecVersion, { Index: 1 }, 'scaling keeps the tasks up to date');

    current = await getService(deps, 'web');
    await updateService(deps, created.ID, { version: current.Version.Index, spec: aSpec('web', (s) => ((s.Mode = { Replicated: { Replicas: 5 } }), (s.TaskTemplate.ContainerSpec.Image = 'img:2'))) });
    assert.deepEqual((await stored(deps, created.ID)).SpecVersion, { Index: 2 });
    current = await getService(deps, 'web');
    await updateService(deps, created.ID, {
      version: current.Version.Index,
      spec: aSpec('web', (s) => ((s.Mode = { Replicated: { Replicas: 5 } }), (s.TaskTemplate.ContainerSpec.Image = 'img:2'), (s.TaskTemplate.ForceUpdate = 1))),
    });
    assert.deepEqual((await stored(deps, created.ID)).SpecVersion, { Index: 3 }, '--force bumps it');
  });

  it('refuses a stale version (update out of sequence) and changes nothing', async () => {
    const { deps } = await initializedControl();
    const created = (await createService(deps, aSpec('web'))).service;
    await updateService(deps, 'web', { version: created.Version.Index, spec: aSpec('web', (s) => (s.Labels = { a: 'b' })) });
    await assert.rejects(
      updateService(deps, 'web', { version: created.Version.Index, spec: aSpec('web', (s) => (s.Labels = { c: 'd' })) }),
      (e) => isShoalError(e, 'Conflict') && e.code === 'version.out_of_sequence' && e.message === 'update out of sequence',
    );
    assert.deepEqual((await getService(deps, 'web')).Spec.Labels, { a: 'b' });
  });

  it('refuses mode changes, renames and invalid specs', async () => {
    const { deps } = await initializedControl();
    const s = (await createService(deps, aSpec('web'))).service;
    const v = s.Version.Index;
    await assert.rejects(
      updateService(deps, 'web', { version: v, spec: aSpec('web', (x) => (x.Mode = { Global: {} })) }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('Unimplemented', 'service mode change is not allowed'),
    );
    await assert.rejects(
      updateService(deps, 'web', { version: v, spec: aSpec('web2') }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('Unimplemented', 'renaming services is not supported'),
    );
    await assert.rejects(
      updateService(deps, 'web', { version: v, spec: aSpec('web', (x) => (x.TaskTemplate.RestartPolicy = { Condition: 'sometimes' })) }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === 'invalid RestartCondition: "sometimes"',
    );
    await assert.rejects(updateService(deps, 'nope', { version: v, spec: aSpec('nope') }), (e) => isShoalError(e, 'NotFound') && e.message === 'service nope not found');
  });

  it('rollback=previous swaps the specs and reports a manually requested rollback', async () => {
    const { deps, clock } = await initializedControl();
    const created = (await createService(deps, aSpec('web'))).service;
    await assert.rejects(
      updateService(deps, 'web', { version: created.Version.Index, spec: aSpec('web'), rollback: true }),
      (e) => isShoalError(e, 'FailedPrecondition') && e.message === rpc('FailedPrecondition', `service ${created.ID} does not have a previous spec`),
    );
    const v2 = (await updateService(deps, 'web', { version: created.Version.Index, spec: aSpec('web', (s) => (s.TaskTemplate.ContainerSpec.Image = 'img:2')) })).service;
    clock.advance(5000);
    // The CLI sends the current spec with the rollback; the daemon ignores it.
    const rolled = (await updateService(deps, 'web', { version: v2.Version.Index, spec: aSpec('web', (s) => (s.TaskTemplate.ContainerSpec.Image = 'img:2')), rollback: true })).service;
    assert.equal(rolled.Spec.TaskTemplate.ContainerSpec?.Image, 'img:1');
    assert.equal(rolled.PreviousSpec?.TaskTemplate.ContainerSpec?.Image, 'img:2');
    assert.deepEqual(rolled.UpdateStatus, { State: 'rollback_started', StartedAt: rolled.UpdatedAt, Message: 'manually requested rollback' });
    assert.deepEqual((await stored(deps, created.ID)).SpecVersion, { Index: 3 });
  });

  it('every update of a job starts a new iteration', async () => {
    const { deps } = await initializedControl();
    const job = (await createService(deps, aSpec('job', (s) => (s.Mode = { ReplicatedJob: {} })))).service;
    const next = (await updateService(deps, 'job', { version: job.Version.Index, spec: aSpec('job', (s) => (s.Mode = { ReplicatedJob: {} })) })).service;
    assert.equal(next.JobStatus?.JobIteration.Index, 2);
    assert.deepEqual((await stored(deps, job.ID)).SpecVersion, { Index: 2 });
  });

  it('removes by name or ID; the tasks are left to the orchestrators', async () => {
    const { deps } = await initializedControl();
    const web = (await createService(deps, aSpec('web'))).service;
    await deps.store.update((tx) => tx.create('tasks', aTask('t1', web.ID)));
    await removeService(deps, 'web');
    assert.deepEqual(await listServices(deps), []);
    assert.equal((await deps.store.view().list('tasks')).length, 1);
    await assert.rejects(removeService(deps, 'web'), (e) => isShoalError(e, 'NotFound') && e.message === 'service web not found');
  });
});
