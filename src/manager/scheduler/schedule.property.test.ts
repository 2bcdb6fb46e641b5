/**
 * Property tests for the scheduler core (DESIGN §4.2): random clusters and services from a seeded generator,
 * hundreds of cases, each checked for the invariants. A failure names its seed, so it replays exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeMatchesConstraints, nodeSupportsPlatforms, parseConstraints } from '../../api/constraints.js';
import type { Node, Task } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { seededRandom } from '../../lib/random.js';
import { requirementsOf } from './filters.js';
import { CPU, GiB, aNode, aTask, type TaskOptions } from './fixtures.testkit.js';
import { NodeSet } from './node-info.js';
import { Pipeline } from './pipeline.js';
import { schedule, type ScheduleResult } from './schedule.js';
import { holdsNode, hostPortsOf, reservationOf } from './task-facts.js';

const CASES = 300;
const NOW = Date.UTC(2024, 0, 1);

const int = (r: Random, lo: number, hi: number): number => lo + Math.floor(r.float() * (hi - lo + 1));
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r.float() * xs.length)] as T;
const chance = (r: Random, p: number): boolean => r.float() < p;

interface ServiceShape {
  id: string;
  replicas: number;
  opts: TaskOptions;
}

interface Scenario {
  nodes: Node[];
  existing: Task[];
  pending: Task[];
  services: ServiceShape[];
}

const CONSTRAINTS = [
  ['node.labels.zone==a'],
  ['node.labels.zone!=a'],
  ['node.role==manager'],
  ['node.role!=manager', 'node.labels.disk==ssd'],
  ['engine.labels.gpu==yes'],
  ['node.platform.arch==x86_64'],
];

function generate(seed: number): Scenario {
  const r = seededRandom(seed);
  const nodes: Node[] = [];
  for (let i = 0, n = int(r, 0, 12); i < n; i++) {
    const labels: Record<string, string> = {};
    if (chance(r, 0.8)) labels.zone = pick(r, ['a', 'b', 'c']);
    if (chance(r, 0.5)) labels.rack = pick(r, ['1', '2']);
    if (chance(r, 0.3)) labels.disk = 'ssd';
    nodes.push(
      aNode(`n${i}`, {
        labels,
        ...(chance(r, 0.3) ? { engineLabels: { gpu: 'yes' } } : {}),
        role: chance(r, 0.3) ? 'manager' : 'worker',
        nanoCPUs: int(r, 1, 8) * CPU,
        memoryBytes: int(r, 1, 16) * GiB,
        state: chance(r, 0.85) ? 'ready' : pick(r, ['down', 'unknown', 'disconnected']),
        availability: chance(r, 0.85) ? 'active' : pick(r, ['pause', 'drain']),
        arch: chance(r, 0.8) ? 'x86_64' : 'aarch64',
      }),
    );
  }

  // Tasks already on nodes, within each node's capacity and never sharing a host port on a node.
  const existing: Task[] = [];
  for (const node of nodes) {
    let cpu = node.Description.Resources.NanoCPUs;
    let mem = node.Description.Resources.MemoryBytes;
    const ports = new Set<number>();
    for (let j = 0, k = int(r, 0, 4); j < k; j++) {
      const nanoCPUs = chance(r, 0.5) ? int(r, 0, 2) * (CPU / 2) : 0;
      const memoryBytes = chance(r, 0.5) ? int(r, 0, 4) * (GiB / 2) : 0;
      if (nanoCPUs > cpu || memoryBytes > mem) continue;
      cpu -= nanoCPUs;
      mem -= memoryBytes;
      const port = 8000 + int(r, 0, 3);
      const withPort = chance(r, 0.3) && !ports.has(port);
      if (withPort) ports.add(port);
      existing.push(
        aTask(`${node.ID}-old${j}`, `old${int(r, 0, 2)}`, {
          nodeId: node.ID,
          state: pick(r, ['assigned', 'accepted', 'running']),
          nanoCPUs,
          memoryBytes,
          ...(withPort ? { reportedHostPorts: [port] } : {}),
        }),
      );
    }
    if (chance(r, 0.3)) existing.push(aTask(`${node.ID}-dead`, 'old0', { nodeId: node.ID, state: 'failed', nanoCPUs: 64 * CPU }));
  }

  const services: ServiceShape[] = [];
  const pending: Task[] = [];
  for (let s = 0, n = int(r, 1, 5); s < n; s++) {
    const opts: TaskOptions = {
      ...(chance(r, 0.5) ? { nanoCPUs: int(r, 1, 4) * (CPU / 2) } : {}),
      ...(chance(r, 0.5) ? { memoryBytes: int(r, 1, 6) * (GiB / 2) } : {}),
      ...(chance(r, 0.4) ? { constraints: pick(r, CONSTRAINTS) } : {}),
      ...(chance(r, 0.25) ? { spread: pick(r, [['node.labels.zone'], ['node.labels.zone', 'node.labels.rack'], ['engine.labels.gpu']]) } : {}),
      ...(chance(r, 0.25) ? { maxReplicas: int(r, 1, 3) } : {}),
      ...(chance(r, 0.25) ? { hostPorts: [8000 + int(r, 0, 3)] } : {}),
      ...(chance(r, 0.2) ? { platforms: [{ Architecture: pick(r, ['amd64', 'arm64']), OS: 'linux' }] } : {}),
    };
    const shape = { id: `svc${s}`, replicas: int(r, 0, 15), opts };
    services.push(shape);
    for (let i = 1; i <= shape.replicas; i++) pending.push(aTask(`${shape.id}.${i}`, shape.id, { slot: i, ...opts }));
  }
  // A few global tasks pinned to nodes.
  for (const node of nodes) if (chance(r, 0.2)) pending.push(aTask(`global.${node.ID}`, 'global', { nodeId: node.ID, nanoCPUs: CPU / 2 }));
  return { nodes, existing, pending, services };
}

function run(s: Scenario, seed: number): ScheduleResult {
  return schedule(s.nodes, s.existing, s.pending, { random: seededRandom(seed), now: NOW });
}

/** The tasks holding each node once the assignments are applied. */
function finalTasks(s: Scenario, res: ScheduleResult): Task[] {
  const byId = new Map(s.pending.map((t) => [t.ID, t]));
  const placed = res.assignments.map((a) => ({ ...(byId.get(a.taskId) as Task), NodeID: a.nodeId, Status: { Timestamp: '', State: 'assigned' as const, Message: '' } }));
  return [...s.existing, ...placed];
}

function forEachCase(check: (s: Scenario, res: ScheduleResult, seed: number) => void): void {
  for (let seed = 1; seed <= CASES; seed++) {
    const s = generate(seed);
    const res = run(s, seed);
    try {
      check(s, res, seed);
    } catch (e) {
      throw new Error(`property failed for seed ${seed}: ${(e as Error).message}`, { cause: e });
    }
  }
}

describe('scheduler properties', () => {
  it('never over-commits a node on reservations', () => {
    forEachCase((s, res) => {
      const touched = new Set(res.assignments.map((a) => a.nodeId));
      const tasks = finalTasks(s, res).filter(holdsNode);
      for (const node of s.nodes) {
        if (!touched.has(node.ID)) continue;
        const mine = tasks.filter((t) => t.NodeID === node.ID);
        const cpu = mine.reduce((n, t) => n + reservationOf(t).nanoCPUs, 0);
        const mem = mine.reduce((n, t) => n + reservationOf(t).memoryBytes, 0);
        assert.ok(cpu <= node.Description.Resources.NanoCPUs, `${node.ID}: ${cpu} nanoCPUs reserved of ${node.Description.Resources.NanoCPUs}`);
        assert.ok(mem <= node.Description.Resources.MemoryBytes, `${node.ID}: ${mem} bytes reserved of ${node.Description.Resources.MemoryBytes}`);
      }
    });
  });

  it('never books a host port twice on a node', () => {
    forEachCase((s, res) => {
      const seen = new Set<string>();
      for (const t of finalTasks(s, res).filter(holdsNode)) {
        for (const p of hostPortsOf(t, undefined)) {
          const key = `${t.NodeID}:${p}`;
          assert.ok(!seen.has(key), `${key} booked twice`);
          seen.add(key);
        }
      }
    });
  });

  it('assigns only to ready, active nodes that satisfy constraints, platforms and max replicas', () => {
    forEachCase((s, res) => {
      const nodes = new Map(s.nodes.map((n) => [n.ID, n]));
      const tasks = new Map(s.pending.map((t) => [t.ID, t]));
      const perServiceNode = new Map<string, number>();
      for (const t of s.existing) if (t.NodeID !== undefined) perServiceNode.set(`${t.ServiceID}/${t.NodeID}`, (perServiceNode.get(`${t.ServiceID}/${t.NodeID}`) ?? 0) + 1);
      for (const a of res.assignments) {
        const node = nodes.get(a.nodeId) as Node;
        const task = tasks.get(a.taskId) as Task;
        assert.equal(node.Status.State, 'ready');
        assert.equal(node.Spec.Availability, 'active');
        assert.ok(nodeMatchesConstraints(parseConstraints(task.Spec.Placement?.Constraints), node), `${a.taskId} on ${a.nodeId} breaks a constraint`);
        assert.ok(nodeSupportsPlatforms(task.Spec.Placement?.Platforms, node));
        if (task.NodeID !== undefined) assert.equal(a.nodeId, task.NodeID, 'a pre-assigned task stays on its node');
        const key = `${task.ServiceID}/${a.nodeId}`;
        perServiceNode.set(key, (perServiceNode.get(key) ?? 0) + 1);
        const max = task.Spec.Placement?.MaxReplicas ?? 0;
        if (max > 0) assert.ok((perServiceNode.get(key) ?? 0) <= max, `${key} over max replicas ${max}`);
      }
    });
  });

  it('answers for every pending task exactly once, and leaves one pending only when no node can take it', () => {
    forEachCase((s, res) => {
      const answered = [...res.assignments.map((a) => a.taskId), ...res.unschedulable.map((u) => u.taskId)];
      assert.equal(new Set(answered).size, answered.length, 'no task answered twice');
      assert.deepEqual(new Set(answered), new Set(s.pending.map((t) => t.ID)));
      const after = NodeSet.of(s.nodes, finalTasks(s, res));
      const tasks = new Map(s.pending.map((t) => [t.ID, t]));
      for (const u of res.unschedulable) {
        const task = tasks.get(u.taskId) as Task;
        if (task.NodeID !== undefined) continue;
        assert.match(u.message, /^no suitable node( \(.+\))?$/);
        const pipeline = new Pipeline(requirementsOf(task, undefined));
        const fits = after.nodes().filter((i) => pipeline.passes(i)).map((i) => i.id);
        assert.deepEqual(fits, [], `${u.taskId} left pending though ${fits.join(',')} could take it`);
      }
    });
  });

  it('keeps spread skew at most 1 over the nodes a service can still use (no preferences)', () => {
    forEachCase((s, res) => {
      const after = NodeSet.of(s.nodes, finalTasks(s, res));
      for (const svc of s.services) {
        if (svc.opts.spread !== undefined || svc.replicas === 0) continue;
        const counts = new Map<string, number>();
        for (const a of res.assignments) if (a.taskId.startsWith(`${svc.id}.`)) counts.set(a.nodeId, (counts.get(a.nodeId) ?? 0) + 1);
        const pipeline = new Pipeline(requirementsOf(aTask('probe', svc.id, svc.opts), undefined));
        const open = after.nodes().filter((i) => pipeline.passes(i));
        if (open.length === 0) continue;
        const max = Math.max(0, ...counts.values());
        const min = Math.min(...open.map((i) => counts.get(i.id) ?? 0));
        assert.ok(max - min <= 1, `${svc.id}: ${max} on one node, ${min} on a node that could still take one`);
      }
    });
  });

  it('is deterministic for a seed', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const s = generate(seed);
      assert.deepEqual(run(s, seed), run(generate(seed), seed), `seed ${seed}`);
    }
  });

  it('generates varied cases (the properties are not vacuous)', () => {
    let placed = 0;
    let pending = 0;
    let spread = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const s = generate(seed);
      const res = run(s, seed);
      placed += res.assignments.length;
      pending += res.unschedulable.length;
      spread += s.services.filter((x) => x.opts.spread !== undefined).length;
    }
    assert.ok(placed > 1000 && pending > 200 && spread > 50, `placed ${placed}, pending ${pending}, spread services ${spread}`);
  });
});
