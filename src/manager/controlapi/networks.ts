/**
 * Network use-cases (swarmkit `controlapi/network.go` plus dockerd's part in `daemon/cluster/networks.go` and
 * `api/server/router/network`): create, list (docker's filters), get, remove and prune swarm-scoped overlay networks.
 * Validate, then transact.
 *
 * What this file writes (docs/design/networking.md): the stored `Network` (Engine API `NetworkResource` shape, `Id`
 * 25 chars, `Scope: 'swarm'`, `Driver: 'overlay'`, `IPAM.Config: [{Subnet, Gateway}]` always filled, the VNI in
 * `Options['com.docker.network.driver.overlay.vxlanid_list']`), including the `ingress` network at swarm init
 * (`ingressNetwork`, called by swarm.ts). `NodeAddrs` belongs to the allocator and is never rendered.
 *
 * Invariants: no two networks overlap; VNIs are unique, from 4097 up; a subnet is picked from the cluster's
 * `DefaultAddrPool` blocks of `SubnetSize` in the same transaction that creates the network, so concurrent creates
 * cannot pick the same block (the loser retries on the version conflict of the store). A network is removed only
 * when no service references it and no non-terminal task is attached to it.
 */
import { alreadyExists, invalidArgument, isShoalError } from '../../api/errors.js';
import type { ShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { parseNetworkCreate, parseVni, PREDEFINED_NETWORKS, VXLAN_OPTION, type NetworkIpamRequest } from '../../api/network-spec.js';
import { resolveRef, type RefGetters } from '../../api/resolve.js';
import { rpcError } from '../../api/service-spec.js';
import { isTerminal, TaskState } from '../../api/task-state.js';
import type { Cluster, IPAMConfig, Network, Node, Service, Task } from '../../api/types.js';
import { firstFreeSubnet, formatCidr, formatIp, nth, overlaps, parseCidr, type Cidr } from '../../lib/cidr.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { parseDuration } from '../../lib/duration.js';
import { newId } from '../../lib/ids.js';
import { storeErrorCodes } from '../../store/core/errors.js';
import type { ReadTx } from '../../store/core/tables.js';
import type { ControlDeps } from './deps.js';

export const NETWORK_FILTERS = ['name', 'id', 'label', 'driver', 'scope', 'type', 'dangling'] as const;
export const NETWORK_PRUNE_FILTERS = ['until', 'label', 'label!'] as const;
/** The first VNI handed out (docker's overlay driver starts user networks here). */
export const FIRST_VNI = 4097;
const DEFAULT_POOL = '10.0.0.0/8';
const DEFAULT_SUBNET_SIZE = 24;

export const networkGetters: RefGetters<Network> = { id: (n) => n.Id, name: (n) => n.Name };

/** `GET /networks/{id}?verbose=true` adds the nodes the network spans. */
export type NetworkResource = Network & { Peers?: { Name: string; IP: string }[] };

const overlapError = (): ShoalError =>
  invalidArgument('network.overlap', 'invalid pool request: Pool overlaps with other one on this address space');
const nameTaken = (name: string): ShoalError => alreadyExists('network.name_conflict', `network with name ${name} already exists`);

// ------------------------------------------------------------------ presentation

/** The API view: dockerd's key order, no `Version` (NetworkResource has none), never the internal `NodeAddrs`. */
export function publicNetwork(n: Network): Network {
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv6: n.EnableIPv6,
    IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config.map(ipamConfigView) },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { Network: n.ConfigFrom.Network },
    ConfigOnly: n.ConfigOnly,
    Containers: containersView(n),
    Options: n.Options,
    Labels: n.Labels,
  };
}

/** dockerd's `Containers` of a network: the plain containers attached to it (`docker run --network`). */
function containersView(n: Network): Network['Containers'] {
  const out: Record<string, unknown> = { ...n.Containers };
  for (const [id, a] of Object.entries(n.Attachments ?? {})) {
    if (a.Addr === undefined) continue;
    out[id] = { Name: a.Name, EndpointID: '', MacAddress: '', IPv4Address: a.Addr, IPv6Address: '' };
  }
  return out;
}

/** Go's field order and omitempty: Subnet, IPRange, Gateway, AuxiliaryAddresses. */
function ipamConfigView(c: IPAMConfig): IPAMConfig {
  const out: IPAMConfig = {};
  if (c.Subnet) out.Subnet = c.Subnet;
  if (c.IPRange) out.IPRange = c.IPRange;
  if (c.Gateway) out.Gateway = c.Gateway;
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0) out.AuxiliaryAddresses = c.AuxiliaryAddresses;
  return out;
}

// ------------------------------------------------------------------ pure helpers (subnets, VNIs, use)

function subnetsOf(networks: readonly Network[]): Cidr[] {
  const out: Cidr[] = [];
  for (const n of networks) {
    for (const c of n.IPAM.Config) {
      const cidr = c.Subnet !== undefined ? parseCidr(c.Subnet) : undefined;
      if (cidr !== undefined) out.push(cidr);
    }
  }
  return out;
}

/** The pool blocks to pick from: the cluster's `DefaultAddrPool` (default 10.0.0.0/8) in `SubnetSize` (default 24). */
export function addressPools(cluster: Pick<Cluster, 'DefaultAddrPool' | 'SubnetSize'> | undefined): { pools: Cidr[]; size: number } {
  const texts = cluster !== undefined && cluster.DefaultAddrPool.length > 0 ? cluster.DefaultAddrPool : [DEFAULT_POOL];
  const pools = texts.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
  const size = cluster !== undefined && cluster.SubnetSize > 0 ? cluster.SubnetSize : DEFAULT_SUBNET_SIZE;
  return { pools, size };
}

/** The first free `size` block over the pools in order, avoiding every existing network's subnet. */
export function pickSubnet(pools: readonly Cidr[], size: number, taken: readonly Cidr[]): Cidr {
  for (const pool of pools) {
    const free = firstFreeSubnet(pool, size, taken);
    if (free !== undefined) return free;
  }
  throw invalidArgument(
    'network.pool_exhausted',
    `could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network (pools ${pools.map(formatCidr).join(', ')}, /${size} subnets)`,
  );
}

function vniOf(n: Network): number | undefined {
  const v = n.Options[VXLAN_OPTION];
  return v === undefined ? undefined : parseVni(v.split(',')[0] ?? '');
}

/** The lowest VNI from 4097 that no network uses. */
export function nextVni(networks: readonly Network[]): number {
  const used = new Set(networks.map(vniOf).filter((v): v is number => v !== undefined));
  let v = FIRST_VNI;
  while (used.has(v)) v++;
  return v;
}

/** The IPAM config of a new network: the explicit subnet (checked for overlaps) or one from the pool; gateway = .1. */
export function planIpam(request: NetworkIpamRequest | undefined, existing: readonly Network[], cluster: Pick<Cluster, 'DefaultAddrPool' | 'SubnetSize'> | undefined): IPAMConfig {
  const taken = subnetsOf(existing);
  let subnet: Cidr;
  if (request !== undefined) {
    const wanted = parseCidr(request.Subnet);
    if (wanted === undefined) throw invalidArgument('network.subnet_invalid', `ipam configuration: invalid subnet ${request.Subnet}`);
    if (taken.some((t) => overlaps(t, wanted))) throw overlapError();
    subnet = wanted;
  } else {
    const { pools, size } = addressPools(cluster);
    subnet = pickSubnet(pools, size, taken);
  }
  const out: IPAMConfig = { Subnet: formatCidr(subnet) };
  if (request?.IPRange !== undefined) out.IPRange = request.IPRange;
  out.Gateway = request?.Gateway ?? formatIp(nth(subnet, 1));
  return out;
}

const attaches = (list: readonly { Target: string }[] | undefined, n: Network): boolean =>
  (list ?? []).some((a) => a.Target === n.Id || a.Target === n.Name);

/** The first service whose spec references the network (task template or the deprecated service-level list). */
function serviceUsing(services: readonly Service[], n: Network): Service | undefined {
  return services.find((s) => attaches(s.Spec.TaskTemplate.Networks, n) || attaches(s.Spec.Networks, n));
}

/** True when a task is still attached to the network (by its allocation or its spec) and not terminal. */
/**
 * swarmkit's rule: a task holds the network while both its state and its desired state are at most running. The
 * tasks of a removed service (desired `remove`) do not: `docker stack rm` removes the services and then, at once,
 * the networks; the agents tear each sandbox down as its container stops, and the bridge with the last one.
 */
function taskAttached(t: Task, n: Network): boolean {
  if (isTerminal(t.Status.State) || TaskState[t.DesiredState] > TaskState.running) return false;
  return (t.NetworksAttachments ?? []).some((a) => a.Network.Id === n.Id) || attaches(t.Spec.Networks, n);
}

/** Services publishing ports through the routing mesh (ingress mode is the default). */
function ingressPublishers(services: readonly Service[]): Service[] {
  return services.filter((s) => (s.Spec.EndpointSpec?.Ports ?? []).some((p) => p.PublishMode !== 'host'));
}

/** Why the network cannot go, or undefined when it can. */
function inUse(n: Network, services: readonly Service[], tasks: readonly Task[]): ShoalError | undefined {
  if (n.Ingress) {
    const users = ingressPublishers(services);
    if (users.length > 0) {
      const names = users.map((s) => s.Spec.Name).join(', ');
      return rpcError('FailedPrecondition', 'FailedPrecondition', 'network.in_use', `ingress network cannot be removed because service ${names} depend on it`);
    }
  }
  const svc = serviceUsing(services, n);
  if (svc !== undefined) return rpcError('FailedPrecondition', 'FailedPrecondition', 'network.in_use', `network ${n.Name} is in use by service ${svc.Spec.Name}`);
  const task = tasks.find((t) => taskAttached(t, n));
  if (task !== undefined) return rpcError('FailedPrecondition', 'FailedPrecondition', 'network.in_use', `network ${n.Name} is in use by task ${task.ID}`);
  const container = Object.keys(n.Attachments ?? {})[0];
  if (container !== undefined) return rpcError('FailedPrecondition', 'FailedPrecondition', 'network.in_use', `network ${n.Name} is in use by container ${container}`);
  return undefined;
}

// ------------------------------------------------------------------ plain containers (docker run --network)

export interface AttachRequest {
  containerId: string;
  nodeId: string;
  name: string;
  aliases: string[];
}

/**
 * `docker run --network NET`: asks for an address on an attachable swarm network for a plain container. The
 * allocator answers in `Network.Attachments[containerId].Addr`; the caller waits for it. Refused, as swarm refuses
 * it, for a network that is not attachable (or is ingress).
 */
export async function attachContainer(deps: Pick<ControlDeps, 'store'>, ref: string, req: AttachRequest): Promise<Network> {
  const { result } = await deps.store.update(async (tx) => {
    const n = resolveRef('network', ref, await tx.list('networks'), networkGetters);
    if (!n.Attachable || n.Ingress) {
      throw rpcError('FailedPrecondition', 'PermissionDenied', 'network.not_attachable', `network ${n.Name} not manually attachable`);
    }
    const attachments = { ...(n.Attachments ?? {}) };
    if (attachments[req.containerId] === undefined) {
      attachments[req.containerId] = { NodeID: req.nodeId, Name: req.name, ...(req.aliases.length > 0 ? { Aliases: [...req.aliases] } : {}) };
    }
    tx.update('networks', { ...n, Attachments: attachments });
    return n;
  });
  return result;
}

/** Gives back a container's address on a network (idempotent: a network or attachment already gone is fine). */
export async function detachContainer(deps: Pick<ControlDeps, 'store'>, networkId: string, containerId: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const n = await tx.get('networks', networkId);
    if (n?.Attachments?.[containerId] === undefined) return;
    const attachments = { ...n.Attachments };
    delete attachments[containerId];
    tx.update('networks', { ...n, Attachments: attachments });
  });
}

// ------------------------------------------------------------------ create

export interface NewNetworkFields {
  id: string;
  name: string;
  created: string;
  ipam: IPAMConfig;
  vni: number;
  ingress?: boolean;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipamOptions?: Record<string, string> | null;
}

/** A stored network in dockerd's shape. */
export function newNetwork(f: NewNetworkFields): Network {
  return {
    Name: f.name,
    Id: f.id,
    Created: f.created,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: f.ipamOptions ?? null, Config: [f.ipam] },
    Internal: f.internal ?? false,
    Attachable: f.attachable ?? false,
    Ingress: f.ingress ?? false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { ...(f.options ?? {}), [VXLAN_OPTION]: String(f.vni) },
    Labels: f.labels ?? {},
  };
}

/**
 * The `ingress` network made at swarm init: the first `SubnetSize` block of the first pool (10.0.0.0/24 by
 * default), gateway .1, the first VNI. Throws InvalidArgument when the pool cannot hold one subnet.
 */
export function ingressNetwork(id: string, created: string, cluster: Pick<Cluster, 'DefaultAddrPool' | 'SubnetSize'>): Network {
  const { pools, size } = addressPools(cluster);
  const first = pools[0];
  if (first === undefined || size < first.len) {
    throw invalidArgument(
      'swarm.pool_too_small',
      `DefaultAddrPool: ${cluster.DefaultAddrPool[0] ?? ''} cannot hold a /${size} subnet (SubnetSize, --default-addr-pool-mask-length, must be at least the pool's prefix length)`,
    );
  }
  const ipam = planIpam(undefined, [], { DefaultAddrPool: [formatCidr(first)], SubnetSize: size });
  return newNetwork({ id, name: 'ingress', created, ipam, vni: FIRST_VNI, ingress: true });
}

/** `POST /networks/create`: validate, pick the subnet and VNI, and store the network in one transaction. */
export async function createNetwork(deps: ControlDeps, input: unknown): Promise<Network> {
  const spec = parseNetworkCreate(input);
  try {
    const { result } = await deps.store.update(async (tx) => {
      const networks = await tx.list('networks');
      if (networks.some((n) => n.Name === spec.Name) || (await tx.getByName('networks', spec.Name)) !== undefined) throw nameTaken(spec.Name);
      if (spec.Ingress) {
        const existing = networks.find((n) => n.Ingress);
        if (existing !== undefined) throw rpcError('AlreadyExists', 'AlreadyExists', 'network.ingress_exists', `ingress network (${existing.Id}) is already present`);
      }
      const [cluster] = await tx.list('cluster');
      const ipam = planIpam(spec.Ipam, networks, cluster);
      const requestedVni = spec.Options[VXLAN_OPTION];
      let vni: number;
      if (requestedVni !== undefined) {
        vni = parseVni(requestedVni) ?? 0;
        const owner = networks.find((n) => vniOf(n) === vni);
        if (owner !== undefined) throw invalidArgument('network.vni_taken', `Options.${VXLAN_OPTION}: VXLAN ID ${vni} is already used by network ${owner.Name}`);
      } else {
        vni = nextVni(networks);
      }
      const network = newNetwork({
        id: newId(deps.random),
        name: spec.Name,
        created: rfc3339Nano(deps.clock.now()),
        ipam,
        vni,
        ingress: spec.Ingress,
        internal: spec.Internal,
        attachable: spec.Attachable,
        labels: spec.Labels,
        options: spec.Options,
        ipamOptions: spec.IpamOptions,
      });
      tx.create('networks', network);
      return network;
    });
    return publicNetwork(result);
  } catch (e) {
    // Two creates of one name raced: the store's unique-name index let only one win.
    if (isShoalError(e) && e.code === storeErrorCodes.nameConflict) throw nameTaken(spec.Name);
    throw e;
  }
}

// ------------------------------------------------------------------ read

async function usage(tx: ReadTx): Promise<{ services: Service[]; tasks: Task[] }> {
  const [services, tasks] = await Promise.all([tx.list('services'), tx.list('tasks')]);
  return { services, tasks };
}

const isUnused = (n: Network, services: readonly Service[], tasks: readonly Task[]): boolean =>
  !n.Ingress && inUse(n, services, tasks) === undefined;

/** `GET /networks`: docker's filters (`name`/`id` prefixes, `label`, `driver`, `scope`, `type`, `dangling`). */
export async function listNetworks(deps: Pick<ControlDeps, 'store'>, filters: Filters = Filters.empty()): Promise<Network[]> {
  filters.validate(NETWORK_FILTERS);
  for (const s of filters.values('scope')) {
    if (!['swarm', 'global', 'local'].includes(s)) throw invalidArgument('filter.invalid', `Invalid filter: 'scope'='${s}'`);
  }
  for (const t of filters.values('type')) {
    if (t !== 'custom' && t !== 'builtin') throw invalidArgument('filter.invalid', `invalid filter: 'type'='${t}'`);
  }
  const view = deps.store.view();
  let networks = (await view.list('networks')).filter(
    (n) =>
      filters.matchPrefix('name', n.Name) &&
      filters.matchPrefix('id', n.Id) &&
      filters.matchLabels(n.Labels) &&
      filters.matchExact('driver', n.Driver) &&
      filters.matchExact('scope', n.Scope) &&
      filters.matchExact('type', PREDEFINED_NETWORKS.includes(n.Name) ? 'builtin' : 'custom'),
  );
  if (filters.has('dangling')) {
    const dangling = filters.bool('dangling', false);
    const { services, tasks } = await usage(view);
    networks = networks.filter((n) => isUnused(n, services, tasks) === dangling);
  }
  return networks.map(publicNetwork);
}

export interface GetNetworkOptions {
  /** `verbose=true`: add `Peers`, the nodes the network spans. */
  verbose?: boolean;
  /** `scope=`: only networks of that scope are found (`swarm`, `global`, `local`). */
  scope?: string;
}

/** `GET /networks/{id}`: by full ID, exact name, or unique ID prefix. */
export async function getNetwork(deps: Pick<ControlDeps, 'store'>, ref: string, opts: GetNetworkOptions = {}): Promise<NetworkResource> {
  const scope = opts.scope ?? '';
  if (scope !== '' && !['swarm', 'global', 'local'].includes(scope)) {
    throw invalidArgument('network.scope_invalid', `invalid scope ${JSON.stringify(scope)}: it must be swarm, global or local`);
  }
  const view = deps.store.view();
  const all = (await view.list('networks')).filter((n) => scope === '' || n.Scope === scope);
  const n = resolveRef('network', ref, all, networkGetters);
  const out: NetworkResource = publicNetwork(n);
  if (opts.verbose === true) {
    const [nodes, tasks] = await Promise.all([view.list('nodes'), view.list('tasks')]);
    out.Peers = peers(n, nodes, tasks);
  }
  return out;
}

/** The nodes a network spans: every live node for `ingress`, else the nodes running a task attached to it. */
function peers(n: Network, nodes: readonly Node[], tasks: readonly Task[]): { Name: string; IP: string }[] {
  const on = new Set<string>();
  for (const t of tasks) if (t.NodeID !== undefined && taskAttached(t, n)) on.add(t.NodeID);
  return nodes
    .filter((node) => node.Status.State !== 'down' && (n.Ingress || on.has(node.ID)))
    .map((node) => ({ Name: `${node.Description.Hostname}-${node.ID.slice(0, 12)}`, IP: node.Status.Addr }));
}

// ------------------------------------------------------------------ remove and prune

/**
 * `DELETE /networks/{id}`: refused (FailedPrecondition) while a service references the network or a non-terminal
 * task is attached to it; `ingress` also while any service publishes ports through the routing mesh.
 */
export async function removeNetwork(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const n = resolveRef('network', ref, await tx.list('networks'), networkGetters);
    const { services, tasks } = await usage(tx);
    const err = inUse(n, services, tasks);
    if (err !== undefined) throw err;
    tx.delete('networks', n.Id);
  });
}

/**
 * `POST /networks/prune`: removes every network no service references and no live task is attached to, never
 * `ingress`; `until` (a time or a duration) and `label`/`label!` narrow it. Returns the names removed, in one
 * transaction.
 */
export async function pruneNetworks(deps: Pick<ControlDeps, 'store' | 'clock'>, filters: Filters = Filters.empty()): Promise<string[]> {
  filters.validate(NETWORK_PRUNE_FILTERS);
  const until = untilCutoff(filters.values('until'), deps.clock.now());
  const { result } = await deps.store.update(async (tx) => {
    const networks = await tx.list('networks');
    const { services, tasks } = await usage(tx);
    const removed: string[] = [];
    for (const n of networks) {
      if (!isUnused(n, services, tasks)) continue;
      if (!filters.matchLabels(n.Labels)) continue;
      if (filters.values('label!').length > 0 && filters.values('label!').some((l) => matchesLabel(n.Labels, l))) continue;
      if (until !== undefined && Date.parse(n.Created) >= until) continue;
      tx.delete('networks', n.Id);
      removed.push(n.Name);
    }
    return removed;
  });
  return result;
}

function matchesLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** `until`: a Unix timestamp, an RFC 3339 time, or a Go duration before now (`24h`, `10m`). */
function untilCutoff(values: readonly string[], nowMs: number): number | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) throw invalidArgument('filter.invalid', 'filters: only one `until` filter is allowed');
  const v = values[0] ?? '';
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const ns = parseDuration(v);
  if (ns !== undefined) return nowMs - ns / 1e6;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument('filter.invalid', `failed to parse value as time or duration: ${JSON.stringify(v)}`);
  return t;
}
