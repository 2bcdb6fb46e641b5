/**
 * Test support for the orchestrator tests (imported by *.test.ts only, never by the components or index.ts):
 * builders for services, nodes and tasks, a store harness that runs components, and a fake agent that plays the
 * allocator, scheduler, dispatcher and agent by writing task states straight into the store, one forward step per
 * write. It takes the clock from the test (test/fakes' FakeClock), so it imports nothing from test/.
 */
import { isShoalError } from '../../api/errors.js';
import { TaskState } from '../../api/task-state.js';
import type { TaskStateName } from '../../api/task-state.js';
import type { Node, RestartPolicy, Service, ServiceMode, Task, TaskSpec, UpdateConfig } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import { seededRandom } from '../../lib/random.js';
import { Store, createMemoryBackend } from '../../store/index.js';
import { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';

export const T0 = Date.UTC(2024, 0, 1);
export const SECOND_NS = 1e9;

export interface ServiceOptions {
  id?: string;
  name?: string;
  replicas?: number;
  mode?: ServiceMode;
  image?: string;
  restart?: RestartPolicy;
  update?: UpdateConfig;
  rollback?: UpdateConfig;
  labels?: Record<string, string>;
  constraints?: string[];
  specVersion?: number;
}

export function aService(o: ServiceOptions = {}): Service {
  const template: TaskSpec = { ContainerSpec: { Image: o.image ?? 'web:1' } };
  if (o.restart !== undefined) template.RestartPolicy = o.restart;
  if (o.constraints !== undefined) template.Placement = { Constraints: o.constraints };
  const s: Service = {
    ID: o.id ?? 'svc1',
    Version: { Index: 0 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: {
      Name: o.name ?? 'web',
      Labels: o.labels ?? {},
      TaskTemplate: template,
      Mode: o.mode ?? { Replicated: { Replicas: o.replicas ?? 1 } },
    },
    SpecVersion: { Index: o.specVersion ?? 1 },
  };
  if (o.update !== undefined) s.Spec.UpdateConfig = o.update;
  if (o.rollback !== undefined) s.Spec.RollbackConfig = o.rollback;
  return s;
}

export function aNode(id: string, o: { state?: Node['Status']['State']; availability?: Node['Spec']['Availability']; labels?: Record<string, string> } = {}): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: { Labels: o.labels ?? {}, Role: 'worker', Availability: o.availability ?? 'active' },
    Description: {
      Hostname: id,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 4e9, MemoryBytes: 2 ** 33 },
      Engine: { EngineVersion: 'shoal', Plugins: [] },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: o.state ?? 'ready', Addr: '10.0.0.1' },
  };
}

/** A task as the cores see it, for pure tests. */
export function aTask(
  id: string,
  service: Service,
  o: { slot?: number; node?: string; state?: TaskStateName; desired?: TaskStateName; createdAt?: number; at?: number; spec?: TaskSpec; iteration?: number } = {},
): Task {
  const created = rfc3339Nano(o.createdAt ?? T0);
  const t: Task = {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: created,
    UpdatedAt: created,
    Labels: {},
    Spec: structuredClone(o.spec ?? service.Spec.TaskTemplate),
    ServiceID: service.ID,
    Status: { Timestamp: rfc3339Nano(o.at ?? o.createdAt ?? T0), State: o.state ?? 'running', Message: '' },
    DesiredState: o.desired ?? 'running',
  };
  if (o.slot !== undefined) t.Slot = o.slot;
  if (o.node !== undefined) t.NodeID = o.node;
  if (service.SpecVersion !== undefined && o.spec === undefined) t.SpecVersion = { ...service.SpecVersion };
  if (o.iteration !== undefined) t.JobIteration = { Index: o.iteration };
  return t;
}

/** Polls until `cond` holds, yielding to the event loop between tries; fails after 5 s of real time. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export type Behaviour = 'run' | 'fail' | 'reject' | 'hold' | 'exit0';

export interface HarnessOptions {
  clock: Clock & { advance(ms: number): void };
  seed?: number;
  /** How the fake agent treats a task once it may start (default: run; jobs exit 0). */
  behave?: (t: Task) => Behaviour;
  /** Which node a task without one is placed on (default: round robin over ready, active nodes). */
  place?: (t: Task, nodes: Node[]) => string | undefined;
}

interface Runnable {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

/** A memory store, the components under test, and the fake agent, all stopped by `await using`. */
export class Harness implements AsyncDisposable {
  readonly store: Store;
  readonly clock: Clock & { advance(ms: number): void };
  readonly random: Random;
  readonly deps: OrchestratorDeps;
  private controller = new AbortController();
  private readonly running: Promise<void>[] = [];
  private readonly failures: unknown[] = [];
  private rr = 0;

  constructor(private readonly o: HarnessOptions) {
    this.clock = o.clock;
    this.random = seededRandom(o.seed ?? 7);
    this.store = new Store(createMemoryBackend({ clock: o.clock }));
    this.deps = { store: this.store, clock: this.clock, random: this.random, logger: nullLogger };
  }

  start(...components: Runnable[]): void {
    for (const c of components) {
      this.running.push(
        c.run(this.controller.signal).then(
          () => {
            if (!this.controller.signal.aborted) this.failures.push(new Error(`${c.name} stopped by itself`));
          },
          (e: unknown) => void this.failures.push(e),
        ),
      );
    }
  }

  /** Starts the fake agent. */
  startAgent(): void {
    this.start({ name: 'fake-agent', run: (signal) => this.agentLoop(signal) });
  }

  /** Stops every component (and the agent); they can be started again on the same store. */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.running);
    this.running.length = 0;
    this.controller = new AbortController();
    this.check();
  }

  check(): void {
    if (this.failures.length > 0) throw this.failures[0] as Error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async create(...objs: (Service | Node)[]): Promise<void> {
    await this.store.update((tx) => {
      for (const o of objs) {
        if ('Description' in o) tx.create('nodes', o);
        else tx.create('services', o);
      }
    });
  }

  async tasks(serviceId = 'svc1'): Promise<Task[]> {
    return (await this.store.view().list('tasks')).filter((t) => t.ServiceID === serviceId);
  }

  async service(id = 'svc1'): Promise<Service> {
    const s = await this.store.view().get('services', id);
    if (s === undefined) throw new Error(`no service ${id}`);
    return s;
  }

  /** What the control API does on `service update`: new spec, PreviousSpec, SpecVersion bumped, status reset. */
  async updateService(id: string, change: (s: Service) => void): Promise<void> {
    await this.store.update(async (tx) => {
      const s = await tx.get('services', id);
      if (s === undefined) throw new Error(`no service ${id}`);
      const next = structuredClone(s);
      next.PreviousSpec = structuredClone(s.Spec);
      change(next);
      next.SpecVersion = { Index: s.Version.Index };
      delete next.UpdateStatus;
      tx.update('services', next);
    });
  }

  /** What the control API does on `service rollback`. */
  async rollbackService(id: string): Promise<void> {
    await this.store.update(async (tx) => {
      const s = await tx.get('services', id);
      if (s?.PreviousSpec === undefined) throw new Error(`no previous spec for ${id}`);
      const next = structuredClone(s);
      next.Spec = s.PreviousSpec;
      next.PreviousSpec = s.Spec;
      next.SpecVersion = { Index: s.Version.Index };
      next.UpdateStatus = { State: 'rollback_started', Message: 'manually requested rollback', StartedAt: rfc3339Nano(this.clock.now()) };
      tx.update('services', next);
    });
  }

  async deleteService(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('services', id));
  }

  async updateNode(id: string, change: (n: Node) => void): Promise<void> {
    await this.store.update(async (tx) => {
      const n = await tx.get('nodes', id);
      if (n === undefined) throw new Error(`no node ${id}`);
      change(n);
      tx.update('nodes', n);
    });
  }

  /** Writes a task state as an agent would report it (no-op if the task is already further). */
  async report(taskId: string, state: TaskStateName, err?: string): Promise<void> {
    await this.store.update(async (tx) => {
      const t = await tx.get('tasks', taskId);
      if (t === undefined || TaskState[t.Status.State] >= TaskState[state]) return;
      t.Status = { Timestamp: rfc3339Nano(this.clock.now()), State: state, Message: state };
      if (err !== undefined) t.Status.Err = err;
      tx.update('tasks', t);
    });
  }

  /** Waits until no component writes anything for a while (every watcher has caught up); fails after 10 s. */
  async quiesce(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (let stable = 0; stable < 3; ) {
      if (Date.now() > deadline) throw new Error(`the store never went quiet (rev ${await this.store.rev()})`);
      const before = await this.store.rev();
      for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
      this.check();
      stable = (await this.store.rev()) === before ? stable + 1 : 0;
    }
  }

  /** Advances the fake clock in steps of `stepMs` up to `totalMs`, letting everything settle between steps. */
  async advance(totalMs: number, stepMs = totalMs): Promise<void> {
    await this.quiesce();
    for (let t = 0; t < totalMs; t += stepMs) {
      this.clock.advance(Math.min(stepMs, totalMs - t));
      await this.quiesce();
    }
  }

  // ---------------------------------------------------------------- the fake agent

  private async agentLoop(signal: AbortSignal): Promise<void> {
    const { cache, rev } = await ClusterCache.load(this.store);
    const dirty = new Set(cache.tasks.keys());
    const watch = this.store.watch(rev, signal)[Symbol.asyncIterator]();
    for (;;) {
      for (const id of [...dirty]) {
        dirty.delete(id);
        const t = cache.tasks.get(id);
        if (t !== undefined) await this.step(t, cache);
      }
      const got = await watch.next();
      if (got.done === true) return;
      for (const e of got.value) {
        cache.apply(e);
        if (e.kind === 'tasks' && e.action !== 'remove') dirty.add(e.object.ID);
        if (e.kind === 'nodes') for (const t of cache.tasks.values()) if (t.NodeID === e.object.ID) dirty.add(t.ID);
      }
    }
  }

  private nextState(t: Task, cache: ClusterCache): { state: TaskStateName; node?: string; err?: string } | undefined {
    const s = TaskState[t.Status.State];
    const desired = TaskState[t.DesiredState];
    if (s >= TaskState.complete) return undefined;
    const node = t.NodeID === undefined ? undefined : cache.nodes.get(t.NodeID);
    if (node?.Status.State === 'down') return undefined; // a down node reports nothing
    if (desired > TaskState.complete) return s >= TaskState.assigned ? { state: 'shutdown' } : undefined;
    if (s < TaskState.pending) return { state: 'pending' };
    if (s < TaskState.assigned) {
      const ready = [...cache.nodes.values()].filter((n) => n.Status.State === 'ready' && n.Spec.Availability === 'active');
      const chosen = t.NodeID ?? (this.o.place ? this.o.place(t, ready) : ready[this.rr++ % Math.max(1, ready.length)]?.ID);
      return chosen === undefined ? undefined : { state: 'assigned', node: chosen };
    }
    if (s < TaskState.ready) return { state: 'ready' };
    if (desired < TaskState.running) return undefined; // held at READY
    const job = t.DesiredState === 'complete';
    const how = this.o.behave?.(t) ?? (job ? 'exit0' : 'run');
    switch (how) {
      case 'hold':
        return undefined;
      case 'reject':
        return { state: 'rejected', err: 'No such image: web:bad' };
      case 'fail':
        return { state: 'failed', err: 'task: non-zero exit (1)' };
      case 'run':
        return s < TaskState.running ? { state: 'running' } : undefined;
      case 'exit0':
        return s < TaskState.running ? { state: 'running' } : { state: 'complete' };
    }
  }

  private async step(t: Task, cache: ClusterCache): Promise<void> {
    const next = this.nextState(t, cache);
    if (next === undefined) return;
    const copy = structuredClone(t);
    copy.Status = { Timestamp: rfc3339Nano(this.clock.now()), State: next.state, Message: next.state };
    if (next.err !== undefined) copy.Status.Err = next.err;
    if (next.node !== undefined) copy.NodeID = next.node;
    try {
      await this.store.update((tx) => tx.update('tasks', copy));
      cache.put('tasks', copy);
    } catch (e) {
      if (!isShoalError(e, 'Conflict') && !isShoalError(e, 'NotFound')) throw e;
      // someone moved first: the event brings the task back
    }
  }
}

/**
 * A component that calls `check` with the cluster as of every committed revision (after the initial snapshot),
 * for invariants that must hold at every moment, not only at the end.
 */
export function recorder(store: Store, check: (cache: ClusterCache, rev: number) => void): Runnable {
  return {
    name: 'recorder',
    run: async (signal) => {
      const { cache, rev } = await ClusterCache.load(store);
      check(cache, rev);
      for await (const events of store.watch(rev, signal)) {
        for (const e of events) cache.apply(e);
        const last = events[events.length - 1];
        if (last !== undefined) {
          cache.settle(last.rev);
          check(cache, last.rev);
        }
      }
    },
  };
}
