/**
 * The scheduler component: the thin loop around the pure core (schedule.ts).
 *
 * It reads a snapshot (nodes, tasks, services), then follows the store's events. When something calls for a pass
 * (a task waiting for a node, room freed, a node changed) it waits `batchDelayMs` on the clock to gather what else
 * arrives, runs the core over every waiting task, and commits the decisions in transactions of `writeBatchSize`
 * tasks: NodeID + ASSIGNED ("scheduler assigned task to node", or swarm's "confirmed ... preassigned node" for
 * global tasks), or, for a task no node can take, the reason in `Status.Err` — written only when it changed.
 *
 * Each write re-reads the task and its node inside the transaction: a task that moved on, or a node that changed
 * since the decision, drops that decision (the next pass decides again with the news). A version conflict (or a
 * task deleted between read and commit) retries the batch from fresh reads. Committed tasks go straight into the cache, so the decisions hold until their own
 * events come back.
 */
import { isShoalError, unavailable } from '../../api/errors.js';
import type { Node, Task } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { nullLogger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import type { Store } from '../../store/index.js';
import { SchedulerCache } from './cache.js';
import { Inbox } from '../../store/core/watch-inbox.js';
import { scheduleOn } from './schedule.js';
import { awaitsScheduling } from './task-facts.js';

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';
export const PREASSIGNED_MESSAGE = 'scheduler confirmed task can run on preassigned node';

export interface SchedulerOptions {
  store: Store;
  clock: Clock;
  random: Random;
  logger?: Logger;
  /** How long to gather events before a pass. */
  batchDelayMs?: number;
  /** Task writes per transaction (swarmkit batches 200). */
  writeBatchSize?: number;
  /** Attempts for one batch of writes when versions keep conflicting. */
  maxAttempts?: number;
}

type Decision = { taskId: string; nodeId: string } | { taskId: string; err: string };

export class Scheduler {
  readonly name = 'scheduler';
  private readonly log: Logger;
  private readonly batchDelayMs: number;
  private readonly writeBatchSize: number;
  private readonly maxAttempts: number;

  constructor(private readonly o: SchedulerOptions) {
    this.log = (o.logger ?? nullLogger).child({ component: 'scheduler' });
    this.batchDelayMs = o.batchDelayMs ?? 20;
    this.writeBatchSize = o.writeBatchSize ?? 200;
    this.maxAttempts = o.maxAttempts ?? 5;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { store, clock } = this.o;
    const cache = new SchedulerCache();
    const rev = await store.rev();
    const view = store.view();
    const [nodes, tasks, services] = await Promise.all([view.list('nodes'), view.list('tasks'), view.list('services')]);
    cache.load(nodes, tasks, services, clock.now());

    const watching = new AbortController();
    const stop = (): void => watching.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const inbox = new Inbox(store.watch(rev, watching.signal));
    try {
      await this.pass(cache);
      while (!signal.aborted) {
        await inbox.wait(signal);
        if (signal.aborted) break;
        const due = cache.apply(inbox.take(), clock.now());
        if (inbox.done && !signal.aborted) throw unavailable('scheduler.watch_ended', 'the store watch ended');
        if (!due) continue;
        try {
          await clock.sleep(this.batchDelayMs, signal);
        } catch (e) {
          if (signal.aborted) break;
          throw e;
        }
        cache.apply(inbox.take(), clock.now());
        await this.pass(cache);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      watching.abort();
      await inbox.pumped;
    }
  }

  /** One scheduling pass over every waiting task, and its commit. */
  private async pass(cache: SchedulerCache): Promise<void> {
    if (cache.waiting.size === 0) return;
    const now = this.o.clock.now();
    const result = scheduleOn(cache.set, [...cache.waiting.values()], { random: this.o.random, now, services: cache.services });
    const decisions: Decision[] = [...result.assignments];
    for (const u of result.unschedulable) {
      if (cache.task(u.taskId)?.Status.Err !== u.message) decisions.push({ taskId: u.taskId, err: u.message });
    }
    if (decisions.length === 0) return;
    let assigned = 0;
    let dropped = 0;
    for (let i = 0; i < decisions.length; i += this.writeBatchSize) {
      const r = await this.commit(cache, decisions.slice(i, i + this.writeBatchSize));
      assigned += r.assigned;
      dropped += r.dropped;
    }
    this.log.debug({ assigned, unschedulable: result.unschedulable.length, dropped, waiting: cache.waiting.size }, 'scheduling pass');
  }

  /** Writes one batch of decisions; the ones that no longer apply are dropped (and their bookkeeping undone). */
  private async commit(cache: SchedulerCache, batch: readonly Decision[]): Promise<{ assigned: number; dropped: number }> {
    const stamp = rfc3339Nano(this.o.clock.now());
    for (let attempt = 1; ; attempt++) {
      try {
        const { result: written } = await this.o.store.update(async (tx) => {
          const nodes = new Map<string, Node | undefined>();
          const out: Task[] = [];
          for (const d of batch) {
            const cur = await tx.get('tasks', d.taskId);
            if (cur === undefined || !awaitsScheduling(cur)) continue;
            if ('err' in d) {
              if (cur.Status.Err === d.err) continue;
              const next: Task = { ...cur, Status: { ...cur.Status, Err: d.err, Timestamp: stamp }, UpdatedAt: stamp };
              tx.update('tasks', next);
              out.push(next);
              continue;
            }
            const preassigned = cur.NodeID !== undefined && cur.NodeID !== '';
            if (preassigned && cur.NodeID !== d.nodeId) continue;
            if (!nodes.has(d.nodeId)) nodes.set(d.nodeId, await tx.get('nodes', d.nodeId));
            const node = nodes.get(d.nodeId);
            const known = cache.set.get(d.nodeId)?.node;
            if (node === undefined || known === undefined || node.Version.Index !== known.Version.Index) continue;
            const next: Task = {
              ...cur,
              NodeID: d.nodeId,
              Status: { Timestamp: stamp, State: 'assigned', Message: preassigned ? PREASSIGNED_MESSAGE : ASSIGNED_MESSAGE },
              UpdatedAt: stamp,
            };
            tx.update('tasks', next);
            out.push(next);
          }
          return out;
        });
        const now = this.o.clock.now();
        for (const t of written) cache.putTask(t, now);
        const ok = new Set(written.map((t) => t.ID));
        let dropped = 0;
        let assigned = 0;
        for (const d of batch) {
          if (!('nodeId' in d)) continue;
          if (ok.has(d.taskId)) assigned++;
          else {
            dropped++;
            this.undo(cache, d.taskId);
          }
        }
        return { assigned, dropped };
      } catch (e) {
        // Conflict: an object moved since it was read; NotFound: a task was deleted in between. Read again.
        if (!isShoalError(e, 'Conflict') && !isShoalError(e, 'NotFound')) throw e;
        if (attempt >= this.maxAttempts) {
          this.log.warn({ err: e, tasks: batch.length }, 'scheduler gave up writing a batch; it will be decided again');
          for (const d of batch) if ('nodeId' in d) this.undo(cache, d.taskId);
          return { assigned: 0, dropped: batch.length };
        }
      }
    }
  }

  /** Forgets a decision that was not written: the task gives back the room it was given. */
  private undo(cache: SchedulerCache, taskId: string): void {
    const t = cache.task(taskId);
    if (t !== undefined && awaitsScheduling(t)) cache.set.untrack(taskId);
  }
}
