/**
 * The dispatcher's writes to nodes: `ready` (with the address and description) when a session opens, `down` when
 * heartbeats stop, `unknown` when a dispatcher starts. Writes for one node run one after another, in the order
 * they were asked for, each re-reading the node and retrying on a version conflict.
 */
import { isShoalError } from '../../api/errors.js';
import type { Node, NodeDescription, NodeStatus } from '../../api/types.js';
import { rfc3339Nano, type Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Store } from '../../store/index.js';
import { dispatcherErrors } from './errors.js';

const ATTEMPTS = 5;

export const UNKNOWN_MESSAGE = 'Node moved to "unknown" state due to leadership change in cluster';
export const HEARTBEAT_FAILURE = 'heartbeat failure';
export const UNKNOWN_HEARTBEAT_FAILURE = 'heartbeat failure for node in "unknown" state';

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

export class NodeStatusWriter {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Marks the node ready at `addr` (the session's peer IP) with its description. A loopback peer does not replace
   * an address the node already has: it says nothing about where other nodes can reach it. Skipped when `still()`
   * is false by the time the write runs (the session has ended).
   */
  markReady(nodeId: string, description: NodeDescription, addr: string, still: () => boolean): Promise<void> {
    return this.serial(nodeId, still, (n) => {
      const keep = isLoopback(addr) && n.Status.Addr !== '';
      const status: NodeStatus = { State: 'ready', Addr: keep ? n.Status.Addr : addr };
      return { ...n, Description: description, Status: status };
    });
  }

  /** Marks the node down (heartbeat failure), unless `still()` is false by the time the write runs. */
  markDown(nodeId: string, message: string, still: () => boolean): Promise<void> {
    return this.serial(nodeId, still, (n) =>
      n.Status.State === 'down' ? undefined : { ...n, Status: { State: 'down', Message: message, Addr: n.Status.Addr } },
    );
  }

  markUnknown(nodeId: string): Promise<void> {
    return this.serial(
      nodeId,
      () => true,
      (n) =>
        n.Status.State === 'down' ? undefined : { ...n, Status: { State: 'unknown', Message: UNKNOWN_MESSAGE, Addr: n.Status.Addr } },
    );
  }

  private serial(nodeId: string, still: () => boolean, change: (n: Node) => Node | undefined): Promise<void> {
    const prev = this.chains.get(nodeId) ?? Promise.resolve();
    const next = prev.then(
      () => (still() ? this.write(nodeId, change) : undefined),
      () => (still() ? this.write(nodeId, change) : undefined),
    );
    const tail = next.catch(() => undefined);
    this.chains.set(nodeId, tail);
    void tail.then(() => {
      if (this.chains.get(nodeId) === tail) this.chains.delete(nodeId);
    });
    return next;
  }

  private async write(nodeId: string, change: (n: Node) => Node | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.update(async (tx) => {
          const node = await tx.get('nodes', nodeId);
          if (node === undefined) throw dispatcherErrors.nodeNotFound(nodeId);
          const next = change(node);
          if (next !== undefined) tx.update('nodes', { ...next, UpdatedAt: rfc3339Nano(this.clock.now()) });
        });
        return;
      } catch (e) {
        if (!isShoalError(e, 'Conflict') || attempt >= ATTEMPTS) throw e;
        this.log.debug({ node: nodeId, attempt }, 'node write conflicted; retrying');
      }
    }
  }
}
