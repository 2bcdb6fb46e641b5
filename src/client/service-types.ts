/**
 * Request and response shapes of the Engine API's service, task, distribution, secret/config-list and network-inspect
 * calls (API 1.47), as the docker CLI 28.x sends and reads them. Field names, nesting and **key order** are those of
 * moby's `api/types/swarm` Go structs, because the docker CLI marshals its request bodies from them: `encodeServiceSpec`
 * (services.ts) writes a spec in that order, dropping what Go's `omitempty` drops.
 *
 * Durations are int64 nanoseconds, CPUs are NanoCPUs, sizes bytes, times RFC 3339 (nanoseconds allowed).
 *
 * Note for the daemon side: the container spec's health check is `Healthcheck` (lower-case c) on the wire, as in
 * moby's `swarm.ContainerSpec`.
 */
import type { Node } from '../api/types.js';
import type { HealthConfig, MountSpec, UlimitSpec } from './container-types.js';

export type { HealthConfig, MountSpec, UlimitSpec };
export type { Node };

export interface Version {
  Index: number;
}

// ---------------------------------------------------------------- spec

export interface SecretReference {
  File?: { Name: string; UID: string; GID: string; Mode: number } | null;
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File?: { Name: string; UID: string; GID: string; Mode: number } | null;
  Runtime?: Record<string, never> | null;
  ConfigID: string;
  ConfigName: string;
}

export interface DNSConfig {
  Nameservers?: string[];
  Search?: string[];
  Options?: string[];
}

export interface Privileges {
  CredentialSpec: { Config?: string; File?: string; Registry?: string } | null;
  SELinuxContext: { Disable: boolean; User: string; Role: string; Type: string; Level: string } | null;
  Seccomp?: { Mode?: string; Profile?: string } | null;
  AppArmor?: { Mode?: string } | null;
  NoNewPrivileges?: boolean;
}

export interface ContainerSpec {
  Image?: string;
  Labels?: Record<string, string> | null;
  Command?: string[] | null;
  Args?: string[] | null;
  Hostname?: string;
  Env?: string[] | null;
  Dir?: string;
  User?: string;
  Groups?: string[] | null;
  Privileges?: Privileges | null;
  Init?: boolean | null;
  StopSignal?: string;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: MountSpec[] | null;
  StopGracePeriod?: number | null;
  Healthcheck?: HealthConfig | null;
  Hosts?: string[] | null;
  DNSConfig?: DNSConfig | null;
  Secrets?: SecretReference[] | null;
  Configs?: ConfigReference[] | null;
  Isolation?: string;
  Sysctls?: Record<string, string> | null;
  CapabilityAdd?: string[] | null;
  CapabilityDrop?: string[] | null;
  Ulimits?: UlimitSpec[] | null;
  OomScoreAdj?: number;
}

/** `Resources.Limits` (moby's swarm.Limit). */
export interface Limit {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

/** `Resources.Reservations` (moby's swarm.Resources). */
export interface ResourceSpec {
  NanoCPUs?: number;
  MemoryBytes?: number;
  GenericResources?: unknown[] | null;
}

export interface ResourceRequirements {
  Limits?: Limit | null;
  Reservations?: ResourceSpec | null;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: string;
  Delay?: number | null;
  MaxAttempts?: number | null;
  Window?: number | null;
}

export interface Platform {
  Architecture?: string;
  OS?: string;
}

export interface PlacementPreference {
  Spread: { SpreadDescriptor: string } | null;
}

export interface Placement {
  Constraints?: string[] | null;
  Preferences?: PlacementPreference[] | null;
  MaxReplicas?: number;
  Platforms?: Platform[] | null;
}

export interface NetworkAttachmentConfig {
  Target?: string;
  Aliases?: string[] | null;
  DriverOpts?: Record<string, string> | null;
}

export interface Driver {
  Name?: string;
  Options?: Record<string, string> | null;
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec | null;
  PluginSpec?: unknown;
  NetworkAttachmentSpec?: unknown;
  Resources?: ResourceRequirements | null;
  RestartPolicy?: RestartPolicy | null;
  Placement?: Placement | null;
  Networks?: NetworkAttachmentConfig[] | null;
  LogDriver?: Driver | null;
  ForceUpdate?: number;
  Runtime?: string;
}

export interface ServiceMode {
  Replicated?: { Replicas?: number | null } | null;
  Global?: Record<string, never> | null;
  ReplicatedJob?: { MaxConcurrent?: number | null; TotalCompletions?: number | null } | null;
  GlobalJob?: Record<string, never> | null;
}

export type FailureAction = 'pause' | 'continue' | 'rollback';

export interface UpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio: number;
  Order: string;
}

export interface PortConfig {
  Name?: string;
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}

export interface EndpointSpec {
  Mode?: string;
  Ports?: PortConfig[] | null;
}

export interface ServiceSpec {
  Name?: string;
  Labels: Record<string, string> | null;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig | null;
  RollbackConfig?: UpdateConfig | null;
  /** Deprecated since API 1.44 (TaskTemplate.Networks instead); `service update --network-*` migrates it. */
  Networks?: NetworkAttachmentConfig[] | null;
  EndpointSpec?: EndpointSpec | null;
}

// ---------------------------------------------------------------- objects

export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface UpdateStatus {
  State?: UpdateState | '';
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/** `GET /services/{id}` and each element of `GET /services`. */
export interface Service {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec | null;
  Endpoint?: { Spec?: EndpointSpec; Ports?: PortConfig[] | null; VirtualIPs?: { NetworkID?: string; Addr?: string }[] | null };
  UpdateStatus?: UpdateStatus | null;
  ServiceStatus?: ServiceStatus | null;
  JobStatus?: { JobIteration: Version; LastExecution?: string } | null;
  [field: string]: unknown;
}

/** swarmkit's lowercase task state names (the only ones the docker CLI recognizes). */
export type TaskState =
  | 'new'
  | 'allocated'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface TaskStatus {
  Timestamp?: string;
  /** A TaskState name. */
  State?: string;
  Message?: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number } | null;
  PortStatus?: { Ports?: PortConfig[] | null } | null;
}

/** `GET /tasks/{id}` and each element of `GET /tasks`. */
export interface Task {
  ID: string;
  Version?: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Name?: string;
  Labels?: Record<string, string> | null;
  Spec?: TaskSpec;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  Status?: TaskStatus;
  /** A TaskState name. */
  DesiredState?: string;
  NetworksAttachments?: unknown[] | null;
  JobIteration?: Version | null;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- calls

/** `POST /services/create` → 201. */
export interface ServiceCreateResponse {
  ID: string;
  Warnings?: string[] | null;
}

/** `POST /services/{id}/update` → 200. */
export interface ServiceUpdateResponse {
  Warnings?: string[] | null;
}

export interface ServiceUpdateOptions {
  /** `Version.Index` of the service read before the update (optimistic concurrency). */
  version: number;
  /** `registryAuthFrom=spec|previous-spec`. */
  registryAuthFrom?: 'spec' | 'previous-spec';
  /** `rollback=previous`: the daemon ignores the body and rolls back to PreviousSpec. */
  rollback?: 'previous';
  /** `X-Registry-Auth` header (base64url JSON AuthConfig). */
  registryAuth?: string;
}

/** `GET /services/{id}/logs` and `GET /tasks/{id}/logs` query. */
export interface ServiceLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds (already converted from `10m` / RFC 3339), or "". */
  since?: string;
  timestamps?: boolean;
  details?: boolean;
  follow?: boolean;
  /** "all" or a number. */
  tail?: string;
}

/** `GET /distribution/{image}/json` (docker's registry.DistributionInspect). */
export interface DistributionInspect {
  Descriptor: { mediaType?: string; digest: string; size?: number };
  Platforms?: { architecture?: string; os?: string; variant?: string }[] | null;
}

/** The fields of `GET /secrets` / `GET /configs` elements that name → ID resolution reads. */
export interface NamedObject {
  ID: string;
  Spec: { Name: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** The fields of `GET /networks/{id}` that the service verbs read. */
export interface NetworkRef {
  Id: string;
  Name: string;
  Scope?: string;
  [field: string]: unknown;
}

/** The Engine API's filters map, `{"key":{"value":true}}`. */
export type FilterMap = Record<string, Record<string, boolean>>;
