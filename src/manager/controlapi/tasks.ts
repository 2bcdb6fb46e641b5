/**
 * Task use-cases (swarmkit `controlapi/task.go`, dockerd `daemon/cluster/tasks.go`): list with docker's filters and
 * get by reference. Tasks are written by the orchestrators, the scheduler and the dispatcher; the API only reads.
 *
 * Filters (docs/docker-engine-api.md §6):
 * - `id` (prefix), `name` (prefix of `service.slot.taskID`, or `service.nodeID.taskID` for global tasks);
 * - `label`: matched against the task's `Labels`, which are the service's labels (`stack ps`, `stack rm`);
 * - `service`: a service ID, name or ID prefix, resolved first (unknown → 404 `service X not found`);
 * - `node`: a node ID, name/hostname or ID prefix, resolved first (unknown → 404 `node X not found`);
 * - `desired-state`: a task state name (any case; unknown → 400 `Invalid desired-state filter: 'x'`);
 * - `_up-to-date` (any value): the task was made from the service's current spec (`Task.SpecVersion` equals
 *   `Service.SpecVersion`), which the docker CLI's progress loop relies on;
 * - `runtime`: `container` (every Shoal task), or the empty runtime.
 * Several values of one key are OR'ed; different keys are AND'ed.
 */
import { invalidArgument } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { resolveRef, specNameGetters } from '../../api/resolve.js';
import { isTaskState } from '../../api/task-state.js';
import type { Service, Task } from '../../api/types.js';
import type { ControlDeps } from './deps.js';
import { hideTaskRegistryAuth } from './registry-auth.js';
import { getNode } from './nodes.js';

export const TASK_FILTERS = ['name', 'id', 'label', 'service', 'node', 'desired-state', '_up-to-date', 'runtime'] as const;

/** The full task name swarm uses in filters and references: `service.slot.taskID` (`service.nodeID.taskID` when global). */
export function taskName(t: Task, serviceName: string): string {
  if (t.Name !== undefined && t.Name !== '') return t.Name;
  const slot = t.Slot !== undefined && t.Slot !== 0 ? String(t.Slot) : (t.NodeID ?? '');
  return `${serviceName}.${slot}.${t.ID}`;
}

/** The API view of a stored task: docker's key order, no internal `SpecVersion`, no registry credentials. */
export function publicTask(t: Task): Task {
  const out: Task = { ID: t.ID, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt } as Task;
  if (t.Name !== undefined && t.Name !== '') out.Name = t.Name;
  out.Labels = t.Labels ?? {};
  out.Spec = hideTaskRegistryAuth(t.Spec);
  out.ServiceID = t.ServiceID;
  if (t.Slot !== undefined && t.Slot !== 0) out.Slot = t.Slot;
  if (t.NodeID !== undefined && t.NodeID !== '') out.NodeID = t.NodeID;
  out.Status = t.Status;
  out.DesiredState = t.DesiredState;
  if (t.NetworksAttachments !== undefined && t.NetworksAttachments.length > 0) out.NetworksAttachments = t.NetworksAttachments;
  if (t.AssignedGenericResources !== undefined && t.AssignedGenericResources.length > 0) out.AssignedGenericResources = t.AssignedGenericResources;
  if (t.JobIteration !== undefined) out.JobIteration = t.JobIteration;
  return out;
}

/** swarmkit's state names: the `TaskState` ones plus `allocated`, which no Shoal task is in but a filter may name. */
function checkDesiredState(value: string): string | undefined {
  if (value === '') return undefined;
  const v = value.toLowerCase();
  if (!isTaskState(v) && v !== 'allocated') throw invalidArgument('filter.invalid', `Invalid desired-state filter: '${value}'`);
  return v;
}

/** `GET /tasks`. */
export async function listTasks(deps: Pick<ControlDeps, 'store'>, filters?: Filters): Promise<Task[]> {
  const f = filters ?? Filters.empty();
  f.validate(TASK_FILTERS);
  const desired = f.values('desired-state').map(checkDesiredState).filter((s): s is string => s !== undefined);
  const view = deps.store.view();
  const needServices = f.has('service') || f.has('name') || f.has('_up-to-date');
  const services = needServices ? await view.list('services') : [];
  const serviceIds = f.values('service').map((v) => resolveRef<Service>('service', v, services, specNameGetters).ID);
  const nodeIds: string[] = [];
  for (const v of f.values('node')) nodeIds.push((await getNode(deps, v)).ID);
  const byId = new Map(services.map((s) => [s.ID, s]));
  const upToDate = f.values('_up-to-date').length > 0;
  const runtimes = f.values('runtime');
  const tasks = await view.list('tasks');
  return tasks
    .filter((t) => {
      if (!f.matchPrefix('id', t.ID)) return false;
      if (serviceIds.length > 0 && !serviceIds.includes(t.ServiceID)) return false;
      if (nodeIds.length > 0 && (t.NodeID === undefined || !nodeIds.includes(t.NodeID))) return false;
      if (desired.length > 0 && !desired.includes(t.DesiredState)) return false;
      if (!f.matchLabels(t.Labels ?? {})) return false;
      if (runtimes.length > 0 && !runtimes.includes('container') && !runtimes.includes('')) return false;
      const service = byId.get(t.ServiceID);
      if (f.has('name') && !f.matchPrefix('name', taskName(t, service?.Spec.Name ?? ''))) return false;
      if (upToDate && (service === undefined || (t.SpecVersion?.Index ?? 0) !== (service.SpecVersion?.Index ?? 0))) return false;
      return true;
    })
    .map(publicTask);
}

/** `GET /tasks/{id}`: by full ID, full task name (`web.1.<id>`), or unique ID prefix. */
export async function getTask(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<Task> {
  const view = deps.store.view();
  const tasks = await view.list('tasks');
  const byId = tasks.find((t) => t.ID === ref);
  if (byId !== undefined) return publicTask(byId);
  const names = new Map((await view.list('services')).map((s) => [s.ID, s.Spec.Name]));
  const task = resolveRef<Task>('task', ref, tasks, { id: (t) => t.ID, name: (t) => taskName(t, names.get(t.ServiceID) ?? '') });
  return publicTask(task);
}
