/**
 * The jobs orchestrator component: `reconcileJob` for every replicated or global job whose spec or tasks
 * changed, and for global jobs when nodes change.
 *
 * Watches: services, tasks, nodes. Writes: new tasks (desired COMPLETE, JobIteration), tasks' DesiredState
 * (SHUTDOWN for earlier iterations and unusable nodes), `Service.JobStatus`.
 */
import type { Service } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import { reconcileJob } from './jobs.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { modeOf } from './service-mode.js';

export class JobsOrchestrator {
  readonly name = 'jobs-orchestrator';
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new JobsHandler(this.deps), signal);
  }
}

const mine = (s: Service): boolean => {
  const m = modeOf(s);
  return m === 'replicated-job' || m === 'global-job';
};

class JobsHandler implements ReconcileHandler {
  private readonly dirty = new DirtySet();

  constructor(private readonly deps: OrchestratorDeps) {}

  init(cache: ClusterCache): void {
    for (const s of cache.services.values()) if (mine(s)) this.dirty.mark(s.ID);
  }

  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void {
    for (const e of events) {
      if (e.kind === 'services') this.dirty.mark(e.object.ID);
      else if (e.kind === 'tasks') this.dirty.mark(e.object.ServiceID);
      else if (e.kind === 'nodes') {
        for (const s of cache.services.values()) if (modeOf(s) === 'global-job') this.dirty.mark(s.ID);
      }
    }
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const plans: KeyedPlan[] = [];
    for (const id of this.dirty.take(now)) {
      const service = cache.services.get(id);
      if (service === undefined || !mine(service)) continue;
      plans.push({ key: id, plan: reconcileJob(service, cache.tasksOf(id), { now, random: this.deps.random, nodes: cache.nodes }) });
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
