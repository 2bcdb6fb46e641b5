/**
 * The global orchestrator component: `reconcileGlobal` for every global service whose spec or tasks changed,
 * and for all of them when a node is added, removed, or changes (availability, state, labels).
 *
 * Watches: services, tasks, nodes. Writes: new tasks (NodeID set), tasks' DesiredState (SHUTDOWN).
 */
import type { Service } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import { reconcileGlobal } from './global.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { modeOf } from './service-mode.js';

export class GlobalOrchestrator {
  readonly name = 'global-orchestrator';
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new GlobalHandler(this.deps), signal);
  }
}

const mine = (s: Service): boolean => modeOf(s) === 'global';

class GlobalHandler implements ReconcileHandler {
  private readonly dirty = new DirtySet();

  constructor(private readonly deps: OrchestratorDeps) {}

  init(cache: ClusterCache): void {
    for (const s of cache.services.values()) if (mine(s)) this.dirty.mark(s.ID);
  }

  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void {
    for (const e of events) {
      if (e.kind === 'services') this.dirty.mark(e.object.ID);
      else if (e.kind === 'tasks') this.dirty.mark(e.object.ServiceID);
      else if (e.kind === 'nodes') for (const s of cache.services.values()) if (mine(s)) this.dirty.mark(s.ID);
    }
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const plans: KeyedPlan[] = [];
    for (const id of this.dirty.take(now)) {
      const service = cache.services.get(id);
      if (service === undefined || !mine(service)) continue;
      const plan = reconcileGlobal(service, cache.tasksOf(id), { now, random: this.deps.random, nodes: cache.nodes });
      plans.push({ key: id, plan });
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
