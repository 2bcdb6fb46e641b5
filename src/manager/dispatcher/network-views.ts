/**
 * The per-node network views (src/api/network-view.ts), kept from the store's watch. A node sees every network
 * one of its live tasks (state below `complete`, whatever its desired state) or attached containers is on, plus
 * `ingress` (the mesh answers on every node). On each network, a service lists only its tasks that run with desired
 * state running: a task whose desired state leaves `running` drops out of DNS and the load balancers at once, on
 * every node, before its agent stops it. Until it actually stops it stays in the entry's `unserved` list (with the
 * starting and unhealthy tasks), and its node keeps the network and stays a peer on it, so other nodes still reach
 * it over VXLAN: its established connections survive the drain, as with Docker.
 *
 * The overlay data path (docs/design/cluster.md): each entry lists its `peers`, the other nodes that are not down
 * and have the network in their own view (every such node for `ingress`), at their data path address
 * (`Node.DataPathAddr`, else `Node.Status.Addr`) with their LB address on the network; the view carries the
 * cluster's `DataPathPort` and this node's own data path address. A node without an IPv4 address is no peer.
 */
import { TaskState } from '../../api/task-state.js';
import { parseIp } from '../../lib/cidr.js';
import { DEFAULT_DATA_PATH_PORT } from '../../api/network-view.js';
import type { NetworkViewEndpoint, NetworkViewEntry, NetworkViewPeer, NetworkViewService, NodeNetworkView } from '../../api/network-view.js';
import type { Cluster, Network, Node, Service, Task } from '../../api/types.js';

const stripPrefix = (cidr: string): string => cidr.split('/')[0] ?? cidr;
const ipOrder = (ip: string): number => parseIp(ip) ?? -1;

/**
 * A task that still holds its place on its networks: bound to a node and not ended yet. A draining task (desired
 * state past `running`) is live until its agent reports it stopped: its node keeps the network and the other nodes
 * keep reaching it.
 */
function live(t: Task): boolean {
  return TaskState[t.Status.State] < TaskState.complete && t.NodeID !== undefined && t.NodeID !== '';
}

function serving(t: Task): boolean {
  return t.Status.State === 'running' && t.DesiredState === 'running';
}

/**
 * A node's data path IP: `DataPathAddr` (set at join/init) else the address its session comes from; an
 * IPv4-mapped IPv6 address is unwrapped; anything that is not a dotted IPv4 address gives undefined.
 */
export function dataPathAddrOf(n: Node): string | undefined {
  const chosen = n.DataPathAddr !== undefined && n.DataPathAddr !== '' ? n.DataPathAddr : n.Status.Addr;
  const ip = chosen.startsWith('::ffff:') ? chosen.slice(7) : chosen;
  const octets = ip.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
  if (ip === '0.0.0.0') return undefined;
  return ip;
}

/** What of a node the views depend on: a change elsewhere (description, heartbeat-driven writes) is no view change. */
function nodeKey(n: Node | undefined): string {
  return n === undefined ? '' : `${n.Status.State === 'down' ? 'down' : 'up'} ${dataPathAddrOf(n) ?? ''}`;
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
  readonly nodes = new Map<string, Node>();
  /** `Cluster.DataPathPort` (VXLAN UDP port). */
  dataPathPort = DEFAULT_DATA_PATH_PORT;

  load(
    services: readonly Service[],
    networks: readonly Network[],
    tasks: readonly Task[],
    nodes: readonly Node[] = [],
    clusters: readonly Cluster[] = [],
  ): void {
    for (const s of services) this.services.set(s.ID, s);
    for (const n of networks) this.networks.set(n.Id, n);
    for (const t of tasks) this.tasks.set(t.ID, t);
    for (const n of nodes) this.nodes.set(n.ID, n);
    for (const c of clusters) this.followCluster(c);
  }

  /** Applies one store event; true when it may change some node's view. */
  apply(kind: string, action: 'create' | 'update' | 'remove', object: unknown): boolean {
    if (kind === 'services') return put(this.services, (object as Service).ID, object as Service, action);
    if (kind === 'networks') return put(this.networks, (object as Network).Id, object as Network, action);
    if (kind === 'tasks') return put(this.tasks, (object as Task).ID, object as Task, action);
    if (kind === 'nodes') {
      const n = object as Partial<Node>;
      if (typeof n.ID !== 'string' || n.Status === undefined) return false;
      const before = nodeKey(this.nodes.get(n.ID));
      put(this.nodes, n.ID, n as Node, action);
      return nodeKey(this.nodes.get(n.ID)) !== before;
    }
    if (kind === 'cluster' && action !== 'remove') return this.followCluster(object as Cluster);
    return false;
  }

  private followCluster(c: Cluster): boolean {
    const port = Number.isInteger(c.DataPathPort) && c.DataPathPort > 0 ? c.DataPathPort : DEFAULT_DATA_PATH_PORT;
    if (port === this.dataPathPort) return false;
    this.dataPathPort = port;
    return true;
  }

  /** The networks a node has in its view (ingress is added by the caller). */
  private wantedBy(nodeId: string): Set<string> {
    const wanted = new Set<string>();
    for (const t of this.tasks.values()) {
      if (t.NodeID !== nodeId || !live(t)) continue;
      for (const a of t.NetworksAttachments ?? []) wanted.add(a.Network.Id);
    }
    for (const n of this.networks.values()) {
      if (n.Ingress || Object.values(n.Attachments ?? {}).some((a) => a.NodeID === nodeId)) wanted.add(n.Id);
    }
    return wanted;
  }

  /** Per network, the nodes (not down, with a data path address) that have it in their view. */
  private holders(): Map<string, Set<string>> {
    const up = (id: string): boolean => {
      const n = this.nodes.get(id);
      return n !== undefined && n.Status.State !== 'down' && dataPathAddrOf(n) !== undefined;
    };
    const by = new Map<string, Set<string>>();
    const add = (networkId: string, nodeId: string | undefined): void => {
      if (nodeId === undefined || nodeId === '' || !up(nodeId)) return;
      let s = by.get(networkId);
      if (s === undefined) by.set(networkId, (s = new Set<string>()));
      s.add(nodeId);
    };
    for (const t of this.tasks.values()) {
      if (!live(t)) continue;
      for (const a of t.NetworksAttachments ?? []) add(a.Network.Id, t.NodeID);
    }
    for (const n of this.networks.values()) {
      for (const a of Object.values(n.Attachments ?? {})) add(n.Id, a.NodeID);
      if (n.Ingress) for (const id of this.nodes.keys()) add(n.Id, id);
    }
    return by;
  }

  viewFor(nodeId: string): NodeNetworkView {
    const wanted = this.wantedBy(nodeId);
    const holders = this.holders();

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
    // Live tasks no service lists (starting, unhealthy, draining, or of a service gone): reachable, not served.
    const unserved = new Map<string, NetworkViewEndpoint[]>();
    for (const t of this.tasks.values()) {
      if (!live(t)) continue;
      for (const a of t.NetworksAttachments ?? []) {
        const addr = a.Addresses[0];
        if (!wanted.has(a.Network.Id) || addr === undefined) continue;
        const entry = serving(t) ? entries.get(a.Network.Id)?.get(t.ServiceID) : undefined;
        if (entry !== undefined) {
          entry.tasks.push({ id: t.ID, name: taskName(t, entry.name), addr: stripPrefix(addr), nodeId: t.NodeID ?? '' });
          continue;
        }
        let l = unserved.get(a.Network.Id);
        if (l === undefined) unserved.set(a.Network.Id, (l = []));
        l.push({ addr: stripPrefix(addr), nodeId: t.NodeID ?? '' });
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
        .map((a) => ({ name: a.Name, aliases: [...(a.Aliases ?? [])], addr: stripPrefix(a.Addr ?? ''), ...(a.NodeID ? { nodeId: a.NodeID } : {}) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (containers.length > 0) entry.containers = containers;
      const reachable = unserved.get(id);
      if (reachable !== undefined) entry.unserved = reachable.sort((a, b) => ipOrder(a.addr) - ipOrder(b.addr) || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
      const nodeAddr = network.NodeAddrs?.[nodeId];
      if (nodeAddr !== undefined) entry.nodeAddr = nodeAddr;
      entry.peers = this.peersOn(network, holders.get(id), nodeId);
      networks.push(entry);
    }
    const view: NodeNetworkView = { dataPathPort: this.dataPathPort, networks };
    const self = this.nodes.get(nodeId);
    const addr = self === undefined ? undefined : dataPathAddrOf(self);
    if (addr !== undefined) view.nodeAddr = addr;
    return view;
  }

  private peersOn(network: Network, holders: Set<string> | undefined, self: string): NetworkViewPeer[] {
    const peers: NetworkViewPeer[] = [];
    for (const id of [...(holders ?? [])].sort()) {
      const node = this.nodes.get(id);
      const addr = node === undefined ? undefined : dataPathAddrOf(node);
      if (id === self || addr === undefined) continue;
      const peer: NetworkViewPeer = { nodeId: id, addr };
      const lbAddr = network.NodeAddrs?.[id];
      if (lbAddr !== undefined) peer.lbAddr = lbAddr;
      peers.push(peer);
    }
    return peers;
  }
}

function put<T extends { Version?: { Index: number } }>(m: Map<string, T>, id: string, o: T, action: string): boolean {
  if (action === 'remove') return m.delete(id);
  const prev = m.get(id);
  if (prev !== undefined && (prev.Version?.Index ?? 0) >= (o.Version?.Index ?? 0)) return false;
  m.set(id, o);
  return true;
}
