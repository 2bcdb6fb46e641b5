/**
 * The one component shape (DESIGN §4.1) shared by the orchestrator components: snapshot, watch, mark dirty,
 * reconcile in batches, and sleep until the next event or the earliest time a core asked to be woken.
 *
 * `runReconcileLoop` loads a ClusterCache, then repeats: `reconcile(now)` (the component computes plans from its
 * cores and commits them with `commitPlans`), wait for a watch batch or the wake-up time, apply the batch to the
 * cache and hand it to `onEvents` to mark what is dirty. It returns when the signal aborts and throws when the
 * store fails, so the supervisor restarts it from a fresh snapshot.
 *
 * `commitPlans` writes plans in transactions of at most ~200 writes, each plan whole in one transaction. A
 * transaction refused because someone moved first (Conflict, NotFound, AlreadyExists) is retried plan by plan;
 * the keys of refused plans come back so the component keeps them dirty: the change that beat it is on its way
 * through the watch and triggers the next attempt.
 */
import { isShoalError } from '../../api/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Store, StoreEvent } from '../../store/index.js';
import { ClusterCache } from './cache.js';
import type { TaskPlan } from './plan.js';

export interface LoopDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}

export interface ReconcileHandler {
  /** Called with the freshly loaded cache (mark everything dirty). */
  init(cache: ClusterCache): void;
  /** Called after the cache applied `events` (mark what they touch dirty). */
  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void;
  /** Acts on what is dirty; returns when it wants to run again without events. */
  reconcile(cache: ClusterCache, now: number): Promise<number | undefined>;
}

const MAX_WRITES_PER_TXN = 200;

export async function runReconcileLoop(deps: LoopDeps, handler: ReconcileHandler, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const { cache, rev } = await ClusterCache.load(deps.store);
  handler.init(cache);
  const watch = deps.store.watch(rev, signal)[Symbol.asyncIterator]();
  let next = watch.next();
  next.catch(() => undefined); // observed below; this only keeps an early rejection from being "unhandled"
  // The watch ends when `signal` aborts (the supervisor aborts every component when one fails).
  while (!signal.aborted) {
    const wakeAt = await handler.reconcile(cache, deps.clock.now());
    const got = await nextOrWake(deps.clock, next, wakeAt, signal);
    if (got === 'timer') continue;
    if (got.done === true) return;
    const events = got.value;
    for (const e of events) cache.apply(e);
    const last = events[events.length - 1];
    if (last !== undefined) cache.settle(last.rev);
    handler.onEvents(events, cache);
    next = watch.next();
    next.catch(() => undefined);
  }
}

type Next = IteratorResult<StoreEvent[], void>;

async function nextOrWake(clock: Clock, next: Promise<Next>, wakeAt: number | undefined, signal: AbortSignal): Promise<Next | 'timer'> {
  if (wakeAt === undefined) return next;
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  const timer = clock.sleep(Math.max(1, wakeAt - clock.now()), both).then(
    () => 'timer' as const,
    () => 'aborted' as const,
  );
  try {
    const got = await Promise.race([next, timer]);
    if (got === 'aborted') return next; // the caller's signal: the watch ends too
    return got;
  } finally {
    stop.abort();
  }
}

export interface KeyedPlan {
  key: string;
  plan: TaskPlan;
}

/** Commits the plans; returns the keys of those the store refused because something changed first. */
export async function commitPlans(store: Store, cache: ClusterCache, plans: readonly KeyedPlan[], logger: Logger): Promise<string[]> {
  const work = plans.filter((p) => !p.plan.isEmpty);
  const refused: string[] = [];
  let batch: KeyedPlan[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const group = batch;
    batch = [];
    size = 0;
    if (await commit(store, cache, group)) return;
    if (group.length === 1) {
      refused.push(...group.map((p) => p.key));
      return;
    }
    for (const p of group) if (!(await commit(store, cache, [p]))) refused.push(p.key);
  };
  for (const p of work) {
    if (size > 0 && size + p.plan.size > MAX_WRITES_PER_TXN) await flush();
    batch.push(p);
    size += p.plan.size;
  }
  await flush();
  if (refused.length > 0) logger.debug({ refused }, 'store moved first; will retry after the next event');
  return refused;
}

async function commit(store: Store, cache: ClusterCache, plans: readonly KeyedPlan[]): Promise<boolean> {
  try {
    const { rev } = await store.update((tx) => {
      for (const { plan } of plans) {
        for (const t of plan.creates) tx.create('tasks', t);
        for (const t of plan.updates) tx.update('tasks', t);
        for (const id of plan.deletes) tx.delete('tasks', id);
        if (plan.service !== undefined) tx.update('services', plan.service);
      }
    });
    for (const { plan } of plans) {
      for (const t of plan.creates) cache.put('tasks', t);
      for (const t of plan.updates) cache.put('tasks', t);
      for (const id of plan.deletes) cache.remove('tasks', id, rev);
      if (plan.service !== undefined) cache.put('services', plan.service);
    }
    return true;
  } catch (e) {
    if (isShoalError(e, 'Conflict') || isShoalError(e, 'NotFound') || isShoalError(e, 'AlreadyExists')) return false;
    throw e;
  }
}
