/**
 * The log broker (docs/design/cluster.md "Logs across nodes", after swarmkit's manager/logbroker): a registry of
 * client subscriptions and of the nodes' subscriptions streams. `subscribe` finds the nodes that hold the selected
 * tasks in the store and sends each one a `subscribe` message on its stream; the agents publish the lines back, and
 * the client's iterable yields them as they come. A node that is down or has no session gives docker's
 * incomplete-log-stream warning at the end while the others stream on; a node whose stream ends while it was
 * sending counts the same. When the client goes away, the agents get `close`.
 */
import type { Task } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { Notifier } from '../../lib/notifier.js';
import type { Random } from '../../lib/random.js';
import { cryptoRandom } from '../../lib/random-crypto.js';
import { streamRoute, unaryRoute, type RpcContext, type RpcRoute, type StreamWriter } from '../../rpc/index.js';
import {
  decodePublishRequest,
  decodeSubscriptionsRequest,
  logsPaths,
  type PublishRequest,
  type PublishResponse,
  type SubscribeMessage,
  type SubscriptionMessage,
  type SubscriptionsRequest,
} from '../../rpc/logs-protocol.js';
import type { Store } from '../../store/index.js';
import { logBrokerErrors } from './errors.js';
import { Subscription, type NodePart } from './subscription.js';
import type { BrokerLogLine, BrokerLogOptions, LogSelector } from './types.js';

export interface LogBrokerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * The node's live dispatcher session: returns a signal that aborts when the session ends, or throws (the
   * dispatcher's `session_invalid`, `stopped`) unless `sessionId` is the node's current session.
   */
  session: (nodeId: string, sessionId: string) => AbortSignal;
  /** Whether the node has a dispatcher session now (its subscriptions stream may still be on its way). */
  isConnected: (nodeId: string) => boolean;
  /** How long a connected node's subscriptions stream may take to show up. Default 2000 ms. */
  listenGraceMs?: number;
  /** For subscription IDs; default the system CSPRNG. */
  random?: Random;
}

/** One node's subscriptions stream. */
class Listener {
  readonly queue: SubscriptionMessage[] = [];
  readonly wake = new Notifier();
  readonly ended = new AbortController();

  constructor(readonly nodeId: string) {}

  send(m: SubscriptionMessage): void {
    this.queue.push(m);
    this.wake.notify();
  }
}

export class LogBroker {
  private readonly listeners = new Map<string, Listener>();
  private readonly subs = new Map<string, Subscription>();
  /** Each subscription's `subscribe` message, without the task IDs (those differ per node). */
  private readonly messages = new Map<string, Omit<SubscribeMessage, 'taskIds'>>();
  private readonly log: Logger;
  private readonly random: Random;

  constructor(private readonly o: LogBrokerOptions) {
    this.log = o.logger.child({ component: 'logbroker' });
    this.random = o.random ?? cryptoRandom;
  }

  routes(): RpcRoute[] {
    return [
      streamRoute<SubscriptionsRequest, SubscriptionMessage>({
        path: logsPaths.subscriptions,
        decode: decodeSubscriptionsRequest,
        handler: (req, out, ctx) => this.listen(req, out, ctx),
      }),
      unaryRoute<PublishRequest, PublishResponse>({
        path: logsPaths.publish,
        decode: decodePublishRequest,
        handler: (req, ctx) => this.publish(req, ctx),
      }),
    ];
  }

  /** Client subscriptions in flight (for tests and diagnostics). */
  get size(): number {
    return this.subs.size;
  }

  /** Nodes with an open subscriptions stream. */
  listening(nodeId: string): boolean {
    return this.listeners.has(nodeId);
  }

  /**
   * The log lines of the selected tasks from every node that holds one. Without `follow` the iterable ends once
   * every node has sent everything; with it, when `signal` aborts (the client went away) or every node's readers
   * ended. Missing nodes are named in an error thrown at the end (Unavailable `logs.incomplete`).
   */
  async subscribe(selector: LogSelector, options: BrokerLogOptions, signal: AbortSignal): Promise<AsyncIterable<BrokerLogLine>> {
    const tasks = await this.tasksOf(selector);
    const placed = tasks.filter((t): t is Task & { NodeID: string } => t.NodeID !== undefined && t.NodeID !== '');
    const sub = new Subscription(newId(this.random), options.follow, placed);
    const message: Omit<SubscribeMessage, 'taskIds'> = {
      type: 'subscribe',
      id: sub.id,
      follow: options.follow,
      timestamps: options.timestamps,
      details: options.details,
      streams: [...(options.stdout ? (['stdout'] as const) : []), ...(options.stderr ? (['stderr'] as const) : [])],
    };
    if (options.tail !== undefined) message.tail = options.tail;
    if (options.since > 0) message.since = options.since;
    this.subs.set(sub.id, sub);
    this.messages.set(sub.id, message);
    this.log.debug({ subscription: sub.id, nodes: [...sub.nodes.keys()], tasks: placed.length }, 'log subscription');
    for (const part of sub.nodes.values()) this.offer(sub, part);
    const onAbort = (): void => this.close(sub);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) this.close(sub);
    return sub.iterate(signal, () => {
      signal.removeEventListener('abort', onAbort);
      this.close(sub);
    });
  }

  private async tasksOf(selector: LogSelector): Promise<Task[]> {
    const view = this.o.store.view();
    if ('taskId' in selector) {
      const t = await view.get('tasks', selector.taskId);
      if (t === undefined) throw logBrokerErrors.taskNotFound(selector.taskId);
      return [t];
    }
    return (await view.list('tasks')).filter((t) => t.ServiceID === selector.serviceId);
  }

  /** Sends the subscription to the node now, after a grace for a connected node's stream, or records it missing. */
  private offer(sub: Subscription, part: NodePart): void {
    const listener = this.listeners.get(part.nodeId);
    if (listener !== undefined) {
      this.send(sub, part, listener);
      return;
    }
    if (!this.o.isConnected(part.nodeId)) {
      this.missing(sub, part);
      return;
    }
    this.o.clock.sleep(this.o.listenGraceMs ?? 2000, sub.closed.signal).then(
      () => {
        if (part.phase === 'waiting' && this.subs.get(sub.id) === sub) this.missing(sub, part);
      },
      () => undefined,
    );
  }

  private send(sub: Subscription, part: NodePart, listener: Listener): void {
    const message = this.messages.get(sub.id);
    if (message === undefined) return;
    part.phase = 'sent';
    part.sentTo = listener;
    listener.send({ ...message, taskIds: [...part.taskIds] });
  }

  /** A node that cannot be asked: named in the warning; with follow, it still gets the subscription if it comes. */
  private missing(sub: Subscription, part: NodePart): void {
    this.log.info({ subscription: sub.id, node: part.nodeId }, 'node not available for logs');
    if (sub.follow) sub.noteMissing(part.nodeId);
    else sub.finish(part.nodeId, true);
  }

  /** Ends a subscription: the nodes still sending get `close`. */
  private close(sub: Subscription): void {
    if (this.subs.get(sub.id) !== sub) return;
    this.subs.delete(sub.id);
    this.messages.delete(sub.id);
    for (const part of sub.nodes.values()) {
      const listener = this.listeners.get(part.nodeId);
      if (part.phase === 'sent' && listener !== undefined && listener === part.sentTo) listener.send({ type: 'close', id: sub.id });
      part.phase = 'done';
      part.sentTo = undefined;
    }
    sub.closed.abort();
  }

  // ---------------------------------------------------------------- calls

  private async listen(req: SubscriptionsRequest, out: StreamWriter<SubscriptionMessage>, ctx: RpcContext): Promise<void> {
    const { nodeId } = ctx.peer;
    const session = this.o.session(nodeId, req.sessionId);
    const listener = new Listener(nodeId);
    const previous = this.listeners.get(nodeId);
    this.listeners.set(nodeId, listener);
    previous?.ended.abort();
    const signal = AbortSignal.any([ctx.signal, session, listener.ended.signal]);
    this.log.debug({ node: nodeId }, 'logs subscriptions stream opened');
    try {
      for (const sub of this.subs.values()) {
        const part = sub.nodes.get(nodeId);
        if (part?.phase === 'waiting') this.send(sub, part, listener);
      }
      while (!signal.aborted) {
        const m = listener.queue.shift();
        if (m !== undefined) {
          await out.write(m);
          continue;
        }
        await listener.wake.wait(signal);
      }
    } finally {
      listener.ended.abort();
      if (this.listeners.get(nodeId) === listener) this.listeners.delete(nodeId);
      for (const sub of this.subs.values()) {
        const part = sub.nodes.get(nodeId);
        if (part?.phase === 'sent' && part.sentTo === listener) sub.finish(nodeId, true);
      }
      this.log.debug({ node: nodeId }, 'logs subscriptions stream closed');
    }
    // The session (not the agent) ended the stream: tell the agent why.
    if (session.aborted && !ctx.signal.aborted) throw session.reason as Error;
  }

  private async publish(req: PublishRequest, ctx: RpcContext): Promise<PublishResponse> {
    const { nodeId } = ctx.peer;
    this.o.session(nodeId, req.sessionId);
    const sub = this.subs.get(req.id);
    if (sub === undefined) throw logBrokerErrors.subscriptionNotFound(req.id);
    const part = sub.nodes.get(nodeId);
    if (part === undefined || part.phase === 'waiting') throw logBrokerErrors.notSubscribed(req.id, nodeId);
    if (part.phase === 'done') throw logBrokerErrors.subscriptionNotFound(req.id);
    for (const m of req.messages) {
      if (!part.taskIds.includes(m.taskId)) throw logBrokerErrors.taskNotSubscribed(req.id, nodeId, m.taskId);
    }
    const lines = req.messages.map(
      (m): BrokerLogLine => ({
        nodeId,
        serviceId: sub.services.get(m.taskId) ?? '',
        taskId: m.taskId,
        stream: m.stream,
        time: m.time,
        text: m.line,
      }),
    );
    await sub.push(lines, ctx.signal);
    if (req.done === true) sub.finish(nodeId, false);
    return {};
  }
}
