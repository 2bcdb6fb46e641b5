/**
 * docker's "X ago" texts (e.g. `Running 5 minutes ago`, CREATED columns): go-units HumanDuration of the
 * time elapsed, plus " ago". The duration wording is src/lib/duration.ts's humanDuration.
 */
import { humanDuration } from '../../lib/duration.js';

/** Milliseconds since the epoch of an Engine API timestamp (RFC 3339, nanoseconds allowed), a Date or a number. */
export function toEpochMs(t: string | number | Date): number {
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${t}`);
  return ms;
}

/** "<human duration> ago" for the time elapsed from `then` to `now` (ms since the epoch). */
export function humanAgo(then: string | number | Date, now: number): string {
  return `${humanDuration(now - toEpochMs(then))} ago`;
}
