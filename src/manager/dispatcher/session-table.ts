/**
 * One entry per node the dispatcher is watching: its live session, or a placeholder for a node that was up when
 * the dispatcher started and has not reconnected yet. Each entry has a heartbeat deadline; past it the entry
 * expires and the node goes down. Ending an entry aborts its signal, which ends the session's streams.
 */
import type { ShoalError } from '../../api/errors.js';
import { dispatcherErrors } from './errors.js';
import { Notifier } from '../../lib/notifier.js';

export interface NodeSession {
  readonly nodeId: string;
  /** Undefined for a placeholder: a node expected to reconnect. */
  readonly sessionId: string | undefined;
  expiresAt: number;
  /** Aborts, with the reason as a ShoalError, when the session ends. */
  readonly signal: AbortSignal;
}

interface Entry extends NodeSession {
  readonly controller: AbortController;
}

export class SessionTable {
  private readonly entries = new Map<string, Entry>();
  /** Notified when a deadline may have moved earlier (a new entry). */
  readonly deadlinesChanged = new Notifier();

  /** Opens a session for the node, ending the one it had. */
  open(nodeId: string, sessionId: string, expiresAt: number): NodeSession {
    this.end(nodeId, dispatcherErrors.sessionReplaced());
    return this.add(nodeId, sessionId, expiresAt);
  }

  /** Expects the node to connect before `expiresAt` (a node that was up when the dispatcher started). */
  expect(nodeId: string, expiresAt: number): void {
    if (!this.entries.has(nodeId)) this.add(nodeId, undefined, expiresAt);
  }

  /** The node's session if `sessionId` is its current one; otherwise Not Found `dispatcher.session_invalid`. */
  current(nodeId: string, sessionId: string): NodeSession {
    const e = this.entries.get(nodeId);
    if (e === undefined || e.sessionId === undefined || e.sessionId !== sessionId) throw dispatcherErrors.sessionInvalid();
    return e;
  }

  isCurrent(s: NodeSession): boolean {
    return this.entries.get(s.nodeId) === s;
  }

  has(nodeId: string): boolean {
    return this.entries.has(nodeId);
  }

  /** Removes and ends every entry whose deadline has passed; returns them. */
  takeExpired(now: number): NodeSession[] {
    const out: NodeSession[] = [];
    for (const e of this.entries.values()) {
      if (e.expiresAt > now) continue;
      this.entries.delete(e.nodeId);
      e.controller.abort(dispatcherErrors.sessionExpired());
      out.push(e);
    }
    return out;
  }

  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const e of this.entries.values()) if (d === undefined || e.expiresAt < d) d = e.expiresAt;
    return d;
  }

  end(nodeId: string, reason: ShoalError): void {
    const e = this.entries.get(nodeId);
    if (e === undefined) return;
    this.entries.delete(nodeId);
    e.controller.abort(reason);
  }

  endAll(reason: ShoalError): void {
    for (const nodeId of [...this.entries.keys()]) this.end(nodeId, reason);
  }

  private add(nodeId: string, sessionId: string | undefined, expiresAt: number): Entry {
    const controller = new AbortController();
    const e: Entry = { nodeId, sessionId, expiresAt, controller, signal: controller.signal };
    this.entries.set(nodeId, e);
    this.deadlinesChanged.notify();
    return e;
  }
}
