/**
 * An in-process swarm for integration tests (DESIGN §4.8): a REAL manager (store with an initialized cluster, the
 * Manager's dispatcher, allocator, scheduler, orchestrators and reaper under its supervisor, the dispatcher's routes
 * on a real mutual-TLS RPC server on 127.0.0.1:0 with certificates from src/ca) and N REAL agents (AgentSession +
 * Worker + ContainerExecutor over a ContainerService), each on its own FAKE runtime host (the one process boundary
 * faked here, DESIGN §4.3) and all sharing one real image store holding the fixture images.
 *
 * Time is the system clock: heartbeats, restart delays and update monitors are real timers, kept short (heartbeat
 * 1000 ms by default; the specs made by `aServiceSpec` use 100 ms restart delays), so tests await conditions with
 * deadlines (`cluster.until`) and never sleep.
 *
 *   const images = await clusterImages();                   // once per file; disposed in after()
 *   await using c = await aCluster(images, { nodes: 3 });
 *   const svc = await c.createService(aServiceSpec('web', { replicas: 3 }));
 *   await c.converged('web', 3);
 *   const [ctr] = c.running('web');                          // the containers on the fake hosts
 *   c.node(ctr.nodeId).exit(ctr.id, 1);                      // drive the fake runtime
 *
 * The first node is the manager's own node (role manager, as `swarm init` makes it); it runs an agent too, over the
 * same mTLS transport. `stopManager`/`startManager` stop and start the manager (a new Manager and RPC server on the
 * same address and store, like a daemon restart); `node.stop()`/`node.start()` do the same for an agent (its
 * containers keep running on its fake host, as under conmon, and are adopted on start).
 *
 * Every container event on the fake hosts (create, start, exit, remove) is appended, in order, to `cluster.events`,
 * for assertions on ordering (start-first vs stop-first) and concurrency.
 */
import { FakeNetworkHost, FakeNetworkMachine } from '../fakes/network.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec as RuntimeContainerSpec, Runtime } from '../../src/agent/exec/runtime.js';
import { ContainerService } from '../../src/agent/containers/service.js';
import { openImageStore, type LocalImageStore } from '../../src/agent/runtime/images/index.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from '../../src/agent/runtime/oci/index.js';
import { AgentSession } from '../../src/agent/session/index.js';
import { ContainerExecutor, Worker } from '../../src/agent/worker/index.js';
import { Filters } from '../../src/api/filters.js';
import type { TaskStateName } from '../../src/api/task-state.js';
import type { HealthConfig, Labels, Node, NodeAvailability, NodeDescription, NodeRole, Service, ServiceSpec, Task } from '../../src/api/types.js';
import { formatJoinToken, newTokenSecret, tlsInfo } from '../../src/ca/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { newId } from '../../src/lib/ids.js';
import { captureLogger, type Logger, type LogRecord } from '../../src/lib/logger.js';
import { seededRandom, type Random } from '../../src/lib/random.js';
import type { ControlDeps } from '../../src/manager/controlapi/deps.js';
import { createService, getService, removeService, updateService } from '../../src/manager/controlapi/services.js';
import { getNode, removeNode, updateNode } from '../../src/manager/controlapi/nodes.js';
import { initCluster } from '../../src/manager/controlapi/swarm.js';
import { Manager } from '../../src/manager/manager.js';
import { startRpcServer, type RpcServer, type RpcTls } from '../../src/rpc/index.js';
import { Store, createMemoryBackend } from '../../src/store/index.js';
import { openSqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';
import { FakeRuntimeHost, type FakeRuntime } from '../fakes/runtime.js';
import { buildImageTar, type ImageKind } from '../fixtures/images/build.js';
import { makePki, type TestPki } from '../harness/pki.js';

// ------------------------------------------------------------------ images

/** One real image store (temp dir) holding the fixture images, shared by every node of every cluster of a file. */
export interface ClusterImages extends AsyncDisposable {
  store: LocalImageStore;
  /** kind → reference (`misbehave` → `shoal-test/misbehave:1`). */
  refs: Partial<Record<ImageKind, string>>;
  /** The reference of a loaded kind (throws if it was not loaded). */
  ref(kind: ImageKind): string;
}

export async function clusterImages(kinds: readonly ImageKind[] = ['misbehave', 'web', 'web-v2']): Promise<ClusterImages> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cluster-images-'));
  try {
    const store = await openImageStore({ root: join(dir, 'images'), logger: captureLogger([]) });
    const refs: Partial<Record<ImageKind, string>> = {};
    for (const kind of kinds) {
      const image = await buildImageTar(kind);
      await store.load(image.path);
      if (!(await store.resolve(image.repoTag))) throw new Error(`fixture image ${image.repoTag} did not load`);
      refs[kind] = image.repoTag;
    }
    return {
      store,
      refs,
      ref: (kind) => {
        const r = refs[kind];
        if (r === undefined) throw new Error(`fixture image ${kind} was not loaded`);
        return r;
      },
      [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// ------------------------------------------------------------------ specs

const MS = 1e6; // ns per ms

export interface ServiceSpecOptions {
  image?: string;
  /** ContainerSpec.Command; `['fake', 'exit', '1']` runs the fake runtime's program (see test/fakes/runtime.ts). */
  command?: string[];
  replicas?: number;
  mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  maxConcurrent?: number;
  totalCompletions?: number;
  env?: string[];
  constraints?: string[];
  spread?: string;
  maxReplicasPerNode?: number;
  reserveMemory?: number;
  reserveNanoCPUs?: number;
  restart?: { condition?: 'none' | 'on-failure' | 'any'; delayMs?: number; maxAttempts?: number; windowMs?: number };
  update?: { parallelism?: number; delayMs?: number; failureAction?: 'pause' | 'continue' | 'rollback'; monitorMs?: number; maxFailureRatio?: number; order?: 'stop-first' | 'start-first' };
  rollback?: { parallelism?: number; delayMs?: number; failureAction?: 'pause' | 'continue'; monitorMs?: number; order?: 'stop-first' | 'start-first' };
  labels?: Labels;
  /** ContainerSpec.Healthcheck (durations in ns, as the Engine API has them). */
  healthcheck?: HealthConfig;
  /** ContainerSpec.StopGracePeriod (default 1 s): how long a stop waits after the stop signal before SIGKILL. */
  stopGraceMs?: number;
  /** Published ports in host mode: `published:target`. */
  hostPorts?: { published: number; target: number }[];
}

/**
 * A service spec as `docker service create` would send it, with short timings for tests: restart delay 100 ms,
 * update/rollback monitor 300 ms. The image defaults to the misbehave fixture running `fake sleep`.
 */
export function aServiceSpec(name: string, o: ServiceSpecOptions = {}): ServiceSpec {
  const mode = o.mode ?? 'replicated';
  const restart = o.restart ?? {};
  const spec: ServiceSpec = {
    Name: name,
    Labels: o.labels ?? {},
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image ?? 'shoal-test/misbehave:1',
        Command: o.command ?? ['fake', 'sleep'],
        ...(o.env ? { Env: o.env } : {}),
        ...(o.healthcheck ? { Healthcheck: o.healthcheck } : {}),
        StopGracePeriod: (o.stopGraceMs ?? 1000) * MS,
      },
      RestartPolicy: {
        Condition: restart.condition ?? 'any',
        Delay: (restart.delayMs ?? 100) * MS,
        MaxAttempts: restart.maxAttempts ?? 0,
        ...(restart.windowMs !== undefined ? { Window: restart.windowMs * MS } : {}),
      },
      Placement: {
        ...(o.constraints ? { Constraints: o.constraints } : {}),
        ...(o.spread ? { Preferences: [{ Spread: { SpreadDescriptor: o.spread } }] } : {}),
        ...(o.maxReplicasPerNode !== undefined ? { MaxReplicas: o.maxReplicasPerNode } : {}),
      },
      ...(o.reserveMemory !== undefined || o.reserveNanoCPUs !== undefined
        ? { Resources: { Reservations: { ...(o.reserveMemory !== undefined ? { MemoryBytes: o.reserveMemory } : {}), ...(o.reserveNanoCPUs !== undefined ? { NanoCPUs: o.reserveNanoCPUs } : {}) } } }
        : {}),
    },
    Mode:
      mode === 'global'
        ? { Global: {} }
        : mode === 'global-job'
          ? { GlobalJob: {} }
          : mode === 'replicated-job'
            ? { ReplicatedJob: { MaxConcurrent: o.maxConcurrent ?? 1, TotalCompletions: o.totalCompletions ?? o.maxConcurrent ?? 1 } }
            : { Replicated: { Replicas: o.replicas ?? 1 } },
    EndpointSpec: {
      Mode: 'vip',
      ...(o.hostPorts ? { Ports: o.hostPorts.map((p) => ({ Protocol: 'tcp' as const, TargetPort: p.target, PublishedPort: p.published, PublishMode: 'host' as const })) } : {}),
    },
  };
  // Jobs are not updated (a new spec is a new iteration): swarm refuses update and rollback configs for them.
  if (mode === 'replicated' || mode === 'global') {
    spec.UpdateConfig = {
      Parallelism: o.update?.parallelism ?? 1,
      Delay: (o.update?.delayMs ?? 0) * MS,
      FailureAction: o.update?.failureAction ?? 'pause',
      Monitor: (o.update?.monitorMs ?? 300) * MS,
      MaxFailureRatio: o.update?.maxFailureRatio ?? 0,
      Order: o.update?.order ?? 'stop-first',
    };
    spec.RollbackConfig = {
      Parallelism: o.rollback?.parallelism ?? 1,
      Delay: (o.rollback?.delayMs ?? 0) * MS,
      FailureAction: o.rollback?.failureAction ?? 'pause',
      Monitor: (o.rollback?.monitorMs ?? 300) * MS,
      MaxFailureRatio: 0,
      Order: o.rollback?.order ?? 'stop-first',
    };
  }
  return spec;
}

// ------------------------------------------------------------------ runtime events

export type RuntimeEventKind = 'create' | 'start' | 'exit' | 'remove';

export interface RuntimeEvent {
  /** Cluster-wide order. */
  seq: number;
  at: number;
  kind: RuntimeEventKind;
  nodeId: string;
  containerId: string;
  /** The container's name without the slash: `<service>.<slot|nodeID>.<taskID>`. */
  name: string;
  service: string;
  taskId: string;
  exitCode?: number;
}

export interface RuntimeContainer {
  nodeId: string;
  id: string;
  name: string;
  service: string;
  taskId: string;
  status: 'created' | 'running' | 'exited';
  exitCode: number | undefined;
  args: string[];
  env: string[];
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

function nameParts(spec: RuntimeContainerSpec): { name: string; service: string; taskId: string } {
  const name = (spec.annotations?.['io.shoal.container.name'] ?? '').replace(/^\//, '');
  const parts = name.split('.');
  return { name, service: parts[0] ?? '', taskId: parts[parts.length - 1] ?? '' };
}

/** The Runtime port, decorated to log every container event on the host (the fake runtime stays as it is). */
class RecordingRuntime implements Runtime {
  constructor(
    private readonly inner: FakeRuntime,
    private readonly record: (kind: RuntimeEventKind, spec: RuntimeContainerSpec, exitCode?: number) => void,
  ) {}

  private get host(): FakeRuntimeHost {
    return this.inner.host;
  }

  async create(spec: RuntimeContainerSpec, opts?: { stdin?: boolean; stdinOnce?: boolean }): Promise<void> {
    await this.inner.create(spec, opts);
    this.record('create', spec);
  }

  start(id: string): Promise<void> {
    // The fake's start is synchronous up to its first await: a program like `fake exit 1` exits in a microtask
    // queued by it, so the start is recorded before that exit can be.
    const p = this.inner.start(id);
    const c = this.host.containers.get(id);
    if (c?.startedAt !== undefined) {
      this.record('start', c.spec);
      void c.exited.then((e) => this.record('exit', c.spec, e.exitCode));
    }
    return p;
  }

  kill(id: string, signal: string): Promise<void> {
    return this.inner.kill(id, signal);
  }

  state(id: string): ReturnType<Runtime['state']> {
    return this.inner.state(id);
  }

  list(): ReturnType<Runtime['list']> {
    return this.inner.list();
  }

  wait(id: string, signal?: AbortSignal): ReturnType<Runtime['wait']> {
    return this.inner.wait(id, signal);
  }

  exec(id: string, spec: Parameters<Runtime['exec']>[1]): ReturnType<Runtime['exec']> {
    return this.inner.exec(id, spec);
  }

  attach(id: string): ReturnType<Runtime['attach']> {
    return this.inner.attach(id);
  }

  async delete(id: string, opts?: { force?: boolean }): Promise<void> {
    const c = this.host.containers.get(id);
    await this.inner.delete(id, opts);
    if (c !== undefined && !this.host.containers.has(id)) this.record('remove', c.spec);
  }
}

// ------------------------------------------------------------------ options

export interface ClusterNodeOptions {
  hostname?: string;
  /** `node.labels.*` (the node's Spec.Labels). */
  labels?: Labels;
  /** `engine.labels.*`. */
  engineLabels?: Labels;
  nanoCPUs?: number;
  memoryBytes?: number;
  availability?: NodeAvailability;
}

export interface ClusterOptions {
  /** How many nodes (the first is the manager's own), or each one's options. Default 3. */
  nodes?: number | ClusterNodeOptions[];
  /** The dispatcher's heartbeat period (the cluster's `Dispatcher.HeartbeatPeriod`); default 1000 ms (a 3 s grace: a loaded 2-core machine can stall the shared event loop past 600 ms, which marked healthy nodes down). */
  heartbeatMs?: number;
  /** The store backend: memory (default) or SQLite in the cluster's temp dir. */
  backend?: 'memory' | 'sqlite';
  /** The cluster's `Orchestration.TaskHistoryRetentionLimit`. */
  taskHistoryLimit?: number;
  seed?: number;
}

// ------------------------------------------------------------------ nodes

export class ClusterNode {
  readonly host: FakeRuntimeHost;
  /** The node's fake network stack (bridges, sandboxes, node table): it outlives agent restarts, like the kernel. */
  readonly netMachine = new FakeNetworkMachine();
  /** The current agent's network host (a new one per start, on the same machine). */
  network: FakeNetworkHost | undefined;
  readonly dir: string;
  private abort: AbortController | undefined;
  private runs: Promise<unknown>[] = [];
  private containers: ContainerService | undefined;
  private session: AgentSession | undefined;
  private worker: Worker | undefined;
  private readonly random: Random;

  constructor(
    private readonly cluster: Cluster,
    readonly id: string,
    readonly role: NodeRole,
    readonly hostname: string,
    private readonly tls: RpcTls,
    private readonly o: ClusterNodeOptions,
    seed: number,
  ) {
    this.host = new FakeRuntimeHost({ clock: systemClock });
    this.dir = join(cluster.dir, 'nodes', hostname);
    mkdirSync(this.dir, { recursive: true });
    this.random = seededRandom(seed);
  }

  get running(): boolean {
    return this.abort !== undefined;
  }

  /** The agent's session ID while it has one. */
  get sessionId(): string | undefined {
    return this.session?.sessionId;
  }

  /** The tasks the worker holds, with the status it gave them. */
  workerTasks(): ReturnType<Worker['tasks']> {
    return this.worker?.tasks() ?? [];
  }

  description(): NodeDescription {
    return {
      Hostname: this.hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: this.o.nanoCPUs ?? 4e9, MemoryBytes: this.o.memoryBytes ?? 8 * 1024 ** 3 },
      Engine: { EngineVersion: '0.1.0', ...(this.o.engineLabels ? { Labels: this.o.engineLabels } : {}), Plugins: [{ Type: 'Volume', Name: 'local' }] },
      TLSInfo: tlsInfo(this.cluster.pki.ca.certPem),
    };
  }

  /** Starts (or restarts) the agent: a session to the manager, a worker and an executor over a new ContainerService. */
  async start(): Promise<void> {
    if (this.abort) return;
    const logger = this.cluster.logger.child({ node: this.hostname });
    const runtime = new RecordingRuntime(this.host.runtime(), (kind, spec, exitCode) => this.cluster.record(this.id, kind, spec, exitCode));
    const containers = new ContainerService({
      root: join(this.dir, 'containers'),
      volumesRoot: join(this.dir, 'volumes'),
      runtime,
      images: this.cluster.images.store,
      clock: systemClock,
      random: this.random,
      logger: logger.child({ component: 'containers' }),
      capabilities: (add, drop, privileged) => tweakCapabilities(DEFAULT_CAPABILITIES, add, drop, privileged),
      initBinary: undefined,
      swapLimitSupported: true,
      resolvConf: () => 'nameserver 192.0.2.53\n',
      network: (this.network = new FakeNetworkHost({ machine: this.netMachine })),
    });
    await containers.load();
    const session = new AgentSession({
      managers: [this.cluster.addr],
      tls: this.tls,
      nodeId: this.id,
      description: () => this.description(),
      clock: systemClock,
      logger: logger.child({ component: 'agent-session' }),
      backoff: { initialMs: 20, maxMs: 200 },
      statusIntervalMs: 20,
    });
    const executor = new ContainerExecutor({
      containers,
      images: this.cluster.images.store,
      clock: systemClock,
      logger,
      healthPollMs: 50,
      network: this.network,
      drainMs: 0,
      describe: () => {
        const { TLSInfo: _tls, ...d } = this.description();
        return d;
      },
    });
    const worker = new Worker({
      executor,
      reporter: session,
      storeDir: join(this.dir, 'worker'),
      clock: systemClock,
      logger,
      reportBackoff: { minMs: 20, maxMs: 200 },
      networks: (view) => {
        void this.network?.applyView(view, this.id);
      },
    });
    const abort = new AbortController();
    const signal = abort.signal;
    const keep = (p: Promise<unknown>, what: string): Promise<unknown> =>
      p.catch((e: unknown) => {
        if (!signal.aborted) logger.error({ err: e, what }, 'agent part failed');
      });
    this.runs = [
      keep(session.run(signal), 'session'),
      keep(worker.run(signal), 'worker'),
      keep(
        (async () => {
          for await (const m of session.assignments(signal)) worker.apply(m);
        })(),
        'assignments',
      ),
    ];
    this.containers = containers;
    this.session = session;
    this.worker = worker;
    this.abort = abort;
  }

  /** Stops the agent (the node's containers keep running on its host; a later start adopts them). */
  async stop(): Promise<void> {
    const abort = this.abort;
    if (!abort) return;
    abort.abort();
    await Promise.all(this.runs);
    this.containers?.close();
    this.abort = undefined;
    this.runs = [];
    this.containers = undefined;
    this.session = undefined;
    this.worker = undefined;
  }

  /**
   * The containers as `docker ps -a` on this node shows them (ContainerService records; empty while the agent is
   * stopped). A container that was created but never started exists here and not yet on the runtime host: docker's
   * create makes only the record, start makes the runtime container.
   */
  dockerPs(): { id: string; name: string; state: string }[] {
    return (this.containers?.list({ all: true, filters: Filters.empty() }) ?? []).map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State }));
  }

  /** The containers on this node's host. */
  list(): RuntimeContainer[] {
    const out: RuntimeContainer[] = [];
    for (const c of this.host.containers.values()) {
      const { name, service, taskId } = nameParts(c.spec);
      out.push({
        nodeId: this.id,
        id: c.spec.id,
        name,
        service,
        taskId,
        status: c.exit ? 'exited' : c.startedAt !== undefined ? 'running' : 'created',
        exitCode: c.exit?.exitCode,
        args: [...c.spec.process.args],
        env: [...c.spec.process.env],
        startedAt: c.startedAt,
        finishedAt: c.exit?.finishedAt,
      });
    }
    return out;
  }

  /** Ends a container's main process with `code`, as if it exited by itself. */
  exit(containerId: string, code: number): void {
    this.host.exit(containerId, code);
  }

  /** The kernel's OOM killer ends the container (137, oomKilled). */
  oomKill(containerId: string): void {
    this.host.oomKill(containerId);
  }
}

// ------------------------------------------------------------------ the cluster

export interface TaskSummary {
  id: string;
  slot: number | undefined;
  node: string | undefined;
  state: TaskStateName;
  desired: TaskStateName;
  err: string | undefined;
}

export class Cluster implements AsyncDisposable {
  readonly nodes: ClusterNode[] = [];
  readonly events: RuntimeEvent[] = [];
  readonly logs: LogRecord[] = [];
  readonly logger: Logger;
  readonly random: Random;
  addr = '127.0.0.1:0';
  private storeRef: Store | undefined;
  private manager: { abort: AbortController; run: Promise<void>; rpc: RpcServer } | undefined;
  /** A Manager whose RPC server listens but whose components do not run yet (while initializing). */
  private pendingManager: Manager | undefined;
  private seq = 0;
  private nodeSeed: number;
  private readonly managerTls: Promise<RpcTls>;
  clusterId = '';
  managerId = '';

  constructor(
    readonly dir: string,
    readonly images: ClusterImages,
    readonly pki: TestPki,
    readonly o: ClusterOptions,
  ) {
    this.logger = captureLogger(this.logs);
    this.random = seededRandom(o.seed ?? 1);
    this.nodeSeed = (o.seed ?? 1) * 1000;
    this.managerId = newId(this.random);
    this.managerTls = pki.node(this.managerId, 'manager');
  }

  get store(): Store {
    if (!this.storeRef) throw new Error('the cluster has no store');
    return this.storeRef;
  }

  /** The control API's dependencies (what the Engine API façade calls), on the cluster's store. */
  get control(): ControlDeps {
    return {
      store: this.store,
      clock: systemClock,
      random: this.random,
      pki: { newTokenSecret: () => newTokenSecret(this.random), formatJoinToken, tlsInfo },
    };
  }

  get heartbeatMs(): number {
    return this.o.heartbeatMs ?? 1000;
  }

  /** Appends a runtime event (called by every node's recording runtime). */
  record(nodeId: string, kind: RuntimeEventKind, spec: RuntimeContainerSpec, exitCode?: number): void {
    const { name, service, taskId } = nameParts(spec);
    this.events.push({ seq: ++this.seq, at: Date.now(), kind, nodeId, containerId: spec.id, name, service, taskId, ...(exitCode !== undefined ? { exitCode } : {}) });
  }

  openStore(): void {
    this.storeRef = new Store(this.o.backend === 'sqlite' ? openSqliteBackend(join(this.dir, 'state.db')) : createMemoryBackend({ clock: systemClock }));
  }

  async init(): Promise<void> {
    this.openStore();
    this.clusterId = newId(this.random);
    const first = this.nodeOptions(0);
    const hostname = first.hostname ?? 'node-1';
    // The RPC server must listen before the cluster object names its address (agents learn managers from it).
    await this.startManager({ run: false });
    const description: NodeDescription = {
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: first.nanoCPUs ?? 4e9, MemoryBytes: first.memoryBytes ?? 8 * 1024 ** 3 },
      Engine: { EngineVersion: '0.1.0', Plugins: [] },
      TLSInfo: tlsInfo(this.pki.ca.certPem),
    };
    await initCluster(this.control, {
      clusterId: this.clusterId,
      nodeId: this.managerId,
      rootCA: { certPem: this.pki.ca.certPem, keyPem: this.pki.ca.keyPem },
      spec: {
        Dispatcher: { HeartbeatPeriod: this.heartbeatMs * MS },
        Orchestration: this.o.taskHistoryLimit !== undefined ? { TaskHistoryRetentionLimit: this.o.taskHistoryLimit } : {},
      },
      description,
      advertiseAddr: this.addr,
      nodeAddr: '127.0.0.1',
      ...(first.availability ? { availability: first.availability } : {}),
    });
    if (first.labels) await this.setLabels(this.managerId, first.labels);
    this.runManager();
    const manager = new ClusterNode(this, this.managerId, 'manager', hostname, await this.managerTls, first, ++this.nodeSeed);
    this.nodes.push(manager);
    await manager.start();
    const count = typeof this.o.nodes === 'number' ? this.o.nodes : (this.o.nodes?.length ?? 3);
    for (let i = 1; i < count; i++) await this.addNode(this.nodeOptions(i), { wait: false });
    await this.until('every node ready', async () => {
      const nodes = await this.store.view().list('nodes');
      return nodes.length === this.nodes.length && nodes.every((n) => n.Status.State === 'ready') ? true : undefined;
    });
  }

  private nodeOptions(i: number): ClusterNodeOptions {
    const list = Array.isArray(this.o.nodes) ? this.o.nodes : [];
    return { hostname: `node-${i + 1}`, ...(list[i] ?? {}) };
  }

  /** Sets a node's labels through the control API (`docker node update --label-add`). */
  async setLabels(n: ClusterNode | string, labels: Labels): Promise<void> {
    const id = typeof n === 'string' ? n : n.id;
    const node = await getNode(this.control, id);
    await updateNode(this.control, id, node.Version.Index, { ...node.Spec, Labels: labels });
  }

  /** A worker node joins: its object in the store, its certificate, its agent; waits until it is ready. */
  async addNode(o: ClusterNodeOptions = {}, opts: { wait?: boolean } = {}): Promise<ClusterNode> {
    const id = newId(this.random);
    const hostname = o.hostname ?? `node-${this.nodes.length + 1}`;
    const tls = await this.pki.node(id, 'worker');
    const now = new Date().toISOString();
    const node: Node = {
      ID: id,
      Version: { Index: 0 },
      CreatedAt: now,
      UpdatedAt: now,
      Spec: { Labels: o.labels ?? {}, Role: 'worker', Availability: o.availability ?? 'active' },
      Description: { Hostname: hostname, Platform: { Architecture: 'x86_64', OS: 'linux' }, Resources: { NanoCPUs: 0, MemoryBytes: 0 }, Engine: { EngineVersion: '', Plugins: [] }, TLSInfo: tlsInfo(this.pki.ca.certPem) },
      Status: { State: 'down', Addr: '' },
    };
    await this.store.update((tx) => tx.create('nodes', node));
    const n = new ClusterNode(this, id, 'worker', hostname, tls, { ...o, hostname }, ++this.nodeSeed);
    this.nodes.push(n);
    await n.start();
    if (opts.wait !== false) await this.nodeState(n, 'ready');
    return n;
  }

  node(ref: string): ClusterNode {
    const n = this.nodes.find((x) => x.id === ref || x.hostname === ref);
    if (!n) throw new Error(`no node ${ref}`);
    return n;
  }

  async nodeState(n: ClusterNode, state: Node['Status']['State'], timeoutMs = 10_000): Promise<Node> {
    return this.until(
      `${n.hostname} ${state}`,
      async () => {
        const node = await this.store.view().get('nodes', n.id);
        return node?.Status.State === state ? node : undefined;
      },
      timeoutMs,
    );
  }

  /** Sets a node's availability through the control API (`docker node update --availability`). */
  async setAvailability(n: ClusterNode, availability: NodeAvailability): Promise<void> {
    const node = await getNode(this.control, n.id);
    await updateNode(this.control, n.id, node.Version.Index, { ...node.Spec, Availability: availability });
  }

  /** `docker node rm --force` through the control API (the node's agent keeps running, refused from then on). */
  async removeNode(n: ClusterNode): Promise<void> {
    await removeNode(this.control, n.id, true, this.managerId);
  }

  // ---------------------------------------------------------------- the manager

  /**
   * Starts the manager: a new Manager (dispatcher + components under its supervisor) and its RPC server on the
   * cluster's address (a free port the first time). `run: false` only listens (used while initializing).
   */
  async startManager(opts: { run?: boolean } = {}): Promise<void> {
    if (this.manager) throw new Error('the manager is already running');
    const manager = new Manager({ store: this.store, clock: systemClock, random: this.random, logger: this.logger.child({ node: 'manager' }), heartbeatPeriodMs: this.heartbeatMs });
    const rpc = await startRpcServer({
      listen: this.addr,
      tls: await this.managerTls,
      routes: manager.dispatcher.routes(),
      logger: this.logger.child({ component: 'rpc' }),
      closeGraceMs: 100,
    });
    this.addr = rpc.addr;
    const abort = new AbortController();
    this.manager = { abort, rpc, run: Promise.resolve() };
    this.pendingManager = manager;
    if (opts.run !== false) this.runManager();
  }

  private runManager(): void {
    const m = this.pendingManager;
    if (!m || !this.manager) throw new Error('no manager to run');
    this.pendingManager = undefined;
    this.manager.run = m.run(this.manager.abort.signal);
  }

  /** Stops the manager's components and its RPC server (the agents lose their sessions and keep retrying). */
  async stopManager(): Promise<void> {
    const m = this.manager;
    if (!m) return;
    this.manager = undefined;
    this.pendingManager = undefined;
    m.abort.abort();
    await m.rpc.close();
    await m.run;
  }

  /** Reopens the store from disk (SQLite only), as a restarted daemon would; the manager must be stopped. */
  async reopenStore(): Promise<void> {
    if (this.manager) throw new Error('stop the manager first');
    if (this.o.backend !== 'sqlite') throw new Error('only a SQLite store can be reopened');
    await this.store.close();
    this.openStore();
  }

  // ---------------------------------------------------------------- services (the control API)

  async createService(spec: ServiceSpec): Promise<Service> {
    return (await createService(this.control, spec)).service;
  }

  service(ref: string): Promise<Service> {
    return getService(this.control, ref);
  }

  /** `docker service update`: `change` edits a copy of the current spec; sent under the current version. */
  async updateService(ref: string, change: (spec: ServiceSpec) => void, opts: { rollback?: boolean } = {}): Promise<Service> {
    const s = await this.service(ref);
    const spec = structuredClone(s.Spec);
    change(spec);
    return (await updateService(this.control, ref, { version: s.Version.Index, spec, ...(opts.rollback ? { rollback: true } : {}) })).service;
  }

  async scale(ref: string, replicas: number): Promise<Service> {
    return this.updateService(ref, (spec) => {
      spec.Mode = { Replicated: { Replicas: replicas } };
    });
  }

  removeService(ref: string): Promise<void> {
    return removeService(this.control, ref);
  }

  /** The stored tasks of a service (by ID, so it works after the service is gone), in creation order. */
  async tasks(serviceId: string): Promise<Task[]> {
    const all = await this.store.view().list('tasks');
    return all.filter((t) => t.ServiceID === serviceId).sort(byCreation);
  }

  summary(tasks: readonly Task[]): TaskSummary[] {
    return tasks.map((t) => ({
      id: t.ID,
      slot: t.Slot,
      node: t.NodeID === undefined ? undefined : (this.nodes.find((n) => n.id === t.NodeID)?.hostname ?? t.NodeID),
      state: t.Status.State,
      desired: t.DesiredState,
      err: t.Status.Err,
    }));
  }

  /** Every container of the service (by name) on every host. */
  containers(service: string): RuntimeContainer[] {
    return this.nodes.flatMap((n) => n.list()).filter((c) => c.service === service);
  }

  running(service: string): RuntimeContainer[] {
    return this.containers(service).filter((c) => c.status === 'running');
  }

  /** The service's runtime events, in order. */
  eventsOf(service: string): RuntimeEvent[] {
    return this.events.filter((e) => e.service === service);
  }

  /**
   * Waits until the service has exactly `n` tasks that are desired and reported running, each with a running
   * container on its node's host, and no other running container. Returns those tasks.
   */
  async converged(ref: string, n: number, timeoutMs = 10_000): Promise<Task[]> {
    const s = await this.service(ref);
    return this.until(
      `${s.Spec.Name} converged on ${n} running tasks`,
      async () => {
        const tasks = (await this.tasks(s.ID)).filter((t) => t.DesiredState === 'running');
        if (tasks.length !== n || tasks.some((t) => t.Status.State !== 'running')) return undefined;
        const running = this.running(s.Spec.Name);
        if (running.length !== n) return undefined;
        for (const t of tasks) if (!running.some((c) => c.taskId === t.ID && c.nodeId === t.NodeID)) return undefined;
        return tasks;
      },
      timeoutMs,
    );
  }

  /**
   * Awaits a condition (no fixed sleeps): checks it now and again every few ms until it returns a value, failing
   * after `timeoutMs` with the tasks in the store, to see where things stood.
   */
  async until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await this.describe()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The state of the cluster, for failure messages. */
  async describe(): Promise<string> {
    const lines: string[] = [];
    try {
      const view = this.store.view();
      const [nodes, services, tasks] = await Promise.all([view.list('nodes'), view.list('services'), view.list('tasks')]);
      for (const n of nodes) lines.push(`node ${n.Description.Hostname} ${n.ID} ${n.Status.State} ${n.Spec.Availability}`);
      for (const s of services) {
        lines.push(`service ${s.Spec.Name} ${s.ID} v${s.SpecVersion?.Index ?? '?'} update=${JSON.stringify(s.UpdateStatus ?? null)}`);
        for (const t of this.summary(tasks.filter((x) => x.ServiceID === s.ID).sort(byCreation))) {
          lines.push(`  task ${t.id} slot=${t.slot ?? '-'} node=${t.node ?? '-'} ${t.state} desired=${t.desired}${t.err ? ` err=${t.err}` : ''}`);
        }
      }
    } catch (e) {
      lines.push(`(store unreadable: ${e instanceof Error ? e.message : String(e)})`);
    }
    for (const n of this.nodes) for (const c of n.list()) lines.push(`container ${n.hostname} ${c.name} ${c.status}${c.exitCode !== undefined ? ` (${c.exitCode})` : ''}`);
    for (const r of this.errors()) lines.push(`error log: ${JSON.stringify(r.bindings)} ${r.msg ?? ''} ${JSON.stringify(r.obj, errorReplacer)}`);
    return lines.join('\n');
  }

  /** Error-level log records (a component that failed, an agent part that crashed...). */
  errors(): LogRecord[] {
    return this.logs.filter((r) => r.level === 'error');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await Promise.all(this.nodes.map((n) => n.stop()));
      await this.stopManager();
      await this.storeRef?.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Creation order. Timestamps are compared as times, never as strings: RFC 3339 with trailing zeros trimmed
 * (`…:01Z` vs `…:01.5Z`) does not sort lexicographically.
 */
export function byCreation(a: Task, b: Task): number {
  return Date.parse(a.CreatedAt) - Date.parse(b.CreatedAt) || a.ID.localeCompare(b.ID);
}

function errorReplacer(_k: string, v: unknown): unknown {
  return v instanceof Error ? { message: v.message, stack: v.stack } : v;
}

/** Starts a cluster; dispose it (`await using`) to stop every agent and the manager and remove its temp dir. */
export async function aCluster(images: ClusterImages, o: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cluster-'));
  const pki = await makePki();
  const c = new Cluster(dir, images, pki, o);
  try {
    await c.init();
  } catch (e) {
    await c[Symbol.asyncDispose]();
    throw e;
  }
  return c;
}

// ------------------------------------------------------------------ assertions' helpers

/** How many tasks each node runs (by hostname), every node of the cluster listed. */
export function perNode(c: Cluster, tasks: readonly { NodeID?: string }[] | readonly RuntimeContainer[]): Map<string, number> {
  const counts = new Map(c.nodes.map((n) => [n.hostname, 0]));
  for (const t of tasks) {
    const id = 'nodeId' in t ? t.nodeId : t.NodeID;
    const n = c.nodes.find((x) => x.id === id);
    const key = n?.hostname ?? String(id);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * The fewest and the most containers running at once over `events` (one service's, in order), replaying them from
 * the containers running before the first one (`initial`, their IDs).
 */
export function runningRange(events: readonly RuntimeEvent[], initial: Iterable<string> = []): { min: number; max: number } {
  const live = new Set(initial);
  let min = live.size;
  let max = live.size;
  for (const e of events) {
    if (e.kind === 'start') live.add(e.containerId);
    else if (e.kind === 'exit' || e.kind === 'remove') live.delete(e.containerId);
    else continue;
    min = Math.min(min, live.size);
    max = Math.max(max, live.size);
  }
  return { min, max };
}
