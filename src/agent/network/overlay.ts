/**
 * The overlay data path between nodes (docs/design/cluster.md "The overlay data path"), planned as text: pure
 * functions from the node's view and what the kernel lists to `ip -batch` and `bridge -batch` lines.
 *
 * Per swarm network with at least one peer (and a VNI), on the node:
 * - a VXLAN device `shv<network id 9>` (`id <VNI> dstport <port> local <node addr> nolearning proxy`, MTU 1450,
 *   alias `shoal <prefix>`), a port of the network's bridge with bridge learning and unknown-unicast/multicast
 *   flooding off: nothing is learned and nothing is flooded;
 * - the bridge's MAC is `02:42` + this node's LB address on the network, so every node derives a peer's (set on
 *   every swarm overlay's bridge, peers or not: `bridgeMacLines`);
 * - for every remote endpoint a peer can be reached at: its tasks (served ones, and the entry's `unserved`: starting
 *   and draining tasks, so a connection to a task outlives the start of its drain until the task stops), its
 *   attached containers and its LB address; with mac = `02:42` + the IPv4 bytes: an FDB entry on the VXLAN device
 *   to the peer (`self permanent`), a static FDB entry on the bridge pointing at the VXLAN port (`master static`),
 *   and a permanent neighbour entry on the VXLAN device (answered by its ARP proxy to local containers) and on the
 *   bridge (the node's own traffic, e.g. VIP and ingress DNAT to a remote task);
 * - entries no longer wanted are removed on every view; the device goes when the last peer or the network goes.
 * Container interfaces on swarm overlays (networks with a VNI) get MTU 1450; local bridges keep 1500.
 */
import { VXLAN_OPTION } from '../../api/network-spec.js';
import type { NetworkConfig, NodeNetworkView } from '../exec/network.js';
import { DEFAULT_DATA_PATH_PORT } from '../../api/network-view.js';
import { macForIp, parseIp } from '../../lib/cidr.js';
import type { LinkState } from './bridges.js';
import { shQuote } from './iproute.js';
import { bridgeName } from './names.js';

export const VXLAN_PREFIX = 'shv';
/** Docker's overlay MTU: 1500 minus the 50 bytes of VXLAN over IPv4. */
export const OVERLAY_MTU = 1450;

export function vxlanName(networkId: string): string {
  return `${VXLAN_PREFIX}${networkId.slice(0, 9)}`;
}

/** ` mtu 1450` for an interface on a swarm overlay (a network with a VNI), nothing for a local bridge network. */
export function mtuArg(network: Pick<NetworkConfig, 'vxlanId'>): string {
  return network.vxlanId !== undefined ? ` mtu ${OVERLAY_MTU}` : '';
}

/** The VNI of a stored network (`Options['…vxlanid_list']`, the first one), undefined when it has none. */
export function vniOf(options: Record<string, string> | undefined): number | undefined {
  const v = Number((options?.[VXLAN_OPTION] ?? '').split(',')[0]);
  return Number.isInteger(v) && v > 0 && v < 1 << 24 ? v : undefined;
}

/** A remote endpoint on a network: its IP, derived MAC, and the data path address of the node it is on. */
export interface RemoteEntry {
  ip: string;
  mac: string;
  dst: string;
}

export interface OverlayWant {
  networkId: string;
  bridge: string;
  vxlan: string;
  vni: number;
  port: number;
  /** This node's data path IP (the tunnel's source); the kernel picks one by route when undefined. */
  local: string | undefined;
  /** `02:42` + this node's LB address on the network (undefined until it has one). */
  bridgeMac: string | undefined;
  /** Sorted by IP. */
  entries: RemoteEntry[];
}

/** The overlays the view asks for on node `nodeId`: one per network with a VNI and at least one peer. */
export function overlayWants(view: NodeNetworkView, nodeId: string): OverlayWant[] {
  const port = view.dataPathPort ?? DEFAULT_DATA_PATH_PORT;
  const out: OverlayWant[] = [];
  for (const e of view.networks) {
    const vni = vniOf(e.network.Options);
    const peers = (e.peers ?? []).filter((p) => p.nodeId !== nodeId && parseIp(p.addr) !== undefined);
    if (vni === undefined || peers.length === 0) continue;
    const dstOf = new Map(peers.map((p) => [p.nodeId, p.addr]));
    const entries = new Map<string, RemoteEntry>();
    // The first endpoint on this node or a peer that claims an address has it (one on a node that is no peer, e.g.
    // down, claims nothing).
    const claimed = new Set<string>();
    const add = (ip: string, node: string | undefined): void => {
      const dst = node === undefined ? undefined : dstOf.get(node);
      const n = parseIp(ip);
      if (n === undefined || claimed.has(ip) || (dst === undefined && node !== nodeId)) return;
      claimed.add(ip);
      if (dst !== undefined) entries.set(ip, { ip, mac: macForIp(n), dst });
    };
    // Served tasks first: an address a stale endpoint still claims goes to the one the load balancers use.
    for (const s of e.services) for (const t of s.tasks) add(t.addr, t.nodeId);
    for (const u of e.unserved ?? []) add(u.addr, u.nodeId);
    for (const c of e.containers ?? []) add(c.addr, c.nodeId);
    for (const p of peers) if (p.lbAddr !== undefined) add(p.lbAddr.split('/')[0] ?? '', p.nodeId);
    const self = e.nodeAddr === undefined ? undefined : parseIp(e.nodeAddr.split('/')[0] ?? '');
    out.push({
      networkId: e.network.Id,
      bridge: bridgeName(e.network.Id),
      vxlan: vxlanName(e.network.Id),
      vni,
      port,
      local: view.nodeAddr !== undefined && parseIp(view.nodeAddr) !== undefined ? view.nodeAddr : undefined,
      bridgeMac: self === undefined ? undefined : macForIp(self),
      entries: [...entries.values()].sort((a, b) => (parseIp(a.ip) ?? 0) - (parseIp(b.ip) ?? 0)),
    });
  }
  return out;
}

/**
 * `link set <bridge> address 02:42:<LB address>` for every swarm overlay bridge in the view whose MAC is not that
 * yet (a bridge the same batch makes included: `links` does not list it). Set whether or not the network has peers,
 * so the MAC local containers have cached for the gateway never changes when the first peer (or a port with a lower
 * MAC) comes.
 */
export function bridgeMacLines(view: NodeNetworkView, links: readonly LinkState[]): string[] {
  const macOf = new Map(links.map((l) => [l.name, l.mac]));
  const lines: string[] = [];
  for (const e of view.networks) {
    const self = e.nodeAddr === undefined ? undefined : parseIp(e.nodeAddr.split('/')[0] ?? '');
    if (self === undefined || vniOf(e.network.Options) === undefined) continue;
    const name = bridgeName(e.network.Id);
    if (macOf.get(name) !== macForIp(self)) lines.push(`link set ${name} address ${macForIp(self)}`);
  }
  return lines;
}

/** One FDB entry as `bridge -j fdb show` lists it. */
export interface FdbState {
  mac: string;
  dev: string;
  dst: string | undefined;
  /** The bridge, for an entry of the bridge (`master`); undefined for the device's own (`self`). */
  master: string | undefined;
  state: string;
}

/** One neighbour entry as `ip -j neigh show` lists it. */
export interface NeighState {
  ip: string;
  dev: string;
  lladdr: string | undefined;
  permanent: boolean;
}

interface FdbJson {
  mac?: string;
  ifname?: string;
  dst?: string;
  master?: string;
  flags?: string[];
  state?: string;
}
interface NeighJson {
  dst?: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

export function parseFdb(json: unknown[]): FdbState[] {
  return (json as FdbJson[])
    .filter((f) => typeof f.mac === 'string' && typeof f.ifname === 'string')
    .map((f) => ({ mac: f.mac ?? '', dev: f.ifname ?? '', dst: f.dst, master: (f.flags ?? []).includes('self') ? undefined : f.master, state: f.state ?? '' }));
}

export function parseNeigh(json: unknown[]): NeighState[] {
  return (json as NeighJson[])
    .filter((n) => typeof n.dst === 'string' && typeof n.dev === 'string')
    .map((n) => ({ ip: n.dst ?? '', dev: n.dev ?? '', lladdr: n.lladdr, permanent: (n.state ?? []).includes('PERMANENT') }));
}

export interface OverlayPlan {
  /** `ip -batch` lines to run before the bridge plan: VXLAN devices that go (or are re-made). */
  before: string[];
  /** `ip -batch` lines after the bridge plan: new devices, bridge MACs, neighbour entries. */
  after: string[];
  /** `bridge -batch` lines, run after both. */
  fdb: string[];
  /** VXLAN devices deleted by `before`: they no longer hold their bridge (planBridges may prune it). */
  deleted: string[];
  created: string[];
}

/** True when an existing VXLAN device matches what is wanted (else it is re-made). */
function sameDevice(l: LinkState, w: OverlayWant): boolean {
  const v = l.vxlan;
  return v !== undefined && v.id === w.vni && v.port === w.port && (w.local === undefined || v.local === w.local) && l.master === w.bridge;
}

/**
 * What to do so that exactly the wanted overlays exist on the node. `links` come from `ip -j -d addr show`,
 * `fdb` and `neigh` from `bridge -j fdb show` / `ip -j neigh show` (only entries on the devices this daemon owns
 * are looked at: `owner` is its alias). Entries already in place are not written again.
 */
export function planOverlays(wants: readonly OverlayWant[], links: readonly LinkState[], fdb: readonly FdbState[], neigh: readonly NeighState[], owner: string): OverlayPlan {
  const plan: OverlayPlan = { before: [], after: [], fdb: [], deleted: [], created: [] };
  const byName = new Map(links.map((l) => [l.name, l]));
  const wanted = new Map(wants.map((w) => [w.vxlan, w]));
  for (const l of links) {
    if (l.alias !== owner || l.kind !== 'vxlan') continue;
    const w = wanted.get(l.name);
    if (w === undefined || !sameDevice(l, w)) {
      plan.before.push(`link del ${l.name}`);
      plan.deleted.push(l.name);
    }
  }
  const deleted = new Set(plan.deleted);
  for (const w of wants) {
    const have = byName.get(w.vxlan);
    const fresh = have === undefined || deleted.has(w.vxlan);
    if (fresh) {
      const local = w.local === undefined ? '' : ` local ${w.local}`;
      plan.after.push(
        `link add ${w.vxlan} type vxlan id ${w.vni} dstport ${w.port}${local} nolearning proxy`,
        `link set ${w.vxlan} alias ${shQuote(owner)} mtu ${OVERLAY_MTU} master ${w.bridge} up`,
        `link set dev ${w.vxlan} type bridge_slave learning off flood off mcast_flood off`,
      );
      plan.created.push(w.vxlan);
    }

    // Neighbour entries on the VXLAN device (its ARP proxy) and on the bridge (the node's own traffic).
    const want = new Map(w.entries.map((e) => [e.ip, e]));
    for (const dev of [w.vxlan, w.bridge]) {
      const current = fresh && dev === w.vxlan ? [] : neigh.filter((n) => n.dev === dev && n.permanent);
      const ok = new Set<string>();
      for (const n of current) {
        const e = want.get(n.ip);
        if (e !== undefined && n.lladdr === e.mac) ok.add(n.ip);
        else if (e === undefined) plan.after.push(`neigh del ${n.ip} dev ${dev}`);
      }
      for (const e of w.entries) if (!ok.has(e.ip)) plan.after.push(`neigh replace ${e.ip} lladdr ${e.mac} dev ${dev} nud permanent`);
    }

    // FDB: the device's own entries (to the peer) and the bridge's (to the VXLAN port).
    const macs = new Map(w.entries.map((e) => [e.mac, e]));
    const current = fresh ? [] : fdb.filter((f) => f.dev === w.vxlan);
    const selfOk = new Set<string>();
    const masterOk = new Set<string>();
    for (const f of current) {
      if (f.master === undefined) {
        const e = macs.get(f.mac);
        if (e !== undefined && f.dst === e.dst && f.state === 'permanent') selfOk.add(f.mac);
        else if (e === undefined) plan.fdb.push(`fdb del ${f.mac} dev ${w.vxlan} self`);
      } else if (f.state === 'static') {
        if (macs.has(f.mac)) masterOk.add(f.mac);
        else plan.fdb.push(`fdb del ${f.mac} dev ${w.vxlan} master`);
      }
    }
    for (const e of w.entries) {
      if (!selfOk.has(e.mac)) plan.fdb.push(`fdb replace ${e.mac} dev ${w.vxlan} dst ${e.dst} self permanent`);
      if (!masterOk.has(e.mac)) plan.fdb.push(`fdb replace ${e.mac} dev ${w.vxlan} master static`);
    }
  }
  // A bridge whose overlay goes keeps no neighbour entries of remote endpoints (removed before the bridge plan,
  // which may delete the bridge itself).
  for (const name of plan.deleted) {
    if (wanted.has(name)) continue;
    const l = byName.get(name);
    if (l?.master === undefined) continue;
    for (const n of neigh) if (n.dev === l.master && n.permanent) plan.before.push(`neigh del ${n.ip} dev ${n.dev}`);
  }
  return plan;
}
