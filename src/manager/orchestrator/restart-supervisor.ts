/**
 * The restart supervisor component: `superviseRestarts` for every service whose tasks changed or whose tasks'
 * nodes changed, and again at the time a held task's restart delay ends. Nothing is kept in memory that the
 * store does not hold: after a manager restart, restart counts and pending delays are read back from the tasks.
 *
 * Watches: tasks, nodes, services. Writes: tasks' DesiredState (SHUTDOWN for tasks it replaces, READY →
 * RUNNING/COMPLETE at the gate), replacement tasks (desired READY).
 */
import type { StoreEvent } from '../../store/index.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { superviseRestarts } from './restart.js';

export class RestartSupervisor {
  readonly name = 'restart-supervisor';
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new RestartHandler(this.deps), signal);
  }
}

class RestartHandler implements ReconcileHandler {
  private readonly dirty = new DirtySet();

  constructor(private readonly deps: OrchestratorDeps) {}

  init(cache: ClusterCache): void {
    this.dirty.markAll(cache.services.keys());
  }

  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void {
    const nodes = new Set<string>();
    for (const e of events) {
      if (e.kind === 'services') this.dirty.mark(e.object.ID);
      else if (e.kind === 'tasks') this.dirty.mark(e.object.ServiceID);
      else if (e.kind === 'nodes') nodes.add(e.object.ID);
    }
    if (nodes.size === 0) return;
    for (const t of cache.tasks.values()) if (t.NodeID !== undefined && nodes.has(t.NodeID)) this.dirty.mark(t.ServiceID);
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const plans: KeyedPlan[] = [];
    for (const id of this.dirty.take(now)) {
      const service = cache.services.get(id);
      if (service === undefined) {
        this.dirty.wakeAt(id, undefined);
        continue;
      }
      const { plan, wakeAt } = superviseRestarts(service, cache.tasksOf(id), { now, random: this.deps.random, nodes: cache.nodes });
      this.dirty.wakeAt(id, wakeAt);
      plans.push({ key: id, plan });
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
