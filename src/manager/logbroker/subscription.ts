/**
 * One client's log subscription (a `service logs` / `task logs` call): the nodes it reads from and where each one
 * is (waiting for the node's subscriptions stream, sent, done), the lines the nodes published that the client has
 * not taken yet, and the nodes that could not give their logs. The client's iteration yields lines as they come,
 * ends once every node is done, and then throws docker's incomplete-log-stream warning when a node was missing.
 */
import { Notifier } from '../../lib/notifier.js';
import { logBrokerErrors } from './errors.js';
import type { BrokerLogLine } from './types.js';

/** Past this many untaken lines, publishers wait (backpressure reaches the agents through their publish calls). */
export const HIGH_WATER_LINES = 2048;

export type NodePhase = 'waiting' | 'sent' | 'done';

export interface NodePart {
  readonly nodeId: string;
  readonly taskIds: readonly string[];
  phase: NodePhase;
  /** The listener the subscription was sent to (identity only), while `sent`. */
  sentTo: object | undefined;
}

export class Subscription {
  readonly nodes = new Map<string, NodePart>();
  /** taskId → its service, for the lines' swarm IDs. */
  readonly services = new Map<string, string>();
  /** Aborts when the subscription is closed (client gone, or complete and taken). */
  readonly closed = new AbortController();
  private lines: BrokerLogLine[] = [];
  /** Node IDs that could not give their logs, in the order they failed (each once). */
  private readonly missing: string[] = [];
  private readonly arrived = new Notifier();
  private readonly taken = new Notifier();

  constructor(
    readonly id: string,
    readonly follow: boolean,
    tasks: readonly { ID: string; ServiceID: string; NodeID: string }[],
  ) {
    for (const t of tasks) {
      this.services.set(t.ID, t.ServiceID);
      const part = this.nodes.get(t.NodeID);
      if (part === undefined) this.nodes.set(t.NodeID, { nodeId: t.NodeID, taskIds: [t.ID], phase: 'waiting', sentTo: undefined });
      else (part.taskIds as string[]).push(t.ID);
    }
  }

  get complete(): boolean {
    for (const p of this.nodes.values()) if (p.phase !== 'done') return false;
    return true;
  }

  /** Adds a node's lines; resolves once there is room for more (or the subscription or `signal` ends). */
  async push(lines: readonly BrokerLogLine[], signal: AbortSignal): Promise<void> {
    if (this.closed.signal.aborted) return;
    this.lines.push(...lines);
    if (lines.length > 0) this.arrived.notify();
    if (this.lines.length <= HIGH_WATER_LINES) return;
    const stop = AbortSignal.any([signal, this.closed.signal]);
    while (this.lines.length > HIGH_WATER_LINES && !stop.aborted) await this.taken.wait(stop);
  }

  /** The node has nothing more to give; with `failed`, it is named in the closing warning. */
  finish(nodeId: string, failed: boolean): void {
    const part = this.nodes.get(nodeId);
    if (part === undefined) return;
    if (failed && !this.missing.includes(nodeId)) this.missing.push(nodeId);
    if (part.phase === 'done') return;
    part.phase = 'done';
    part.sentTo = undefined;
    this.arrived.notify();
  }

  /** Records a node that is missing now but may still come (follow mode keeps waiting for it). */
  noteMissing(nodeId: string): void {
    if (!this.missing.includes(nodeId)) this.missing.push(nodeId);
  }

  /**
   * The lines, as they come, until every node is done (then the warning, if any) or `signal` aborts (then it just
   * ends). Calls `onEnd` once, however it ends.
   */
  async *iterate(signal: AbortSignal, onEnd: () => void): AsyncGenerator<BrokerLogLine> {
    try {
      const stop = AbortSignal.any([signal, this.closed.signal]);
      for (;;) {
        if (this.lines.length > 0) {
          const batch = this.lines;
          this.lines = [];
          this.taken.notify();
          for (const l of batch) {
            if (stop.aborted) return;
            yield l;
          }
          continue;
        }
        if (stop.aborted) return;
        if (this.complete) break;
        await this.arrived.wait(stop);
      }
      if (this.missing.length > 0) throw logBrokerErrors.incomplete(this.missing);
    } finally {
      onEnd();
    }
  }
}
