/**
 * The replicated orchestrator component: `reconcileReplicated` for every replicated service whose spec or tasks
 * changed. It also answers for deleted services of every mode: their tasks get desired REMOVE (the task reaper
 * deletes them once the agents have shut them down), including tasks found without a service at start-up.
 *
 * Watches: services (create/update/remove), tasks. Writes: new tasks, tasks' DesiredState (REMOVE).
 */
import type { Service, Task } from '../../api/types.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { TaskPlan } from './plan.js';
import { reconcileReplicated } from './replicated.js';
import { modeOf } from './service-mode.js';

export class ReplicatedOrchestrator {
  readonly name = 'replicated-orchestrator';

  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new ReplicatedHandler(this.deps), signal);
  }
}

/** Desired REMOVE for every task of a service that no longer exists. */
export function removeServiceTasks(tasks: readonly Task[], now: number): TaskPlan {
  const plan = new TaskPlan(now);
  for (const t of tasks) plan.setDesired(t, 'remove');
  return plan;
}

const mine = (s: Service): boolean => modeOf(s) === 'replicated';

class ReplicatedHandler implements ReconcileHandler {
  private readonly dirty = new DirtySet();

  constructor(private readonly deps: OrchestratorDeps) {}

  init(cache: ClusterCache): void {
    for (const s of cache.services.values()) if (mine(s)) this.dirty.mark(s.ID);
    for (const t of cache.tasks.values()) if (!cache.services.has(t.ServiceID)) this.dirty.mark(t.ServiceID);
  }

  onEvents(events: Parameters<ReconcileHandler['onEvents']>[0]): void {
    for (const e of events) {
      if (e.kind === 'services') this.dirty.mark(e.object.ID);
      else if (e.kind === 'tasks') this.dirty.mark(e.object.ServiceID);
    }
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const plans: KeyedPlan[] = [];
    for (const id of this.dirty.take(now)) {
      const service = cache.services.get(id);
      const tasks = cache.tasksOf(id);
      if (service === undefined) plans.push({ key: id, plan: removeServiceTasks(tasks, now) });
      else if (mine(service)) {
        plans.push({ key: id, plan: reconcileReplicated(service, tasks, { now, random: this.deps.random, nodes: cache.nodes }) });
      }
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
