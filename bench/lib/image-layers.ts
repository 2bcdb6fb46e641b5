/**
 * Where a Shoal daemon keeps an image's unpacked layers: `<dataRoot>/images/layers/<chain ID hex>/fs`, one per chain
 * ID (src/agent/runtime/images/layer-store.ts). Chain IDs follow the OCI image spec: the first is the first diff
 * ID, each next one is `sha256(parent + " " + diffID)`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? d : `sha256:${createHash('sha256').update(`${parent} ${d}`).digest('hex')}`);
  }
  return out;
}

/** The image's layer directories, lowest first, or undefined when any is missing. */
export function imageLayerDirs(dataRoot: string, diffIds: readonly string[]): string[] | undefined {
  const dirs = chainIds(diffIds).map((c) => join(dataRoot, 'images', 'layers', c.replace(/^sha256:/, ''), 'fs'));
  return dirs.length > 0 && dirs.every((d) => existsSync(d)) ? dirs : undefined;
}
