/**
 * The object model, in the Docker Engine API's JSON shapes (PascalCase, durations in ns, times RFC 3339).
 * Specs are what users write; status is what managers and agents derive (DESIGN §1). Every stored object
 * carries `Version.Index`, which is the store revision of its last write.
 */
import type { TaskStateName } from './task-state.js';

export type Labels = Record<string, string>;

export interface Version {
  Index: number;
}

/** Fields every stored object has. */
export interface Meta {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
}

// ---------------------------------------------------------------- swarm / cluster

export interface SwarmSpec {
  Name: string;
  Labels: Labels;
  Orchestration: { TaskHistoryRetentionLimit?: number };
  Raft: {
    SnapshotInterval?: number;
    KeepOldSnapshots?: number;
    LogEntriesForSlowFollowers?: number;
    ElectionTick: number;
    HeartbeatTick: number;
  };
  Dispatcher: { HeartbeatPeriod?: number };
  CAConfig: {
    NodeCertExpiry?: number;
    ExternalCAs?: unknown[];
    SigningCACert?: string;
    SigningCAKey?: string;
    ForceRotate?: number;
  };
  TaskDefaults: { LogDriver?: { Name: string; Options?: Record<string, string> } };
  EncryptionConfig: { AutoLockManagers: boolean };
}

export interface TLSInfo {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

export interface JoinTokens {
  Worker: string;
  Manager: string;
}

/** What `GET /swarm` returns (the Engine API's `Swarm`). */
export interface Swarm extends Meta {
  Spec: SwarmSpec;
  TLSInfo: TLSInfo;
  RootRotationInProgress: boolean;
  DefaultAddrPool: string[];
  SubnetSize: number;
  DataPathPort: number;
  JoinTokens: JoinTokens;
}

/** The stored cluster object: the public Swarm plus secrets that never leave the managers. */
export interface Cluster extends Swarm {
  /** Root CA key (PKCS#8 PEM). Only managers hold it. */
  RootCAKey: string;
  /** The secrets behind the join tokens (the part after the CA digest). */
  TokenSecrets: { Worker: string; Manager: string };
  /** Manager unlock key (autolock), empty when autolock is off. */
  UnlockKey: string;
}

// ---------------------------------------------------------------- nodes

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface NodeSpec {
  Name?: string;
  Labels: Labels;
  Role: NodeRole;
  Availability: NodeAvailability;
}

export interface NodeDescription {
  Hostname: string;
  Platform: { Architecture: string; OS: string };
  Resources: { NanoCPUs: number; MemoryBytes: number; GenericResources?: unknown[] };
  Engine: { EngineVersion: string; Labels?: Labels; Plugins: { Type: string; Name: string }[] };
  TLSInfo: TLSInfo;
  CSIInfo?: unknown[];
}

export interface NodeStatus {
  State: NodeState;
  Message?: string;
  Addr: string;
}

export interface ManagerStatus {
  Leader?: boolean;
  Reachability: Reachability;
  Addr: string;
}

export interface Node extends Meta {
  Spec: NodeSpec;
  Description: NodeDescription;
  Status: NodeStatus;
  ManagerStatus?: ManagerStatus;
  /**
   * Internal, never rendered: the node's data path IP (`--data-path-addr` at join/init). Absent: the address its
   * agent's connection comes from (`Status.Addr`).
   */
  DataPathAddr?: string;
}

// ---------------------------------------------------------------- services and tasks

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Labels; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface SecretReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  Runtime?: Record<string, never>;
  ConfigID: string;
  ConfigName: string;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: unknown;
  Init?: boolean | null;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  OomScoreAdj?: number;
  /**
   * swarmkit's `PullOptions`: the `X-Registry-Auth` the service was created or updated with, which the agents pull
   * the image with. Internal: kept with the spec (new credentials make the tasks out of date, as in swarmkit), never
   * read from a request body (the spec parser drops it) and never in API output (manager/controlapi/registry-auth.ts).
   */
  PullOptions?: { RegistryAuth: string };
}

export interface ResourceSpec {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
  GenericResources?: unknown[];
}

export interface RestartPolicy {
  Condition?: 'none' | 'on-failure' | 'any';
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
  Platforms?: { Architecture?: string; OS?: string }[];
}

export interface NetworkAttachmentConfig {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: { Limits?: ResourceSpec; Reservations?: ResourceSpec };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: { Name: string; Options?: Record<string, string> };
  ForceUpdate?: number;
  Runtime?: string;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface PortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

export interface Endpoint {
  Spec: EndpointSpec;
  Ports?: PortConfig[];
  VirtualIPs?: { NetworkID: string; Addr: string }[];
}

export interface UpdateStatus {
  State?: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

export interface Service extends Meta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: Endpoint;
  UpdateStatus?: UpdateStatus;
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks: number };
  JobStatus?: { JobIteration: Version; LastExecution?: string };
  /** Bumped on every spec change; tasks record the value they were made from (the `_up-to-date` filter). */
  SpecVersion?: Version;
}

export interface TaskStatus {
  Timestamp: string;
  State: TaskStateName;
  Message: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  PortStatus?: { Ports?: PortConfig[] };
}

export interface Task extends Meta {
  Name?: string;
  Labels: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskStateName;
  NetworksAttachments?: { Network: Network; Addresses: string[] }[];
  AssignedGenericResources?: unknown[];
  JobIteration?: Version;
  /** The service SpecVersion this task was created from. */
  SpecVersion?: Version;
  /**
   * The service's name and labels when the task was made (swarmkit's ServiceAnnotations): the agent names
   * containers `<service>.<slot>.<task>` from it. Internal: the Engine API's task JSON does not carry it.
   */
  ServiceAnnotations?: { Name: string; Labels?: Labels };
  /** The service's endpoint when the task was allocated (published ports); internal, like ServiceAnnotations. */
  Endpoint?: Endpoint;
}

// ---------------------------------------------------------------- networks, secrets, configs

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface Network {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local' | 'swarm' | 'global';
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IPAMConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, unknown>;
  Options: Record<string, string>;
  Labels: Labels;
  Version?: Version;
  /** Internal: the allocator's LB address per node (`a.b.c.d/len`); never rendered to clients. */
  NodeAddrs?: Record<string, string>;
  /**
   * Internal: plain containers attached to this (attachable) network, by container ID (`docker run --network`).
   * The daemon asks (`Addr` absent), the allocator answers with an address; never rendered to clients.
   */
  Attachments?: Record<string, NetworkContainerAttachment>;
}

export interface NetworkContainerAttachment {
  NodeID: string;
  /** The container's name (DNS answers it on this network). */
  Name: string;
  Aliases?: string[];
  /** `a.b.c.d/len`, once the allocator gave one. */
  Addr?: string;
}

export interface SecretSpec {
  Name: string;
  Labels?: Labels;
  Data?: string;
  Driver?: { Name: string; Options?: Record<string, string> };
  Templating?: { Name: string; Options?: Record<string, string> };
}

export interface Secret extends Meta {
  Spec: SecretSpec;
}

export type ConfigSpec = SecretSpec;

export interface Config extends Meta {
  Spec: ConfigSpec;
}
