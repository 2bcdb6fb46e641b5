/**
 * The persisted image index, `<root>/index.json`: every image (its ID, layers, references) in one file, rewritten
 * atomically (temp + fsync + rename + dir fsync) after the data it names is durable. References are stored
 * normalized (`docker.io/library/busybox:latest`, `docker.io/library/busybox@sha256:…`); a tag names one image.
 *
 * A `retained` image was force-removed while a container still used it: hidden from lists and names, resolvable by
 * full ID only, and its layers kept until no container uses it (docker keeps them through the container's layer).
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../lib/atomic-file.js';
import { internal } from '../../../api/errors.js';

export interface StoredImage {
  id: string;
  diffIds: string[];
  chainIds: string[];
  repoTags: string[];
  repoDigests: string[];
  /** When the image was added here (pull or load), ISO 8601. */
  added: string;
  retained?: boolean;
}

interface IndexFile {
  version: 1;
  images: StoredImage[];
}

export class ImageIndex {
  readonly images = new Map<string, StoredImage>();

  constructor(private readonly path: string) {}

  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    let f: IndexFile;
    try {
      f = JSON.parse(text) as IndexFile;
    } catch (e) {
      throw internal('image.index_corrupt', `image index ${this.path} is not valid JSON`, e);
    }
    if (f.version !== 1) throw internal('image.index_corrupt', `image index ${this.path} has unknown version ${String(f.version)}`);
    for (const img of f.images) this.images.set(img.id, img);
  }

  save(): void {
    const f: IndexFile = { version: 1, images: [...this.images.values()] };
    writeFileAtomic(this.path, JSON.stringify(f), 0o600);
  }

  visible(): StoredImage[] {
    return [...this.images.values()].filter((i) => i.retained !== true);
  }

  /** The image a normalized tag (`repo:tag`) or digest reference (`repo@sha256:…`) names. */
  byRef(ref: string): StoredImage | undefined {
    for (const img of this.images.values()) {
      if (img.retained === true) continue;
      if (img.repoTags.includes(ref) || img.repoDigests.includes(ref)) return img;
    }
    return undefined;
  }

  /** Removes `ref` (a tag or digest reference) from whichever image holds it. */
  dropRef(ref: string): void {
    for (const img of this.images.values()) {
      img.repoTags = img.repoTags.filter((t) => t !== ref);
      img.repoDigests = img.repoDigests.filter((t) => t !== ref);
    }
  }

  /** Every chain ID some image (retained ones included) still uses. */
  referencedLayers(): Set<string> {
    const out = new Set<string>();
    for (const img of this.images.values()) for (const c of img.chainIds) out.add(c);
    return out;
  }
}
