/**
 * The update supervisor component: `superviseUpdate` for every replicated or global service whose spec or
 * tasks changed (for global services, also when nodes change), and again when a core asked (end of an update
 * Delay, end of the Monitor window).
 *
 * Besides the cache it keeps two observations the store does not: when each task was seen RUNNING (its status
 * timestamp then), and the failures already counted for each service's rollout (so a failed task the reaper
 * deletes still counts). After a manager restart both are rebuilt as far as the store allows; see
 * `UpdateObservations` for how a failure of unknown run time is judged.
 *
 * Watches: services, tasks, nodes. Writes: `Service.UpdateStatus`, `Service.Spec`/`SpecVersion` on automatic
 * rollback, new tasks, tasks' DesiredState (SHUTDOWN of replaced tasks) and SpecVersion (re-stamping).
 */
import type { Service } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { modeOf } from './service-mode.js';
import { parseTime } from './task-facts.js';
import { rolloutKeyOf, superviseUpdate } from './update.js';

export class UpdateSupervisor {
  readonly name = 'update-supervisor';
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new UpdateHandler(this.deps), signal);
  }
}

const mine = (s: Service): boolean => {
  const m = modeOf(s);
  return m === 'replicated' || m === 'global';
};

class UpdateHandler implements ReconcileHandler {
  private readonly dirty = new DirtySet();
  private readonly runningSince = new Map<string, number>();
  private readonly counted = new Map<string, { key: string; ids: Set<string> }>();
  private watchingSince = 0;

  constructor(private readonly deps: OrchestratorDeps) {}

  init(cache: ClusterCache): void {
    this.watchingSince = this.deps.clock.now();
    for (const s of cache.services.values()) if (mine(s)) this.dirty.mark(s.ID);
    for (const t of cache.tasks.values()) this.observe(t);
  }

  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void {
    for (const e of events) {
      if (e.kind === 'services') {
        this.dirty.mark(e.object.ID);
        if (e.action === 'remove') this.counted.delete(e.object.ID);
      } else if (e.kind === 'tasks') {
        this.dirty.mark(e.object.ServiceID);
        if (e.action === 'remove') this.runningSince.delete(e.object.ID);
        else this.observe(e.object);
      } else if (e.kind === 'nodes') {
        for (const s of cache.services.values()) if (modeOf(s) === 'global') this.dirty.mark(s.ID);
      }
    }
  }

  private observe(t: { ID: string; Status: { State: string; Timestamp: string } }): void {
    if (t.Status.State !== 'running' || this.runningSince.has(t.ID)) return;
    this.runningSince.set(t.ID, parseTime(t.Status.Timestamp) ?? this.deps.clock.now());
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const plans: KeyedPlan[] = [];
    for (const id of this.dirty.take(now)) {
      const service = cache.services.get(id);
      if (service === undefined || !mine(service)) {
        this.dirty.wakeAt(id, undefined);
        continue;
      }
      const key = rolloutKeyOf(service.UpdateStatus);
      const memo = this.counted.get(id);
      const counted = memo !== undefined && memo.key === key ? memo.ids : new Set<string>();
      const r = superviseUpdate(
        service,
        cache.tasksOf(id),
        { now, random: this.deps.random, nodes: cache.nodes },
        { runningSince: this.runningSince, counted, watchingSince: this.watchingSince },
      );
      if (r.rolloutKey !== undefined) this.counted.set(id, { key: r.rolloutKey, ids: r.failures });
      this.dirty.wakeAt(id, r.wakeAt);
      plans.push({ key: id, plan: r.plan });
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
