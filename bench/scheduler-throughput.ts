/**
 * bench/scheduler-throughput: how fast the scheduler places tasks — the pure core alone, the core plus the store
 * (every decision written back in version-checked transactions), and the scheduler component end to end — on
 * the in-memory store. Run: `node --import tsx bench/scheduler-throughput.ts [--tasks 100000] [--nodes 1000]`.
 *
 * The cluster: N nodes in 4 zones × 25 racks, a third with `disk=ssd`, 5% with an engine label `gpu=yes`, 10%
 * arm64, 3 managers, 1% drained and 1% down. The services (tasks / 500 of them by default) mix plain replicas,
 * `node.labels.zone==a`, spread over zones with reservations, `disk==ssd` + `node.role!=manager` with max 3 per
 * node, an amd64 platform with reservations, two-level spread (zone, rack), and a few host-mode ports.
 *
 * Phases, each timed:
 * 1. load: nodes, services and PENDING tasks into a memory store (not part of any rate);
 * 2. pure core: read the snapshot, `schedule(...)` every task;
 * 3. core + store: phase 2, then every assignment written as the component writes it (re-read the task and its
 *    node in the transaction, `update` with version checks), 200 tasks per transaction;
 * 4. component: a fresh store with the same tasks, the Scheduler component running until every task is
 *    assigned (counted from the store's watch).
 * Stdout gets the table, then one JSON line. An overall timeout (default 300 s) bounds the run.
 */
import { parseArgs } from 'node:util';
import type { Node, Service, Task } from '../src/api/types.js';
import { rfc3339Nano, systemClock } from '../src/lib/clock.js';
import { seededRandom } from '../src/lib/random.js';
import { Scheduler, schedule } from '../src/manager/scheduler/index.js';
import type { ScheduleResult } from '../src/manager/scheduler/index.js';
import { CPU, GiB, aNode, aService, aTask } from '../src/manager/scheduler/fixtures.testkit.js';
import type { TaskOptions } from '../src/manager/scheduler/fixtures.testkit.js';
import { Store, createMemoryBackend, objectPrefix } from '../src/store/index.js';
import { intOption, progress } from './lib/common.js';

const USAGE = `usage: node --import tsx bench/scheduler-throughput.ts [options]
  --tasks N       tasks to place (default 100000, 1..1000000)
  --nodes M       nodes (default 1000, 1..20000)
  --per-service K tasks per service (default 500, 1..100000)
  --seed S        random seed (default 1)
  --timeout S     overall bound in seconds (default 300, 10..3600)
  --help`;

interface Options {
  tasks: number;
  nodes: number;
  perService: number;
  seed: number;
  timeoutS: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tasks: { type: 'string' },
      nodes: { type: 'string' },
      'per-service': { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    tasks: intOption(values.tasks, 'tasks', 100_000, 1, 1_000_000),
    nodes: intOption(values.nodes, 'nodes', 1000, 1, 20_000),
    perService: intOption(values['per-service'], 'per-service', 500, 1, 100_000),
    seed: intOption(values.seed, 'seed', 1, 0, 2 ** 31),
    timeoutS: intOption(values.timeout, 'timeout', 300, 10, 3600),
  };
}

// ---------------------------------------------------------------- the simulated cluster

function makeNodes(n: number): Node[] {
  return Array.from({ length: n }, (_, i) =>
    aNode(`node-${String(i).padStart(5, '0')}`, {
      role: i < 3 ? 'manager' : 'worker',
      labels: { zone: 'abcd'[i % 4] ?? 'a', rack: `r${Math.floor(i / 4) % 25}`, ...(i % 3 === 0 ? { disk: 'ssd' } : {}) },
      ...(i % 20 === 7 ? { engineLabels: { gpu: 'yes' } } : {}),
      nanoCPUs: 16 * CPU,
      memoryBytes: 64 * GiB,
      arch: i % 10 === 9 ? 'aarch64' : 'x86_64',
      ...(i % 100 === 50 ? { availability: 'drain' as const } : {}),
      ...(i % 100 === 75 ? { state: 'down' as const } : {}),
    }),
  );
}

/** The task template of service `k`, by kind. */
function serviceShape(k: number): { kind: string; opts: TaskOptions } {
  const hostPort = k % 50 === 49 ? { hostPorts: [10_000 + k] } : {};
  switch (k % 10) {
    case 5:
      return { kind: 'constraint zone==a', opts: { constraints: ['node.labels.zone==a'], ...hostPort } };
    case 6:
      return { kind: 'spread zone + reservations', opts: { spread: ['node.labels.zone'], nanoCPUs: CPU / 10, memoryBytes: 64 * 2 ** 20, ...hostPort } };
    case 7:
      return { kind: 'ssd, not manager, max 3/node', opts: { constraints: ['node.labels.disk==ssd', 'node.role!=manager'], maxReplicas: 3, ...hostPort } };
    case 8:
      return { kind: 'amd64 + reservations', opts: { platforms: [{ Architecture: 'amd64', OS: 'linux' }], nanoCPUs: CPU / 4, memoryBytes: 128 * 2 ** 20, ...hostPort } };
    case 9:
      return { kind: 'spread zone, rack', opts: { spread: ['node.labels.zone', 'node.labels.rack'], ...hostPort } };
    default:
      return { kind: 'plain', opts: { ...hostPort } };
  }
}

function makeWorkload(tasks: number, perService: number): { services: Service[]; tasks: Task[]; kinds: Record<string, number> } {
  const services: Service[] = [];
  const out: Task[] = [];
  const kinds: Record<string, number> = {};
  for (let k = 0; out.length < tasks; k++) {
    const id = `svc-${String(k).padStart(5, '0')}`;
    const { kind, opts } = serviceShape(k);
    services.push(aService(id, id));
    const n = Math.min(perService, tasks - out.length);
    kinds[kind] = (kinds[kind] ?? 0) + n;
    // Distinct creation times keep the core's oldest-first order meaningful.
    for (let s = 1; s <= n; s++) out.push(aTask(`${id}.${s}`, id, { ...opts, slot: s, createdAt: rfc3339Nano(Date.UTC(2024, 0, 1) + out.length) }));
  }
  return { services, tasks: out, kinds };
}

async function load(store: Store, nodes: Node[], services: Service[], tasks: Task[]): Promise<void> {
  await store.update((tx) => {
    for (const n of nodes) tx.create('nodes', n);
    for (const s of services) tx.create('services', s);
  });
  for (let i = 0; i < tasks.length; i += 5000) {
    await store.update((tx) => {
      for (const t of tasks.slice(i, i + 5000)) tx.create('tasks', { ...t, Version: { Index: 0 } });
    });
  }
}

// ---------------------------------------------------------------- phases

/** Writes assignments as the component does: re-read the task and its node in the transaction, version-checked. */
async function commitAssignments(store: Store, result: ScheduleResult, nodes: ReadonlyMap<string, Node>, deadline: number): Promise<number> {
  let written = 0;
  const stamp = rfc3339Nano(Date.now());
  for (let i = 0; i < result.assignments.length; i += 200) {
    if (Date.now() > deadline) throw new Error('timed out while writing assignments');
    const batch = result.assignments.slice(i, i + 200);
    const { result: n } = await store.update(async (tx) => {
      let count = 0;
      const seen = new Map<string, Node | undefined>();
      for (const a of batch) {
        const cur = await tx.get('tasks', a.taskId);
        if (cur === undefined || cur.Status.State !== 'pending') continue;
        if (!seen.has(a.nodeId)) seen.set(a.nodeId, await tx.get('nodes', a.nodeId));
        if (seen.get(a.nodeId)?.Version.Index !== nodes.get(a.nodeId)?.Version.Index) continue;
        tx.update('tasks', { ...cur, NodeID: a.nodeId, Status: { Timestamp: stamp, State: 'assigned', Message: 'scheduler assigned task to node' }, UpdatedAt: stamp });
        count++;
      }
      return count;
    });
    written += n;
  }
  return written;
}

/** Runs the Scheduler component over a loaded store until `expected` tasks are assigned. */
async function runComponent(store: Store, expected: number, seed: number, deadline: number): Promise<{ ms: number; assigned: number }> {
  const from = await store.rev();
  const watching = new AbortController();
  const stopComponent = new AbortController();
  const scheduler = new Scheduler({ store, clock: systemClock, random: seededRandom(seed), batchDelayMs: 5 });
  const t0 = performance.now();
  const running = scheduler.run(stopComponent.signal);
  let assigned = 0;
  const timer = setTimeout(() => watching.abort(), Math.max(0, deadline - Date.now()));
  try {
    // Raw backend events, not decoded: the counting must not cost the component its time.
    for await (const batch of store.backend.watch(objectPrefix('tasks'), from, watching.signal)) {
      for (const e of batch.events) if (e.type === 'put' && e.kv.value.includes('"State":"assigned"')) assigned++;
      if (assigned >= expected) break;
    }
  } finally {
    clearTimeout(timer);
    watching.abort();
  }
  const ms = performance.now() - t0;
  stopComponent.abort();
  await running;
  if (assigned < expected) throw new Error(`timed out: the component assigned ${assigned} of ${expected} tasks`);
  return { ms, assigned };
}

function checkResult(result: ScheduleResult, nodes: readonly Node[], tasks: readonly Task[]): void {
  const byId = new Map(tasks.map((t) => [t.ID, t]));
  const cpu = new Map<string, number>();
  for (const a of result.assignments) {
    const r = byId.get(a.taskId)?.Spec.Resources?.Reservations?.NanoCPUs ?? 0;
    cpu.set(a.nodeId, (cpu.get(a.nodeId) ?? 0) + r);
  }
  for (const n of nodes) if ((cpu.get(n.ID) ?? 0) > n.Description.Resources.NanoCPUs) throw new Error(`${n.ID} over-committed`);
}

const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} placements/s`;
const msStr = (ms: number): string => `${ms.toFixed(0).padStart(7)} ms`;

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const deadline = Date.now() + o.timeoutS * 1000;
  const guard = setTimeout(() => {
    process.stderr.write(`[bench] timed out after ${o.timeoutS} s\n`);
    process.exit(2);
  }, o.timeoutS * 1000);
  guard.unref();

  const nodes = makeNodes(o.nodes);
  const { services, tasks, kinds } = makeWorkload(o.tasks, o.perService);
  progress(`${tasks.length} tasks of ${services.length} services on ${nodes.length} nodes`);

  // 1. load
  const store = new Store(createMemoryBackend());
  let t = performance.now();
  await load(store, nodes, services, tasks);
  const loadMs = performance.now() - t;
  progress(`loaded in ${loadMs.toFixed(0)} ms`);

  // 2. pure core (from a snapshot of the store)
  t = performance.now();
  const view = store.view();
  const [snapNodes, snapTasks, snapServices] = await Promise.all([view.list('nodes'), view.list('tasks'), view.list('services')]);
  const snapshotMs = performance.now() - t;
  t = performance.now();
  const result = schedule(snapNodes, [], snapTasks, { random: seededRandom(o.seed), now: Date.now(), services: new Map(snapServices.map((s) => [s.ID, s])) });
  const coreMs = performance.now() - t;
  checkResult(result, snapNodes, snapTasks);
  const placed = result.assignments.length;
  progress(`core: ${placed} placed, ${result.unschedulable.length} unschedulable in ${coreMs.toFixed(0)} ms`);

  // 3. core + store writes
  t = performance.now();
  const written = await commitAssignments(store, result, new Map(snapNodes.map((n) => [n.ID, n])), deadline);
  const writeMs = performance.now() - t;
  if (written !== placed) throw new Error(`wrote ${written} of ${placed} assignments`);
  const storeTotalMs = snapshotMs + coreMs + writeMs;

  // 4. the component, end to end
  const fresh = new Store(createMemoryBackend());
  await load(fresh, nodes, services, tasks);
  progress('running the component');
  const component = await runComponent(fresh, placed, o.seed, deadline);
  clearTimeout(guard);

  const lines = [
    `scheduler throughput: ${tasks.length.toLocaleString('en-US')} tasks, ${services.length} services, ${nodes.length} nodes (seed ${o.seed})`,
    `  workload: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  placed ${placed}, unschedulable ${result.unschedulable.length}`,
    `  load into the memory store ${msStr(loadMs)}   (not counted)`,
    `  pure core                  ${msStr(coreMs)}   ${rate(placed, coreMs)}`,
    `  core + store               ${msStr(storeTotalMs)}   ${rate(placed, storeTotalMs)}   (snapshot ${snapshotMs.toFixed(0)} ms, core ${coreMs.toFixed(0)} ms, writes ${writeMs.toFixed(0)} ms; ${(coreMs / storeTotalMs).toFixed(2)}× the pure core's rate)`,
    `  component end to end       ${msStr(component.ms)}   ${rate(placed, component.ms)}   (${(coreMs / component.ms).toFixed(2)}× the pure core's rate)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = {
    bench: 'scheduler-throughput',
    tasks: tasks.length,
    nodes: nodes.length,
    services: services.length,
    placed,
    unschedulable: result.unschedulable.length,
    coreMs: Math.round(coreMs),
    corePerSec: Math.round((placed / coreMs) * 1000),
    storeMs: Math.round(storeTotalMs),
    storePerSec: Math.round((placed / storeTotalMs) * 1000),
    componentMs: Math.round(component.ms),
    componentPerSec: Math.round((placed / component.ms) * 1000),
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
