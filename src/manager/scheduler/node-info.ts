/**
 * The scheduler's view of each node (swarmkit's NodeInfo/nodeSet): the node object plus what the tasks bound to it
 * hold — reservations, host ports, active task counts per service — and recent task failures per service version.
 * Everything is kept incrementally: `track` a task whenever it changes, `untrack` it when it goes away.
 *
 * A task is accounted exactly as it was when tracked (its reservation, ports and service are remembered), so
 * removing it gives back precisely what it took. Tasks may arrive before their node: the info exists without a
 * node and is never offered for scheduling until the node shows up.
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { Reservation, TaskWithEndpoint } from './task-facts.js';
import { holdsNode, hostPortsOf, isActive, reservationOf, versionedService } from './task-facts.js';

/** swarmkit: 5 failures of one service version on a node within 5 minutes push that node to the back. */
export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 5 * 60_000;

interface Held {
  serviceId: string;
  reservation: Reservation;
  ports: readonly string[];
  active: boolean;
}

export class NodeInfo {
  node: Node | undefined;
  reservedNanoCPUs = 0;
  reservedMemoryBytes = 0;
  /** Active tasks bound here (any service). */
  activeTasks = 0;
  readonly activeByService = new Map<string, number>();
  /** Host port (`tcp/8080`) → how many tasks here bind it. */
  readonly hostPorts = new Map<string, number>();
  readonly held = new Map<string, Held>();
  private readonly failures = new Map<string, number[]>();

  constructor(readonly id: string) {}

  get availableNanoCPUs(): number {
    return (this.node?.Description.Resources.NanoCPUs ?? 0) - this.reservedNanoCPUs;
  }

  get availableMemoryBytes(): number {
    return (this.node?.Description.Resources.MemoryBytes ?? 0) - this.reservedMemoryBytes;
  }

  activeOf(serviceId: string): number {
    return this.activeByService.get(serviceId) ?? 0;
  }

  add(taskId: string, h: Held): void {
    this.remove(taskId);
    this.held.set(taskId, h);
    this.reservedNanoCPUs += h.reservation.nanoCPUs;
    this.reservedMemoryBytes += h.reservation.memoryBytes;
    if (h.active) {
      this.activeTasks++;
      this.activeByService.set(h.serviceId, this.activeOf(h.serviceId) + 1);
    }
    for (const p of h.ports) this.hostPorts.set(p, (this.hostPorts.get(p) ?? 0) + 1);
  }

  remove(taskId: string): boolean {
    const h = this.held.get(taskId);
    if (h === undefined) return false;
    this.held.delete(taskId);
    this.reservedNanoCPUs -= h.reservation.nanoCPUs;
    this.reservedMemoryBytes -= h.reservation.memoryBytes;
    if (h.active) {
      this.activeTasks--;
      const n = this.activeOf(h.serviceId) - 1;
      if (n > 0) this.activeByService.set(h.serviceId, n);
      else this.activeByService.delete(h.serviceId);
    }
    for (const p of h.ports) {
      const n = (this.hostPorts.get(p) ?? 0) - 1;
      if (n > 0) this.hostPorts.set(p, n);
      else this.hostPorts.delete(p);
    }
    return true;
  }

  recordFailure(versionKey: string, now: number): void {
    const list = this.recentFailureTimes(versionKey, now);
    list.push(now);
    this.failures.set(versionKey, list);
  }

  /** Failures of this service version here within the window ending at `now`. */
  recentFailures(versionKey: string, now: number): number {
    return this.failures.has(versionKey) ? this.recentFailureTimes(versionKey, now).length : 0;
  }

  private recentFailureTimes(versionKey: string, now: number): number[] {
    const kept = (this.failures.get(versionKey) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS);
    if (kept.length === 0) this.failures.delete(versionKey);
    else this.failures.set(versionKey, kept);
    return kept;
  }

  get isEmpty(): boolean {
    return this.node === undefined && this.held.size === 0 && this.failures.size === 0;
  }
}

export class NodeSet {
  private readonly infos = new Map<string, NodeInfo>();
  /** Task ID → the node whose info accounts for it. */
  private readonly taskNode = new Map<string, string>();
  private sorted: NodeInfo[] | undefined;

  /** A set built from a snapshot: every node, and every task that holds one. */
  static of(nodes: Iterable<Node>, tasks: Iterable<Task>, services?: ReadonlyMap<string, Service>): NodeSet {
    const set = new NodeSet();
    for (const n of nodes) set.upsertNode(n);
    for (const t of tasks) set.track(t, services?.get(t.ServiceID));
    return set;
  }

  get(nodeId: string): NodeInfo | undefined {
    return this.infos.get(nodeId);
  }

  /** Infos of the nodes that exist, ordered by node ID. */
  nodes(): readonly NodeInfo[] {
    this.sorted ??= [...this.infos.values()].filter((i) => i.node !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.sorted;
  }

  upsertNode(node: Node): void {
    const info = this.infoFor(node.ID);
    if (info.node === undefined) this.sorted = undefined;
    info.node = node;
  }

  removeNode(nodeId: string): void {
    const info = this.infos.get(nodeId);
    if (info === undefined) return;
    if (info.node !== undefined) this.sorted = undefined;
    info.node = undefined;
    if (info.isEmpty) this.infos.delete(nodeId);
  }

  /** Accounts for `task` as it is now: holds its node's resources while ASSIGNED..RUNNING, nothing otherwise. */
  track(task: TaskWithEndpoint, service: Service | undefined): void {
    if (holdsNode(task) && task.NodeID !== undefined) this.bind(task, task.NodeID, service);
    else this.untrack(task.ID);
  }

  /** Accounts for a decision not yet committed: `task` placed on `nodeId`. */
  bind(task: TaskWithEndpoint, nodeId: string, service: Service | undefined): void {
    const current = this.taskNode.get(task.ID);
    if (current !== undefined && current !== nodeId) this.untrack(task.ID);
    this.infoFor(nodeId).add(task.ID, {
      serviceId: task.ServiceID,
      reservation: reservationOf(task),
      ports: hostPortsOf(task, service),
      active: isActive(task),
    });
    this.taskNode.set(task.ID, nodeId);
  }

  untrack(taskId: string): void {
    const nodeId = this.taskNode.get(taskId);
    if (nodeId === undefined) return;
    this.taskNode.delete(taskId);
    const info = this.infos.get(nodeId);
    if (info === undefined) return;
    info.remove(taskId);
    if (info.isEmpty) this.infos.delete(nodeId);
  }

  /** The node a task is accounted on, if any. */
  nodeOf(taskId: string): string | undefined {
    return this.taskNode.get(taskId);
  }

  /** Remembers that `task` failed on its node (swarmkit pushes nodes with repeated failures to the back). */
  recordFailure(task: Task, now: number): void {
    if (task.NodeID === undefined || task.NodeID === '') return;
    this.infoFor(task.NodeID).recordFailure(versionedService(task), now);
  }

  private infoFor(nodeId: string): NodeInfo {
    let info = this.infos.get(nodeId);
    if (info === undefined) {
      info = new NodeInfo(nodeId);
      this.infos.set(nodeId, info);
    }
    return info;
  }
}
