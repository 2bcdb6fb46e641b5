import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Service, Task } from '../../api/types.js';
import { seededRandom } from '../../lib/random.js';
import { CPU, GiB, aNode, aService, aTask, someTasks } from './fixtures.testkit.js';
import { NodeSet } from './node-info.js';
import { schedule, scheduleOn, type ScheduleResult } from './schedule.js';

const NOW = Date.UTC(2024, 0, 1);
const run = (nodes: Node[], tasks: Task[], pending: Task[], services?: Service[]): ScheduleResult =>
  schedule(nodes, tasks, pending, { random: seededRandom(7), now: NOW, ...(services === undefined ? {} : { services: new Map(services.map((s) => [s.ID, s])) }) });

function perNode(r: ScheduleResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of r.assignments) out[a.nodeId] = (out[a.nodeId] ?? 0) + 1;
  return out;
}

const messages = (r: ScheduleResult): string[] => [...new Set(r.unschedulable.map((u) => u.message))];

describe('schedule: spread', () => {
  it('equalises a service across nodes', () => {
    const r = run([aNode('n1'), aNode('n2'), aNode('n3')], [], someTasks(6, 's1'));
    assert.deepEqual(perNode(r), { n1: 2, n2: 2, n3: 2 });
    assert.deepEqual(r.unschedulable, []);
  });

  it("counts the service's tasks already on nodes, and breaks ties on the total task count", () => {
    const existing = [
      aTask('old1', 's1', { state: 'running', nodeId: 'n1' }),
      aTask('old2', 's1', { state: 'running', nodeId: 'n1' }),
      aTask('other', 's2', { state: 'assigned', nodeId: 'n2' }),
    ];
    const r = run([aNode('n1'), aNode('n2'), aNode('n3')], existing, someTasks(3, 's1'));
    assert.deepEqual(perNode(r), { n2: 1, n3: 2 });
    const one = run([aNode('n1'), aNode('n2'), aNode('n3')], existing, [aTask('x', 's3')]);
    assert.deepEqual(one.assignments, [{ taskId: 'x', nodeId: 'n3' }], 'n3 has no task at all');
  });

  it('ignores tasks that no longer hold a node, and tasks desired down for the spread count', () => {
    const existing = [
      aTask('done', 's1', { state: 'complete', nodeId: 'n1' }),
      aTask('failed', 's1', { state: 'failed', nodeId: 'n1' }),
      aTask('stopping', 's1', { state: 'running', desired: 'shutdown', nodeId: 'n1' }),
    ];
    const r = run([aNode('n1'), aNode('n2')], existing, someTasks(2, 's1'));
    assert.deepEqual(perNode(r), { n1: 1, n2: 1 });
  });

  it('spreads over label values first (placement preferences), nodes without the label forming their own group', () => {
    const nodes = [
      aNode('a1', { labels: { zone: 'a' } }),
      aNode('b1', { labels: { zone: 'b' } }),
      aNode('b2', { labels: { zone: 'b' } }),
      aNode('b3', { labels: { zone: 'b' } }),
      aNode('none'),
    ];
    const r = run(nodes, [], someTasks(6, 's1', { spread: ['node.labels.zone'] }));
    const c = perNode(r);
    assert.equal(c.a1, 2, 'zone a gets a third on its only node');
    assert.equal((c.b1 ?? 0) + (c.b2 ?? 0) + (c.b3 ?? 0), 2);
    assert.equal(c.none, 2);
    assert.ok([c.b1, c.b2, c.b3].every((n) => (n ?? 0) <= 1), 'spread inside zone b too');
  });

  it('nests several preferences: zone, then rack inside each zone', () => {
    const nodes = [
      aNode('a-r1-1', { labels: { zone: 'a', rack: '1' } }),
      aNode('a-r1-2', { labels: { zone: 'a', rack: '1' } }),
      aNode('a-r2-1', { labels: { zone: 'a', rack: '2' } }),
      aNode('b-r1-1', { labels: { zone: 'b', rack: '1' } }),
    ];
    const r = run(nodes, [], someTasks(8, 's1', { spread: ['node.labels.zone', 'node.labels.rack'] }));
    const c = perNode(r);
    assert.equal(c['b-r1-1'], 4, 'half for zone b');
    assert.equal(c['a-r2-1'], 2, 'half of zone a for rack 2');
    assert.equal((c['a-r1-1'] ?? 0) + (c['a-r1-2'] ?? 0), 2);
    assert.equal(c['a-r1-1'], 1);
  });

  it('fills the least loaded branch first, counting existing tasks', () => {
    const nodes = [aNode('a', { labels: { zone: 'a' } }), aNode('b', { labels: { zone: 'b' } })];
    const existing = someTasks(3, 's1', { state: 'running', nodeId: 'a' }, 'old');
    const r = run(nodes, existing, someTasks(5, 's1', { spread: ['node.labels.zone'] }));
    assert.deepEqual(perNode(r), { a: 1, b: 4 });
  });

  it('moves on to other branches when one is full, and spreads over engine labels', () => {
    const nodes = [
      aNode('a', { engineLabels: { disk: 'ssd' }, nanoCPUs: 1 * CPU }),
      aNode('b', { engineLabels: { disk: 'hdd' }, nanoCPUs: 8 * CPU }),
    ];
    const r = run(nodes, [], someTasks(5, 's1', { spread: ['engine.labels.disk'], nanoCPUs: CPU }));
    assert.deepEqual(perNode(r), { a: 1, b: 4 });
  });

  it('ignores descriptors that are not labels, as swarmkit does', () => {
    const r = run([aNode('n1'), aNode('n2')], [], someTasks(4, 's1', { spread: ['node.hostname'] }));
    assert.deepEqual(perNode(r), { n1: 2, n2: 2 });
  });
});

describe('schedule: filters and explanations in swarm wording', () => {
  it('skips nodes that are down, paused or drained', () => {
    const nodes = [aNode('down', { state: 'down' }), aNode('pause', { availability: 'pause' }), aNode('drain', { availability: 'drain' }), aNode('ok')];
    const r = run(nodes, [], someTasks(2, 's1'));
    assert.deepEqual(perNode(r), { ok: 2 });
    const none = run(nodes.slice(0, 3), [], someTasks(2, 's1'));
    assert.deepEqual(messages(none), ['no suitable node (3 nodes not available for new tasks)']);
    assert.equal(none.unschedulable.length, 2);
  });

  it('orders reasons by how many nodes each explains, ties in pipeline order', () => {
    const nodes = [aNode('small', { nanoCPUs: CPU }), aNode('down1', { state: 'down' }), aNode('down2', { state: 'disconnected' })];
    const r = run(nodes, [], [aTask('t', 's1', { nanoCPUs: 2 * CPU })]);
    assert.deepEqual(messages(r), ['no suitable node (2 nodes not available for new tasks; insufficient resources on 1 node)']);
    const tie = run([aNode('small', { nanoCPUs: CPU }), aNode('down', { state: 'down' })], [], [aTask('t', 's1', { nanoCPUs: 2 * CPU })]);
    assert.deepEqual(messages(tie), ['no suitable node (1 node not available for new tasks; insufficient resources on 1 node)']);
  });

  it('says just "no suitable node" when there are no nodes', () => {
    assert.deepEqual(messages(run([], [], [aTask('t', 's1')])), ['no suitable node']);
  });

  it('books reservations against capacity minus what assigned tasks reserve', () => {
    const nodes = [aNode('n1', { nanoCPUs: 2 * CPU, memoryBytes: 4 * GiB })];
    const existing = [
      aTask('held', 's0', { state: 'running', nodeId: 'n1', memoryBytes: 3 * GiB }),
      aTask('gone', 's0', { state: 'shutdown', nodeId: 'n1', memoryBytes: 3 * GiB }),
    ];
    const r = run(nodes, existing, someTasks(3, 's1', { nanoCPUs: CPU / 2, memoryBytes: GiB / 2 }));
    assert.equal(r.assignments.length, 2, '1 GiB left: two tasks of 0.5 GiB');
    assert.deepEqual(messages(r), ['no suitable node (insufficient resources on 1 node)']);
  });

  it('accepts reservations larger than any node, leaving the tasks pending with the reason', () => {
    const r = run([aNode('n1'), aNode('n2')], [], someTasks(2, 's1', { memoryBytes: 1024 * GiB }));
    assert.deepEqual(r.assignments, []);
    assert.deepEqual(messages(r), ['no suitable node (insufficient resources on 2 nodes)']);
  });

  it('places only on nodes that satisfy the constraints', () => {
    const nodes = [aNode('w1'), aNode('w2'), aNode('m1', { role: 'manager', labels: { zone: 'a' } })];
    const r = run(nodes, [], someTasks(3, 's1', { constraints: ['node.role==manager', 'node.labels.zone==a'] }));
    assert.deepEqual(perNode(r), { m1: 3 });
    const none = run(nodes, [], [aTask('t', 's1', { constraints: ['node.labels.zone==b'] })]);
    assert.deepEqual(messages(none), ['no suitable node (scheduling constraints not satisfied on 3 nodes)']);
  });

  it('ignores constraints that do not parse (controlapi refuses them), as swarmkit does', () => {
    const r = run([aNode('n1')], [], [aTask('t', 's1', { constraints: ['node.labels.zone=a'] })]);
    assert.equal(r.assignments.length, 1);
  });

  it('checks platforms with amd64/x86_64 as one architecture', () => {
    const nodes = [aNode('x86', { arch: 'x86_64' }), aNode('arm', { arch: 'aarch64' })];
    const r = run(nodes, [], someTasks(2, 's1', { platforms: [{ Architecture: 'amd64', OS: 'linux' }] }));
    assert.deepEqual(perNode(r), { x86: 2 });
    const none = run(nodes, [], [aTask('t', 's1', { platforms: [{ Architecture: 's390x', OS: 'linux' }] })]);
    assert.deepEqual(messages(none), ['no suitable node (unsupported platform on 2 nodes)']);
  });

  it('never books one host-mode port twice on a node', () => {
    const nodes = [aNode('n1'), aNode('n2'), aNode('n3')];
    const existing = [aTask('old', 's0', { state: 'running', nodeId: 'n3', reportedHostPorts: [8080] })];
    const r = run(nodes, existing, someTasks(3, 's1', { hostPorts: [8080] }));
    assert.deepEqual(perNode(r), { n1: 1, n2: 1 });
    assert.deepEqual(messages(r), ['no suitable node (host-mode port already in use on 3 nodes)']);
  });

  it("takes host ports from the service's endpoint when the task carries none", () => {
    const svc = aService('s1', 'web', [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'host' }]);
    const r = run([aNode('n1'), aNode('n2')], [], someTasks(3, 's1'), [svc]);
    assert.equal(r.assignments.length, 2);
    assert.deepEqual(messages(r), ['no suitable node (host-mode port already in use on 2 nodes)']);
    const udp = aService('s2', 'dns', [{ Protocol: 'udp', TargetPort: 80, PublishedPort: 80, PublishMode: 'host' }]);
    const both = run([aNode('n1')], [aTask('web', 's1', { state: 'running', nodeId: 'n1' })], [aTask('t', 's2')], [svc, udp]);
    assert.equal(both.assignments.length, 1, 'udp/80 and tcp/80 do not conflict');
  });

  it('honours max replicas per node', () => {
    const r = run([aNode('n1'), aNode('n2'), aNode('n3')], [], someTasks(7, 's1', { maxReplicas: 2 }));
    assert.deepEqual(perNode(r), { n1: 2, n2: 2, n3: 2 });
    assert.deepEqual(messages(r), ['no suitable node (max replicas per node limit exceed)']);
  });

  it('explains over the state after the batch: a node filled by it counts as lacking resources', () => {
    const nodes = [aNode('n1', { nanoCPUs: CPU }), aNode('n2', { availability: 'drain' })];
    const r = run(nodes, [], someTasks(2, 's1', { nanoCPUs: CPU }));
    assert.equal(r.assignments.length, 1);
    assert.deepEqual(messages(r), ['no suitable node (1 node not available for new tasks; insufficient resources on 1 node)']);
  });
});

describe('schedule: batches, pre-assigned tasks and what is left out', () => {
  it('confirms a pre-assigned (global) task on its node, or explains why it does not fit there', () => {
    const nodes = [aNode('n1', { nanoCPUs: CPU }), aNode('n2', { availability: 'drain' })];
    const r = run(nodes, [], [aTask('g1', 'g', { nodeId: 'n1', nanoCPUs: CPU }), aTask('g2', 'g', { nodeId: 'n2' }), aTask('g3', 'g', { nodeId: 'n1', nanoCPUs: CPU })]);
    assert.deepEqual(r.assignments, [{ taskId: 'g1', nodeId: 'n1' }]);
    assert.deepEqual(r.unschedulable, [
      { taskId: 'g2', message: '1 node not available for new tasks' },
      { taskId: 'g3', message: 'insufficient resources on 1 node' },
    ]);
  });

  it('leaves out a pre-assigned task whose node is unknown', () => {
    const r = run([aNode('n1')], [], [aTask('g1', 'g', { nodeId: 'gone' })]);
    assert.deepEqual(r, { assignments: [], unschedulable: [] });
  });

  it('pre-assigned tasks are placed before the others take the room', () => {
    const nodes = [aNode('n1', { nanoCPUs: CPU })];
    const r = run(nodes, [], [aTask('r1', 'r', { nanoCPUs: CPU, createdAt: '2023-01-01T00:00:00Z' }), aTask('g1', 'g', { nodeId: 'n1', nanoCPUs: CPU })]);
    assert.deepEqual(r.assignments, [{ taskId: 'g1', nodeId: 'n1' }]);
  });

  it('gives the room to the oldest tasks when it runs short', () => {
    const nodes = [aNode('n1', { nanoCPUs: CPU })];
    const young = aTask('young', 'a', { nanoCPUs: CPU, createdAt: '2024-01-02T00:00:00Z' });
    const old = aTask('old', 'b', { nanoCPUs: CPU, createdAt: '2024-01-01T00:00:00Z' });
    const r = run(nodes, [], [young, old]);
    assert.deepEqual(r.assignments, [{ taskId: 'old', nodeId: 'n1' }]);
  });

  it('leaves out tasks that are not pending or no longer wanted', () => {
    const pending = [
      aTask('new', 's', { state: 'new' }),
      aTask('assigned', 's', { state: 'assigned', nodeId: 'n1' }),
      aTask('unwanted', 's', { desired: 'shutdown' }),
      aTask('removed', 's', { desired: 'remove' }),
      aTask('ready', 's', { desired: 'ready' }),
    ];
    const r = run([aNode('n1')], [], pending);
    assert.deepEqual(r.assignments, [{ taskId: 'ready', nodeId: 'n1' }], 'a delayed restart (desired READY) is placed');
  });

  it('batches tasks without a spec version by their spec', () => {
    const r = run([aNode('n1'), aNode('n2')], [], [...someTasks(2, 's', { specVersion: null }), ...someTasks(2, 's', { specVersion: null, constraints: ['node.id==n2'] }, 'c')]);
    const constrained = r.assignments.filter((a) => a.taskId.startsWith('c.'));
    assert.deepEqual(constrained.map((a) => a.nodeId), ['n2', 'n2'], 'the constrained batch is checked on its own');
    assert.deepEqual(perNode(r), { n1: 2, n2: 2 }, 'and the service stays spread');
  });

  it('pushes a node back after 5 failures of the service version within 5 minutes', () => {
    const set = NodeSet.of([aNode('n1'), aNode('n2')], []);
    const failed = aTask('f', 's1', { state: 'failed', nodeId: 'n1' });
    for (let i = 0; i < 5; i++) set.recordFailure(failed, NOW - 1000 * i);
    const r = scheduleOn(set, someTasks(3, 's1'), { random: seededRandom(1), now: NOW });
    assert.deepEqual(perNode(r), { n2: 3 }, 'failures decide before the spread');
    const later = NodeSet.of([aNode('n1'), aNode('n2')], []);
    for (let i = 0; i < 5; i++) later.recordFailure(failed, NOW - 1000 * i);
    const r2 = scheduleOn(later, someTasks(4, 's1'), { random: seededRandom(1), now: NOW + 5 * 60_000 });
    assert.deepEqual(perNode(r2), { n1: 2, n2: 2 }, 'the window has passed');
  });

  it('is deterministic for a seed, and does not place the same task twice', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => aNode(`n${i}`));
    const tasks = someTasks(7, 's1');
    const a = schedule(nodes, [], tasks, { random: seededRandom(42), now: NOW });
    const b = schedule(nodes, [], [...tasks, ...tasks], { random: seededRandom(42), now: NOW });
    assert.deepEqual(a, b);
  });

  it('keeps its decisions in the NodeSet it was given', () => {
    const set = NodeSet.of([aNode('n1', { nanoCPUs: CPU })], []);
    const first = scheduleOn(set, [aTask('a', 's', { nanoCPUs: CPU })], { random: seededRandom(1), now: NOW });
    assert.equal(first.assignments.length, 1);
    const second = scheduleOn(set, [aTask('b', 's', { nanoCPUs: CPU })], { random: seededRandom(1), now: NOW });
    assert.deepEqual(second.unschedulable, [{ taskId: 'b', message: 'no suitable node (insufficient resources on 1 node)' }]);
    assert.deepEqual(scheduleOn(set, [aTask('a', 's', { nanoCPUs: CPU })], { random: seededRandom(1), now: NOW }), { assignments: [], unschedulable: [] }, 'a task already bound is not placed again');
    set.untrack('a');
    assert.equal(scheduleOn(set, [aTask('b', 's', { nanoCPUs: CPU })], { random: seededRandom(1), now: NOW }).assignments.length, 1);
  });
});
