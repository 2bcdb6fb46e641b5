/**
 * Content-addressed blobs (image configs and manifests) under `<root>/blobs/sha256/<hex>`. A blob is written only
 * after its bytes were checked against its digest, atomically and durably.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../lib/atomic-file.js';
import { internal } from '../../../api/errors.js';
import { digestHex, sha256Digest } from './digest.js';

export class BlobStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'blobs', 'sha256');
    mkdirSync(this.dir, { recursive: true });
  }

  path(digest: string): string {
    return join(this.dir, digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /** Stores `data` as `digest`; throws when the bytes do not match it. */
  put(digest: string, data: Uint8Array): void {
    const actual = sha256Digest(data);
    if (actual !== digest) throw internal('image.digest_mismatch', `blob digest mismatch: expected ${digest}, got ${actual}`);
    if (this.has(digest)) return;
    writeFileAtomic(this.path(digest), data, 0o644);
  }

  get(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  list(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }
}
