/**
 * Request and response shapes of the Engine API's container and exec endpoints (API 1.47), as the client sends and
 * reads them. Field names and nesting are the Engine API's; times are RFC 3339 unless noted, durations nanoseconds,
 * sizes bytes. Only the fields the CLI sends or reads are typed; responses keep the rest as `unknown`.
 */

/** `Config.Healthcheck` (docker's HealthConfig; every field omitted when zero). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** A `--mount` / `HostConfig.Mounts[]` entry (docker's mount.Mount; empty fields omitted). */
export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** `HostConfig.Ulimits[]` (go-units Ulimit: this key order). */
export interface UlimitSpec {
  Name: string;
  Hard: number;
  Soft: number;
}

/** `HostConfig` as the docker CLI sends it: every field present, zero values included, in Go's declaration order. */
export interface HostConfigBody {
  Binds: string[] | null;
  ContainerIDFile: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  VolumeDriver: string;
  VolumesFrom: string[] | null;
  /** [height, width] of the client's terminal, [0, 0] when not a terminal. */
  ConsoleSize: [number, number];
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  CgroupnsMode: string;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  GroupAdd: string[] | null;
  IpcMode: string;
  Cgroup: string;
  Links: string[] | null;
  OomScoreAdj: number;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  Tmpfs?: Record<string, string>;
  UTSMode: string;
  UsernsMode: string;
  ShmSize: number;
  Sysctls?: Record<string, string>;
  Isolation: string;
  CpuShares: number;
  Memory: number;
  NanoCpus: number;
  CgroupParent: string;
  BlkioWeight: number;
  BlkioWeightDevice: unknown[];
  BlkioDeviceReadBps: unknown[];
  BlkioDeviceWriteBps: unknown[];
  BlkioDeviceReadIOps: unknown[];
  BlkioDeviceWriteIOps: unknown[];
  CpuPeriod: number;
  CpuQuota: number;
  CpuRealtimePeriod: number;
  CpuRealtimeRuntime: number;
  CpusetCpus: string;
  CpusetMems: string;
  Devices: unknown[];
  DeviceCgroupRules: string[] | null;
  DeviceRequests: unknown[] | null;
  MemoryReservation: number;
  MemorySwap: number;
  MemorySwappiness: number;
  OomKillDisable: boolean;
  PidsLimit: number;
  Ulimits: UlimitSpec[];
  CpuCount: number;
  CpuPercent: number;
  IOMaximumIOps: number;
  IOMaximumBandwidth: number;
  Mounts?: MountSpec[];
  MaskedPaths: string[] | null;
  ReadonlyPaths: string[] | null;
  /** Present only when `--init` (or `--init=false`) was given. */
  Init?: boolean;
}

/**
 * `POST /containers/create` body: docker's container.Config fields at the top level, then `HostConfig` and
 * `NetworkingConfig` (docker's CreateRequest).
 */
export interface ContainerCreateBody {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  Image: string;
  Volumes: Record<string, Record<string, never>>;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfigBody;
  NetworkingConfig: { EndpointsConfig: Record<string, unknown> };
}

/** `POST /containers/create` query. */
export interface ContainerCreateQuery {
  name?: string;
  platform?: string;
}

/** `POST /containers/create` → 201. */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

/** `Ports[]` of a container summary. */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** One mount as the daemon reports it (`Mounts[]` of list and inspect). */
export interface MountPointInfo {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

/** One row of `GET /containers/json`. `Status` is the daemon's human text ("Up 2 minutes (healthy)"). */
export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  /** Unix seconds. */
  Created: number;
  Ports: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts: MountPointInfo[] | null;
  [field: string]: unknown;
}

/** `GET /containers/json` query (docker's ListOptions). */
export interface ContainerListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Record<string, Record<string, boolean>>;
}

/** `GET /containers/{id}/json`: the fields the CLI reads; the rest is kept for `inspect`. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; [field: string]: unknown };
  Config: { Tty: boolean; OpenStdin: boolean; Image?: string; [field: string]: unknown };
  HostConfig: { AutoRemove: boolean; [field: string]: unknown };
  [field: string]: unknown;
}

/** `POST /containers/{id}/wait` conditions. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** `POST /containers/{id}/wait` → 200 body. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

/** `GET /containers/{id}/logs` query (docker's LogsOptions). `since`/`until` are already Unix timestamps. */
export interface ContainerLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  follow?: boolean;
  tail?: string;
  details?: boolean;
}

/** `POST /containers/{id}/attach` query. */
export interface ContainerAttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

/** `DELETE /containers/{id}` query. */
export interface ContainerRemoveOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
}

/** `POST /containers/{id}/exec` body (docker's ExecOptions, in its field order). */
export interface ExecCreateBody {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  ConsoleSize?: [number, number];
  AttachStdin: boolean;
  AttachStderr: boolean;
  AttachStdout: boolean;
  Detach: boolean;
  DetachKeys: string;
  Env: string[] | null;
  WorkingDir: string;
  Cmd: string[];
}

/** `POST /exec/{id}/start` body. */
export interface ExecStartBody {
  Detach: boolean;
  Tty: boolean;
  ConsoleSize?: [number, number];
}

/** `GET /exec/{id}/json`: the fields the CLI reads. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ContainerID: string;
  Pid?: number;
  [field: string]: unknown;
}
