/**
 * Latency samples → the summary every benchmark prints: p50/p90/p99 (linear interpolation between closest ranks,
 * numpy's default), mean, min and max, all in milliseconds.
 */

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** The q-quantile (0..1) of already sorted samples. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    mean: n === 0 ? Number.NaN : sorted.reduce((s, x) => s + x, 0) / n,
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
  };
}

/** One decimal place, as the table prints it. */
export const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

/** `p50 58.1 ms  p90 71.3 ms  p99 80.2 ms  mean 60.0 ms  min 50.3 ms  max 81.0 ms`. */
export function formatSummary(s: Summary): string {
  return (['p50', 'p90', 'p99', 'mean', 'min', 'max'] as const).map((k) => `${k} ${ms(s[k]).padStart(6)} ms`).join('  ');
}

/** Rounds every number in a summary to 0.01 ms for the JSON line. */
export function rounded(s: Summary): Summary {
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { n: s.n, p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), mean: r(s.mean), min: r(s.min), max: r(s.max) };
}
