/**
 * Digests as the OCI image spec defines them: `sha256:<64 lowercase hex>`; chain IDs
 * (ChainID(L0) = DiffID(L0), ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))); docker's short IDs.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../../api/errors.js';

const SHA256 = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a sha256 digest; throws for anything else (other algorithms are not supported). */
export function digestHex(digest: string): string {
  if (!SHA256.test(digest)) throw invalidArgument('image.invalid_digest', `unsupported or invalid digest: ${digest}`);
  return digest.slice('sha256:'.length);
}

export function isDigest(s: unknown): boolean {
  return typeof s === 'string' && SHA256.test(s);
}

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? d : sha256Digest(`${parent} ${d}`));
  }
  return out;
}

/** docker's `stringid.TruncateID`: the first 12 hex characters, without the algorithm. */
export function shortId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}
