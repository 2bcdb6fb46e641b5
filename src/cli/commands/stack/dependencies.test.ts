/**
 * depends_on in `stack deploy`: where a dependency stands (pure), the wait loop and the whole deploy against a
 * scripted Engine API (EngineStub) on a fake clock: services are created wave by wave, a new service only once its
 * healthy / completed dependencies got there; a failed one-shot and the timeout end the deploy naming both services.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import type { Service, Task } from '../../../client/service-types.js';
import { captureContext, EngineStub } from '../container/engine-stub.testkit.js';
import type { WaitEnvironment } from '../service/progress.js';
import { dependencyState, waitForDependencies, waitingLine } from './dependencies.js';
import { run } from './deploy.js';
import type { StackHost } from './deploy.js';

function svc(name: string, mode: Service['Spec']['Mode'] = { Replicated: { Replicas: 2 } }, o: Partial<Service> = {}): Service {
  return { ID: `id-${name}`, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Labels: {}, TaskTemplate: {}, Mode: mode }, ...o };
}

function task(service: string, slot: number, state: string, o: Partial<Task> = {}): Task {
  return { ID: `${service}-${slot}-${state}`.padEnd(25, '0'), ServiceID: `id-${service}`, Slot: slot, NodeID: 'n1', DesiredState: 'running', Status: { State: state }, ...o };
}

const active = new Set(['n1']);
const H = 'service_healthy';
const C = 'service_completed_successfully';

describe('dependencyState', () => {
  it('healthy: every wanted slot runs on an active node', () => {
    const s = svc('x_db');
    assert.deepEqual(dependencyState(H, s, [task('x_db', 1, 'running'), task('x_db', 2, 'starting')], active), { satisfied: false, done: 1, desired: 2 });
    assert.deepEqual(dependencyState(H, s, [task('x_db', 1, 'running'), task('x_db', 2, 'running')], active), { satisfied: true, done: 2, desired: 2 });
    assert.equal(dependencyState(H, s, [task('x_db', 1, 'running'), task('x_db', 2, 'running', { NodeID: 'down' })], active).satisfied, false);
    assert.equal(dependencyState(H, svc('x_db', { Replicated: { Replicas: 0 } }), [], active).satisfied, true, 'nothing wanted, nothing to wait for');
  });

  it('healthy: a failed task does not end the wait but is remembered; old tasks are history', () => {
    const failed = task('x_db', 1, 'failed', { Status: { State: 'failed', Err: 'task: non-zero exit (1)' } });
    const st = dependencyState(H, svc('x_db', { Replicated: { Replicas: 1 } }), [failed, task('x_db', 1, 'starting')], active);
    assert.deepEqual(st, { satisfied: false, done: 0, desired: 1, lastError: `task x_db.1 (${failed.ID.slice(0, 12)}) failed: task: non-zero exit (1)` });
    assert.equal(dependencyState(H, svc('x_db', { Replicated: { Replicas: 1 } }), [failed], active, new Set([failed.ID])).lastError, undefined);
  });

  it('healthy, global: DesiredTasks, and none placed yet is not healthy', () => {
    const g = (desired: number): Service => svc('x_agent', { Global: {} }, { ServiceStatus: { RunningTasks: 0, DesiredTasks: desired, CompletedTasks: 0 } });
    assert.equal(dependencyState(H, g(0), [], active).satisfied, false);
    assert.equal(dependencyState(H, g(1), [task('x_agent', 0, 'running')], active).satisfied, true);
  });

  it('completed successfully: a job counts completions, a one-shot its replicas; a failure ends it', () => {
    const job = svc('x_migrate', { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } });
    assert.equal(dependencyState(C, job, [task('x_migrate', 1, 'complete', { DesiredState: 'complete' })], active).satisfied, false);
    assert.deepEqual(dependencyState(C, job, [task('x_migrate', 1, 'complete'), task('x_migrate', 2, 'complete')], active), { satisfied: true, done: 2, desired: 2 });
    const oneShot = svc('x_seed', { Replicated: { Replicas: 1 } });
    assert.equal(dependencyState(C, oneShot, [task('x_seed', 1, 'running')], active).satisfied, false, 'running is not completed');
    assert.equal(dependencyState(C, oneShot, [task('x_seed', 1, 'complete', { Status: { State: 'complete', ContainerStatus: { ExitCode: 0 } } })], active).satisfied, true);
    const bad = dependencyState(C, oneShot, [task('x_seed', 1, 'failed', { Status: { State: 'failed', Err: 'task: non-zero exit (3)' } })], active);
    assert.match(bad.failure ?? '', /^task x_seed\.1 \([\w-]+\) failed: task: non-zero exit \(3\)$/);
    const gjob = svc('x_each', { GlobalJob: {} });
    assert.equal(dependencyState(C, gjob, [], active).satisfied, false, 'no task placed yet');
    assert.equal(dependencyState(C, gjob, [task('x_each', 0, 'complete'), task('x_each', 0, 'running', { NodeID: 'n2', DesiredState: 'complete' })], active).satisfied, false);
    assert.equal(dependencyState(C, gjob, [task('x_each', 0, 'complete')], active).satisfied, true);
  });

  it('words the waits', () => {
    assert.equal(waitingLine({ name: 'x_db', condition: H, dependents: ['x_web', 'x_api'] }), 'Waiting for service x_db to be healthy before creating x_web, x_api');
    assert.equal(waitingLine({ name: 'x_m', condition: C, dependents: ['x_web'] }, true), 'Would wait for service x_m to complete successfully before creating x_web');
  });
});

/** A fake clock: each pause moves it forward. */
function fakeEnv(): WaitEnvironment & { dispose(): void; disposed: number } {
  let now = 1_000_000;
  const env = {
    tty: false,
    now: () => now,
    pause: (ms: number) => {
      now += ms;
      return Promise.resolve(false);
    },
    disposed: 0,
    dispose: () => {
      env.disposed++;
    },
  };
  return env;
}

/**
 * A one-node swarm: services are created on POST /services/create; each GET /tasks moves every service's tasks
 * one step through `lifecycle(name)` (the last step repeating).
 */
class Swarm {
  services: Service[] = [];
  polls = new Map<string, number>();
  created: { name: string; depsAt: Record<string, string> }[] = [];
  constructor(
    readonly engine: EngineStub,
    readonly lifecycle: (name: string) => string[],
  ) {
    engine.on('GET /info', (c) => c.json(200, { Swarm: { ControlAvailable: true, LocalNodeState: 'active' } }));
    engine.on('GET /networks', (c) => c.json(200, []));
    engine.on('POST /networks/create', (c) => c.json(201, { Id: 'net0000000000000000000001' }));
    engine.on('GET /nodes', (c) => c.json(200, [{ ID: 'n1', Status: { State: 'ready' } }]));
    engine.on('GET /services', (c) => c.json(200, this.services));
    engine.on('GET /tasks', (c) => {
      const tasks: Task[] = [];
      for (const s of this.services) {
        const n = (this.polls.get(s.ID) ?? 0) + 1;
        this.polls.set(s.ID, n);
        const steps = this.lifecycle(s.Spec.Name ?? '');
        const state = steps[Math.min(n, steps.length) - 1] as string;
        const err = state === 'failed' ? { Err: 'task: non-zero exit (1)' } : {};
        tasks.push({ ID: `${s.ID}-t1`.padEnd(25, '0'), ServiceID: s.ID, Slot: 1, NodeID: 'n1', DesiredState: 'running', Status: { State: state, ...err } });
      }
      c.json(200, tasks);
    });
    engine.on('POST /services/create', (c) => {
      const spec = JSON.parse(c.req.body.toString()) as Service['Spec'];
      const name = spec.Name ?? '';
      const depsAt: Record<string, string> = {};
      for (const s of this.services) depsAt[s.Spec.Name ?? ''] = this.stateOf(s);
      this.created.push({ name, depsAt });
      this.services.push({ ID: `id-${name}`, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: spec });
      c.json(201, { ID: `id-${name}` });
    });
  }

  stateOf(s: Service): string {
    const steps = this.lifecycle(s.Spec.Name ?? '');
    return steps[Math.max(1, Math.min(this.polls.get(s.ID) ?? 0, steps.length)) - 1] as string;
  }
}

function stackHost(file: string): StackHost & { envs: ReturnType<typeof fakeEnv>[] } {
  const envs: ReturnType<typeof fakeEnv>[] = [];
  return {
    compose: {
      readFile: (p) => (p === '/proj/stack.yml' ? file : undefined),
      readBytes: () => undefined,
      readStdin: () => '',
      cwd: () => '/proj',
      env: {},
    },
    service: {
      readFile: () => '',
      now: () => 0,
      waitEnvironment: () => {
        const e = fakeEnv();
        envs.push(e);
        return e;
      },
    },
    envs,
  };
}

const STACK = `services:
  db:
    image: shoal-test/misbehave:1
    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 500ms }
  migrate:
    image: shoal-test/misbehave:1
    deploy: { restart_policy: { condition: none } }
    depends_on: { db: { condition: service_healthy } }
  web:
    image: shoal-test/web:1
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
      cache: { condition: service_started }
  cache:
    image: shoal-test/web:1
`;

describe('stack deploy with depends_on (scripted engine)', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  it('creates each service only once its dependencies are healthy or completed, saying what it waits for', async () => {
    const swarm = new Swarm(engine, (name) => (name === 'x_db' ? ['starting', 'starting', 'starting', 'running'] : name === 'x_migrate' ? ['running', 'running', 'complete'] : ['running']));
    const cap = captureContext(engine.host);
    const host = stackHost(STACK);
    await run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], resolveImage: 'never', detachGiven: true }, host);
    assert.deepEqual(
      swarm.created.map((c) => c.name),
      ['x_cache', 'x_db', 'x_migrate', 'x_web'],
    );
    assert.equal(swarm.created[2]?.depsAt.x_db, 'running', 'migrate waited for db to be healthy');
    assert.equal(swarm.created[3]?.depsAt.x_migrate, 'complete', 'web waited for migrate to complete');
    const out = cap.out().split('\n');
    const at = (line: string): number => {
      const i = out.indexOf(line);
      assert.ok(i >= 0, `missing ${JSON.stringify(line)} in\n${cap.out()}`);
      return i;
    };
    assert.ok(at('Creating service x_db') < at('Waiting for service x_db to be healthy before creating x_migrate'));
    assert.ok(at('Service x_db is healthy (1/1 running)') < at('Creating service x_migrate'));
    assert.ok(at('Waiting for service x_migrate to complete successfully before creating x_web') < at('Creating service x_web'));
    assert.ok(at('Service x_migrate completed successfully (1/1 completed)') < at('Creating service x_web'));
    assert.deepEqual(
      host.envs.map((e) => e.disposed),
      [1, 1],
      'one wait environment per waiting wave, disposed',
    );
  });

  it('--dry-run shows the order and the waits, and creates nothing', async () => {
    const swarm = new Swarm(engine, () => ['running']);
    const cap = captureContext(engine.host);
    await run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], dryRun: true }, stackHost(STACK));
    assert.deepEqual(swarm.created, []);
    assert.deepEqual(cap.out().split('\n').filter((l) => l.includes('service')), [
      'Would create service x_cache',
      'Would create service x_db',
      'Would wait for service x_db to be healthy before creating x_migrate',
      'Would create service x_migrate',
      'Would wait for service x_db to be healthy before creating x_web',
      'Would wait for service x_migrate to complete successfully before creating x_web',
      'Would create service x_web',
    ]);
  });

  it('a failed one-shot stops the deploy naming both services; nothing after it is created', async () => {
    const swarm = new Swarm(engine, (name) => (name === 'x_migrate' ? ['running', 'failed'] : ['running']));
    const cap = captureContext(engine.host);
    await assert.rejects(run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], resolveImage: 'never', detachGiven: true }, stackHost(STACK)), (e: Error) => {
      assert.match(e.message, /^service x_migrate did not complete successfully, so x_web was not created: task x_migrate\.1 \([\w-]+\) failed: task: non-zero exit \(1\)$/);
      return true;
    });
    assert.deepEqual(
      swarm.created.map((c) => c.name),
      ['x_cache', 'x_db', 'x_migrate'],
    );
  });

  it('a dependency that never gets healthy times out after --dependency-timeout, naming it and the dependents', async () => {
    const swarm = new Swarm(engine, (name) => (name === 'x_db' ? ['starting', 'failed'] : ['running']));
    const cap = captureContext(engine.host);
    const host = stackHost(STACK);
    await assert.rejects(run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], resolveImage: 'never', detachGiven: true, dependencyTimeout: 2e9 }, host), (e: Error) => {
      assert.match(e.message, /^service x_db did not become healthy within 2s \(0\/1 tasks running; last failure: task x_db\.1 \([\w-]+\) failed: task: non-zero exit \(1\)\), so x_migrate was not created \(--dependency-timeout\)$/);
      return true;
    });
    assert.deepEqual(
      swarm.created.map((c) => c.name),
      ['x_cache', 'x_db'],
    );
    assert.equal(host.envs[0]?.disposed, 1);
  });

  it('a redeploy updates existing services without waiting; a new service still waits on an existing dependency', async () => {
    const swarm = new Swarm(engine, (name) => (name === 'x_db' ? ['starting', 'running'] : name === 'x_migrate' ? ['complete'] : ['running']));
    const existing = (name: string, image: string): Service => ({
      ID: `id-${name}`,
      Version: { Index: 1 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Name: name, Labels: { 'com.docker.stack.namespace': 'x', 'com.docker.stack.image': image }, TaskTemplate: { ContainerSpec: { Image: image } }, Mode: { Replicated: { Replicas: 1 } } },
    });
    swarm.services.push(existing('x_db', 'shoal-test/misbehave:1'), existing('x_migrate', 'shoal-test/misbehave:1'), existing('x_cache', 'shoal-test/web:1'));
    engine.on('POST /services/id-x_db/update', (c) => c.json(200, {}));
    engine.on('POST /services/id-x_migrate/update', (c) => c.json(200, {}));
    engine.on('POST /services/id-x_cache/update', (c) => c.json(200, {}));
    const cap = captureContext(engine.host);
    const host = stackHost(STACK);
    await run(cap.ctx, client, 'x', { composeFile: ['stack.yml'], resolveImage: 'never', detachGiven: true }, host);
    const calls = engine.calls().filter((c) => c.startsWith('POST /services'));
    assert.deepEqual(calls, ['POST /services/id-x_cache/update?version=1', 'POST /services/id-x_db/update?version=1', 'POST /services/id-x_migrate/update?version=1', 'POST /services/create']);
    assert.doesNotMatch(cap.out(), /before creating x_migrate/);
    assert.match(cap.out(), /^Waiting for service x_db to be healthy before creating x_web$/m);
    assert.equal(swarm.created[0]?.depsAt.x_db, 'running');
  });
});

describe('waitForDependencies', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  it('fails when the dependency was removed while waiting', async () => {
    new Swarm(engine, () => ['running']);
    const cap = captureContext(engine.host);
    await assert.rejects(waitForDependencies(cap.ctx, client, 'x', [{ name: 'x_db', id: 'id-x_db', condition: H, dependents: ['x_web'] }], fakeEnv(), { timeoutMs: 1000, history: new Set() }), /service x_db was removed while x_web waited for it/);
  });
});
