import type { Random } from './random.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A random base-36 string of `length` characters (swarmkit's identity.NewID uses 25).
 * Rejection sampling keeps every character uniform.
 */
export function randomBase36(random: Random, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b < 252) out += ALPHABET[b % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new object ID: 25 lowercase base-36 characters, as swarmkit makes them. */
export function newId(random: Random): string {
  return randomBase36(random, 25);
}

/** A 64-hex-character ID, as docker uses for containers, networks and images. */
export function newHexId(random: Random): string {
  return Array.from(random.bytes(32), (b) => b.toString(16).padStart(2, '0')).join('');
}
