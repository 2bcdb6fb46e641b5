/**
 * In-process lease deadlines for the backends that run in this process (memory, SQLite). Time comes from the
 * injected Clock, so tests drive expiry with a fake clock. Expiry is found two ways: lazily (a backend calls
 * `takeExpired()` at the start of every operation) and by one timer armed on the earliest deadline, which calls
 * `onExpired` even when nobody touches the store. Pure: no node:* imports.
 */
import type { Clock } from '../../lib/clock.js';
import type { LeaseId } from './backend.js';

interface LeaseState {
  ttlMs: number;
  deadline: number;
}

export class LeaseKeeper {
  private readonly leases = new Map<LeaseId, LeaseState>();
  private timer: { deadline: number; abort: AbortController } | undefined;
  /** No lease expires before this (it may be earlier than the real earliest deadline, never later). */
  private earliest = Infinity;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    /** Called from the timer with leases whose deadline has passed (already forgotten here). Must not throw. */
    private readonly onExpired: (ids: LeaseId[]) => void,
  ) {}

  grant(id: LeaseId, ttlMs: number): void {
    const deadline = this.clock.now() + ttlMs;
    this.leases.set(id, { ttlMs, deadline });
    this.earliest = Math.min(this.earliest, deadline);
    this.arm();
  }

  has(id: LeaseId): boolean {
    const l = this.leases.get(id);
    return l !== undefined && l.deadline > this.clock.now();
  }

  /** Restarts the TTL; false when the lease is unknown or already past its deadline. */
  keepAlive(id: LeaseId): boolean {
    const l = this.leases.get(id);
    if (l === undefined || l.deadline <= this.clock.now()) return false;
    l.deadline = this.clock.now() + l.ttlMs;
    this.arm();
    return true;
  }

  /** Forgets the lease; false when it was unknown. */
  revoke(id: LeaseId): boolean {
    return this.leases.delete(id);
  }

  /** Removes and returns every lease whose deadline has passed, earliest first. Cheap when none is due. */
  takeExpired(): LeaseId[] {
    const now = this.clock.now();
    if (now < this.earliest) return [];
    const due: [LeaseId, LeaseState][] = [];
    this.earliest = Infinity;
    for (const entry of this.leases) {
      if (entry[1].deadline <= now) due.push(entry);
      else this.earliest = Math.min(this.earliest, entry[1].deadline);
    }
    due.sort((a, b) => a[1].deadline - b[1].deadline);
    for (const [id] of due) this.leases.delete(id);
    return due.map(([id]) => id);
  }

  close(): void {
    this.closed = true;
    this.leases.clear();
    this.timer?.abort.abort();
    this.timer = undefined;
  }

  /** Keeps one timer on the earliest deadline; a timer that fires early just re-arms. */
  private arm(): void {
    if (this.closed) return;
    let earliest = Infinity;
    for (const l of this.leases.values()) earliest = Math.min(earliest, l.deadline);
    if (earliest === Infinity) return;
    if (this.timer !== undefined && this.timer.deadline <= earliest) return;
    this.timer?.abort.abort();
    const timer = { deadline: earliest, abort: new AbortController() };
    this.timer = timer;
    this.clock.sleep(Math.max(0, earliest - this.clock.now()), timer.abort.signal).then(
      () => this.fire(timer),
      () => undefined, // aborted: replaced by an earlier timer, or closed
    );
  }

  private fire(timer: { deadline: number }): void {
    if (this.timer !== timer || this.closed) return;
    this.timer = undefined;
    const ids = this.takeExpired();
    if (ids.length > 0) this.onExpired(ids);
    this.arm();
  }
}
