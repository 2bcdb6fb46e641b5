/**
 * The allocator component: the thin loop around the pure core (allocate.ts, task-ballot.ts).
 *
 * It reads a snapshot (services, tasks) and follows the store's events. When a service changes or a task is NEW,
 * it waits `batchDelayMs` on the clock to gather more, then runs a pass:
 * 1. every service whose Endpoint is not what its EndpointSpec calls for gets it written (published ports picked
 *    and booked); a service whose ports conflict is left alone and remembered with the reason;
 *    With it, the service's virtual IPs (ipam/vips.ts), in the same Endpoint write;
 * 2. every network whose `NodeAddrs` is not one address per node gets it written (ipam/node-addrs.ts);
 * 3. every NEW task of an allocated service becomes PENDING ("pending task scheduling"), carrying the service's
 *    Endpoint when it publishes ports and its addresses on its networks (the networks voter, ipam/voter.ts); a
 *    task of a refused service, or one whose network is missing or full, stays NEW with the reason in `Status.Err`.
 * Addresses are held from the moment they are planned; the ones a write drops are freed once it is stored.
 * Writes go in transactions of `writeBatchSize`, each re-reading its objects: a service that changed since it was
 * planned, or a task that moved on, is left for the next pass. A version conflict (or an object deleted between
 * read and commit) retries from fresh reads.
 */
import { isShoalError, unavailable } from '../../api/errors.js';
import type { Network, Service, Task } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { nullLogger } from '../../lib/logger.js';
import type { Store, WriteTx } from '../../store/index.js';
import type { ServiceAllocation } from './allocate.js';
import { allocateEndpoints, oldestFirst, restore } from './allocate.js';
import { AllocatorCache } from './cache.js';
import { Inbox } from '../../store/core/watch-inbox.js';
import type { NodeAddrsUpdate } from './ipam/index.js';
import { networksVoter, planNodeAddrs, planVips, syncService } from './ipam/index.js';
import { PortSpace } from './ports/index.js';
import type { TaskVoter } from './task-ballot.js';
import { awaitsAllocation, ballot, portsVoter } from './task-ballot.js';

export interface AllocatorOptions {
  store: Store;
  clock: Clock;
  logger?: Logger;
  batchDelayMs?: number;
  writeBatchSize?: number;
  maxAttempts?: number;
  /** The dynamic published-port range (default 30000–32767). */
  dynamicPorts?: { start: number; end: number };
  /**
   * Voters besides ports and networks (which are built in). Each sees the task and its service and says yes (with
   * its part of the task), not yet, or no (with a reason).
   */
  extraVoters?: (cache: AllocatorCache) => TaskVoter[];
}

export class Allocator {
  readonly name = 'allocator';
  private readonly log: Logger;
  private readonly batchDelayMs: number;
  private readonly writeBatchSize: number;
  private readonly maxAttempts: number;

  constructor(private readonly o: AllocatorOptions) {
    this.log = (o.logger ?? nullLogger).child({ component: 'allocator' });
    this.batchDelayMs = o.batchDelayMs ?? 20;
    this.writeBatchSize = o.writeBatchSize ?? 200;
    this.maxAttempts = o.maxAttempts ?? 5;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { store, clock } = this.o;
    const range = this.o.dynamicPorts;
    const cache = new AllocatorCache(range === undefined ? new PortSpace() : new PortSpace(range.start, range.end));
    const rev = await store.rev();
    const view = store.view();
    const [services, tasks, networks, nodes] = await Promise.all([view.list('services'), view.list('tasks'), view.list('networks'), view.list('nodes')]);
    cache.load(services, tasks, networks, nodes);
    const voters = [portsVoter(cache), networksVoter(cache.ipam), ...(this.o.extraVoters?.(cache) ?? [])];

    const watching = new AbortController();
    const stop = (): void => watching.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const inbox = new Inbox(store.watch(rev, watching.signal));
    try {
      await this.pass(cache, voters);
      while (!signal.aborted) {
        await inbox.wait(signal);
        if (signal.aborted) break;
        const due = cache.apply(inbox.take());
        if (inbox.done && !signal.aborted) throw unavailable('allocator.watch_ended', 'the store watch ended');
        if (!due) continue;
        try {
          await clock.sleep(this.batchDelayMs, signal);
        } catch (e) {
          if (signal.aborted) break;
          throw e;
        }
        cache.apply(inbox.take());
        await this.pass(cache, voters);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      watching.abort();
      await inbox.pumped;
    }
  }

  private async pass(cache: AllocatorCache, voters: readonly TaskVoter[]): Promise<void> {
    const { updates, refused, allocated } = allocateEndpoints(cache.space, cache.services, (s) => planVips(cache.ipam, s));
    cache.refused = refused;
    cache.allocated = allocated;
    // A refused service gives back the VIPs planned for it in advance (it keeps the stored ones).
    for (const id of refused.keys()) {
      const s = cache.services.get(id);
      if (s !== undefined) syncService(cache.ipam, s);
    }
    let services = 0;
    for (let i = 0; i < updates.length; i += this.writeBatchSize) services += await this.writeServices(cache, updates.slice(i, i + this.writeBatchSize));

    const nodeAddrs = planNodeAddrs(cache.ipam, cache.nodes);
    let networks = 0;
    for (let i = 0; i < nodeAddrs.length; i += this.writeBatchSize) networks += await this.writeNetworks(cache, nodeAddrs.slice(i, i + this.writeBatchSize));

    const stamp = rfc3339Nano(this.o.clock.now());
    const decided: Task[] = [];
    for (const t of oldestFirst(cache.waiting.values())) {
      const b = ballot(t, cache.services.get(t.ServiceID), voters, stamp);
      if (b.kind === 'pending' || (b.kind === 'refused' && t.Status.Err !== b.reason)) decided.push(t);
    }
    let tasks = 0;
    for (let i = 0; i < decided.length; i += this.writeBatchSize) tasks += await this.writeTasks(cache, voters, decided.slice(i, i + this.writeBatchSize), stamp);
    if (services + networks + tasks + refused.size > 0) this.log.debug({ services, networks, tasks, refused: refused.size, waiting: cache.waiting.size }, 'allocation pass');
  }

  /** Writes planned Endpoints; a service changed meanwhile keeps its stored ports and is planned again later. */
  private async writeServices(cache: AllocatorCache, batch: readonly ServiceAllocation[]): Promise<number> {
    const stamp = rfc3339Nano(this.o.clock.now());
    const written = await this.retrying(batch.length, async (tx) => {
      const out: Service[] = [];
      for (const a of batch) {
        const cur = await tx.get('services', a.service.ID);
        if (cur === undefined || cur.Version.Index !== a.service.Version.Index) continue;
        const next: Service = { ...cur, Endpoint: a.endpoint, UpdatedAt: stamp };
        tx.update('services', next);
        out.push(next);
      }
      return out;
    });
    const ok = new Set(written.map((s) => s.ID));
    for (const s of written) {
      cache.services.set(s.ID, s);
      cache.allocated.set(s.ID, s.Version.Index);
      syncService(cache.ipam, s); // VIPs on networks it left are free now that they are no longer stored
    }
    for (const a of batch) {
      if (ok.has(a.service.ID)) continue;
      const stored = cache.services.get(a.service.ID) ?? a.service;
      restore(cache.space, stored);
      syncService(cache.ipam, stored);
    }
    return written.length;
  }

  /** Writes planned node addresses; a network changed meanwhile is planned again later. */
  private async writeNetworks(cache: AllocatorCache, batch: readonly NodeAddrsUpdate[]): Promise<number> {
    const written = await this.retrying(batch.length, async (tx) => {
      const out: Network[] = [];
      for (const u of batch) {
        const cur = await tx.get('networks', u.network.Id);
        if (cur === undefined || cur.Version?.Index !== u.network.Version?.Index) continue;
        // Attachments asked for since the plan keep waiting for the next pass; the ones planned get their address.
        const attachments = u.attachments === undefined ? cur.Attachments : mergeAttachments(cur.Attachments, u.attachments);
        const next: Network = { ...cur, NodeAddrs: u.nodeAddrs, ...(attachments !== undefined ? { Attachments: attachments } : {}) };
        tx.update('networks', next);
        out.push(next);
      }
      return out;
    });
    // Stored now: addresses of nodes that are gone are free.
    for (const n of written) cache.putNetwork(n);
    return written.length;
  }

  /** Moves tasks to PENDING (or records why they wait), deciding again on what each transaction reads. */
  private async writeTasks(cache: AllocatorCache, voters: readonly TaskVoter[], batch: readonly Task[], stamp: string): Promise<number> {
    const written = await this.retrying(batch.length, async (tx) => {
      const out: Task[] = [];
      const read = new Map<string, Service | undefined>();
      for (const t of batch) {
        const cur = await tx.get('tasks', t.ID);
        if (cur === undefined || !awaitsAllocation(cur)) continue;
        const service = cache.services.get(cur.ServiceID);
        if (!read.has(cur.ServiceID)) read.set(cur.ServiceID, await tx.get('services', cur.ServiceID));
        const stored = read.get(cur.ServiceID);
        if (service === undefined || stored === undefined || stored.Version.Index !== service.Version.Index) continue;
        const b = ballot(cur, service, voters, stamp);
        if (b.kind === 'wait') continue;
        let next: Task;
        if (b.kind === 'pending') next = b.task;
        else if (cur.Status.Err === b.reason) continue;
        else next = { ...cur, Status: { ...cur.Status, Err: b.reason, Timestamp: stamp }, UpdatedAt: stamp };
        tx.update('tasks', next);
        out.push(next);
      }
      return out;
    });
    for (const t of written) cache.putTask(t);
    return written.filter((t) => t.Status.State === 'pending').length;
  }

  /** Runs a write, again from fresh reads when versions conflict; gives up (writing nothing) after maxAttempts. */
  private async retrying<T>(size: number, fn: (tx: WriteTx) => Promise<T[]>): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.o.store.update(fn)).result;
      } catch (e) {
        // Conflict: an object moved since it was read; NotFound: it was deleted in between. Read again.
        if (!isShoalError(e, 'Conflict') && !isShoalError(e, 'NotFound')) throw e;
        if (attempt >= this.maxAttempts) {
          this.log.warn({ err: e, objects: size }, 'allocator gave up writing a batch; it will be planned again');
          return [];
        }
      }
    }
  }
}

/** The stored attachments, with the planned addresses for those still there (a detached container keeps none). */
function mergeAttachments(
  stored: Network['Attachments'],
  planned: NonNullable<Network['Attachments']>,
): Network['Attachments'] {
  if (stored === undefined) return undefined;
  const out: NonNullable<Network['Attachments']> = {};
  for (const [id, a] of Object.entries(stored)) out[id] = a.Addr === undefined && planned[id]?.Addr !== undefined ? { ...a, Addr: planned[id].Addr } : a;
  return out;
}
