/**
 * Unpacked layers, one directory per chain ID: `<root>/layers/<chain hex>/{fs/, layer.json}`. A layer is built in
 * `<root>/tmp/`, flushed to disk (`sync -f`, i.e. syncfs), then renamed into place, so a directory under `layers/`
 * is always complete, and an image index that names it never points at a torn layer. Work on one chain ID is
 * serialized: a second pull or load of the same layer waits, then finds it ("Already exists").
 */
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../lib/logger.js';
import { runHelper } from './child-process.js';
import { digestHex } from './digest.js';
import { KeyedLock } from './keyed-lock.js';

export interface LayerMeta {
  chainId: string;
  diffId: string;
  parent?: string;
  /** Unpacked size: the sum of its regular files. */
  size: number;
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class LayerStore {
  readonly dir: string;
  readonly tmp: string;
  private readonly lock = new KeyedLock();
  private readonly metas = new Map<string, LayerMeta>();

  constructor(
    root: string,
    private readonly log: Logger,
  ) {
    this.dir = join(root, 'layers');
    this.tmp = join(root, 'tmp');
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  /** A fresh directory under tmp/, for work that is renamed into place or removed. */
  tempDir(prefix: string): string {
    const d = join(this.tmp, `${prefix}-${randomBytes(8).toString('hex')}`);
    mkdirSync(d);
    return d;
  }

  path(chainId: string): string {
    return join(this.dir, digestHex(chainId));
  }

  fsPath(chainId: string): string {
    return join(this.path(chainId), 'fs');
  }

  get(chainId: string): LayerMeta | undefined {
    const cached = this.metas.get(chainId);
    if (cached) return cached;
    try {
      const m = JSON.parse(readFileSync(join(this.path(chainId), 'layer.json'), 'utf8')) as LayerMeta;
      this.metas.set(chainId, m);
      return m;
    } catch {
      return undefined;
    }
  }

  has(chainId: string): boolean {
    return this.get(chainId) !== undefined;
  }

  /** Chain IDs of every layer on disk. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /**
   * Returns the layer, building it with `produce(fsDir)` when it is not there. `produce` unpacks into the empty
   * `fsDir` and returns the layer's diff ID and size; throwing leaves nothing behind.
   */
  async ensure(
    chainId: string,
    parent: string | undefined,
    produce: (fsDir: string) => Promise<{ diffId: string; size: number }>,
  ): Promise<{ meta: LayerMeta; created: boolean }> {
    return this.lock.withLock(chainId, async () => {
      const existing = this.get(chainId);
      if (existing) return { meta: existing, created: false };
      const work = this.tempDir('layer');
      try {
        const fsDir = join(work, 'fs');
        mkdirSync(fsDir);
        const r = await produce(fsDir);
        const meta: LayerMeta = { chainId, diffId: r.diffId, ...(parent !== undefined ? { parent } : {}), size: r.size };
        writeFileSync(join(work, 'layer.json'), JSON.stringify(meta));
        await runHelper('sync', ['-f', work], 'flushing the layer to disk');
        renameSync(work, this.path(chainId));
        fsyncDir(this.dir);
        this.metas.set(chainId, meta);
        return { meta, created: true };
      } catch (e) {
        rmSync(work, { recursive: true, force: true });
        throw e;
      }
    });
  }

  /** Removes a layer: renamed out of layers/ first, so a crash never leaves a partial layer in place. */
  async remove(chainId: string): Promise<void> {
    await this.lock.withLock(chainId, async () => {
      const p = this.path(chainId);
      this.metas.delete(chainId);
      if (!existsSync(p)) return;
      const gone = join(this.tmp, `deleted-${digestHex(chainId)}-${randomBytes(4).toString('hex')}`);
      renameSync(p, gone);
      fsyncDir(this.dir);
      rmSync(gone, { recursive: true, force: true });
      this.log.debug({ chainId }, 'layer removed');
    });
  }

  /** Empties tmp/ (work left by a crash). */
  cleanTmp(): void {
    for (const n of readdirSync(this.tmp)) rmSync(join(this.tmp, n), { recursive: true, force: true });
  }
}
