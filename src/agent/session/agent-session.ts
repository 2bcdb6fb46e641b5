import { isShoalError } from '../../api/errors.js';
import type { NodeDescription } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import {
  connectRpc,
  decodeAssignmentMessage,
  decodeHeartbeatResponse,
  decodeSessionMessage,
  dispatcherPaths,
  rpcErrors,
  type AssignmentMessage,
  type RpcClient,
  type RpcTls,
  type SessionRequest,
  type StatusRequest,
  type TaskStatusUpdate,
} from '../../rpc/index.js';
import { Notifier } from '../../lib/notifier.js';
import { AssignmentQueue } from './assignment-queue.js';
import { Backoff } from './backoff.js';
import { StatusReporter } from './status-reporter.js';

export interface AgentSessionOptions {
  /** Managers' swarm addresses (`host:port`), tried in turn. The dispatcher's list is added to them. */
  managers: readonly string[];
  /** This node's certificate and key, and the cluster root; a function is asked again for every new session (renewal). */
  tls: RpcTls | (() => RpcTls);
  /** This node's ID (the CN of its certificate); for logs. */
  nodeId: string;
  /** Sent when each session opens; a function is asked again every time. */
  description: NodeDescription | (() => NodeDescription);
  /** Times heartbeats, the status interval and backoff. */
  clock: Clock;
  logger: Logger;
  /** The name managers' certificates must carry; default `swarm-manager`. */
  servername?: string;
  /** Status reports go out at most this often. Default 100 ms. */
  statusIntervalMs?: number;
  /** Between attempts: doubling from 100 ms to 8 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a session may take to open (the dispatcher's first message). Default 10 s. */
  openTimeoutMs?: number;
}

interface Live {
  client: RpcClient;
  sessionId: string;
  signal: AbortSignal;
}

/**
 * The agent's side of the dispatcher protocol (src/rpc/dispatcher-protocol.ts). `run(signal)` keeps one session
 * to a manager: it opens the session, heartbeats at the period the dispatcher asks for, follows the assignment
 * stream and sends status reports. When any of these fails, the session is dropped and a new one opened (on the
 * next manager) after a backoff. Session-scoped errors never escape `run`; it ends only when `signal` aborts.
 */
export class AgentSession {
  private readonly queue = new AssignmentQueue();
  private readonly reporter = new StatusReporter();
  private readonly log: Logger;
  private known: string[];
  private live: Live | undefined;
  /** Notified when a session opens. */
  private readonly liveChanged = new Notifier();
  private phase: 'idle' | 'connecting' | 'connected' | 'backoff' = 'idle';

  constructor(private readonly o: AgentSessionOptions) {
    this.log = o.logger.child({ component: 'agent-session', node: o.nodeId });
    this.known = [...new Set(o.managers)];
  }

  /** Where `run` is: opening a session, in one, or waiting before the next attempt. */
  get state(): 'idle' | 'connecting' | 'connected' | 'backoff' {
    return this.phase;
  }

  /** The current session's ID, if one is open. */
  get sessionId(): string | undefined {
    return this.live?.sessionId;
  }

  /**
   * The open session (its rpc client, ID, and a signal that aborts when it ends), waiting until one is open;
   * undefined once `signal` aborts. For streams that live with the session (src/agent/logs).
   */
  async liveSession(signal: AbortSignal): Promise<{ client: RpcClient; sessionId: string; signal: AbortSignal } | undefined> {
    while (!signal.aborted) {
      const live = this.live;
      if (live !== undefined && !live.signal.aborted) return live;
      await this.liveChanged.wait(signal);
    }
    return undefined;
  }

  /**
   * The assignment messages, for one consumer. Each session starts with a `complete` set (replace everything you
   * know with it), then `incremental` changes. A `complete` set drops anything still queued before it. Ends when
   * `signal` aborts or `run` returns.
   */
  assignments(signal?: AbortSignal): AsyncIterable<AssignmentMessage> {
    return this.queue.iterate(signal);
  }

  /**
   * Queues task status for the dispatcher. The latest status per task wins; they go out at most every
   * `statusIntervalMs` and are sent again on the next session when a send fails.
   */
  reportStatus(updates: readonly TaskStatusUpdate[]): void {
    this.reporter.report(updates);
  }

  /** Reports not yet acknowledged by a dispatcher. */
  get pendingReports(): number {
    return this.reporter.size;
  }

  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.o.backoff?.initialMs ?? 100, this.o.backoff?.maxMs ?? 8000);
    let turn = 0;
    try {
      while (!signal.aborted) {
        const address = this.known[turn % this.known.length];
        turn++;
        if (address === undefined) throw rpcErrors.unavailable('no manager address to connect to');
        this.phase = 'connecting';
        if (await this.session(address, signal)) backoff.reset();
        if (signal.aborted) return;
        this.phase = 'backoff';
        try {
          await this.o.clock.sleep(backoff.next(), signal);
        } catch {
          return;
        }
      }
    } finally {
      this.phase = 'idle';
      this.queue.close();
    }
  }

  /** One session, start to end. True when it was established. Never throws. */
  private async session(address: string, outer: AbortSignal): Promise<boolean> {
    const client = connectRpc({
      address,
      tls: this.o.tls,
      logger: this.log,
      ...(this.o.servername === undefined ? {} : { servername: this.o.servername }),
    });
    const ended = new AbortController();
    const onOuter = (): void => ended.abort(outer.reason);
    outer.addEventListener('abort', onOuter, { once: true });
    let established = false;
    const description = typeof this.o.description === 'function' ? this.o.description() : this.o.description;
    const body: SessionRequest = { description };
    const messages = client.stream<unknown>(dispatcherPaths.session, body, ended.signal)[Symbol.asyncIterator]();
    try {
      const first = decodeSessionMessage(await this.firstMessage(messages, ended));
      established = true;
      this.learn(first.managers);
      const live: Live = { client, sessionId: first.sessionId, signal: ended.signal };
      this.live = live;
      this.liveChanged.notify();
      this.phase = 'connected';
      this.log.info({ manager: address, session: live.sessionId, periodMs: first.heartbeatPeriodMs }, 'session established');
      const end = (e?: unknown): void => {
        if (ended.signal.aborted) return;
        this.log.warn({ manager: address, err: e ?? 'the manager ended the session' }, 'session lost');
        ended.abort(e);
      };
      await Promise.all([
        this.follow(messages).then(() => end(), end),
        this.heartbeat(live, first.heartbeatPeriodMs).then(() => end(), end),
        this.assignmentStream(live).then(() => end(), end),
        this.sendStatus(live).then(() => end(), end),
      ]);
    } catch (e) {
      if (!outer.aborted) this.log.warn({ manager: address, err: e }, 'could not open a session');
    } finally {
      this.live = undefined;
      ended.abort();
      outer.removeEventListener('abort', onOuter);
      await messages.return?.().catch(() => undefined);
      await client.close();
    }
    return established;
  }

  /** The dispatcher's first message, within `openTimeoutMs`. */
  private async firstMessage(messages: AsyncIterator<unknown>, ended: AbortController): Promise<unknown> {
    const timer = new AbortController();
    const timeoutMs = this.o.openTimeoutMs ?? 10_000;
    const timeout = this.o.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        ended.abort();
        return { timedOut: true } as const;
      },
      () => ({ timedOut: false }) as const,
    );
    try {
      const first = await Promise.race([messages.next(), timeout]);
      if ('timedOut' in first) throw rpcErrors.unavailable(`the session did not open within ${timeoutMs} ms`);
      if (first.done === true) throw rpcErrors.unavailable('the manager ended the session before it opened');
      return first.value;
    } finally {
      timer.abort();
    }
  }

  /** Reads the session stream's later messages (manager list updates) until it ends. */
  private async follow(messages: AsyncIterator<unknown>): Promise<void> {
    for (;;) {
      const m = await messages.next();
      if (m.done === true) return;
      this.learn(decodeSessionMessage(m.value).managers);
    }
  }

  private async heartbeat(live: Live, periodMs: number): Promise<void> {
    let period = periodMs;
    for (;;) {
      await this.o.clock.sleep(period, live.signal);
      const reply = await live.client.call<unknown>(
        dispatcherPaths.heartbeat,
        { sessionId: live.sessionId },
        { signal: live.signal },
      );
      period = decodeHeartbeatResponse(reply).periodMs;
    }
  }

  private async assignmentStream(live: Live): Promise<void> {
    for await (const m of live.client.stream<unknown>(dispatcherPaths.assignments, { sessionId: live.sessionId }, live.signal)) {
      this.queue.push(decodeAssignmentMessage(m));
    }
  }

  /** Sends pending reports, at most every `statusIntervalMs`, until the session ends. */
  private async sendStatus(live: Live): Promise<void> {
    const interval = this.o.statusIntervalMs ?? 100;
    let last = Number.NEGATIVE_INFINITY;
    while (!live.signal.aborted) {
      if (this.reporter.size === 0) {
        await this.reporter.arrived.wait(live.signal);
        continue;
      }
      const wait = last + interval - this.o.clock.now();
      if (wait > 0) await this.o.clock.sleep(wait, live.signal);
      last = this.o.clock.now();
      await this.send(live, this.reporter.take());
    }
  }

  /**
   * Sends one batch. Undelivered reports go back to the reporter and the error ends the session. When the
   * dispatcher refuses the batch itself (a report it will never take), each report is sent alone and the refused
   * ones are dropped.
   */
  private async send(live: Live, batch: TaskStatusUpdate[]): Promise<void> {
    try {
      await this.statusCall(live, batch);
      return;
    } catch (e) {
      if (!refused(e) || batch.length === 0) {
        this.reporter.restore(batch);
        throw e;
      }
    }
    for (let i = 0; i < batch.length; i++) {
      const u = batch[i] as TaskStatusUpdate;
      try {
        await this.statusCall(live, [u]);
      } catch (e) {
        if (!refused(e)) {
          this.reporter.restore(batch.slice(i));
          throw e;
        }
        this.log.warn({ task: u.taskId, state: u.status.State, err: e }, 'the dispatcher refused a status report; dropped');
      }
    }
  }

  private async statusCall(live: Live, updates: TaskStatusUpdate[]): Promise<void> {
    const body: StatusRequest = { sessionId: live.sessionId, updates };
    await live.client.call<unknown>(dispatcherPaths.status, body, { signal: live.signal });
  }

  private learn(managers: readonly string[]): void {
    this.known = [...new Set([...this.known, ...managers])];
  }
}

/** A refusal of the request itself: sending it again would not help. */
function refused(e: unknown): boolean {
  return (
    isShoalError(e, 'InvalidArgument') ||
    (isShoalError(e, 'FailedPrecondition') && !['rpc.permission_denied', 'rpc.node_revoked', 'rpc.unauthenticated'].includes(e.code))
  );
}
