/**
 * One network's address pool (pure): which address each holder has, and the lowest free one.
 *
 * The pool is the subnet (or its IPRange, when given) minus the network address, the broadcast address, the
 * gateway and the auxiliary addresses (reserved: never handed out, never claimed). A holder (a task, a service's
 * VIP, a node's LB address: see holders.ts) has at most one address per network; an address has at most one
 * holder. Allocation takes the lowest free address; a released address is the first candidate again.
 */
import type { Cidr } from '../../../lib/cidr.js';
import { contains, formatCidr, formatIp, lastOf, parseAddrCidr, parseCidr, parseIp, sizeOf } from '../../../lib/cidr.js';

export interface PoolConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export class AddressBook {
  readonly subnet: Cidr;
  readonly gateway: number | undefined;
  private readonly first: number;
  private readonly last: number;
  private readonly reserved = new Set<number>();
  private readonly byIp = new Map<number, string>();
  private readonly byHolder = new Map<string, number>();
  /** No address below this one is free (a search starts here). */
  private hint: number;

  /** Undefined when the config has no usable IPv4 subnet. */
  static fromConfig(config: PoolConfig | undefined): AddressBook | undefined {
    const subnet = config?.Subnet === undefined ? undefined : parseCidr(config.Subnet);
    if (subnet === undefined) return undefined;
    const range = config?.IPRange === undefined || config.IPRange === '' ? undefined : parseCidr(config.IPRange);
    const gw = config?.Gateway === undefined || config.Gateway === '' ? undefined : parseIp(config.Gateway.split('/')[0] ?? '');
    const aux = Object.values(config?.AuxiliaryAddresses ?? {}).map((a) => parseIp(a.split('/')[0] ?? '')).filter((a): a is number => a !== undefined);
    return new AddressBook(subnet, gw, range, aux);
  }

  /** `gateway` undefined means the default: the first address after the network address. */
  constructor(subnet: Cidr, gateway?: number, range?: Cidr, auxiliary: readonly number[] = []) {
    this.subnet = subnet;
    const point = subnet.len >= 31; // /31 and /32 have no network or broadcast address to skip
    this.gateway = gateway ?? (point ? undefined : subnet.base + 1);
    const lo = point ? subnet.base : subnet.base + 1;
    const hi = point ? lastOf(subnet) : lastOf(subnet) - 1;
    const inRange = range !== undefined && contains(subnet, range.base) ? range : undefined;
    this.first = Math.max(lo, inRange?.base ?? lo);
    this.last = Math.min(hi, inRange === undefined ? hi : lastOf(inRange));
    if (this.gateway !== undefined) this.reserved.add(this.gateway);
    for (const a of auxiliary) this.reserved.add(a);
    this.hint = this.first;
  }

  get prefix(): number {
    return this.subnet.len;
  }

  /** How many addresses the pool can hand out in all. */
  get capacity(): number {
    let n = Math.max(0, this.last - this.first + 1);
    for (const r of this.reserved) if (r >= this.first && r <= this.last) n--;
    return n;
  }

  get used(): number {
    return this.byIp.size;
  }

  /** `a.b.c.d/len` for an address of this network. */
  format(ip: number): string {
    return `${formatIp(ip)}/${this.subnet.len}`;
  }

  /** The address (number) of `a.b.c.d` or `a.b.c.d/len`, when it lies inside the subnet. */
  parse(addr: string): number | undefined {
    const ip = addr.includes('/') ? parseAddrCidr(addr)?.ip : parseIp(addr);
    return ip !== undefined && contains(this.subnet, ip) ? ip : undefined;
  }

  /** An address that may be held: inside the subnet, not the network, broadcast, gateway or a reserved one. */
  assignable(ip: number): boolean {
    if (!contains(this.subnet, ip) || this.reserved.has(ip)) return false;
    if (this.subnet.len < 31 && (ip === this.subnet.base || ip === lastOf(this.subnet))) return false;
    return true;
  }

  holderOf(ip: number): string | undefined {
    return this.byIp.get(ip);
  }

  addressOf(holder: string): number | undefined {
    return this.byHolder.get(holder);
  }

  holders(): IterableIterator<[string, number]> {
    return this.byHolder.entries();
  }

  /**
   * Makes `ip` the holder's address (releasing another one it had). False, changing nothing, when the address
   * cannot be held or another holder has it.
   */
  claim(holder: string, ip: number): boolean {
    if (!this.assignable(ip)) return false;
    const owner = this.byIp.get(ip);
    if (owner === holder) return true;
    if (owner !== undefined) return false;
    this.release(holder);
    this.byIp.set(ip, holder);
    this.byHolder.set(holder, ip);
    return true;
  }

  /** The holder's address, or the lowest free one now given to it; undefined when the pool is exhausted. */
  allocate(holder: string): number | undefined {
    const had = this.byHolder.get(holder);
    if (had !== undefined) return had;
    for (let ip = this.hint; ip <= this.last; ip++) {
      if (this.reserved.has(ip) || this.byIp.has(ip)) continue;
      this.hint = ip + 1;
      this.byIp.set(ip, holder);
      this.byHolder.set(holder, ip);
      return ip;
    }
    this.hint = this.last + 1;
    return undefined;
  }

  /** Frees the holder's address; true when it had one. */
  release(holder: string): boolean {
    const ip = this.byHolder.get(holder);
    if (ip === undefined) return false;
    this.byHolder.delete(holder);
    this.byIp.delete(ip);
    if (ip < this.hint) this.hint = ip;
    return true;
  }

  describe(): string {
    return `${formatCidr(this.subnet)} (${this.used}/${this.capacity} used, ${sizeOf(this.subnet)} in the subnet)`;
  }
}
