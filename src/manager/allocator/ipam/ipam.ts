/**
 * The address books of every network (pure), and who holds what across them.
 *
 * Holders are keys: `task:<id>` (a task's address on each of its networks), `vip:<service id>` (a service's
 * virtual IP on each network), `node:<node id>` (a node's load-balancer address on each network). A holder has at
 * most one address per network.
 *
 * What is held follows the stored objects (sync.ts): a network's gateway and `NodeAddrs`, services'
 * `Endpoint.VirtualIPs`, and the `NetworksAttachments` of tasks that have not ended. Between planning and the
 * write that records them, addresses are also held "in advance" by their future holder, so nothing planned can be
 * handed to anyone else; an address is given up only once no stored object holds it any more.
 */
import type { Network } from '../../../api/types.js';
import { AddressBook } from './address-book.js';

export const holderOf = {
  task: (id: string): string => `task:${id}`,
  vip: (serviceId: string): string => `vip:${serviceId}`,
  node: (nodeId: string): string => `node:${nodeId}`,
  container: (containerId: string): string => `container:${containerId}`,
} as const;

const CONTAINER_PREFIX = 'container:';

const NODE_PREFIX = 'node:';

export type AllocateResult = { ok: true; addr: string } | { ok: false; reason: string };

export class Ipam {
  private readonly networksById = new Map<string, Network>();
  private readonly books = new Map<string, AddressBook>();
  /** holder → the networks it holds an address on. */
  private readonly held = new Map<string, Set<string>>();

  network(id: string): Network | undefined {
    return this.networksById.get(id);
  }

  networks(): IterableIterator<Network> {
    return this.networksById.values();
  }

  /** A network by ID, else by exact name (service specs carry IDs; names are accepted for robustness). */
  find(target: string): Network | undefined {
    const byId = this.networksById.get(target);
    if (byId !== undefined) return byId;
    for (const n of this.networksById.values()) if (n.Name === target) return n;
    return undefined;
  }

  /** The ingress network (the oldest one, should there be several). */
  ingress(): Network | undefined {
    let found: Network | undefined;
    for (const n of this.networksById.values()) if (n.Ingress && (found === undefined || n.Created < found.Created)) found = n;
    return found;
  }

  book(networkId: string): AddressBook | undefined {
    return this.books.get(networkId);
  }

  /**
   * Adds or refreshes a network. Its pool is made once, from `IPAM.Config[0]` (a network's IPAM never changes);
   * a network with no IPv4 subnet has no book and hands out nothing.
   */
  putNetwork(n: Network): void {
    this.networksById.set(n.Id, n);
    if (!this.books.has(n.Id)) {
      const book = AddressBook.fromConfig(n.IPAM.Config[0]);
      if (book !== undefined) this.books.set(n.Id, book);
    }
  }

  /** Forgets a network and every address on it. */
  removeNetwork(id: string): boolean {
    this.networksById.delete(id);
    const book = this.books.get(id);
    if (book === undefined) return false;
    for (const [holder] of book.holders()) {
      const set = this.held.get(holder);
      set?.delete(id);
      if (set?.size === 0) this.held.delete(holder);
    }
    this.books.delete(id);
    return true;
  }

  /** The holder's address on the network (`a.b.c.d/len`). */
  addressOf(networkId: string, holder: string): string | undefined {
    const book = this.books.get(networkId);
    const ip = book?.addressOf(holder);
    return book === undefined || ip === undefined ? undefined : book.format(ip);
  }

  /** Network ID → address, for everything the holder holds. */
  holdings(holder: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const id of this.held.get(holder) ?? []) {
      const a = this.addressOf(id, holder);
      if (a !== undefined) out.set(id, a);
    }
    return out;
  }

  /** Records a stored address; false when it is not an address of the network's pool or someone else has it. */
  claim(networkId: string, holder: string, addr: string): boolean {
    const book = this.books.get(networkId);
    const ip = book?.parse(addr);
    if (book === undefined || ip === undefined || !book.claim(holder, ip)) return false;
    this.mark(holder, networkId);
    return true;
  }

  /** The holder's address on the network, or the lowest free one, now held by it. */
  allocate(networkId: string, holder: string): AllocateResult {
    const n = this.networksById.get(networkId);
    const book = this.books.get(networkId);
    if (n === undefined) return { ok: false, reason: `network ${networkId} not found` };
    if (book === undefined) return { ok: false, reason: `could not allocate IP from IPAM: network ${n.Name} has no IPv4 subnet` };
    const ip = book.allocate(holder);
    if (ip === undefined) return { ok: false, reason: `could not allocate IP from IPAM: no available addresses on network ${n.Name}` };
    this.mark(holder, networkId);
    return { ok: true, addr: book.format(ip) };
  }

  release(networkId: string, holder: string): boolean {
    const released = this.books.get(networkId)?.release(holder) ?? false;
    const set = this.held.get(holder);
    set?.delete(networkId);
    if (set?.size === 0) this.held.delete(holder);
    return released;
  }

  /** Frees everything the holder has; true when it had something. */
  releaseAll(holder: string): boolean {
    let released = false;
    for (const id of [...(this.held.get(holder) ?? [])]) released = this.release(id, holder) || released;
    this.held.delete(holder);
    return released;
  }

  /**
   * Makes the holder's addresses exactly `keep` (network ID → address): claims them (an address someone else
   * holds is skipped: stored state in conflict) and frees the rest. True when something was freed.
   */
  settle(holder: string, keep: ReadonlyMap<string, string>): boolean {
    let released = false;
    for (const id of [...(this.held.get(holder) ?? [])]) {
      if (keep.get(id) !== this.addressOf(id, holder)) released = this.release(id, holder) || released;
    }
    for (const [id, addr] of keep) this.claim(id, holder, addr);
    return released;
  }

  /** Node LB addresses held on the network: node ID → address. */
  nodeAddrs(networkId: string): Map<string, string> {
    const out = new Map<string, string>();
    const book = this.books.get(networkId);
    if (book === undefined) return out;
    for (const [holder, ip] of book.holders()) if (holder.startsWith(NODE_PREFIX)) out.set(holder.slice(NODE_PREFIX.length), book.format(ip));
    return out;
  }

  /** Container attachment addresses held on the network: container ID → address. */
  containerAddrs(networkId: string): Map<string, string> {
    const out = new Map<string, string>();
    const book = this.books.get(networkId);
    if (book === undefined) return out;
    for (const [holder, ip] of book.holders()) if (holder.startsWith(CONTAINER_PREFIX)) out.set(holder.slice(CONTAINER_PREFIX.length), book.format(ip));
    return out;
  }

  /** Makes the container addresses held on the network exactly `keep`. True when one was freed. */
  settleContainers(networkId: string, keep: Readonly<Record<string, string>>): boolean {
    let released = false;
    for (const [id, addr] of this.containerAddrs(networkId)) {
      if (keep[id] !== addr) released = this.release(networkId, holderOf.container(id)) || released;
    }
    for (const [id, addr] of Object.entries(keep)) this.claim(networkId, holderOf.container(id), addr);
    return released;
  }

  /** Makes the node addresses held on the network exactly `keep` (node ID → address). True when one was freed. */
  settleNodes(networkId: string, keep: Readonly<Record<string, string>>): boolean {
    let released = false;
    for (const [nodeId, addr] of this.nodeAddrs(networkId)) {
      if (keep[nodeId] !== addr) released = this.release(networkId, holderOf.node(nodeId)) || released;
    }
    for (const [nodeId, addr] of Object.entries(keep)) this.claim(networkId, holderOf.node(nodeId), addr);
    return released;
  }

  private mark(holder: string, networkId: string): void {
    let set = this.held.get(holder);
    if (set === undefined) this.held.set(holder, (set = new Set()));
    set.add(networkId);
  }
}
