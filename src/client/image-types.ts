/**
 * Request and response shapes of the Engine API's image endpoints (API 1.47), as the client sends and reads them.
 * Field names are the Engine API's; only what the CLI reads is typed.
 */

/** One row of `GET /images/json` (docker's image.Summary). */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1 when not computed (no `shared-size=1`). */
  SharedSize: number;
  Labels: Record<string, string> | null;
  /** -1 when not computed. */
  Containers: number;
  [field: string]: unknown;
}

/** `GET /images/json` query. */
export interface ImageListOptions {
  all?: boolean;
  filters?: Record<string, Record<string, boolean>>;
  sharedSize?: boolean;
  digests?: boolean;
}

/** `GET /images/{name}/json`: kept whole for `inspect`; these are the fields the CLI reads. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  [field: string]: unknown;
}

/** One item of `DELETE /images/{name}` and of `ImagesDeleted` in a prune report. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

/** `DELETE /images/{name}` query. */
export interface ImageRemoveOptions {
  force?: boolean;
  noprune?: boolean;
}

/** `POST /images/prune` → 200. */
export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

/**
 * `POST /images/create` (pull) query. `insecure` is a Shoal extension: `insecure=1` lets the daemon talk plain HTTP
 * (and unverified TLS) to the registry of this one pull; the docker CLI never sends it.
 */
export interface ImageCreateOptions {
  /** The repository, normalized (`docker.io/library/busybox`). */
  fromImage: string;
  /** A tag or a digest; absent pulls every tag (`pull -a`). */
  tag?: string;
  /** `os[/arch[/variant]]`. */
  platform?: string;
  insecure?: boolean;
  /** Base64url JSON AuthConfig, sent as `X-Registry-Auth`. */
  registryAuth?: string;
}

/** `POST /images/load` query. */
export interface ImageLoadOptions {
  quiet?: boolean;
  platform?: string;
}

/** One line of the NDJSON progress streams of pull and load (docker's jsonmessage.JSONMessage). */
export interface JSONMessage {
  stream?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number; start?: number; hidecounts?: boolean; units?: string };
  /** Deprecated pre-rendered bar; shown when present and there is no progressDetail. */
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  /** Deprecated form of errorDetail.message. */
  error?: string;
  aux?: unknown;
}
