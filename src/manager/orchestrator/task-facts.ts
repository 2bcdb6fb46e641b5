/**
 * What the orchestrators read from tasks and nodes. "Live" means the task is still wanted: its desired state is
 * at most COMPLETE (RUNNING for services, COMPLETE for jobs, READY while held at the gate). "Ended" means the
 * agent reported a final state. A task "occupies" its node while it is bound there (ASSIGNED..RUNNING) and the
 * node can still stop it (it exists and is not down).
 */
import { TaskState } from '../../api/task-state.js';
import type { TaskStateName } from '../../api/task-state.js';
import type { Node, Service, Task } from '../../api/types.js';
import { specEqual } from './spec-equal.js';

export const stateOrder = (s: TaskStateName): number => TaskState[s];

export function isLive(t: Task): boolean {
  return TaskState[t.DesiredState] <= TaskState.complete;
}

export function hasEnded(t: Task): boolean {
  return TaskState[t.Status.State] > TaskState.running;
}

/** Ended by itself (exited, failed, or refused), as opposed to being shut down on request. */
export function endedByItself(t: Task): boolean {
  const s = t.Status.State;
  return s === 'complete' || s === 'failed' || s === 'rejected';
}

export function parseTime(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function createdMs(t: Task): number {
  return parseTime(t.CreatedAt) ?? 0;
}

/** Creation order; IDs break ties so every caller sees one order. */
export function byCreation(a: Task, b: Task): number {
  return createdMs(a) - createdMs(b) || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);
}

/** A node that cannot keep running tasks for the orchestrators: gone, down, or drained (swarmkit's InvalidNode). */
export function nodeInvalid(n: Node | undefined): boolean {
  return n === undefined || n.Status.State === 'down' || n.Spec.Availability === 'drain';
}

/** Ready and active: a node that takes new tasks. */
export function nodeTakesNewTasks(n: Node): boolean {
  return n.Status.State === 'ready' && n.Spec.Availability === 'active';
}

/** Bound to a node that can still run or stop it, and not finished: something a successor must wait for. */
export function occupiesNode(t: Task, nodes: ReadonlyMap<string, Node>): boolean {
  const s = TaskState[t.Status.State];
  if (s < TaskState.assigned || s > TaskState.running) return false;
  if (t.NodeID === undefined || t.NodeID === '') return false;
  const n = nodes.get(t.NodeID);
  return n !== undefined && n.Status.State !== 'down';
}

/**
 * swarmkit's IsTaskDirty: the task was not made from the service's current task template and endpoint. The
 * template is compared as data (swarmkit first short-cuts on equal SpecVersions; comparing always stays right
 * whatever a writer does with SpecVersion), so a scale leaves tasks clean while `--force` (a new ForceUpdate)
 * or any template change makes them dirty. The endpoint is compared once the allocator has looked at the task
 * (state PENDING or later): it copies the service's allocated `Endpoint`, whose `Spec` is the service's
 * `EndpointSpec`, into every task of a service that publishes ports; a task with none, or with another spec,
 * was made for other ports (`--publish-add` on host-mode ports needs new tasks).
 */
export function isTaskDirty(service: Service, t: Task): boolean {
  if (!specEqual(service.Spec.TaskTemplate, t.Spec)) return true;
  if (TaskState[t.Status.State] < TaskState.pending) return false;
  const spec = service.Spec.EndpointSpec;
  if (t.Endpoint === undefined) return (spec?.Ports?.length ?? 0) > 0;
  return !specEqual(spec ?? {}, t.Endpoint.Spec);
}
