/** Randomness port: pure cores take a `Random` so their tests are seeded and deterministic. */
export interface Random {
  /** n uniformly random bytes. */
  bytes(n: number): Uint8Array;
  /** A float in [0, 1). */
  float(): number;
}

/** A small, fast, seedable generator (mulberry32) for tests and simulations. Not for secrets. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    float: next,
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}
