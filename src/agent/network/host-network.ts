/**
 * HostNetwork: the real NetworkHost (src/agent/exec/network.ts) over iproute2 and nftables
 * (docs/design/networking.md "The data path on a node"). It owns on the node:
 * - a bridge per network (`shl<id 9>`) with the gateway, the node's LB address and every VIP/32 on it;
 * - a netns per container with networks (`/run/netns/<prefix><id 12>`), wired by ONE `sh -c` spawn: veths into
 *   the bridges, addresses, MACs, the default route, and the DNS DNAT table answering 127.0.0.11; an endpoint is
 *   added to or removed from a live one (`docker network connect/disconnect`) by one spawn too, and a running
 *   container without one has its own netns taken over (`ip netns attach`) on its first connect;
 * - the node ruleset (VIPs, ingress, host ports, isolation), re-rendered whole on every change (ruleset.ts) and
 *   applied atomically (nft.ts);
 * - port reservations for host-mode and ingress ports (ports.ts).
 *
 * Every kernel change goes through one queue; bursts of views and ruleset syncs coalesce into one run.
 * State is found again from the kernel after a restart: netns names carry the daemon's prefix, links it made carry
 * the alias `shoal <prefix>`, and each sandbox's request is kept under `<execRoot>/network/sandboxes/` (host ports
 * must be re-rendered after a restart; the full container ID is not in a kernel name).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShoalError, conflict, invalidArgument, isShoalError } from '../../api/errors.js';
import type { HostPortMapping, NetworkHost, NetworkViewEntry, NodeNetworkView, Sandbox, SandboxEndpoint, SandboxRequest } from '../exec/network.js';
import { parseCidr } from '../../lib/cidr.js';
import type { Logger } from '../../lib/logger.js';
import { bridgeSysctls, parseLinks, planBridges } from './bridges.js';
import type { BridgeWant, LinkState } from './bridges.js';
import { ipJson, runScript, runScriptOutput, shQuote } from './iproute.js';
import { applyTable, deleteTable } from './nft.js';
import { PortReservations } from './ports.js';
import { renderNodeRuleset, renderSandboxDns } from './ruleset.js';
import type { NodeRulesetInput } from './ruleset.js';
import { NETNS_DIR, bridgeName, netnsName, netnsPath, ownerAlias, vethName } from './names.js';
import { bridgeMacLines, overlayWants, parseFdb, parseNeigh, planOverlays } from './overlay.js';
import type { OverlayPlan } from './overlay.js';

const OVERLAY_SPLIT = '--shoal-split--';
import {
  MAX_ENDPOINTS,
  addrOf,
  connectScript,
  disconnectScript,
  freeIface,
  hostPortRules,
  hostsEntriesFor,
  ifacesOf,
  inNodeNetns,
  portKey,
  resolvConfFor,
  unwireScript,
  validateEndpoint,
  validateSandboxRequest,
  wireScript,
} from './sandbox.js';
import type { SandboxRecord } from './sandbox.js';

/** Listening sockets that hold published ports (ports.ts's PortReservations); reserve throws Conflict when taken. */
export interface PortHolder {
  reserve(p: { protocol: 'tcp' | 'udp'; port: number }): Promise<void> | void;
  release(p: { protocol: 'tcp' | 'udp'; port: number }): Promise<void> | void;
  releaseAll(): Promise<void> | void;
}

/** The embedded DNS server's side: zones per network, served on the network's gateway address. */
export interface DnsZoneSink {
  /**
   * `also`: for a container on several networks, by its address on the zone's network (its first), the IDs of its
   * other networks, whose names it must resolve too.
   */
  setZones(zones: { listen: string; entry: NetworkViewEntry; also?: Map<string, string[]> }[]): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface HostNetworkOptions {
  /** The daemon's exec root: sandbox records live under `<execRoot>/network`. */
  execRoot: string;
  /** Name of the node nft table. */
  nodeTable: string;
  /** Prefix of this daemon's netns names (see names.ts `netnsPrefixFor`). */
  netnsPrefix: string;
  logger: Logger;
  dns?: DnsZoneSink;
  /** Default: a PortReservations of the daemon's own (its sockets are in the daemon's netns). */
  ports?: PortHolder;
  /** The node side is this netns instead of the daemon's own (tests). */
  hostNetns?: string;
  /** The host's resolv.conf, whose search line containers inherit (default /etc/resolv.conf). */
  hostResolvConf?: string;
}

type Owner = { kind: 'ingress' } | { kind: 'sandbox'; containerId: string };

export class HostNetwork implements NetworkHost {
  private readonly o: HostNetworkOptions;
  private readonly ports: PortHolder;
  private readonly log: Logger;
  private readonly owner: string;
  private readonly recordDir: string;
  private chain: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private readonly records = new Map<string, SandboxRecord>();
  private readonly reserved = new Map<string, Owner>();
  /** Bridges known to exist (so a sandbox on a known network costs no `ip -j` listing). */
  private readonly knownBridges = new Set<string>();
  private view: NodeNetworkView = { networks: [] };
  /** Local (single-host) networks (setLocalNetworks), merged with the swarm view; undefined until first set. */
  private local: NetworkViewEntry[] | undefined;
  private pendingLocal: { entries: NetworkViewEntry[]; done: Promise<void> } | undefined;
  /** The node the last view was for (undefined until one is applied). */
  private viewNode: string | undefined;
  private pendingView: { view: NodeNetworkView; nodeId: string; done: Promise<void> } | undefined;
  private pendingRuleset: Promise<void> | undefined;
  private closed = false;

  constructor(opts: HostNetworkOptions) {
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(opts.netnsPrefix)) throw invalidArgument('network.invalid_prefix', `netnsPrefix: invalid netns prefix ${JSON.stringify(opts.netnsPrefix)}`);
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(opts.nodeTable)) throw invalidArgument('network.invalid_table', `nodeTable: invalid nft table name ${JSON.stringify(opts.nodeTable)}`);
    this.o = opts;
    this.ports = opts.ports ?? new PortReservations();
    this.log = opts.logger.child({ component: 'host-network' });
    this.owner = ownerAlias(opts.netnsPrefix);
    this.recordDir = join(opts.execRoot, 'network', 'sandboxes');
  }

  // ------------------------------------------------------------------ port

  async createSandbox(req: SandboxRequest): Promise<Sandbox> {
    validateSandboxRequest(req);
    const sandbox = await this.serial(() => this.create(req));
    if (req.hostPorts.length > 0) await this.syncRuleset();
    return sandbox;
  }

  async removeSandbox(containerId: string): Promise<void> {
    checkContainerId(containerId);
    const req = this.records.get(containerId);
    const hadPorts = await this.serial(() => this.remove(containerId));
    if (hadPorts) await this.syncRuleset();
    // The last container on a network neither the view nor the local set has takes its bridge with it.
    const inView = new Set(this.merged().networks.map((e) => e.network.Id));
    if ((this.viewNode !== undefined || this.local !== undefined) && req !== undefined && req.endpoints.some((e) => !inView.has(e.network.id))) {
      if (this.viewNode !== undefined) await this.applyView(this.view, this.viewNode);
      else await this.setLocalNetworks(this.local ?? []);
    }
  }

  async connectSandbox(containerId: string, endpoint: SandboxEndpoint, adopt?: { pid: number; hostname: string }): Promise<Sandbox | undefined> {
    checkContainerId(containerId);
    validateEndpoint(endpoint);
    if (adopt !== undefined) {
      if (!Number.isInteger(adopt.pid) || adopt.pid < 1) throw invalidArgument('network.invalid_pid', `adopt.pid: invalid process ID ${String(adopt.pid)}`);
      if (adopt.hostname === '' || /\s/.test(adopt.hostname)) throw invalidArgument('network.invalid_hostname', `adopt.hostname: invalid hostname ${JSON.stringify(adopt.hostname)}`);
    }
    const r = await this.serial(() => this.connect(containerId, endpoint, adopt));
    if (r?.changed === true) await this.refresh();
    return r?.sandbox;
  }

  async disconnectSandbox(containerId: string, networkId: string): Promise<void> {
    checkContainerId(containerId);
    if (await this.serial(() => this.disconnect(containerId, networkId))) await this.refresh();
  }

  applyView(view: NodeNetworkView, nodeId: string): Promise<void> {
    const pending = this.pendingView;
    if (pending) {
      pending.view = view;
      pending.nodeId = nodeId;
      return pending.done;
    }
    const slot: { view: NodeNetworkView; nodeId: string; done: Promise<void> } = { view, nodeId, done: Promise.resolve() };
    this.pendingView = slot;
    slot.done = this.serial(async () => {
      this.pendingView = undefined;
      await this.apply(slot.view, slot.nodeId);
    });
    return slot.done;
  }

  setLocalNetworks(entries: NetworkViewEntry[]): Promise<void> {
    const pending = this.pendingLocal;
    if (pending) {
      pending.entries = entries;
      return pending.done;
    }
    const slot: { entries: NetworkViewEntry[]; done: Promise<void> } = { entries, done: Promise.resolve() };
    this.pendingLocal = slot;
    slot.done = this.serial(async () => {
      this.pendingLocal = undefined;
      this.local = slot.entries;
      await this.applyMerged();
    });
    return slot.done;
  }

  reserveIngress(ports: HostPortMapping[]): Promise<void> {
    return this.serial(async () => {
      for (const p of ports) await this.holdIngress(p, true);
    });
  }

  async sandboxes(): Promise<string[]> {
    return this.serial(async () => {
      await this.load();
      const ids = new Set(this.records.keys());
      const short = new Set([...ids].map((id) => id.slice(0, 12)));
      for (const ns of this.ownNetns()) {
        const id12 = ns.slice(this.o.netnsPrefix.length);
        if (!short.has(id12)) ids.add(id12);
      }
      return [...ids].sort();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.o.dns?.close?.();
    await this.ports.releaseAll();
    this.reserved.clear();
  }

  teardown(): Promise<void> {
    return this.serial(async () => {
      await this.load();
      const links = await this.links();
      for (const ns of this.ownNetns()) {
        const id12 = ns.slice(this.o.netnsPrefix.length);
        await runScript(`remove sandbox ${id12}`, unwireScript(ns, this.o.hostNetns, this.vethsOf(links, id12)));
      }
      const leftovers = links.filter((l) => l.alias === this.owner).sort((a, b) => Number(a.kind === 'bridge') - Number(b.kind === 'bridge'));
      if (leftovers.length > 0) await runScript('remove bridges', inNodeNetns(this.o.hostNetns, leftovers.map((l) => `ip link del ${l.name} 2>/dev/null || true`)));
      await deleteTable(this.o.nodeTable, 'ip', this.nftOpts());
      await this.o.dns?.setZones([]);
      await this.ports.releaseAll();
      this.reserved.clear();
      this.records.clear();
      this.knownBridges.clear();
      this.view = { networks: [] };
      this.local = undefined;
      rmSync(join(this.o.execRoot, 'network'), { recursive: true, force: true });
    });
  }

  // ------------------------------------------------------------------ sandboxes

  private async create(req: SandboxRequest): Promise<Sandbox> {
    await this.load();
    const ns = netnsName(this.o.netnsPrefix, req.containerId);
    const existing = this.records.get(req.containerId);
    if (existing && existsSync(netnsPath(this.o.netnsPrefix, req.containerId))) return this.sandboxOf(existing);
    if (existing || existsSync(join(NETNS_DIR, ns))) await this.remove(req.containerId);
    const held: HostPortMapping[] = [];
    try {
      for (const p of req.hostPorts) {
        await this.holdHostPort(p, req.containerId);
        held.push(p);
      }
      this.writeRecord(req);
      const want = req.endpoints.map((ep) => ({ name: bridgeName(ep.network.id), gateway: `${ep.network.gateway}/${ep.address.split('/')[1] ?? '32'}`, extra: [] }));
      const prelude = await this.ensureBridges(want);
      const started = performance.now();
      await runScript(`wire sandbox ${req.containerId.slice(0, 12)}`, wireScript(req, { netns: ns, hostNetns: this.o.hostNetns, owner: this.owner, dnsTable: renderSandboxDns, prelude }));
      this.log.debug({ containerId: req.containerId, ms: Math.round(performance.now() - started) }, 'sandbox wired');
      return this.sandboxOf(req);
    } catch (e) {
      this.knownBridges.clear();
      await this.unwire(req.containerId).catch((ce: unknown) => this.log.warn({ err: ce, containerId: req.containerId }, 'cleanup after failed sandbox create'));
      this.records.delete(req.containerId);
      rmSync(this.recordPath(req.containerId), { force: true });
      for (const p of held) await this.releasePort(p);
      throw e;
    }
  }

  private async connect(containerId: string, endpoint: SandboxEndpoint, adopt: { pid: number; hostname: string } | undefined): Promise<{ sandbox: Sandbox; changed: boolean } | undefined> {
    await this.load();
    const ns = netnsName(this.o.netnsPrefix, containerId);
    const rec = this.records.get(containerId);
    let before: SandboxRecord;
    let adoptPid: number | undefined;
    if (rec !== undefined && existsSync(netnsPath(this.o.netnsPrefix, containerId))) before = rec;
    else {
      if (adopt === undefined) return undefined;
      if (rec !== undefined || existsSync(join(NETNS_DIR, ns))) await this.remove(containerId);
      before = { containerId, hostname: adopt.hostname, endpoints: [], hostPorts: [], ifaces: [] };
      adoptPid = adopt.pid;
    }
    if (before.endpoints.some((e) => bridgeName(e.network.id) === bridgeName(endpoint.network.id))) return { sandbox: this.sandboxOf(before), changed: false };
    if (before.endpoints.length >= MAX_ENDPOINTS) throw invalidArgument('network.too_many_endpoints', `endpoints: at most ${MAX_ENDPOINTS} networks per container`);
    const after: SandboxRecord = { ...before, endpoints: [...before.endpoints, endpoint], ifaces: [...ifacesOf(before), freeIface(before)] };
    const len = endpoint.address.split('/')[1] ?? '32';
    const prelude = await this.ensureBridges([{ name: bridgeName(endpoint.network.id), gateway: `${endpoint.network.gateway}/${len}`, extra: [] }]);
    const opts = { netns: ns, hostNetns: this.o.hostNetns, owner: this.owner, dnsTable: renderSandboxDns, prelude };
    try {
      await runScript(`connect sandbox ${containerId.slice(0, 12)}`, connectScript(before, after, adoptPid !== undefined ? { ...opts, adoptPid } : opts));
    } catch (e) {
      this.knownBridges.clear();
      // An adopted netns is let go (the process keeps it); a live sandbox loses the new interface again (only a
      // veth this daemon made: a failure may come from a foreign link of that name).
      const undo =
        adoptPid !== undefined
          ? this.unwire(containerId)
          : this.links().then((links) => {
              const keepVeth = !this.vethsOf(links, containerId.slice(0, 12)).includes(vethName(containerId, ifacesOf(after).at(-1) ?? 0));
              return runScript(`undo connect ${containerId.slice(0, 12)}`, disconnectScript(after, before, endpoint.network.id, { ...opts, keepVeth }));
            });
      await undo.catch((ce: unknown) => this.log.warn({ err: ce, containerId }, 'cleanup after a failed connect'));
      throw e;
    }
    this.writeRecord(after);
    this.log.debug({ containerId, network: endpoint.network.id, iface: ifacesOf(after).at(-1) }, 'sandbox connected');
    return { sandbox: this.sandboxOf(after), changed: true };
  }

  /** Returns whether the sandbox had an endpoint on the network (now gone). */
  private async disconnect(containerId: string, networkId: string): Promise<boolean> {
    await this.load();
    const rec = this.records.get(containerId);
    const k = rec?.endpoints.findIndex((e) => e.network.id === networkId) ?? -1;
    if (rec === undefined || k < 0) return false;
    const ifaces = ifacesOf(rec);
    const after: SandboxRecord = { ...rec, endpoints: rec.endpoints.filter((_, i) => i !== k), ifaces: ifaces.filter((_, i) => i !== k) };
    if (existsSync(netnsPath(this.o.netnsPrefix, containerId))) {
      const ns = netnsName(this.o.netnsPrefix, containerId);
      await runScript(`disconnect sandbox ${containerId.slice(0, 12)}`, disconnectScript(rec, after, networkId, { netns: ns, hostNetns: this.o.hostNetns, dnsTable: renderSandboxDns }));
    }
    this.writeRecord(after);
    this.log.debug({ containerId, network: networkId }, 'sandbox disconnected');
    return true;
  }

  /**
   * After an endpoint came or went: bridges (the last port of a network gone from the view takes its bridge), the
   * node ruleset (isolation, host ports follow the first endpoint) and DNS zones (a container's other networks).
   * A pending view or local set does all of it when it runs (it is after this change in the queue). Before any view
   * or local set (as removeSandbox), only the ruleset.
   */
  private refresh(): Promise<void> {
    const pending = this.pendingView?.done ?? this.pendingLocal?.done;
    if (pending !== undefined) return pending;
    if (this.viewNode === undefined && this.local === undefined) return this.syncRuleset();
    return this.serial(() => this.applyMerged());
  }

  /** Returns whether the removed sandbox had host ports (the ruleset must drop them). */
  private async remove(containerId: string): Promise<boolean> {
    await this.load();
    await this.unwire(containerId);
    const ids = [...this.records.keys()].filter((id) => id === containerId || (containerId.length === 12 && id.startsWith(containerId)));
    let hadPorts = false;
    for (const id of ids) {
      const rec = this.records.get(id);
      for (const p of rec?.hostPorts ?? []) {
        hadPorts = true;
        await this.releasePort(p);
      }
      this.records.delete(id);
      rmSync(this.recordPath(id), { force: true });
    }
    return hadPorts;
  }

  private async unwire(containerId: string): Promise<void> {
    const id12 = containerId.slice(0, 12);
    const veths = this.vethsOf(await this.links(), id12);
    const ns = netnsName(this.o.netnsPrefix, containerId);
    if (veths.length === 0 && !existsSync(join(NETNS_DIR, ns))) return;
    await runScript(`remove sandbox ${id12}`, unwireScript(ns, this.o.hostNetns, veths));
  }

  private vethsOf(links: readonly LinkState[], id12: string): string[] {
    return links.filter((l) => l.alias === this.owner && l.name.length === 14 && l.name.startsWith(`v${id12}`)).map((l) => l.name);
  }

  private sandboxOf(req: SandboxRequest): Sandbox {
    let host = '';
    try {
      host = readFileSync(this.o.hostResolvConf ?? '/etc/resolv.conf', 'utf8');
    } catch {
      /* no host resolv.conf: no search line */
    }
    return { netnsPath: netnsPath(this.o.netnsPrefix, req.containerId), resolvConf: resolvConfFor(host), hostsEntries: hostsEntriesFor(req) };
  }

  // ------------------------------------------------------------------ bridges and the view

  /** Shell lines creating the wanted bridges that do not exist yet (nothing when all are known). */
  private async ensureBridges(want: BridgeWant[]): Promise<string[]> {
    if (want.every((w) => this.knownBridges.has(w.name))) return [];
    const plan = planBridges(want, await this.links(), this.owner, false);
    for (const w of want) this.knownBridges.add(w.name);
    return this.planScript(plan.batch, plan.created);
  }

  /** `ip -batch` (then the sysctls of new bridges, then `bridge -batch` for FDB entries) as shell lines. */
  private planScript(batch: string[], created: string[], fdb: string[] = []): string[] {
    if (batch.length === 0 && fdb.length === 0) return [];
    const ns = this.o.hostNetns === undefined ? '' : ` -n ${shQuote(this.o.hostNetns)}`;
    const lines = batch.length === 0 ? [] : [`ip${ns} -batch - <<'SHOAL_EOF'\n${batch.join('\n')}\nSHOAL_EOF`];
    const sysctls = bridgeSysctls(created);
    if (sysctls.length > 0) lines.push(inNodeNetns(this.o.hostNetns, sysctls));
    if (fdb.length > 0) lines.push(`bridge${ns} -batch - <<'SHOAL_EOF'\n${fdb.join('\n')}\nSHOAL_EOF`);
    return lines;
  }

  /**
   * The overlay plan (overlay.ts) for the swarm view: VXLAN devices, bridge MACs, FDB and neighbour entries. The
   * kernel's FDB and neighbour tables are read (one spawn) only when an overlay is wanted or one of ours exists, so
   * a node without peers costs nothing more than before.
   */
  private async planOverlay(links: readonly LinkState[], bridges: ReadonlySet<string>): Promise<OverlayPlan | undefined> {
    const wants = this.viewNode === undefined ? [] : overlayWants(this.view, this.viewNode).filter((w) => bridges.has(w.bridge));
    if (wants.length === 0 && !links.some((l) => l.alias === this.owner && l.kind === 'vxlan')) return undefined;
    const ns = this.o.hostNetns === undefined ? '' : ` -n ${shQuote(this.o.hostNetns)}`;
    const out = await runScriptOutput('read fdb and neighbours', `set -e; bridge${ns} -j fdb show; echo; echo ${OVERLAY_SPLIT}; ip${ns} -j neigh show`);
    const [fdbText = '', neighText = ''] = out.split(OVERLAY_SPLIT);
    const parse = (t: string): unknown[] => (t.trim() === '' ? [] : (JSON.parse(t) as unknown[]));
    return planOverlays(wants, links, parseFdb(parse(fdbText)), parseNeigh(parse(neighText)), this.owner);
  }

  /** The swarm view with the local networks after it (a local network never shares an ID with a swarm one). */
  private merged(): NodeNetworkView {
    if (this.local === undefined || this.local.length === 0) return this.view;
    const ids = new Set(this.view.networks.map((e) => e.network.Id));
    return { networks: [...this.view.networks, ...this.local.filter((e) => !ids.has(e.network.Id))] };
  }

  private async apply(view: NodeNetworkView, nodeId: string): Promise<void> {
    this.view = view;
    this.viewNode = nodeId;
    await this.syncIngressReservations(view);
    await this.applyMerged();
  }

  /** Bridges, the node ruleset and DNS zones for the swarm view and the local networks together. */
  private async applyMerged(): Promise<void> {
    await this.load();
    const view = this.merged();
    const want: BridgeWant[] = [];
    for (const e of view.networks) {
      const cfg = e.network.IPAM.Config[0];
      const subnet = cfg?.Subnet === undefined ? undefined : parseCidr(cfg.Subnet);
      if (!cfg?.Gateway || !subnet) {
        this.log.warn({ network: e.network.Id }, 'network without IPAM subnet and gateway: skipped');
        continue;
      }
      const extra = [...(e.nodeAddr ? [e.nodeAddr] : []), ...e.services.filter((s) => s.mode === 'vip' && s.vip).map((s) => `${s.vip ?? ''}/32`)];
      want.push({ name: bridgeName(e.network.Id), gateway: `${cfg.Gateway}/${subnet.len}`, extra });
    }
    const links = await this.links();
    const bridges = new Set(want.map((w) => w.name));
    const overlay = await this.planOverlay(links, bridges);
    // A VXLAN device that goes no longer holds its bridge: the bridge plan may prune it.
    const gone = new Set(overlay?.deleted ?? []);
    const plan = planBridges(want, gone.size === 0 ? links : links.map((l) => (gone.has(l.name) ? { ...l, master: undefined } : l)), this.owner, true);
    const macs = this.viewNode === undefined ? [] : bridgeMacLines(this.view, links).filter((l) => bridges.has(l.split(' ')[2] ?? ''));
    const lines = this.planScript([...(overlay?.before ?? []), ...plan.batch, ...macs, ...(overlay?.after ?? [])], plan.created, overlay?.fdb ?? []);
    if (lines.length > 0) await runScript('apply network view', ['set -e', ...lines].join('\n'));
    this.knownBridges.clear();
    for (const w of want) this.knownBridges.add(w.name);
    this.log.debug(
      { nodeId: this.viewNode, local: this.local?.length ?? 0, networks: want.length, created: plan.created, removed: plan.removed, overlays: overlay?.created, overlaysRemoved: overlay?.deleted },
      'network view applied',
    );
    await this.renderAndApply();
    // A container on several networks asks its first network's gateway; it must resolve names on all of them.
    const also = new Map<string, Map<string, string[]>>();
    for (const req of this.records.values()) {
      const [first, ...rest] = req.endpoints;
      if (first === undefined || rest.length === 0) continue;
      let bySource = also.get(first.network.id);
      if (bySource === undefined) also.set(first.network.id, (bySource = new Map<string, string[]>()));
      bySource.set(addrOf(first.address), rest.map((e) => e.network.id));
    }
    await this.o.dns?.setZones(
      view.networks
        .filter((e) => e.network.IPAM.Config[0]?.Gateway)
        .map((e) => {
          const links = also.get(e.network.Id);
          return { listen: e.network.IPAM.Config[0]?.Gateway ?? '', entry: e, ...(links !== undefined ? { also: links } : {}) };
        }),
    );
  }

  private syncRuleset(): Promise<void> {
    if (this.pendingRuleset) return this.pendingRuleset;
    const p = this.serial(async () => {
      this.pendingRuleset = undefined;
      await this.renderAndApply();
    });
    this.pendingRuleset = p;
    return p;
  }

  private async renderAndApply(): Promise<void> {
    const held = (p: HostPortMapping): boolean => this.reserved.get(portKey(p))?.kind === 'ingress';
    const view = this.merged();
    // Nothing at all to route (no network, no sandbox): no node table, as before the first network (or after the
    // node left its swarm: a swarm view always holds `ingress`, so an empty one means there is no swarm).
    if (view.networks.length === 0 && this.records.size === 0) {
      await deleteTable(this.o.nodeTable, 'ip', this.nftOpts());
      return;
    }
    const input = nodeRulesetInput(this.o.nodeTable, view, [...this.records.values()], held);
    await applyTable(this.o.hostNetns, renderNodeRuleset(input));
    this.log.debug(
      { ingress: input.ingress.map((i) => `${i.port}/${i.protocol}:${i.endpoints.join(',')}`), vips: input.vips.length, hostPorts: input.hostPorts.length },
      'node ruleset applied',
    );
  }

  private nftOpts(): { netns?: string } {
    return this.o.hostNetns === undefined ? {} : { netns: this.o.hostNetns };
  }

  // ------------------------------------------------------------------ reservations

  private async holdHostPort(p: HostPortMapping, containerId: string): Promise<void> {
    const key = portKey(p);
    const owner = this.reserved.get(key);
    if (owner) {
      if (owner.kind === 'sandbox' && owner.containerId === containerId) return;
      throw conflict('network.port_allocated', `Bind for 0.0.0.0:${p.published} failed: port is already allocated`);
    }
    try {
      await this.ports.reserve({ protocol: p.protocol, port: p.published });
    } catch (e) {
      if (isShoalError(e, 'Conflict')) throw new ShoalError('Conflict', 'network.port_allocated', `Bind for 0.0.0.0:${p.published} failed: port is already allocated`, { cause: e });
      throw e;
    }
    this.reserved.set(key, { kind: 'sandbox', containerId });
  }

  /** `strict`: throw when the port cannot be held (reserveIngress); otherwise log (a view's ports). */
  private async holdIngress(p: HostPortMapping, strict: boolean): Promise<void> {
    const key = portKey(p);
    const owner = this.reserved.get(key);
    if (owner?.kind === 'ingress') return;
    const message = `ingress port ${p.published}/${p.protocol} is already in use on this node by another process`;
    try {
      if (owner) throw conflict('network.ingress_port_in_use', message);
      await this.ports.reserve({ protocol: p.protocol, port: p.published });
      this.reserved.set(key, { kind: 'ingress' });
    } catch (e) {
      const err = isShoalError(e, 'Conflict') ? new ShoalError('Conflict', 'network.ingress_port_in_use', message, { cause: e }) : e;
      if (strict) throw err;
      this.log.warn({ err }, message);
    }
  }

  private async syncIngressReservations(view: NodeNetworkView): Promise<void> {
    const wanted = new Map<string, HostPortMapping>();
    for (const e of view.networks.filter((n) => n.network.Ingress)) {
      for (const s of e.services) {
        for (const p of s.ports) {
          if (p.PublishedPort === undefined || (p.PublishMode ?? 'ingress') !== 'ingress' || p.Protocol === 'sctp') continue;
          const m: HostPortMapping = { protocol: p.Protocol ?? 'tcp', published: p.PublishedPort, target: p.TargetPort };
          wanted.set(portKey(m), m);
        }
      }
    }
    for (const [key, owner] of [...this.reserved]) {
      if (owner.kind !== 'ingress' || wanted.has(key)) continue;
      const [port, protocol] = key.split('/');
      await this.releasePort({ protocol: protocol === 'udp' ? 'udp' : 'tcp', published: Number(port), target: 0 });
    }
    for (const m of wanted.values()) await this.holdIngress(m, false);
  }

  private async releasePort(p: HostPortMapping): Promise<void> {
    this.reserved.delete(portKey(p));
    await this.ports.release({ protocol: p.protocol, port: p.published });
  }

  // ------------------------------------------------------------------ state

  settled(): Promise<void> {
    return this.serial(async () => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async links(): Promise<LinkState[]> {
    return parseLinks(await ipJson(this.o.hostNetns, ['-d', 'addr', 'show']));
  }

  private ownNetns(): string[] {
    try {
      return readdirSync(NETNS_DIR).filter((n) => n.startsWith(this.o.netnsPrefix));
    } catch {
      return [];
    }
  }

  /** Reads the sandbox records once, and holds their host ports again (a restarted daemon keeps them allocated). */
  private async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    let names: string[] = [];
    try {
      names = readdirSync(this.recordDir).filter((n) => n.endsWith('.json'));
    } catch {
      return;
    }
    for (const n of names) {
      try {
        const req = JSON.parse(readFileSync(join(this.recordDir, n), 'utf8')) as SandboxRecord;
        this.records.set(req.containerId, req);
      } catch (e) {
        this.log.warn({ err: e, file: n }, 'unreadable sandbox record: ignored');
      }
    }
    for (const req of this.records.values()) {
      for (const p of req.hostPorts) {
        this.reserved.set(portKey(p), { kind: 'sandbox', containerId: req.containerId });
        try {
          await this.ports.reserve({ protocol: p.protocol, port: p.published });
        } catch (e) {
          this.log.warn({ err: e, containerId: req.containerId, port: portKey(p) }, 'host port of an adopted sandbox could not be held again');
        }
      }
    }
  }

  private recordPath(containerId: string): string {
    return join(this.recordDir, `${containerId}.json`);
  }

  /**
   * Write-then-rename without fsync: a netns lives in /run (tmpfs) and does not survive a reboot either, so the
   * record only has to survive a daemon crash, which the page cache gives (and fsync costs ~10 ms here).
   */
  private writeRecord(req: SandboxRecord): void {
    mkdirSync(this.recordDir, { recursive: true });
    const path = this.recordPath(req.containerId);
    writeFileSync(`${path}.tmp`, JSON.stringify(req), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.records.set(req.containerId, req);
  }
}

function checkContainerId(containerId: string): void {
  if (!/^[0-9a-f]{12,64}$/.test(containerId)) throw invalidArgument('network.invalid_container_id', `containerId: invalid container ID ${JSON.stringify(containerId)}`);
}

/** The node ruleset's input from the view and the sandboxes' host ports (pure). */
export function nodeRulesetInput(
  table: string,
  view: NodeNetworkView,
  sandboxes: readonly SandboxRequest[],
  /** Ingress ports this node could not reserve stay out: a process on the host holds them, and keeps them. */
  ingressHeld: (p: HostPortMapping) => boolean = () => true,
): NodeRulesetInput {
  const input: NodeRulesetInput = { table, bridges: [], vips: [], ingress: [], hostPorts: [] };
  for (const e of view.networks) {
    const subnet = e.network.IPAM.Config[0]?.Subnet;
    if (subnet === undefined) continue;
    const bridge = bridgeName(e.network.Id);
    input.bridges.push({ name: bridge, subnet, internal: e.network.Internal });
    if (e.nodeAddr === undefined) continue;
    const snat = addrOf(e.nodeAddr);
    for (const s of e.services) {
      const endpoints = s.tasks.map((t) => t.addr);
      if (s.mode === 'vip' && s.vip !== undefined) input.vips.push({ vip: s.vip, bridge, snat, endpoints });
      if (!e.network.Ingress) continue;
      for (const p of s.ports) {
        if (p.PublishedPort === undefined || (p.PublishMode ?? 'ingress') !== 'ingress' || p.Protocol === 'sctp') continue;
        if (!ingressHeld({ protocol: p.Protocol ?? 'tcp', published: p.PublishedPort, target: p.TargetPort })) continue;
        input.ingress.push({ protocol: p.Protocol ?? 'tcp', port: p.PublishedPort, target: p.TargetPort, bridge, snat, endpoints });
      }
    }
  }
  const listed = new Set(input.bridges.map((b) => b.name));
  for (const req of sandboxes) {
    input.hostPorts.push(...hostPortRules(req));
    for (const ep of req.endpoints) {
      const name = bridgeName(ep.network.id);
      if (listed.has(name)) continue;
      listed.add(name);
      input.bridges.push({ name, subnet: ep.network.subnet, internal: ep.network.internal });
    }
  }
  return input;
}
