/**
 * The per-node network views (src/api/network-view.ts), kept from the store's watch. A node sees every network
 * one of its live tasks is attached to, plus `ingress` (the mesh answers on every node). On each network, a
 * service lists only its tasks that run with desired state running: a task whose desired state leaves `running`
 * drops out of DNS and the load balancers at once, on every node, before its agent stops it.
 */
import { TaskState } from '../../api/task-state.js';
import type { NetworkViewEntry, NetworkViewService, NodeNetworkView } from '../../api/network-view.js';
import type { Network, Service, Task } from '../../api/types.js';

const stripPrefix = (cidr: string): string => cidr.split('/')[0] ?? cidr;

/** A task that still holds its place on its networks (not yet ended, not being removed). */
function live(t: Task): boolean {
  return TaskState[t.Status.State] < TaskState.complete && TaskState[t.DesiredState] <= TaskState.running;
}

function serving(t: Task): boolean {
  return t.Status.State === 'running' && t.DesiredState === 'running';
}

function attachmentsOf(s: Service): { Target: string; Aliases?: string[] }[] {
  const t = s.Spec.TaskTemplate.Networks;
  return t !== undefined && t.length > 0 ? t : (s.Spec.Networks ?? []);
}

function ingressPorts(s: Service) {
  return (s.Endpoint?.Ports ?? []).filter((p) => (p.PublishMode ?? 'ingress') === 'ingress');
}

export function taskName(t: Task, serviceName: string): string {
  return `${serviceName}.${t.Slot !== undefined && t.Slot > 0 ? t.Slot : (t.NodeID ?? '')}.${t.ID}`;
}

export class NetworkViews {
  readonly services = new Map<string, Service>();
  readonly networks = new Map<string, Network>();
  readonly tasks = new Map<string, Task>();

  load(services: readonly Service[], networks: readonly Network[], tasks: readonly Task[]): void {
    for (const s of services) this.services.set(s.ID, s);
    for (const n of networks) this.networks.set(n.Id, n);
    for (const t of tasks) this.tasks.set(t.ID, t);
  }

  /** Applies one store event; true when it may change some node's view. */
  apply(kind: string, action: 'create' | 'update' | 'remove', object: unknown): boolean {
    if (kind === 'services') return put(this.services, (object as Service).ID, object as Service, action);
    if (kind === 'networks') return put(this.networks, (object as Network).Id, object as Network, action);
    if (kind === 'tasks') return put(this.tasks, (object as Task).ID, object as Task, action);
    return false;
  }

  viewFor(nodeId: string): NodeNetworkView {
    const wanted = new Set<string>();
    for (const t of this.tasks.values()) {
      if (t.NodeID !== nodeId || !live(t)) continue;
      for (const a of t.NetworksAttachments ?? []) wanted.add(a.Network.Id);
    }
    for (const n of this.networks.values()) {
      if (n.Ingress || Object.values(n.Attachments ?? {}).some((a) => a.NodeID === nodeId)) wanted.add(n.Id);
    }

    const byNetwork = new Map<string, NetworkViewService[]>();
    const servicesOn = (id: string): NetworkViewService[] => {
      let l = byNetwork.get(id);
      if (l === undefined) byNetwork.set(id, (l = []));
      return l;
    };
    const entries = new Map<string, Map<string, NetworkViewService>>();
    for (const s of this.services.values()) {
      const vips = new Map((s.Endpoint?.VirtualIPs ?? []).map((v) => [v.NetworkID, stripPrefix(v.Addr)]));
      const mode = s.Spec.EndpointSpec?.Mode ?? 'vip';
      const add = (networkId: string, aliases: string[], ports: NetworkViewService['ports']): void => {
        if (!wanted.has(networkId)) return;
        const vip = vips.get(networkId);
        const entry: NetworkViewService = { id: s.ID, name: s.Spec.Name, aliases, mode, ports, tasks: [] };
        if (mode === 'vip' && vip !== undefined) entry.vip = vip;
        servicesOn(networkId).push(entry);
        let m = entries.get(networkId);
        if (m === undefined) entries.set(networkId, (m = new Map<string, NetworkViewService>()));
        m.set(s.ID, entry);
      };
      for (const a of attachmentsOf(s)) add(a.Target, [...(a.Aliases ?? [])], []);
      const ports = ingressPorts(s);
      if (ports.length > 0) for (const n of this.networks.values()) if (n.Ingress) add(n.Id, [], ports);
    }
    for (const t of this.tasks.values()) {
      if (!serving(t)) continue;
      for (const a of t.NetworksAttachments ?? []) {
        const entry = entries.get(a.Network.Id)?.get(t.ServiceID);
        const addr = a.Addresses[0];
        if (entry === undefined || addr === undefined) continue;
        entry.tasks.push({ id: t.ID, name: taskName(t, entry.name), addr: stripPrefix(addr), nodeId: t.NodeID ?? '' });
      }
    }
    const networks: NetworkViewEntry[] = [];
    for (const id of [...wanted].sort()) {
      const network = this.networks.get(id);
      if (network === undefined) continue;
      const services = (byNetwork.get(id) ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const s of services) s.tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const { Attachments: attachments, ...shown } = network;
      const entry: NetworkViewEntry = { network: shown, services };
      const containers = Object.values(attachments ?? {})
        .filter((a) => a.Addr !== undefined)
        .map((a) => ({ name: a.Name, aliases: [...(a.Aliases ?? [])], addr: stripPrefix(a.Addr ?? '') }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (containers.length > 0) entry.containers = containers;
      const nodeAddr = network.NodeAddrs?.[nodeId];
      if (nodeAddr !== undefined) entry.nodeAddr = nodeAddr;
      networks.push(entry);
    }
    return { networks };
  }
}

function put<T extends { Version?: { Index: number } }>(m: Map<string, T>, id: string, o: T, action: string): boolean {
  if (action === 'remove') return m.delete(id);
  const prev = m.get(id);
  if (prev !== undefined && (prev.Version?.Index ?? 0) >= (o.Version?.Index ?? 0)) return false;
  m.set(id, o);
  return true;
}
