/**
 * What the scheduler reads from a task: whether it waits for a node, whether it holds resources on one, what it
 * reserves, which host ports it binds, and which (service, spec version) it belongs to.
 */
import { TaskState } from '../../api/task-state.js';
import type { Endpoint, PortConfig, Service, Task } from '../../api/types.js';

/**
 * swarmkit's tasks carry their service's `Endpoint`, copied by the allocator when it moves them to PENDING, so the
 * ports a task binds are the ones it was allocated with even after the service changes. src/api's Task does not
 * declare the field yet; this type reads it when a writer has set it.
 */
export type TaskWithEndpoint = Task & { Endpoint?: Endpoint };

export interface Reservation {
  nanoCPUs: number;
  memoryBytes: number;
}

export const NO_RESERVATION: Reservation = { nanoCPUs: 0, memoryBytes: 0 };

/** The task's CPU and memory reservations (zero when absent). */
export function reservationOf(task: Task): Reservation {
  const r = task.Spec.Resources?.Reservations;
  const nanoCPUs = r?.NanoCPUs ?? 0;
  const memoryBytes = r?.MemoryBytes ?? 0;
  return nanoCPUs === 0 && memoryBytes === 0 ? NO_RESERVATION : { nanoCPUs, memoryBytes };
}

/** PENDING and wanted: the scheduler's input. Tasks already desired beyond COMPLETE are never placed. */
export function awaitsScheduling(task: Task): boolean {
  return task.Status.State === 'pending' && TaskState[task.DesiredState] <= TaskState.complete;
}

/** Bound to a node and not finished (ASSIGNED through RUNNING): it holds that node's resources and ports. */
export function holdsNode(task: Task): boolean {
  const s = TaskState[task.Status.State];
  return task.NodeID !== undefined && task.NodeID !== '' && s >= TaskState.assigned && s <= TaskState.running;
}

/** Counts for spread and max-replicas: a task still meant to run (desired state at most COMPLETE). */
export function isActive(task: Task): boolean {
  return TaskState[task.DesiredState] <= TaskState.complete;
}

/** Tasks of one service made from one spec version are interchangeable for scheduling (swarmkit batches them). */
export function versionedService(task: Task): string {
  return `${task.ServiceID}@${task.SpecVersion?.Index ?? ''}`;
}

const portKey = (p: PortConfig): string => `${p.Protocol ?? 'tcp'}/${p.PublishedPort ?? 0}`;

function hostModePorts(ports: readonly PortConfig[] | undefined, into: Set<string>): void {
  for (const p of ports ?? []) {
    if (p.PublishMode === 'host' && p.PublishedPort !== undefined && p.PublishedPort > 0) into.add(portKey(p));
  }
}

/**
 * The host-mode published ports (`tcp/8080`) the task binds on its node: from the task's own Endpoint, else the
 * service's allocated Endpoint, else the service's spec; a task that reported its bindings adds those.
 * Host-mode ports without a PublishedPort are picked by the node and cannot conflict.
 */
export function hostPortsOf(task: TaskWithEndpoint, service: Service | undefined): readonly string[] {
  const declared = task.Endpoint?.Ports ?? service?.Endpoint?.Ports ?? service?.Spec.EndpointSpec?.Ports;
  const reported = task.Status.PortStatus?.Ports;
  if ((declared === undefined || declared.length === 0) && (reported === undefined || reported.length === 0)) return NO_PORTS;
  const out = new Set<string>();
  hostModePorts(declared, out);
  hostModePorts(reported, out);
  return out.size === 0 ? NO_PORTS : [...out];
}

const NO_PORTS: readonly string[] = [];
