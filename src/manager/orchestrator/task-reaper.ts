/**
 * The task reaper component: deletes tasks with desired REMOVE once `removable`, and trims each slot's history
 * with `trimSlot` to the retention limit (cluster `Orchestration.TaskHistoryRetentionLimit`, default 5).
 *
 * Watches: tasks (each change re-examines the task and its slot), services (restart policy changes the limit),
 * nodes (a deleted node frees its tasks), the cluster (a new limit re-examines every slot).
 * Writes: task deletions only.
 */
import type { Task } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import type { ClusterCache } from './cache.js';
import type { OrchestratorDeps } from './deps.js';
import { DirtySet } from './dirty-set.js';
import type { KeyedPlan, ReconcileHandler } from './loop.js';
import { commitPlans, runReconcileLoop } from './loop.js';
import { TaskPlan } from './plan.js';
import { removable, retentionLimit, trimSlot } from './reaper.js';
import { modeOf } from './service-mode.js';
import { slotKeyOfTask } from './slots.js';
import { byCreation } from './task-facts.js';

export class TaskReaper {
  readonly name = 'task-reaper';
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = { ...deps, logger: deps.logger.child({ component: this.name }) };
  }

  run(signal: AbortSignal): Promise<void> {
    return runReconcileLoop(this.deps, new ReaperHandler(this.deps), signal);
  }
}

const SEP = '\u0000';

class ReaperHandler implements ReconcileHandler {
  /** Keys are `<serviceID>\0<slot key>`. */
  private readonly dirty = new DirtySet();

  constructor(private readonly deps: OrchestratorDeps) {}

  private markTask(t: Task, cache: ClusterCache): void {
    const s = cache.services.get(t.ServiceID);
    const mode = s === undefined ? undefined : modeOf(s);
    this.dirty.mark(`${t.ServiceID}${SEP}${slotKeyOfTask(mode, t)}`);
  }

  init(cache: ClusterCache): void {
    for (const t of cache.tasks.values()) this.markTask(t, cache);
  }

  onEvents(events: readonly StoreEvent[], cache: ClusterCache): void {
    let all = false;
    const services = new Set<string>();
    const nodes = new Set<string>();
    for (const e of events) {
      if (e.kind === 'tasks') this.markTask(e.object, cache);
      else if (e.kind === 'services') services.add(e.object.ID);
      else if (e.kind === 'nodes' && e.action === 'remove') nodes.add(e.object.ID);
      else if (e.kind === 'cluster') all = true;
    }
    if (!all && services.size === 0 && nodes.size === 0) return;
    for (const t of cache.tasks.values()) {
      if (all || services.has(t.ServiceID) || (t.NodeID !== undefined && nodes.has(t.NodeID))) this.markTask(t, cache);
    }
  }

  async reconcile(cache: ClusterCache, now: number): Promise<number | undefined> {
    const limitSetting = cache.cluster?.Spec.Orchestration.TaskHistoryRetentionLimit;
    const plans: KeyedPlan[] = [];
    const byService = new Map<string, Set<string>>();
    for (const key of this.dirty.take(now)) {
      const [serviceId = '', slot = ''] = key.split(SEP);
      let slots = byService.get(serviceId);
      if (slots === undefined) byService.set(serviceId, (slots = new Set()));
      slots.add(slot);
    }
    for (const [serviceId, slots] of byService) {
      const service = cache.services.get(serviceId);
      const mode = service === undefined ? undefined : modeOf(service);
      const limit = service === undefined ? -1 : retentionLimit(limitSetting, service);
      const groups = new Map<string, Task[]>();
      for (const t of cache.tasksOf(serviceId)) {
        const k = slotKeyOfTask(mode, t);
        if (!slots.has(k)) continue;
        const g = groups.get(k);
        if (g === undefined) groups.set(k, [t]);
        else g.push(t);
      }
      for (const [k, group] of groups) {
        group.sort(byCreation);
        const plan = new TaskPlan(now);
        for (const t of group) if (removable(t, cache.nodes)) plan.delete(t.ID);
        for (const id of trimSlot(group, limit, service, cache.nodes)) plan.delete(id);
        plans.push({ key: `${serviceId}${SEP}${k}`, plan });
      }
    }
    this.dirty.markAll(await commitPlans(this.deps.store, cache, plans, this.deps.logger));
    return this.dirty.nextWake();
  }
}
