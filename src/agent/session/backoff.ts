/** Delays between session attempts: doubling from `initialMs` up to `maxMs`, back to the start after a session. */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 8000,
  ) {
    this.current = initialMs;
  }

  /** The delay to wait now; the next one doubles. */
  next(): number {
    const d = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return d;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}
