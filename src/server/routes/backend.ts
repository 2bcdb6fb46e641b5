/**
 * What the Engine-API routes need from the daemon (moby's router "backends"). The routes stay HTTP-only;
 * the daemon (src/daemon) implements this interface, and src/cmd wires the two together.
 */
import type { ContainerInspect, ContainerSummary } from '../../api/container.js';
import type { Filters } from '../../api/filters.js';
import type { NetworkConnectRequest, NetworkDisconnectRequest } from '../../api/local-network.js';
import type { Config, Network, Node, Secret, Service, Swarm, Task } from '../../api/types.js';

export interface SwarmUpdateRequest {
  version: number;
  spec: unknown;
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}

export interface NodeBackend {
  list(filters: Filters): Promise<Node[]>;
  inspect(ref: string): Promise<Node>;
  update(ref: string, version: number, spec: unknown): Promise<void>;
  remove(ref: string, force: boolean): Promise<void>;
}

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcessStreams {
  stdin: NodeJS.WritableStream | undefined;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | undefined;
  /** Resolves when the process (or the attachment) ends. */
  done: Promise<unknown>;
  resize(rows: number, cols: number): void;
  /** Releases the streams without stopping the process (attach) or after it ended. */
  close(): void;
}

export interface ContainerBackend {
  create(body: unknown, name: string | undefined): Promise<{ Id: string; Warnings: string[] }>;
  start(ref: string): Promise<'started' | 'already-running'>;
  stop(ref: string, opts: { timeoutS?: number; signal?: string }): Promise<'stopped' | 'not-running'>;
  restart(ref: string, opts: { timeoutS?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal: string): Promise<void>;
  wait(ref: string, condition: string, signal: AbortSignal): Promise<{ StatusCode: number; Error?: { Message: string } }>;
  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
  inspect(ref: string): ContainerInspect;
  list(opts: { all: boolean; filters: Filters; limit?: number }): ContainerSummary[];
  logs(ref: string, opts: { stdout: boolean; stderr: boolean; since: number; until: number; tail: number | undefined; follow: boolean }, signal: AbortSignal): { tty: boolean; lines: AsyncIterable<LogLine> };
  attach(ref: string): Promise<{ tty: boolean; streams: ProcessStreams }>;
  resize(ref: string, rows: number, cols: number): Promise<void>;
  execCreate(ref: string, body: unknown): { Id: string };
  execStart(id: string): Promise<{ tty: boolean; streams: ProcessStreams }>;
  execResize(id: string, rows: number, cols: number): void;
  execInspect(id: string): Record<string, unknown>;
  /**
   * `POST /networks/{id}/connect`, the network resolved by the route (`GET /networks/{id}`'s lookup): puts the
   * container on it with docker's rules (a local network, or an attachable swarm one). Absent: the route answers 503.
   */
  networkConnect?(network: Network, req: NetworkConnectRequest): Promise<void>;
  /**
   * `POST /networks/{id}/disconnect`. `network` is undefined when no network answers to `ref` any more and the
   * request has `Force` (docker then drops the container's endpoint of that name).
   */
  networkDisconnect?(network: Network | undefined, ref: string, req: NetworkDisconnectRequest): Promise<void>;
}

export interface ImageBackend {
  pull(ref: string, opts: { insecure: boolean; auth: unknown; onProgress: (p: unknown) => void; signal: AbortSignal }): Promise<{ id: string; digest?: string; name: string }>;
  load(tarPath: string, onProgress: (p: unknown) => void): Promise<string[]>;
  list(opts: { all: boolean; filters: Filters; digests: boolean }): Promise<unknown[]>;
  inspect(ref: string): Promise<unknown>;
  remove(ref: string, opts: { force: boolean; noprune: boolean }): Promise<unknown[]>;
  tag(ref: string, repo: string, tag: string): Promise<void>;
  prune(filters: Filters): Promise<{ ImagesDeleted: unknown[] | null; SpaceReclaimed: number }>;
  /** Where to put an uploaded tarball before loading it. */
  tempDir(): string;
}

// ------------------------------------------------------------------ services and tasks (issue 4)

export interface ServiceUpdateRequest {
  /** `version`: the `Version.Index` the client read (a stale one → `update out of sequence`). */
  version: number;
  /** The body: the full new spec (untrusted JSON). */
  spec: unknown;
  /** `rollback=previous`. */
  rollback: boolean;
  /** `registryAuthFrom`: where to take registry credentials from when no `X-Registry-Auth` header came. */
  registryAuthFrom: 'spec' | 'previous-spec';
  /** The `X-Registry-Auth` header (base64url JSON), if any. */
  registryAuth: string | undefined;
}

/** What `GET /services/{id}/logs` and `GET /tasks/{id}/logs` ask for; the route does the framing and timestamps. */
export interface SwarmLogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** Unix seconds (fractions allowed); 0 = from the beginning. */
  since: number;
  /** The last N lines of each task; undefined = all. */
  tail: number | undefined;
  /** `details=1`: the caller wants the lines' extra attributes. */
  details: boolean;
}

/** One line a task's container wrote, as the agents report it. */
export interface TaskLogLine {
  nodeId: string;
  serviceId: string;
  taskId: string;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 time in UTC, any precision (the route prints it with 9 fraction digits). */
  time: string;
  /** The line, without its trailing newline. */
  text: string;
  /** Extra attributes (log-driver `labels`/`env`), shown with `details=1` next to the three swarm IDs. */
  attrs?: Readonly<Record<string, string>>;
}

export interface ServiceBackend {
  /** `POST /services/create`. */
  create(spec: unknown, opts: { registryAuth: string | undefined }): Promise<{ ID: string; Warnings: string[] }>;
  /** `GET /services` (`status`: fill `ServiceStatus`; the route passes it only at API ≥ 1.41). */
  list(opts: { filters: Filters; status: boolean }): Promise<Service[]>;
  /** `GET /services/{id}`: by ID, name or ID prefix. */
  inspect(ref: string, opts: { insertDefaults: boolean }): Promise<Service>;
  /** `POST /services/{id}/update`. */
  update(ref: string, request: ServiceUpdateRequest): Promise<{ Warnings: string[] }>;
  /** `DELETE /services/{id}`. */
  remove(ref: string): Promise<void>;
  /**
   * The log lines of every task of a service (`serviceId` is already resolved), until the tasks' logs end or, with
   * `follow`, until `signal` aborts. Throw before returning for anything the client should see as an HTTP error;
   * an error thrown while iterating reaches the client as an `Error grabbing logs: ...` frame.
   */
  logs(serviceId: string, opts: SwarmLogsOptions, signal: AbortSignal): Promise<AsyncIterable<TaskLogLine>>;
}

export interface TaskBackend {
  /** `GET /tasks`. */
  list(filters: Filters): Promise<Task[]>;
  /** `GET /tasks/{id}`: by ID, full task name or ID prefix. */
  inspect(ref: string): Promise<Task>;
  /** The log lines of one task (`taskId` is already resolved); same contract as `ServiceBackend.logs`. */
  logs(taskId: string, opts: SwarmLogsOptions, signal: AbortSignal): Promise<AsyncIterable<TaskLogLine>>;
}

// ------------------------------------------------------------------ secrets and configs (issue 5)

/** `/secrets/*` and `/configs/*` (one shape for both; a secret's answers never carry its data). */
export interface SecretLikeBackend<T> {
  /** `POST /<kind>s/create` with the untrusted spec. */
  create(spec: unknown): Promise<{ ID: string }>;
  /** `GET /<kind>s` with filters `id`, `name`, `names`, `label`. */
  list(filters: Filters): Promise<T[]>;
  /** `GET /<kind>s/{id}`: by ID, name or ID prefix. */
  inspect(ref: string): Promise<T>;
  /** `POST /<kind>s/{id}/update?version=N`: labels only. */
  update(ref: string, version: number, spec: unknown): Promise<void>;
  /** `DELETE /<kind>s/{id}`. */
  remove(ref: string): Promise<void>;
}

export type SecretBackend = SecretLikeBackend<Secret>;
export type ConfigBackend = SecretLikeBackend<Config>;

// ------------------------------------------------------------------ networks (issue 5)

/** A network as `GET /networks/{id}` renders it; `Peers` only with `verbose=true`. */
export type NetworkResource = Network & { Peers?: { Name: string; IP: string }[] };

export interface NetworkBackend {
  /** `POST /networks/create` (the untrusted body) → `{Id, Warning}`. */
  create(body: unknown): Promise<{ Id: string; Warning: string }>;
  /** `GET /networks`. */
  list(filters: Filters): Promise<Network[]>;
  /** `GET /networks/{id}`: by ID, name or ID prefix; `scope` ('' = any), `verbose` adds `Peers`. */
  inspect(ref: string, opts: { verbose: boolean; scope: string }): Promise<NetworkResource>;
  /** `DELETE /networks/{id}`. */
  remove(ref: string): Promise<void>;
  /** `POST /networks/prune` → the names removed. */
  prune(filters: Filters): Promise<string[]>;
}

// ------------------------------------------------------------------ volumes (issue 5)

/** docker's `Volume` JSON (API 1.47). */
export interface VolumeResource {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  UsageData?: { Size: number; RefCount: number };
}

export interface VolumeBackend {
  /** `GET /volumes` (filters `name`, `label`, `dangling`, `driver`). */
  list(filters: Filters): Promise<VolumeResource[]>;
  /** `POST /volumes/create` with the untrusted body; an existing name answers the existing volume. */
  create(body: unknown): Promise<VolumeResource>;
  inspect(name: string): Promise<VolumeResource>;
  /** `DELETE /volumes/{name}?force=`: refused while a container uses it. */
  remove(name: string, force: boolean): Promise<void>;
  /** `POST /volumes/prune` (filters `label`, `label!`, `all`). */
  prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>;
}

/** `GET /distribution/{name}/json` (docker-engine-api.md §9): the registry's descriptor and platforms of an image. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number; urls?: string[] };
  Platforms: { architecture: string; os: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] }[];
}

export interface DistributionBackend {
  /** Fails fast (the docker CLI waits on it before every create) when no registry has the image. */
  inspect(image: string, registryAuth: string | undefined, signal: AbortSignal): Promise<DistributionInspect>;
}

export interface EngineBackend {
  containers: ContainerBackend;
  images: ImageBackend;
  /** The `Swarm` header of `/_ping`. */
  swarmHeader(): string;
  systemInfo(): Promise<Record<string, unknown>>;
  systemVersion(): Record<string, unknown>;
  swarmInit(request: unknown): Promise<string>;
  swarmJoin(request: unknown): Promise<void>;
  swarmLeave(force: boolean): Promise<void>;
  swarmInspect(): Promise<Swarm>;
  swarmUpdate(request: SwarmUpdateRequest): Promise<void>;
  swarmUnlockKey(): Promise<{ UnlockKey: string }>;
  nodes: NodeBackend;
  /** Services, tasks and registry lookups (issue 4). Until the daemon provides them, the routes answer 503. */
  services?: ServiceBackend;
  tasks?: TaskBackend;
  distribution?: DistributionBackend;
  /** Swarm networks (issue 5); see NetworkBackend. */
  networks?: NetworkBackend;
  /** Secrets and configs (issue 5); without them the routes answer 503 like the other manager APIs. */
  secrets?: SecretBackend;
  configs?: ConfigBackend;
  /** Local volumes (issue 5). */
  volumes?: VolumeBackend;
}
