/** Command-line option helpers shared by the benchmarks. */

/** An integer option within [min, max], or `def` when absent; a clear error otherwise. */
export function intOption(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, not ${raw}`);
  return n;
}
