/** The dashboard's pure snapshot builder: docker's replica counting, task history per slot, hostnames, ordering. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, Node, Service, Task } from '../api/types.js';
import type { TaskStateName } from '../api/task-state.js';
import { buildSnapshot, HISTORY_PER_SLOT } from './snapshot.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();

function aNode(id: string, hostname: string, o: { role?: 'manager' | 'worker'; state?: Node['Status']['State']; leader?: boolean; labels?: Record<string, string> } = {}): Node {
  const role = o.role ?? 'worker';
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: at(600),
    UpdatedAt: at(600),
    Spec: { Labels: o.labels ?? {}, Role: role, Availability: 'active' },
    Description: {
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 30 },
      Engine: { EngineVersion: '27.0.0', Plugins: [] },
      TLSInfo: { TrustRoot: 'ROOT', CertIssuerSubject: 'S', CertIssuerPublicKey: 'K' },
    },
    Status: { State: o.state ?? 'ready', Addr: `10.0.0.${id.length}` },
    ...(role === 'manager' ? { ManagerStatus: { Leader: o.leader ?? false, Reachability: 'reachable' as const, Addr: '10.0.0.1:2377' } } : {}),
  };
}

function aService(id: string, name: string, mode: Service['Spec']['Mode'], extra: Partial<Service> = {}): Service {
  return {
    ID: id,
    Version: { Index: 2 },
    CreatedAt: at(300),
    UpdatedAt: at(300),
    Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'web:1@sha256:' + 'a'.repeat(64) } }, ...(mode !== undefined ? { Mode: mode } : {}) },
    ...extra,
  };
}

let seq = 0;
function aTask(service: string, o: { slot?: number; node?: string; state: TaskStateName; desired?: TaskStateName; age?: number; err?: string; iteration?: number }): Task {
  seq++;
  return {
    ID: `task${String(seq).padStart(3, '0')}`,
    Version: { Index: 10 + seq },
    CreatedAt: at(o.age ?? 60),
    UpdatedAt: at(o.age ?? 60),
    Labels: {},
    Spec: {},
    ServiceID: service,
    ...(o.slot !== undefined ? { Slot: o.slot } : {}),
    ...(o.node !== undefined ? { NodeID: o.node } : {}),
    Status: { Timestamp: at(o.age ?? 60), State: o.state, Message: o.state, ...(o.err !== undefined ? { Err: o.err } : {}) },
    DesiredState: o.desired ?? 'running',
    ...(o.iteration !== undefined ? { JobIteration: { Index: o.iteration } } : {}),
  };
}

const cluster = {
  ID: 'clusterid',
  Version: { Index: 1 },
  CreatedAt: at(900),
  UpdatedAt: at(900),
  Spec: { Name: 'default' },
  JoinTokens: { Worker: 'SWMTKN-1-worker-secret', Manager: 'SWMTKN-1-manager-secret' },
  RootCAKey: '-----BEGIN PRIVATE KEY-----',
  TokenSecrets: { Worker: 'worker-secret', Manager: 'manager-secret' },
  UnlockKey: 'SWMKEY-1-unlock',
} as unknown as Cluster;

describe('dashboard snapshot', () => {
  it('counts the cluster, orders nodes by hostname and reports Down nodes, leaders and labels', () => {
    const s = buildSnapshot({
      cluster,
      nodes: [aNode('n3', 'node-10'), aNode('n1', 'node-2', { state: 'down' }), aNode('m1', 'boss', { role: 'manager', leader: true, labels: { zone: 'a' } })],
      services: [],
      tasks: [],
      now: NOW,
    });
    assert.deepEqual(s.cluster, { id: 'clusterid', name: 'default', createdAt: at(900), managers: 1, workers: 2 });
    assert.deepEqual(s.nodes.map((n) => [n.hostname, n.role, n.status, n.availability, n.managerStatus]), [
      ['boss', 'manager', 'Ready', 'Active', 'Leader'],
      ['node-2', 'worker', 'Down', 'Active', ''],
      ['node-10', 'worker', 'Ready', 'Active', ''],
    ]);
    assert.deepEqual(s.nodes[0]?.labels, { zone: 'a' });
    assert.equal(s.nodes[0]?.engineVersion, '27.0.0');
    assert.equal(s.nodes[0]?.address, '10.0.0.2');
    assert.equal(s.time, new Date(NOW).toISOString());
  });

  it('never carries join tokens, the CA key or the unlock key', () => {
    const text = JSON.stringify(buildSnapshot({ cluster, nodes: [aNode('m1', 'boss', { role: 'manager' })], services: [], tasks: [], now: NOW }));
    for (const secret of ['SWMTKN', 'secret', 'PRIVATE KEY', 'SWMKEY']) assert.ok(!text.includes(secret), secret);
  });

  it('counts replicated replicas like docker service ls: running tasks not on Down nodes over the replicas', () => {
    const s = buildSnapshot({
      cluster,
      nodes: [aNode('a', 'alpha'), aNode('b', 'beta', { state: 'down' })],
      services: [aService('s1', 'web', { Replicated: { Replicas: 3 } })],
      tasks: [
        aTask('s1', { slot: 1, node: 'a', state: 'running' }),
        aTask('s1', { slot: 2, node: 'b', state: 'running' }),
        aTask('s1', { slot: 3, node: 'a', state: 'starting' }),
      ],
      now: NOW,
    });
    const web = s.services[0];
    assert.equal(web?.replicas, '1/3');
    assert.equal(web?.running, 1);
    assert.equal(web?.desired, 3);
    assert.equal(web?.mode, 'replicated');
    assert.equal(web?.image, 'web:1', 'the digest is stripped');
  });

  it('counts global services: desired is the tasks that should run, one per node', () => {
    const s = buildSnapshot({
      cluster,
      nodes: [aNode('a', 'alpha'), aNode('b', 'beta')],
      services: [aService('g', 'agent', { Global: {} })],
      tasks: [
        aTask('g', { node: 'b', state: 'running' }),
        aTask('g', { node: 'a', state: 'preparing' }),
        aTask('g', { node: 'a', state: 'shutdown', desired: 'shutdown', age: 120 }),
      ],
      now: NOW,
    });
    const g = s.services[0];
    assert.equal(g?.replicas, '1/2');
    assert.equal(g?.mode, 'global');
    assert.deepEqual(
      g?.tasks.map((t) => [t.name, t.node, t.state, t.live]),
      [
        ['agent.a', 'alpha', 'Preparing', true],
        ['agent.a', 'alpha', 'Shutdown', false],
        ['agent.b', 'beta', 'Running', true],
      ],
    );
  });

  it('shows max replicas per node and job completions as docker does', () => {
    const s = buildSnapshot({
      cluster,
      nodes: [aNode('a', 'alpha')],
      services: [
        aService('m', 'capped', { Replicated: { Replicas: 2 } }),
        aService('j', 'job', { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, { JobStatus: { JobIteration: { Index: 7 } } }),
      ],
      tasks: [
        aTask('j', { slot: 0, node: 'a', state: 'complete', desired: 'complete', iteration: 7 }),
        aTask('j', { slot: 1, node: 'a', state: 'running', desired: 'complete', iteration: 7 }),
        aTask('j', { slot: 2, node: 'a', state: 'complete', desired: 'complete', iteration: 6 }),
      ],
      now: NOW,
    });
    const capped = { ...s.services[0] };
    assert.equal(capped.name, 'capped');
    assert.equal(capped.replicas, '0/2');
    const withMax = buildSnapshot({
      cluster,
      nodes: [],
      services: [aService('m', 'capped', { Replicated: { Replicas: 2 } }, {})].map((x) => ({ ...x, Spec: { ...x.Spec, TaskTemplate: { ...x.Spec.TaskTemplate, Placement: { MaxReplicas: 1 } } } })),
      tasks: [],
      now: NOW,
    });
    assert.equal(withMax.services[0]?.replicas, '0/2 (max 1 per node)');
    assert.equal(s.services[1]?.replicas, '1/2 (1/5 completed)');
    assert.equal(s.services[1]?.mode, 'replicated job');
  });

  it('resolves hostnames, names tasks <svc>.<slot>, orders slots and keeps the live task plus the last few per slot', () => {
    const tasks = [
      aTask('s1', { slot: 2, node: 'b', state: 'running', age: 10 }),
      aTask('s1', { slot: 1, node: 'a', state: 'running', age: 5 }),
      aTask('s1', { slot: 10, node: 'gone', state: 'pending', age: 1 }),
      aTask('s1', { slot: 11, state: 'pending', age: 1 }),
      // slot 1's history: 5 failed tasks, oldest first; only the newest HISTORY_PER_SLOT stay
      ...[50, 40, 30, 20, 15].map((age) => aTask('s1', { slot: 1, node: 'b', state: 'failed', desired: 'shutdown', age, err: 'task: non-zero exit (1)' })),
      // being removed (scaled down): not shown
      aTask('s1', { slot: 3, node: 'a', state: 'running', desired: 'remove' }),
    ];
    const s = buildSnapshot({ cluster, nodes: [aNode('a', 'alpha'), aNode('b', 'beta')], services: [aService('s1', 'web', { Replicated: { Replicas: 4 } })], tasks, now: NOW });
    const rows = s.services[0]?.tasks ?? [];
    assert.deepEqual(
      rows.map((t) => [t.name, t.node, t.desiredState, t.currentState, t.error, t.live]),
      [
        ['web.1', 'alpha', 'Running', 'Running 5 seconds ago', '', true],
        ['web.1', 'beta', 'Shutdown', 'Failed 15 seconds ago', 'task: non-zero exit (1)', false],
        ['web.1', 'beta', 'Shutdown', 'Failed 20 seconds ago', 'task: non-zero exit (1)', false],
        ['web.1', 'beta', 'Shutdown', 'Failed 30 seconds ago', 'task: non-zero exit (1)', false],
        ['web.2', 'beta', 'Running', 'Running 10 seconds ago', '', true],
        ['web.10', 'gone', 'Running', 'Pending 1 second ago', '', true],
        ['web.11', '', 'Running', 'Pending 1 second ago', '', true],
      ],
    );
    assert.equal(HISTORY_PER_SLOT, 3);
    assert.equal(rows[0]?.since, at(5));
    assert.equal(s.services[0]?.replicas, '3/4', 'a task being removed still counts while it runs, as swarmkit counts it');
  });

  it('orders services by name (numbers naturally) and shows published ingress ports and the update status', () => {
    const s = buildSnapshot({
      cluster,
      nodes: [],
      services: [
        aService('x', 'svc10', { Replicated: { Replicas: 1 } }),
        aService('y', 'svc2', { Replicated: { Replicas: 1 } }, {
          Endpoint: {
            Spec: {},
            Ports: [
              { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'ingress' },
              { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
              { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'host' },
            ],
          },
          UpdateStatus: { State: 'updating', StartedAt: at(3), Message: 'update in progress' },
        }),
        aService('z', 'api', undefined),
      ],
      tasks: [],
      now: NOW,
    });
    assert.deepEqual(s.services.map((x) => x.name), ['api', 'svc2', 'svc10']);
    assert.equal(s.services[0]?.replicas, '0/1', 'no mode: one replica');
    assert.equal(s.services[1]?.ports, '*:8080->80/tcp, *:5353->53/udp');
    assert.deepEqual(s.services[1]?.updateStatus, { state: 'updating', message: 'update in progress', startedAt: at(3), completedAt: '' });
    assert.equal(s.services[0]?.updateStatus, null);
  });

  it('is an empty view without a cluster', () => {
    assert.deepEqual(buildSnapshot({ cluster: undefined, nodes: [], services: [], tasks: [], now: NOW }), { time: new Date(NOW).toISOString(), cluster: null, nodes: [], services: [] });
  });
});
