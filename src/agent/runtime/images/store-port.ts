/**
 * The image store port: images by reference and ID, their configs, and the unpacked layer directories a
 * container's overlay root is made of. The real store lives under `<data-root>/images`.
 */

/** The parts of the OCI/docker image config the runtime uses. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number };
  Hostname?: string;
  Domainname?: string;
  OnBuild?: string[] | null;
}

export interface ImageRecord {
  /** `sha256:<hex>` of the image config blob (docker's image ID). */
  id: string;
  /** Normalized references: `docker.io/library/busybox:latest`, `127.0.0.1:5000/web:1`. */
  repoTags: string[];
  /** `name@sha256:<manifest digest>` for pulled images. */
  repoDigests: string[];
  created: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ImageConfig;
  /** Uncompressed layer digests (rootfs.diff_ids), lowest first. */
  diffIds: string[];
  /** Total unpacked size in bytes. */
  size: number;
  /** The raw config JSON, for `image inspect`. */
  rawConfig: unknown;
}

export interface PullProgress {
  /** One event per layer state change: docker's "Pulling fs layer", "Downloading", "Verifying Checksum",
   *  "Download complete", "Extracting", "Pull complete", "Already exists". */
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** A container using an image, for `remove`/`prune` conflicts (docker's "being used by running container X"). */
export interface ImageUse {
  containerId: string;
  running: boolean;
}

/** Who uses the image: `true` = some container (stopped, ID unknown), an ImageUse, or false/undefined = unused. */
export type ImageInUse = (imageId: string) => boolean | ImageUse | undefined;

export interface ImageStore {
  /** Exact reference, short ID/prefix or full ID → the image; undefined when not found. */
  resolve(ref: string): Promise<ImageRecord | undefined>;
  list(): Promise<ImageRecord[]>;
  /** `platform` (`os/arch[/variant]`) defaults to the host's, e.g. linux/amd64. */
  pull(ref: string, opts: { insecure?: boolean; auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal; platform?: string }): Promise<ImageRecord>;
  /** Loads a docker-archive or OCI-layout tarball; returns what it tagged or loaded. */
  load(tarPath: string, opts?: { onProgress?: (p: PullProgress) => void }): Promise<ImageRecord[]>;
  tag(ref: string, newRef: string): Promise<void>;
  /** Removes a tag, or the image when it was the last tag (or `ref` is an ID). Refuses an image in use unless forced. */
  remove(ref: string, opts: { force?: boolean; inUse?: ImageInUse }): Promise<{ Untagged?: string; Deleted?: string }[]>;
  prune(opts: { all?: boolean; inUse: ImageInUse }): Promise<{ deleted: { Untagged?: string; Deleted?: string }[]; spaceReclaimed: number }>;
  /** The unpacked layer directories for overlayfs lowerdirs, lowest first. */
  layerDirs(image: ImageRecord): string[];
}
