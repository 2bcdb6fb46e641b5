/**
 * Cluster-wide published ports for the ingress routing mesh (swarmkit's port allocator): each (protocol, port)
 * belongs to at most one service. Ports a service names are claimed as they are; the others come from the dynamic
 * range 30000–32767, handed out serially (the next free port after the last one given, wrapping around), so a port
 * just released is not handed to someone else at once.
 */
export type Protocol = 'tcp' | 'udp' | 'sctp';

export const DYNAMIC_PORT_START = 30000;
export const DYNAMIC_PORT_END = 32767;

export interface PortClaim {
  protocol: Protocol;
  port: number;
}

const key = (c: PortClaim): string => `${c.protocol}/${c.port}`;

export class PortSpace {
  /** `tcp/80` → the service that holds it. */
  private readonly owners = new Map<string, string>();
  private readonly byService = new Map<string, PortClaim[]>();
  private readonly cursor = new Map<Protocol, number>();

  constructor(
    readonly dynamicStart = DYNAMIC_PORT_START,
    readonly dynamicEnd = DYNAMIC_PORT_END,
  ) {}

  owner(c: PortClaim): string | undefined {
    return this.owners.get(key(c));
  }

  /** Free, or already held by `serviceId`. */
  isFreeFor(c: PortClaim, serviceId: string): boolean {
    const o = this.owners.get(key(c));
    return o === undefined || o === serviceId;
  }

  isDynamic(port: number): boolean {
    return port >= this.dynamicStart && port <= this.dynamicEnd;
  }

  /**
   * The next dynamic port of `protocol` free for `serviceId` and not in `taken`, after the last one handed out;
   * undefined when the range is exhausted. Moves the cursor.
   */
  nextDynamic(protocol: Protocol, serviceId: string, taken: ReadonlySet<string>): number | undefined {
    const size = this.dynamicEnd - this.dynamicStart + 1;
    const from = this.cursor.get(protocol) ?? this.dynamicStart;
    for (let i = 0; i < size; i++) {
      const port = this.dynamicStart + ((from - this.dynamicStart + i) % size);
      const c = { protocol, port };
      if (taken.has(key(c)) || !this.isFreeFor(c, serviceId)) continue;
      this.cursor.set(protocol, port + 1 > this.dynamicEnd ? this.dynamicStart : port + 1);
      return port;
    }
    return undefined;
  }

  /** What `serviceId` holds. */
  claimsOf(serviceId: string): readonly PortClaim[] {
    return this.byService.get(serviceId) ?? [];
  }

  /**
   * Makes `claims` exactly what `serviceId` holds. Ports held by another service are skipped and returned (the
   * caller checked with isFreeFor, so this only happens when rebuilding from conflicting stored state).
   */
  assign(serviceId: string, claims: readonly PortClaim[]): PortClaim[] {
    this.release(serviceId);
    const kept: PortClaim[] = [];
    const refused: PortClaim[] = [];
    for (const c of claims) {
      if (!this.isFreeFor(c, serviceId)) {
        refused.push(c);
        continue;
      }
      this.owners.set(key(c), serviceId);
      kept.push(c);
    }
    if (kept.length > 0) this.byService.set(serviceId, kept);
    return refused;
  }

  release(serviceId: string): void {
    for (const c of this.byService.get(serviceId) ?? []) if (this.owners.get(key(c)) === serviceId) this.owners.delete(key(c));
    this.byService.delete(serviceId);
  }
}

export const claimKey = key;
