import { internal, isShoalError } from '../../api/errors.js';
import { TaskState } from '../../api/task-state.js';
import type { Cluster, Node, Task } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import { cryptoRandom } from '../../lib/random-crypto.js';
import {
  decodeAssignmentsRequest,
  decodeHeartbeatRequest,
  decodeSessionRequest,
  decodeStatusRequest,
  dispatcherPaths,
  streamRoute,
  unaryRoute,
  type AssignmentMessage,
  type AssignmentsRequest,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RpcContext,
  type RpcRoute,
  type SessionMessage,
  type SessionRequest,
  type StatusRequest,
  type StatusResponse,
  type StreamWriter,
  type TaskPayloads,
} from '../../rpc/index.js';
import type { Store } from '../../store/index.js';
import { AssignmentIndex } from './assignment-index.js';
import { NetworkViews } from './network-views.js';
import { dispatcherErrors } from './errors.js';
import { HEARTBEAT_FAILURE, NodeStatusWriter, UNKNOWN_HEARTBEAT_FAILURE } from './node-status.js';
import { Notifier } from '../../lib/notifier.js';
import { SessionTable, type NodeSession } from './session-table.js';
import { StatusBatcher } from './status-batcher.js';
import { isAgentState } from './status-rules.js';

/** A node is down after this many heartbeat periods without one (swarmkit's DefaultHeartBeatEpsilon grace is 3×). */
export const MISSED_HEARTBEATS = 3;

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * The heartbeat period (swarm's default is 5 s). While running, the dispatcher follows the cluster object's
   * `Spec.Dispatcher.HeartbeatPeriod` (ns) when the store has one: `swarm update --dispatcher-heartbeat` applies to
   * agents at their next heartbeat. This value serves until then, and when the store has no cluster object.
   */
  heartbeatPeriodMs: number;
  /** The longest a task status report waits to be written with others. Default 100 ms. */
  batchMs?: number;
  /** For session IDs; default the system CSPRNG. */
  random?: Random;
  /** Turns a stored secret's `Spec.Data` (sealed at rest) into its base64 plaintext for the agents that need it. */
  openSecret?: (stored: string) => string;
}

/** What exists while `run` runs. */
class Running {
  readonly sessions = new SessionTable();
  readonly index = new AssignmentIndex();
  readonly views = new NetworkViews();
  readonly nodes = new Map<string, Node>();
  readonly managersChanged = new Notifier();
  managers: string[] = [];

  constructor(
    readonly writer: NodeStatusWriter,
    readonly batcher: StatusBatcher,
    public periodMs: number,
  ) {}

  /** A node is down once this long passes without a heartbeat. */
  get graceMs(): number {
    return MISSED_HEARTBEATS * this.periodMs;
  }

  /** Recomputes the manager list from the nodes; true when it changed. */
  refreshManagers(): boolean {
    const next = [...this.nodes.values()]
      .filter((n) => n.Spec.Role === 'manager' && n.Status.State !== 'down' && (n.ManagerStatus?.Addr ?? '') !== '')
      .map((n) => n.ManagerStatus?.Addr ?? '')
      .sort();
    if (next.join('\n') === this.managers.join('\n')) return false;
    this.managers = next;
    this.managersChanged.notify();
    return true;
  }
}

/**
 * The dispatcher (docs/design/services.md "Manager ↔ agent"): agents' sessions, heartbeats, assignment streams and
 * task status reports. Mount `routes()` on the manager's rpc server; they answer Unavailable `dispatcher.stopped`
 * unless `run` is running (on the leader). Its only effects are store writes: `Node.Status`/`Description` and
 * `Task.Status` from `assigned` on.
 */
export class Dispatcher {
  private current: Running | undefined;
  /** True from the start of `run` to its end (`current` is set only once the snapshot is loaded). */
  private busy = false;
  private readonly log: Logger;
  private readonly batchMs: number;
  private readonly random: Random;

  constructor(private readonly o: DispatcherOptions) {
    this.log = o.logger.child({ component: 'dispatcher' });
    this.batchMs = o.batchMs ?? 100;
    this.random = o.random ?? cryptoRandom;
  }

  /** The heartbeat period in force (see DispatcherOptions.heartbeatPeriodMs). */
  get heartbeatPeriodMs(): number {
    return this.current?.periodMs ?? this.o.heartbeatPeriodMs;
  }

  /**
   * For streams that live with a session (the log broker's, src/manager/logbroker): the signal of the node's
   * current session `sessionId`, which aborts when it ends. Throws `dispatcher.session_invalid` for any other ID, and
   * `dispatcher.stopped` while the dispatcher does not run.
   */
  liveSession(nodeId: string, sessionId: string): AbortSignal {
    return this.running().sessions.current(nodeId, sessionId).signal;
  }

  /** Whether the node has a session, or is expected back within its grace after this dispatcher started. */
  isConnected(nodeId: string): boolean {
    return this.current?.sessions.has(nodeId) ?? false;
  }

  routes(): RpcRoute[] {
    return [
      streamRoute<SessionRequest, SessionMessage>({
        path: dispatcherPaths.session,
        decode: decodeSessionRequest,
        handler: (req, out, ctx) => this.session(req, out, ctx),
      }),
      unaryRoute<HeartbeatRequest, HeartbeatResponse>({
        path: dispatcherPaths.heartbeat,
        decode: decodeHeartbeatRequest,
        handler: (req, ctx) => this.heartbeat(req, ctx),
      }),
      streamRoute<AssignmentsRequest, AssignmentMessage>({
        path: dispatcherPaths.assignments,
        decode: decodeAssignmentsRequest,
        handler: (req, out, ctx) => this.assignments(req, out, ctx),
      }),
      unaryRoute<StatusRequest, StatusResponse>({
        path: dispatcherPaths.status,
        decode: decodeStatusRequest,
        handler: (req, ctx) => this.status(req, ctx),
      }),
    ];
  }

  /**
   * Serves until `signal` aborts. Starts from a snapshot: every node not down becomes `unknown` and must open a
   * session within 3 heartbeat periods, or it goes down. Ends every session when it stops.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.busy) throw internal('dispatcher.already_running', 'the dispatcher is already running');
    this.busy = true;
    const { store, clock } = this.o;
    const r = new Running(
      new NodeStatusWriter(store, clock, this.log),
      new StatusBatcher(store, clock, this.log, this.batchMs),
      this.o.heartbeatPeriodMs,
    );
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort(signal.reason);
    try {
      const rev = await store.rev();
      const view = store.view();
      const [tasks, nodes, clusters, services, networks] = await Promise.all([
        view.list('tasks'),
        view.list('nodes'),
        view.list('cluster'),
        view.list('services'),
        view.list('networks'),
      ]);
      for (const c of clusters) this.followCluster(r, c);
      r.index.load(tasks);
      r.views.load(services, networks, tasks, nodes, clusters);
      for (const n of nodes) r.nodes.set(n.ID, n);
      r.refreshManagers();
      const deadline = clock.now() + r.graceMs;
      for (const n of nodes) {
        if (n.Status.State === 'down') continue;
        r.sessions.expect(n.ID, deadline);
        try {
          await r.writer.markUnknown(n.ID);
        } catch (e) {
          if (!isShoalError(e, 'NotFound')) throw e; // removed meanwhile: the watch will drop it
        }
      }
      this.current = r;
      this.log.info({ nodes: nodes.length, tasks: tasks.length }, 'dispatcher started');
      await allOrNothing(
        [this.watch(r, rev, stop.signal), this.expire(r, stop.signal), r.batcher.run(stop.signal)],
        stop,
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.current = undefined;
      this.busy = false;
      r.sessions.endAll(dispatcherErrors.stopped());
      this.log.info('dispatcher stopped');
    }
  }

  private followCluster(r: Running, cluster: Cluster): void {
    if (cluster.Spec.Dispatcher.HeartbeatPeriod === undefined) return;
    const periodMs = heartbeatPeriodMsOf(cluster.Spec);
    if (periodMs === r.periodMs) return;
    this.log.info({ periodMs }, 'heartbeat period changed');
    r.periodMs = periodMs;
  }

  private running(): Running {
    const r = this.current;
    if (r === undefined) throw dispatcherErrors.stopped();
    return r;
  }

  // ---------------------------------------------------------------- loops

  private async watch(r: Running, rev: number, signal: AbortSignal): Promise<void> {
    for await (const events of this.o.store.watch(rev, signal)) {
      let nodesChanged = false;
      let viewsChanged = false;
      for (const e of events) {
        if (r.views.apply(e.kind, e.action, e.object)) viewsChanged = true;
        if (e.kind === 'tasks') r.index.apply(e.action, e.object);
        else if (e.kind === 'cluster' && e.action !== 'remove') this.followCluster(r, e.object);
        else if (e.kind === 'nodes') {
          nodesChanged = true;
          if (e.action === 'remove') {
            r.nodes.delete(e.object.ID);
            r.sessions.end(e.object.ID, dispatcherErrors.nodeRemoved(e.object.ID));
          } else if ((r.nodes.get(e.object.ID)?.Version.Index ?? 0) < e.object.Version.Index) {
            r.nodes.set(e.object.ID, e.object);
          }
        }
      }
      if (nodesChanged) r.refreshManagers();
      if (viewsChanged) r.index.poke();
    }
  }

  /** Marks down the nodes whose heartbeat deadline passes. */
  private async expire(r: Running, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const s of r.sessions.takeExpired(this.o.clock.now())) {
        const message = s.sessionId === undefined ? UNKNOWN_HEARTBEAT_FAILURE : HEARTBEAT_FAILURE;
        this.log.info({ node: s.nodeId, session: s.sessionId }, 'heartbeat failure: node down');
        try {
          await r.writer.markDown(s.nodeId, message, () => !r.sessions.has(s.nodeId));
        } catch (e) {
          if (!isShoalError(e, 'NotFound')) this.log.warn({ node: s.nodeId, err: e }, 'could not mark the node down');
        }
      }
      const wake = new AbortController();
      const stopWaiting = (): void => wake.abort();
      signal.addEventListener('abort', stopWaiting, { once: true });
      void r.sessions.deadlinesChanged.wait(wake.signal).then(stopWaiting);
      const next = r.sessions.nextDeadline();
      try {
        if (next === undefined) await r.sessions.deadlinesChanged.wait(wake.signal);
        else await this.o.clock.sleep(Math.max(0, next - this.o.clock.now()), wake.signal);
      } catch {
        // woken early: look again
      } finally {
        wake.abort();
        signal.removeEventListener('abort', stopWaiting);
      }
    }
  }

  // ---------------------------------------------------------------- calls

  private async session(req: SessionRequest, out: StreamWriter<SessionMessage>, ctx: RpcContext): Promise<void> {
    const r = this.running();
    const { nodeId } = ctx.peer;
    const node = await this.o.store.view().get('nodes', nodeId);
    if (node === undefined) throw dispatcherErrors.nodeNotFound(nodeId);
    const s = r.sessions.open(nodeId, newId(this.random), this.o.clock.now() + r.graceMs);
    this.log.info({ node: nodeId, session: s.sessionId, addr: ctx.remoteAddress }, 'session opened');
    const signal = AbortSignal.any([ctx.signal, s.signal]);
    try {
      await r.writer.markReady(nodeId, req.description, ctx.remoteAddress, () => r.sessions.isCurrent(s));
    } catch (e) {
      if (r.sessions.isCurrent(s)) r.sessions.end(nodeId, dispatcherErrors.sessionInvalid());
      throw e;
    }
    let sent: string | undefined;
    while (!signal.aborted) {
      const key = r.managers.join('\n');
      if (key !== sent) {
        sent = key;
        await out.write({ sessionId: s.sessionId ?? '', heartbeatPeriodMs: r.periodMs, managers: r.managers });
        continue;
      }
      await r.managersChanged.wait(signal);
    }
    endedBy(s, ctx);
  }

  private heartbeat(req: HeartbeatRequest, ctx: RpcContext): HeartbeatResponse {
    const r = this.running();
    const s = r.sessions.current(ctx.peer.nodeId, req.sessionId);
    const expiresAt = this.o.clock.now() + r.graceMs;
    const earlier = expiresAt < s.expiresAt;
    s.expiresAt = expiresAt;
    // After the period shrank, the deadline moves earlier than the one the expiry loop sleeps until: wake it.
    if (earlier) r.sessions.deadlinesChanged.notify();
    return { periodMs: r.periodMs };
  }

  private async assignments(req: AssignmentsRequest, out: StreamWriter<AssignmentMessage>, ctx: RpcContext): Promise<void> {
    const r = this.running();
    const s = r.sessions.current(ctx.peer.nodeId, req.sessionId);
    const signal = AbortSignal.any([ctx.signal, s.signal]);
    const nodeId = ctx.peer.nodeId;
    const sub = r.index.subscribe(nodeId);
    let sentView = '';
    const sendView = async (): Promise<void> => {
      const view = r.views.viewFor(nodeId);
      const key = JSON.stringify(view);
      if (key === sentView) return;
      sentView = key;
      await out.write({ type: 'networks', view });
    };
    try {
      await out.write({ type: 'complete', tasks: await this.withPayloads(sub.initial) });
      await sendView();
      for (;;) {
        const changes = await sub.next(signal);
        if (changes === undefined) break;
        // The view first: a task's network entries are in place before the agent acts on the task.
        await sendView();
        if (changes.length === 0) continue;
        const tasks = await this.withPayloads(changes.filter((c) => c.action === 'update').map((c) => c.task));
        const byId = new Map(tasks.map((t) => [t.ID, t]));
        await out.write({ type: 'incremental', changes: changes.map((c) => (c.action === 'update' ? { action: c.action, task: byId.get(c.task.ID) ?? c.task } : c)) });
      }
    } finally {
      sub.close();
    }
    endedBy(s, ctx);
  }

  /**
   * Adds the secret and config data each task needs (`Payloads`, on the wire only): so a secret reaches only the
   * nodes that run a task using it. A secret or config removed meanwhile is left out (the agent rejects the task).
   */
  private async withPayloads(tasks: Task[]): Promise<Task[]> {
    const needs = (t: Task): boolean => (t.Spec.ContainerSpec?.Secrets?.length ?? 0) + (t.Spec.ContainerSpec?.Configs?.length ?? 0) > 0;
    if (!tasks.some(needs)) return tasks;
    const view = this.o.store.view();
    const open = this.o.openSecret ?? ((d: string) => d);
    return Promise.all(
      tasks.map(async (t) => {
        if (!needs(t) || TaskState[t.DesiredState] > TaskState.running) return t;
        const payloads: TaskPayloads = { Secrets: [], Configs: [] };
        for (const ref of t.Spec.ContainerSpec?.Secrets ?? []) {
          const secret = await view.get('secrets', ref.SecretID);
          if (secret?.Spec.Data !== undefined) payloads.Secrets.push({ ID: ref.SecretID, Data: open(secret.Spec.Data) });
        }
        for (const ref of t.Spec.ContainerSpec?.Configs ?? []) {
          const config = await view.get('configs', ref.ConfigID);
          if (config?.Spec.Data !== undefined) payloads.Configs.push({ ID: ref.ConfigID, Data: config.Spec.Data });
        }
        return { ...t, Payloads: payloads } as Task;
      }),
    );
  }

  private async status(req: StatusRequest, ctx: RpcContext): Promise<StatusResponse> {
    const r = this.running();
    const { nodeId } = ctx.peer;
    r.sessions.current(nodeId, req.sessionId);
    for (const u of req.updates) {
      if (!isAgentState(u.status.State)) throw dispatcherErrors.stateNotAllowed(u.taskId, u.status.State);
    }
    const view = this.o.store.view();
    for (const u of req.updates) {
      const task = await view.get('tasks', u.taskId);
      if (task !== undefined && task.NodeID !== nodeId) throw dispatcherErrors.taskNotAssigned(u.taskId, nodeId);
    }
    await r.batcher.enqueue(nodeId, req.updates);
    return {};
  }
}

/** After a stream's loop: if the session (not the client) ended it, tell the agent why. */
function endedBy(s: NodeSession, ctx: RpcContext): void {
  if (s.signal.aborted && !ctx.signal.aborted) throw s.signal.reason as Error;
}

/** Runs loops together: the first to fail aborts the others; rethrows that failure once all have ended. */
async function allOrNothing(loops: Promise<void>[], stop: AbortController): Promise<void> {
  let failure: { error: unknown } | undefined;
  await Promise.all(
    loops.map((p) =>
      p.catch((error: unknown) => {
        failure ??= { error };
        stop.abort(error);
      }),
    ),
  );
  if (failure !== undefined) throw failure.error;
}

/** The heartbeat period of a cluster spec (`Dispatcher.HeartbeatPeriod`, ns) in ms; swarm's default is 5 s. */
export function heartbeatPeriodMsOf(spec: { Dispatcher: { HeartbeatPeriod?: number } }): number {
  const ns = spec.Dispatcher.HeartbeatPeriod;
  return ns === undefined || ns <= 0 ? 5000 : Math.max(1, Math.round(ns / 1e6));
}
