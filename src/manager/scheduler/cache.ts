/**
 * The scheduler component's memory: nodes and what their tasks hold (a NodeSet), the services (for host ports),
 * every task seen, and the tasks waiting for a node. Fed by a snapshot, then by store events; each change says
 * whether it calls for a scheduling pass (a task to place, room freed, a node changed).
 *
 * Events can be older than what the cache holds (the snapshot is read after the watch's starting revision, and
 * the component records its own commits before their events arrive), so an object older than the cached one is
 * ignored.
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import { NodeSet } from './node-info.js';
import { awaitsScheduling, holdsNode, isActive } from './task-facts.js';

export class SchedulerCache {
  readonly set = new NodeSet();
  readonly services = new Map<string, Service>();
  /** Tasks waiting for a node (PENDING, wanted), by ID. */
  readonly waiting = new Map<string, Task>();
  private readonly tasks = new Map<string, Task>();
  /** Tasks that arrived with a node chosen for them: their failures say nothing about the node. */
  private readonly preassigned = new Set<string>();

  load(nodes: readonly Node[], tasks: readonly Task[], services: readonly Service[], now: number): void {
    for (const s of services) this.services.set(s.ID, s);
    for (const n of nodes) this.putNode(n);
    for (const t of tasks) this.putTask(t, now);
  }

  task(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  /** Applies events in order; true when a scheduling pass is due. */
  apply(events: readonly StoreEvent[], now: number): boolean {
    let due = false;
    for (const e of events) {
      switch (e.kind) {
        case 'nodes':
          if (e.action === 'remove') this.set.removeNode(e.object.ID);
          else due = this.putNode(e.object) || due;
          break;
        case 'services':
          if (e.action === 'remove') this.services.delete(e.object.ID);
          else if ((this.services.get(e.object.ID)?.Version.Index ?? -1) <= e.object.Version.Index) this.services.set(e.object.ID, e.object);
          break;
        case 'tasks':
          due = (e.action === 'remove' ? this.removeTask(e.object.ID) : this.putTask(e.object, now)) || due;
          break;
        case 'cluster':
        case 'networks':
        case 'secrets':
        case 'configs':
          break;
      }
    }
    return due;
  }

  putNode(node: Node): boolean {
    const cached = this.set.get(node.ID)?.node;
    if (cached !== undefined && cached.Version.Index > node.Version.Index) return false;
    this.set.upsertNode(node);
    return true;
  }

  /** Records a task as it now is; true when it needs a node, or gave its node's room back. */
  putTask(task: Task, now: number): boolean {
    const prev = this.tasks.get(task.ID);
    if (prev !== undefined && prev.Version.Index > task.Version.Index) return false;
    this.tasks.set(task.ID, task);
    if (task.Status.State === 'pending' && task.NodeID !== undefined && task.NodeID !== '') this.preassigned.add(task.ID);
    const failedNow = (task.Status.State === 'failed' || task.Status.State === 'rejected') && prev !== undefined && prev.Status.State !== task.Status.State;
    if (failedNow && !this.preassigned.has(task.ID)) this.set.recordFailure(task, now);

    const held = this.set.nodeOf(task.ID) !== undefined;
    if (prev === undefined || !sameHolding(prev, task)) this.set.track(task, this.services.get(task.ServiceID));
    const freed = held && this.set.nodeOf(task.ID) === undefined;

    if (!awaitsScheduling(task)) {
      this.waiting.delete(task.ID);
      return freed;
    }
    this.waiting.set(task.ID, task);
    // A change of status message alone (the scheduler's own "no suitable node") needs no new pass.
    const same = prev !== undefined && awaitsScheduling(prev) && prev.NodeID === task.NodeID && prev.DesiredState === task.DesiredState;
    return freed || !same;
  }

  removeTask(id: string): boolean {
    this.tasks.delete(id);
    this.waiting.delete(id);
    this.preassigned.delete(id);
    const held = this.set.nodeOf(id) !== undefined;
    this.set.untrack(id);
    return held;
  }
}

/** True when `b` holds exactly what `a` held: same node, same activity, same reported ports (specs never change). */
function sameHolding(a: Task, b: Task): boolean {
  const portsOf = (t: Task): string => {
    const p = t.Status.PortStatus?.Ports;
    return p === undefined || p.length === 0 ? '' : JSON.stringify(p);
  };
  return holdsNode(a) === holdsNode(b) && a.NodeID === b.NodeID && isActive(a) === isActive(b) && portsOf(a) === portsOf(b);
}
