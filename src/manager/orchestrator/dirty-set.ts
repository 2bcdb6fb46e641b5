/** Keys a component must look at again: now (dirty) or at a time a core asked for (wake-ups). */
export class DirtySet {
  private readonly dirty = new Set<string>();
  private readonly wakes = new Map<string, number>();

  mark(key: string): void {
    this.dirty.add(key);
  }

  markAll(keys: Iterable<string>): void {
    for (const k of keys) this.dirty.add(k);
  }

  /** Everything dirty, plus the keys whose wake-up time has come; both are cleared. */
  take(now: number): string[] {
    for (const [k, at] of this.wakes) {
      if (at > now) continue;
      this.dirty.add(k);
      this.wakes.delete(k);
    }
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  /** Sets (or, with undefined, clears) the key's wake-up time. */
  wakeAt(key: string, at: number | undefined): void {
    if (at === undefined) this.wakes.delete(key);
    else this.wakes.set(key, at);
  }

  /**
   * The earliest wake-up, or undefined. Keys still dirty (refused by the store) are not a reason to wake: the
   * change that beat them arrives as an event.
   */
  nextWake(): number | undefined {
    let min: number | undefined;
    for (const at of this.wakes.values()) min = Math.min(min ?? at, at);
    return min;
  }
}
