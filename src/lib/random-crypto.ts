import { randomBytes } from 'node:crypto';
import type { Random } from './random.js';

/** The real randomness source, backed by the kernel CSPRNG. */
export const cryptoRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  float: () => randomBytes(4).readUInt32BE(0) / 4294967296,
};
