/**
 * The node's local (single-host) networks, the `bridge` driver (issue 6): what `docker compose` and
 * `docker network create` (default driver) make without a swarm. Owns:
 * - the networks, persisted one JSON file each under `<data-root>/networks/<id>.json` (written atomically);
 * - their containers' addresses (lowest free, src/api/local-network.ts), given back when the container goes or is
 *   disconnected from the network;
 * - pushing the whole set to the node's NetworkHost (`setLocalNetworks`: bridges, DNS zones with each container's
 *   name, aliases and short ID, the node ruleset) on every change.
 *
 * Invariants: no two networks (local or swarm, as far as `swarmNetworks` tells) overlap; no address is handed out
 * twice on a network; a network with containers on it is not removed; a failed create leaves no network behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alreadyExists, invalidArgument } from '../api/errors.js';
import { Filters } from '../api/filters.js';
import { allocateAddress, networkHasEndpoints, networkNotFound, newLocalNetwork, parseLocalNetworkCreate, planLocalIpam, subnetsOf } from '../api/local-network.js';
import { PREDEFINED_NETWORKS } from '../api/network-spec.js';
import type { Network } from '../api/types.js';
import type { NetworkHost, NetworkViewEntry, SandboxEndpoint } from '../agent/exec/network.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { macForIp, parseIp } from '../lib/cidr.js';
import { rfc3339Nano, type Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { newHexId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Random } from '../lib/random.js';

export const LOCAL_NETWORK_FILTERS = ['name', 'id', 'label', 'driver', 'scope', 'type', 'dangling'] as const;
export const LOCAL_PRUNE_FILTERS = ['until', 'label', 'label!'] as const;

/** A container on a local network. */
export interface LocalEndpoint {
  name: string;
  aliases: string[];
  /** 'a.b.c.d/len' */
  addr: string;
}

interface Stored {
  network: Network;
  /** By container ID. */
  endpoints: Record<string, LocalEndpoint>;
}

export interface LocalNetworksOptions {
  /** `<data-root>/networks`. */
  dir: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The node's networking: gets the whole set on every change (absent: nothing is wired). */
  host?: Pick<NetworkHost, 'setLocalNetworks'>;
  /** The swarm's networks (names and subnets to stay clear of); empty when this node is not a manager. */
  swarmNetworks?: () => Promise<Pick<Network, 'Name' | 'IPAM'>[]>;
}

export interface AttachRequest {
  containerId: string;
  name: string;
  aliases: string[];
  /** `IPAMConfig.IPv4Address`, when the client asked for one. */
  ip?: string;
}

export class LocalNetworks {
  private readonly nets = new Map<string, Stored>();
  private readonly log: Logger;

  constructor(private readonly o: LocalNetworksOptions) {
    this.log = o.logger.child({ component: 'local-networks' });
    this.load();
  }

  get size(): number {
    return this.nets.size;
  }

  // ------------------------------------------------------------------ networks

  /** `POST /networks/create` with the bridge driver (or none). */
  async create(body: unknown): Promise<Network> {
    const spec = parseLocalNetworkCreate(body);
    const swarm = (await this.o.swarmNetworks?.()) ?? [];
    // From here on, synchronous: no other create can interleave between the checks and the insert.
    if (this.all().some((s) => s.network.Name === spec.Name) || swarm.some((n) => n.Name === spec.Name)) {
      throw alreadyExists('network.name_conflict', `network with name ${spec.Name} already exists`);
    }
    const ipam = planLocalIpam(spec.Ipam, [...subnetsOf(this.all().map((s) => s.network)), ...subnetsOf(swarm)]);
    const network = newLocalNetwork({ id: newHexId(this.o.random), created: rfc3339Nano(this.o.clock.now()), spec, ipam });
    this.save({ network, endpoints: {} });
    try {
      await this.sync();
    } catch (e) {
      this.delete(network.Id);
      await this.sync().catch((ce: unknown) => this.log.warn({ err: ce }, 'undoing a failed network create'));
      throw e;
    }
    this.log.info({ id: network.Id, name: network.Name, subnet: ipam.Subnet }, 'local network created');
    return this.render(network.Id);
  }

  /** `GET /networks` over the local networks, docker's filters. */
  list(filters: Filters = Filters.empty()): Network[] {
    filters.validate(LOCAL_NETWORK_FILTERS);
    for (const s of filters.values('scope')) {
      if (!['swarm', 'global', 'local'].includes(s)) throw invalidArgument('filter.invalid', `Invalid filter: 'scope'='${s}'`);
    }
    for (const t of filters.values('type')) {
      if (t !== 'custom' && t !== 'builtin') throw invalidArgument('filter.invalid', `invalid filter: 'type'='${t}'`);
    }
    const dangling = filters.has('dangling') ? filters.bool('dangling', false) : undefined;
    return this.all()
      .filter(
        ({ network: n, endpoints }) =>
          filters.matchPrefix('name', n.Name) &&
          filters.matchPrefix('id', n.Id) &&
          filters.matchLabels(n.Labels) &&
          filters.matchExact('driver', n.Driver) &&
          filters.matchExact('scope', n.Scope) &&
          filters.matchExact('type', PREDEFINED_NETWORKS.includes(n.Name) ? 'builtin' : 'custom') &&
          (dangling === undefined || (Object.keys(endpoints).length === 0) === dangling),
      )
      .map((s) => this.render(s.network.Id));
  }

  /** The network with this full ID or exact name (the first two steps of docker's resolution), if any. */
  findExact(ref: string): Network | undefined {
    if (ref === '') return undefined;
    const s = this.nets.get(ref) ?? this.all().find((x) => x.network.Name === ref);
    return s === undefined ? undefined : this.render(s.network.Id);
  }

  /** The networks whose ID starts with `ref` (docker's last resolution step). */
  byPrefix(ref: string): Network[] {
    if (ref === '') return [];
    return this.all()
      .filter((s) => s.network.Id.startsWith(ref))
      .map((s) => this.render(s.network.Id));
  }

  /** `DELETE /networks/{id}` of a local network (resolved by the caller): refused while a container is on it. */
  async remove(id: string): Promise<void> {
    const s = this.nets.get(id);
    if (s === undefined) throw networkNotFound(id);
    if (Object.keys(s.endpoints).length > 0) throw networkHasEndpoints(s.network);
    this.delete(id);
    this.log.info({ id, name: s.network.Name }, 'local network removed');
    await this.sync();
  }

  /** `POST /networks/prune` over the local networks: those without containers; `until`, `label`, `label!`. */
  async prune(filters: Filters = Filters.empty()): Promise<string[]> {
    filters.validate(LOCAL_PRUNE_FILTERS);
    const until = untilCutoff(filters.values('until'), this.o.clock.now());
    const removed: string[] = [];
    for (const { network: n, endpoints } of this.all()) {
      if (Object.keys(endpoints).length > 0 || !filters.matchLabels(n.Labels)) continue;
      if (filters.values('label!').some((l) => matchesLabel(n.Labels, l))) continue;
      if (until !== undefined && Date.parse(n.Created) >= until) continue;
      this.delete(n.Id);
      removed.push(n.Name);
    }
    if (removed.length > 0) await this.sync();
    return removed;
  }

  // ------------------------------------------------------------------ containers

  /** A container's endpoint on a local network (by ID or name): its address, reserved until `detach`. */
  async attach(ref: string, req: AttachRequest): Promise<SandboxEndpoint> {
    const s = this.nets.get(ref) ?? this.all().find((x) => x.network.Name === ref);
    if (s === undefined) throw networkNotFound(ref);
    let ep = s.endpoints[req.containerId];
    if (ep === undefined) {
      const addr = allocateAddress(s.network, Object.values(s.endpoints).map((e) => e.addr), req.ip);
      ep = { name: req.name, aliases: [...req.aliases], addr };
      s.endpoints[req.containerId] = ep;
      this.save(s);
      await this.sync();
    }
    const n = s.network;
    const cfg = n.IPAM.Config[0];
    return {
      network: { id: n.Id, name: n.Name, subnet: cfg?.Subnet ?? '', gateway: cfg?.Gateway ?? '', internal: n.Internal, ingress: false },
      address: ep.addr,
      aliases: [...ep.aliases],
    };
  }

  /** Gives back a container's address on one local network (`docker network disconnect`; idempotent). */
  async detachFrom(networkId: string, containerId: string): Promise<void> {
    const s = this.nets.get(networkId);
    if (s?.endpoints[containerId] === undefined) return;
    delete s.endpoints[containerId];
    this.save(s);
    await this.sync();
  }

  /** Gives back every address of a container (idempotent). */
  async detach(containerId: string): Promise<void> {
    let changed = false;
    for (const s of this.all()) {
      if (s.endpoints[containerId] === undefined) continue;
      delete s.endpoints[containerId];
      this.save(s);
      changed = true;
    }
    if (changed) await this.sync();
  }

  /** The set as the NetworkHost takes it: DNS answers a container's name, its aliases and its short ID. */
  entries(): NetworkViewEntry[] {
    return this.all().map(({ network, endpoints }) => ({
      network,
      services: [],
      containers: Object.entries(endpoints).map(([id, e]) => ({ name: e.name, aliases: [...new Set([...e.aliases, id.slice(0, 12)])], addr: e.addr.split('/')[0] ?? '' })),
    }));
  }

  /** Pushes the whole set to the node's networking. */
  async sync(): Promise<void> {
    await this.o.host?.setLocalNetworks(this.entries());
  }

  // ------------------------------------------------------------------ state

  private all(): Stored[] {
    return [...this.nets.values()].sort((a, b) => a.network.Name.localeCompare(b.network.Name));
  }

  /** The API view: `Containers` from the endpoints, as dockerd lists them. */
  private render(id: string): Network {
    const s = this.nets.get(id);
    if (s === undefined) throw networkNotFound(id);
    const containers: Record<string, unknown> = {};
    for (const [cid, e] of Object.entries(s.endpoints)) {
      containers[cid] = { Name: e.name, EndpointID: '', MacAddress: macForIp(parseIp(e.addr.split('/')[0] ?? '') ?? 0), IPv4Address: e.addr, IPv6Address: '' };
    }
    return structuredClone({ ...s.network, Containers: containers });
  }

  private path(id: string): string {
    return join(this.o.dir, `${id}.json`);
  }

  private save(s: Stored): void {
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path(s.network.Id), JSON.stringify(s));
    this.nets.set(s.network.Id, s);
  }

  private delete(id: string): void {
    this.nets.delete(id);
    rmSync(this.path(id), { force: true });
  }

  private load(): void {
    if (!existsSync(this.o.dir)) return;
    for (const f of readdirSync(this.o.dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n))) {
      try {
        const s = JSON.parse(readFileSync(join(this.o.dir, f), 'utf8')) as Stored;
        this.nets.set(s.network.Id, s);
      } catch (e) {
        this.log.warn({ err: e, file: f }, 'unreadable local network: ignored');
      }
    }
  }
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
