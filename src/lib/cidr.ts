/**
 * IPv4 address and CIDR math (domain-free, pure). Addresses are unsigned 32-bit numbers internally; the string
 * forms are dotted quads and `a.b.c.d/len`. Used by the network control plane (subnet choice, validation), the
 * allocator's IPAM and the agent's network drivers.
 */

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  /** Prefix length, 0–32. */
  len: number;
}

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad; undefined when it is not one. */
export function parseIp(s: string): number | undefined {
  const m = QUAD.exec(s);
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The mask for a prefix length as an unsigned number (len 0 → 0). */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff - (2 ** (32 - len) - 1)) >>> 0;
}

function and(a: number, b: number): number {
  return (a & b) >>> 0;
}

/** Parses `a.b.c.d/len` into its block (host bits cleared); with `strict`, host bits must already be zero. */
export function parseCidr(s: string, opts: { strict?: boolean } = {}): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > 32) return undefined;
  const base = and(ip, maskOf(len));
  if (opts.strict === true && base !== ip) return undefined;
  return { base, len };
}

/** Parses `a.b.c.d/len` keeping the host part: for interface addresses such as `10.0.1.5/24`. */
export function parseAddrCidr(s: string): { ip: number; cidr: Cidr } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const cidr = parseCidr(s);
  return ip === undefined || cidr === undefined ? undefined : { ip, cidr };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.len}`;
}

/** Number of addresses in the block (2^(32-len)). */
export function sizeOf(c: Cidr): number {
  return 2 ** (32 - c.len);
}

/** The last address of the block (the broadcast address for len < 31). */
export function lastOf(c: Cidr): number {
  return c.base + sizeOf(c) - 1;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= lastOf(c);
}

/** True when a is inside b (or equal). */
export function within(a: Cidr, b: Cidr): boolean {
  return a.base >= b.base && lastOf(a) <= lastOf(b);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastOf(b) && b.base <= lastOf(a);
}

/** The `n`th address of the block (0 = the network address). */
export function nth(c: Cidr, n: number): number {
  return c.base + n;
}

/**
 * The first `len`-sized block inside `pool` that overlaps none of `taken`, in address order; undefined when the
 * pool is exhausted (or `len` is shorter than the pool's own prefix).
 */
export function firstFreeSubnet(pool: Cidr, len: number, taken: readonly Cidr[]): Cidr | undefined {
  if (len < pool.len || len > 32) return undefined;
  const step = 2 ** (32 - len);
  const sorted = taken.filter((t) => overlaps(t, pool)).sort((a, b) => a.base - b.base);
  let candidate = pool.base;
  const end = lastOf(pool);
  for (const t of sorted) {
    if (candidate + step - 1 < t.base) break;
    if (lastOf(t) >= candidate) {
      // Skip past this taken block, rounded up to the next aligned block.
      candidate = Math.ceil((lastOf(t) + 1) / step) * step;
    }
  }
  if (candidate + step - 1 > end) return undefined;
  return { base: candidate, len };
}

/** A stable locally-administered MAC for an address, docker style: 02:42 followed by the four address bytes. */
export function macForIp(ip: number): string {
  return ['02', '42', ...[24, 16, 8, 0].map((s) => (Math.floor(ip / 2 ** s) % 256).toString(16).padStart(2, '0'))].join(':');
}
