/**
 * An in-memory NetworkHost (DESIGN §4.3: fakes only at process boundaries) that passes the same contract as the
 * real HostNetwork (test/contracts/network.ts). The "kernel" is a `FakeNetworkMachine`: netns, bridges and their
 * addresses, the node table, and ports other processes hold (`occupy`). A second FakeNetworkHost on the same
 * machine finds the sandboxes again, as a restarted daemon would. It refuses what the real one refuses (the same
 * request validation, host-port and ingress conflicts with the same messages) and records every view applied.
 * Overlays (docs/design/cluster.md "The overlay data path") are planned by the same pure `overlayWants` as the real
 * one and kept per network: the VXLAN device's parameters, its FDB and neighbour entries, and the bridge's MAC.
 */
import { conflict, invalidArgument } from '../../src/api/errors.js';
import type { HostPortMapping, NetworkHost, NetworkViewEntry, NodeNetworkView, Sandbox, SandboxEndpoint, SandboxRequest } from '../../src/agent/exec/network.js';
import { macForIp, parseCidr, parseIp } from '../../src/lib/cidr.js';
import { MAX_ENDPOINTS, freeIface, hostsEntriesFor, ifacesOf, portKey, resolvConfFor, validateEndpoint, validateSandboxRequest } from '../../src/agent/network/sandbox.js';
import type { SandboxRecord } from '../../src/agent/network/sandbox.js';
import { OVERLAY_MTU, overlayWants, vniOf } from '../../src/agent/network/overlay.js';

/** A VXLAN device on a network's bridge: its parameters and the entries programmed on it. */
export interface FakeOverlay {
  vni: number;
  port: number;
  local: string | undefined;
  mtu: number;
  /** MAC → the peer's data path address. */
  fdb: Map<string, string>;
  /** IP → MAC. */
  neigh: Map<string, string>;
}

export class FakeNetworkMachine {
  /** By container ID: the request a sandbox was made from, with the endpoints connected and disconnected since. */
  readonly sandboxes = new Map<string, SandboxRecord>();
  /** By network ID: the addresses on its bridge. */
  readonly bridges = new Map<string, Set<string>>();
  /** Node tables present. */
  readonly tables = new Set<string>();
  /** 'port/protocol' held by some other process: reservations of them fail. */
  readonly occupied = new Set<string>();
  /** 'port/protocol' held by a host on this machine. */
  readonly held = new Set<string>();
  /** DNS zones served, by listen address (a network's gateway): the view or local entry answered there. */
  readonly zones = new Map<string, NetworkViewEntry>();
  /** By network ID: the VXLAN device on its bridge. */
  readonly overlays = new Map<string, FakeOverlay>();
  /** By network ID: the bridge's MAC, once set from the node's LB address. */
  readonly bridgeMacs = new Map<string, string>();

  occupy(protocol: 'tcp' | 'udp', port: number): void {
    this.occupied.add(portKey({ protocol, published: port }));
  }
}

export interface FakeNetworkOptions {
  machine?: FakeNetworkMachine;
  nodeTable?: string;
  hostResolvConf?: string;
}

export class FakeNetworkHost implements NetworkHost {
  readonly machine: FakeNetworkMachine;
  /** Every view applied, in order (bursts coalesce as the real one's do not necessarily: each call is recorded). */
  readonly views: { view: NodeNetworkView; nodeId: string }[] = [];
  /** Every local network set applied, in order. */
  readonly localSets: NetworkViewEntry[][] = [];
  private view: NodeNetworkView | undefined;
  private viewNode = '';
  private local: NetworkViewEntry[] | undefined;
  private readonly ingress = new Set<string>();
  private readonly table: string;
  private readonly resolv: string;
  private closed = false;

  constructor(opts: FakeNetworkOptions = {}) {
    this.machine = opts.machine ?? new FakeNetworkMachine();
    this.table = opts.nodeTable ?? 'shoal';
    this.resolv = opts.hostResolvConf ?? '';
  }

  private live(): void {
    if (this.closed) throw new Error('FakeNetworkHost: closed');
  }

  async createSandbox(req: SandboxRequest): Promise<Sandbox> {
    this.live();
    validateSandboxRequest(req);
    const m = this.machine;
    if (!m.sandboxes.has(req.containerId)) {
      const taken = req.hostPorts.find((p) => m.held.has(portKey(p)) || m.occupied.has(portKey(p)));
      if (taken) throw conflict('network.port_allocated', `Bind for 0.0.0.0:${taken.published} failed: port is already allocated`);
      for (const p of req.hostPorts) m.held.add(portKey(p));
      for (const ep of req.endpoints) {
        if (!m.bridges.has(ep.network.id)) m.bridges.set(ep.network.id, new Set([`${ep.network.gateway}/${parseCidr(ep.network.subnet)?.len ?? 32}`]));
      }
      m.sandboxes.set(req.containerId, structuredClone(req));
      if (req.hostPorts.length > 0) m.tables.add(this.table);
    }
    return this.sandboxOf(m.sandboxes.get(req.containerId) ?? req);
  }

  async connectSandbox(containerId: string, endpoint: SandboxEndpoint, adopt?: { pid: number; hostname: string }): Promise<Sandbox | undefined> {
    this.live();
    checkContainerId(containerId);
    validateEndpoint(endpoint);
    if (adopt !== undefined) {
      if (!Number.isInteger(adopt.pid) || adopt.pid < 1) throw invalidArgument('network.invalid_pid', `adopt.pid: invalid process ID ${String(adopt.pid)}`);
      if (adopt.hostname === '' || /\s/.test(adopt.hostname)) throw invalidArgument('network.invalid_hostname', `adopt.hostname: invalid hostname ${JSON.stringify(adopt.hostname)}`);
    }
    const m = this.machine;
    const before: SandboxRecord | undefined = m.sandboxes.get(containerId) ?? (adopt !== undefined ? { containerId, hostname: adopt.hostname, endpoints: [], hostPorts: [], ifaces: [] } : undefined);
    if (before === undefined) return undefined;
    if (!before.endpoints.some((e) => e.network.id.slice(0, 9) === endpoint.network.id.slice(0, 9))) {
      if (before.endpoints.length >= MAX_ENDPOINTS) throw invalidArgument('network.too_many_endpoints', `endpoints: at most ${MAX_ENDPOINTS} networks per container`);
      if (!m.bridges.has(endpoint.network.id)) m.bridges.set(endpoint.network.id, new Set([`${endpoint.network.gateway}/${parseCidr(endpoint.network.subnet)?.len ?? 32}`]));
      m.sandboxes.set(containerId, { ...before, endpoints: [...before.endpoints, structuredClone(endpoint)], ifaces: [...ifacesOf(before), freeIface(before)] });
      if (this.view !== undefined || this.local !== undefined) this.applyMerged();
    }
    return this.sandboxOf(m.sandboxes.get(containerId) ?? before);
  }

  async disconnectSandbox(containerId: string, networkId: string): Promise<void> {
    this.live();
    checkContainerId(containerId);
    const rec = this.machine.sandboxes.get(containerId);
    const k = rec?.endpoints.findIndex((e) => e.network.id === networkId) ?? -1;
    if (rec === undefined || k < 0) return;
    const ifaces = ifacesOf(rec);
    this.machine.sandboxes.set(containerId, { ...rec, endpoints: rec.endpoints.filter((_, i) => i !== k), ifaces: ifaces.filter((_, i) => i !== k) });
    if (this.view !== undefined || this.local !== undefined) this.applyMerged();
  }

  private sandboxOf(req: SandboxRequest): Sandbox {
    return { netnsPath: `/run/netns/fake-${req.containerId.slice(0, 12)}`, resolvConf: resolvConfFor(this.resolv), hostsEntries: hostsEntriesFor(req) };
  }

  async settled(): Promise<void> {
    this.live();
  }

  async removeSandbox(containerId: string): Promise<void> {
    this.live();
    checkContainerId(containerId);
    const req = this.machine.sandboxes.get(containerId);
    if (req) {
      for (const p of req.hostPorts) this.machine.held.delete(portKey(p));
      this.machine.sandboxes.delete(containerId);
      if (this.view !== undefined || this.local !== undefined) this.applyMerged();
    }
  }

  async applyView(view: NodeNetworkView, nodeId: string): Promise<void> {
    this.live();
    this.views.push({ view: structuredClone(view), nodeId });
    this.view = structuredClone(view);
    this.viewNode = nodeId;
    this.applyMerged();
  }

  async setLocalNetworks(entries: NetworkViewEntry[]): Promise<void> {
    this.live();
    this.localSets.push(structuredClone(entries));
    this.local = structuredClone(entries);
    this.applyMerged();
  }

  /** The swarm view and the local networks together: bridges, the node table, DNS zones. */
  private applyMerged(): void {
    const m = this.machine;
    const swarm = this.view?.networks ?? [];
    const ids = new Set(swarm.map((e) => e.network.Id));
    const merged = [...swarm, ...(this.local ?? []).filter((e) => !ids.has(e.network.Id))];
    const wanted = new Set<string>();
    m.zones.clear();
    for (const e of merged) {
      const cfg = e.network.IPAM.Config[0];
      const len = cfg?.Subnet === undefined ? undefined : parseCidr(cfg.Subnet)?.len;
      if (!cfg?.Gateway || len === undefined) continue;
      wanted.add(e.network.Id);
      m.zones.set(cfg.Gateway, structuredClone(e));
      const addrs = [`${cfg.Gateway}/${len}`, ...(e.nodeAddr ? [e.nodeAddr] : []), ...e.services.filter((s) => s.mode === 'vip' && s.vip).map((s) => `${s.vip ?? ''}/32`)];
      m.bridges.set(e.network.Id, new Set(addrs));
    }
    const overlays = this.view === undefined ? [] : overlayWants(this.view, this.viewNode).filter((w) => wanted.has(w.networkId));
    const keep = new Set(overlays.map((w) => w.networkId));
    for (const id of [...m.overlays.keys()]) if (!keep.has(id)) m.overlays.delete(id);
    for (const w of overlays) {
      m.overlays.set(w.networkId, {
        vni: w.vni,
        port: w.port,
        local: w.local,
        mtu: OVERLAY_MTU,
        fdb: new Map(w.entries.map((e) => [e.mac, e.dst])),
        neigh: new Map(w.entries.map((e) => [e.ip, e.mac])),
      });
    }
    // Every swarm overlay's bridge takes the MAC of this node's LB address, peers or not.
    for (const e of this.view?.networks ?? []) {
      const self = e.nodeAddr === undefined ? undefined : parseIp(e.nodeAddr.split('/')[0] ?? '');
      if (self !== undefined && vniOf(e.network.Options) !== undefined && wanted.has(e.network.Id)) m.bridgeMacs.set(e.network.Id, macForIp(self));
    }
    const attached = new Set([...m.sandboxes.values()].flatMap((r) => r.endpoints.map((ep) => ep.network.id)));
    for (const id of [...m.bridges.keys()]) if (!wanted.has(id) && !attached.has(id)) m.bridges.delete(id);
    for (const id of [...m.bridgeMacs.keys()]) if (!m.bridges.has(id)) m.bridgeMacs.delete(id);
    if (this.view === undefined && merged.length === 0 && m.sandboxes.size === 0) m.tables.delete(this.table);
    else m.tables.add(this.table);
  }

  async reserveIngress(ports: HostPortMapping[]): Promise<void> {
    this.live();
    for (const p of ports) {
      const key = portKey(p);
      if (this.ingress.has(key)) continue;
      if (this.machine.held.has(key) || this.machine.occupied.has(key)) {
        throw conflict('network.ingress_port_in_use', `ingress port ${p.published}/${p.protocol} is already in use on this node by another process`);
      }
      this.ingress.add(key);
      this.machine.held.add(key);
    }
  }

  async sandboxes(): Promise<string[]> {
    this.live();
    return [...this.machine.sandboxes.keys()].sort();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const k of this.ingress) this.machine.held.delete(k);
    this.ingress.clear();
    return Promise.resolve();
  }

  async teardown(): Promise<void> {
    this.live();
    const m = this.machine;
    m.sandboxes.clear();
    m.bridges.clear();
    m.tables.delete(this.table);
    m.held.clear();
    m.zones.clear();
    m.overlays.clear();
    m.bridgeMacs.clear();
    this.ingress.clear();
    this.view = undefined;
    this.local = undefined;
  }
}

function checkContainerId(containerId: string): void {
  if (!/^[0-9a-f]{12,64}$/.test(containerId)) throw invalidArgument('network.invalid_container_id', `containerId: invalid container ID ${JSON.stringify(containerId)}`);
}
