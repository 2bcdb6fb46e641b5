/**
 * The allocator component's memory: services (with the ports they hold, in a PortSpace), the refusals of the
 * last pass, and the NEW tasks waiting for allocation. Each event says whether a pass is due. An object older
 * than the cached one is ignored (the snapshot and the component's own commits run ahead of the events).
 */
import type { Service, Task } from '../../api/types.js';
import type { StoreEvent } from '../../store/index.js';
import { rebuildSpace } from './allocate.js';
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

  constructor(space = new PortSpace()) {
    this.space = space;
  }

  refusal(serviceId: string): string | undefined {
    return this.refused.get(serviceId);
  }

  isAllocated(service: Service): boolean {
    return this.allocated.get(service.ID) === service.Version.Index;
  }

  load(services: readonly Service[], tasks: readonly Task[]): void {
    for (const s of services) this.services.set(s.ID, s);
    rebuildSpace(this.space, services);
    for (const t of tasks) this.putTask(t);
  }

  apply(events: readonly StoreEvent[]): boolean {
    let due = false;
    for (const e of events) {
      switch (e.kind) {
        case 'services':
          due = (e.action === 'remove' ? this.removeService(e.object.ID) : this.putService(e.object)) || due;
          break;
        case 'tasks':
          if (e.action === 'remove') this.waiting.delete(e.object.ID);
          else due = this.putTask(e.object) || due;
          break;
        case 'nodes':
        case 'cluster':
        case 'networks':
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
    return true;
  }

  removeService(id: string): boolean {
    this.services.delete(id);
    this.space.release(id);
    this.refused.delete(id);
    this.allocated.delete(id);
    return true; // its ports are free: a refused service may now get them, its tasks stay NEW
  }

  /** True when the task needs a (new) decision. */
  putTask(t: Task): boolean {
    const prev = this.waiting.get(t.ID);
    if (prev !== undefined && prev.Version.Index > t.Version.Index) return false;
    if (!awaitsAllocation(t)) {
      this.waiting.delete(t.ID);
      return false;
    }
    this.waiting.set(t.ID, t);
    // Its own reason written back needs no new pass.
    return prev === undefined || prev.DesiredState !== t.DesiredState || prev.ServiceID !== t.ServiceID;
  }
}
