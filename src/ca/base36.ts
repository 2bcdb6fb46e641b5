const DIGITS = /^[0-9a-z]+$/;

/** The big-endian unsigned integer in `bytes`. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** `n` in lowercase base 36, left-padded with '0' to `width` (Go's `fmt.Sprintf("%0*s", width, n.Text(36))`). */
export function toBase36(n: bigint, width: number): string {
  return n.toString(36).padStart(width, '0');
}

/** The value of a lowercase base-36 string, or undefined if it has any other character. */
export function fromBase36(text: string): bigint | undefined {
  if (!DIGITS.test(text)) return undefined;
  let n = 0n;
  for (const c of text) n = n * 36n + BigInt(parseInt(c, 36));
  return n;
}
