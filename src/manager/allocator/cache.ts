/**
 * The allocator component's memory: services (with the ports they hold, in a PortSpace), the refusals of the
 * last pass, the NEW tasks waiting for allocation, the nodes, and the address books of every network (ipam/:
 * rebuilt from networks' NodeAddrs, services' VIPs and live tasks' attachments, kept in step by every event).
 * Each event says whether a pass is due. An object older than the cached one is ignored (the snapshot and the
 * component's own commits run ahead of the events).
 */
import type { Network, Node, Service, Task } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import { rebuildSpace } from './allocate.js';
import { Ipam, holderOf, loadIpam, syncNetwork, syncService, syncTask } from './ipam/index.js';
import { PortSpace } from './ports/index.js';
import type { PortsView } from './task-ballot.js';
import { awaitsAllocation } from './task-ballot.js';

export class AllocatorCache implements PortsView {
  readonly services = new Map<string, Service>();
  readonly space: PortSpace;
  /** Service ID → why its ports could not be allocated (last pass). */
  refused = new Map<string, string>();
  /** Service ID → the version at which its stored Endpoint is current. */
  allocated = new Map<string, number>();
  readonly waiting = new Map<string, Task>();
  readonly ipam = new Ipam();
  /** Nodes in the store (each gets an LB address on every network). */
  readonly nodes = new Set<string>();
  /** Task ID → the last version seen (older events are ignored). */
  private readonly taskVersions = new Map<string, number>();

  constructor(space = new PortSpace()) {
    this.space = space;
  }

  refusal(serviceId: string): string | undefined {
    return this.refused.get(serviceId);
  }

  isAllocated(service: Service): boolean {
    return this.allocated.get(service.ID) === service.Version.Index;
  }

  load(services: readonly Service[], tasks: readonly Task[], networks: readonly Network[] = [], nodes: readonly Node[] = []): void {
    for (const s of services) this.services.set(s.ID, s);
    rebuildSpace(this.space, services);
    for (const n of nodes) this.nodes.add(n.ID);
    loadIpam(this.ipam, { networks, services, tasks: [] });
    for (const t of tasks) this.putTask(t); // tasks' addresses too
  }

  apply(events: readonly StoreEvent[]): boolean {
    let due = false;
    for (const e of events) {
      switch (e.kind) {
        case 'services':
          due = (e.action === 'remove' ? this.removeService(e.object.ID) : this.putService(e.object)) || due;
          break;
        case 'tasks':
          due = (e.action === 'remove' ? this.removeTask(e.object.ID) : this.putTask(e.object)) || due;
          break;
        case 'networks':
          due = (e.action === 'remove' ? this.ipam.removeNetwork(e.object.Id) || true : this.putNetwork(e.object)) || due;
          break;
        case 'nodes':
          // Heartbeats and status updates change nothing here; a node that comes or goes changes NodeAddrs.
          if (e.action === 'remove') due = this.nodes.delete(e.object.ID) || due;
          else if (!this.nodes.has(e.object.ID)) {
            this.nodes.add(e.object.ID);
            due = true;
          }
          break;
        case 'cluster':
        case 'secrets':
        case 'configs':
          break;
      }
    }
    return due;
  }

  putService(s: Service): boolean {
    const cached = this.services.get(s.ID);
    if (cached !== undefined && cached.Version.Index >= s.Version.Index) return false;
    this.services.set(s.ID, s);
    syncService(this.ipam, s);
    return true;
  }

  removeService(id: string): boolean {
    this.services.delete(id);
    this.space.release(id);
    this.ipam.releaseAll(holderOf.vip(id));
    // Its NEW tasks will never be allocated: what they were given in advance goes back.
    for (const t of this.waiting.values()) if (t.ServiceID === id && (t.NetworksAttachments ?? []).length === 0) this.ipam.releaseAll(holderOf.task(t.ID));
    this.refused.delete(id);
    this.allocated.delete(id);
    return true; // its ports are free: a refused service may now get them, its tasks stay NEW
  }

  /** True when the network is new or changed (a pass places its node addresses and the tasks waiting for it). */
  putNetwork(n: Network): boolean {
    const cached = this.ipam.network(n.Id);
    if (cached !== undefined && (cached.Version?.Index ?? 0) >= (n.Version?.Index ?? 0)) return false;
    syncNetwork(this.ipam, n);
    return true;
  }

  /** A deleted task frees its addresses: true when one was freed (a waiting task may get it). */
  removeTask(id: string): boolean {
    this.waiting.delete(id);
    this.taskVersions.delete(id);
    return this.ipam.releaseAll(holderOf.task(id));
  }

  /** True when the task needs a (new) decision, or it freed an address. */
  putTask(t: Task): boolean {
    const seen = this.taskVersions.get(t.ID);
    if (seen !== undefined && seen > t.Version.Index) return false;
    this.taskVersions.set(t.ID, t.Version.Index);
    const freed = syncTask(this.ipam, t);
    const prev = this.waiting.get(t.ID);
    if (!awaitsAllocation(t)) {
      this.waiting.delete(t.ID);
      return freed;
    }
    this.waiting.set(t.ID, t);
    // Its own reason written back needs no new pass.
    return prev === undefined || prev.DesiredState !== t.DesiredState || prev.ServiceID !== t.ServiceID;
  }
}
