/**
 * A component's watch-fed copy of the objects the orchestrators read (services, tasks, nodes, the cluster),
 * with tasks indexed by service. It is loaded from `store.view()` after noting `store.rev()`, then kept current
 * from `store.watch(rev)`: replayed events older than what was loaded are ignored (object versions only grow,
 * and deleted objects leave a tombstone until the watch has passed their deletion), and the component's own
 * commits are applied at once, so it never acts twice on a change whose event has not arrived yet.
 */
import type { Cluster, Node, Service, Task } from '../../api/types.js';
import type { Store, StoreEvent } from '../../store/index.js';

type CachedKind = 'services' | 'tasks' | 'nodes' | 'cluster';
type CachedObject = Service | Task | Node | Cluster;

export class ClusterCache {
  readonly services = new Map<string, Service>();
  readonly tasks = new Map<string, Task>();
  readonly nodes = new Map<string, Node>();
  readonly clusters = new Map<string, Cluster>();
  private readonly byService = new Map<string, Map<string, Task>>();
  private readonly tombstones = new Map<string, number>();

  /** Loads everything and returns the revision to watch from. */
  static async load(store: Store): Promise<{ cache: ClusterCache; rev: number }> {
    const rev = await store.rev();
    const view = store.view();
    const [services, tasks, nodes, clusters] = await Promise.all([
      view.list('services'),
      view.list('tasks'),
      view.list('nodes'),
      view.list('cluster'),
    ]);
    const cache = new ClusterCache();
    for (const s of services) cache.put('services', s);
    for (const t of tasks) cache.put('tasks', t);
    for (const n of nodes) cache.put('nodes', n);
    for (const c of clusters) cache.put('cluster', c);
    return { cache, rev };
  }

  get cluster(): Cluster | undefined {
    return this.clusters.values().next().value;
  }

  tasksOf(serviceId: string): Task[] {
    return [...(this.byService.get(serviceId)?.values() ?? [])];
  }

  /** Applies one watched event; false when it was older than what the cache holds. */
  apply(e: StoreEvent): boolean {
    if (e.kind !== 'services' && e.kind !== 'tasks' && e.kind !== 'nodes' && e.kind !== 'cluster') return false;
    if (e.action === 'remove') return this.remove(e.kind, idOf(e.object), e.rev);
    return this.put(e.kind, e.object);
  }

  put(kind: CachedKind, obj: CachedObject): boolean {
    const id = idOf(obj);
    const tomb = this.tombstones.get(`${kind}/${id}`);
    if (tomb !== undefined && tomb >= obj.Version.Index) return false;
    const map = this.mapOf(kind);
    const old = map.get(id);
    if (old !== undefined && old.Version.Index > obj.Version.Index) return false;
    map.set(id, obj);
    if (kind === 'tasks') {
      const t = obj as Task;
      if (old !== undefined && (old as Task).ServiceID !== t.ServiceID) this.byService.get((old as Task).ServiceID)?.delete(id);
      let m = this.byService.get(t.ServiceID);
      if (m === undefined) this.byService.set(t.ServiceID, (m = new Map<string, Task>()));
      m.set(id, t);
    }
    return true;
  }

  remove(kind: CachedKind, id: string, rev: number): boolean {
    const key = `${kind}/${id}`;
    this.tombstones.set(key, Math.max(rev, this.tombstones.get(key) ?? 0));
    const map = this.mapOf(kind);
    const old = map.get(id);
    if (old === undefined) return false;
    map.delete(id);
    if (kind === 'tasks') {
      const sid = (old as Task).ServiceID;
      const m = this.byService.get(sid);
      m?.delete(id);
      if (m?.size === 0) this.byService.delete(sid);
    }
    return true;
  }

  /** Forgets tombstones the watch has gone past: no older event can arrive any more. */
  settle(rev: number): void {
    for (const [k, r] of this.tombstones) if (r <= rev) this.tombstones.delete(k);
  }

  private mapOf(kind: CachedKind): Map<string, CachedObject> {
    switch (kind) {
      case 'services':
        return this.services;
      case 'tasks':
        return this.tasks;
      case 'nodes':
        return this.nodes;
      case 'cluster':
        return this.clusters;
    }
  }
}

function idOf(obj: { ID: string }): string {
  return obj.ID;
}
