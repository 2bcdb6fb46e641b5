/**
 * Request and response shapes of the Engine API calls the client makes that src/api/types.ts does not model yet
 * (system and swarm membership). Field names are the Engine API's. Candidates to move to src/api once the daemon
 * side shares them.
 */
import type { Swarm, SwarmSpec } from '../api/types.js';

/** What `HEAD /_ping` tells (docker's `types.Ping`). */
export interface PingInfo {
  /** The daemon's maximum API version (`Api-Version` header); undefined if the header is missing. */
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
  builderVersion: string | undefined;
  /** The `Swarm` header: inactive | pending | error | locked | active/worker | active/manager. */
  swarm: string | undefined;
}

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

/** `Info.Swarm.Cluster`: the Swarm object without join tokens. */
export type ClusterInfo = Omit<Swarm, 'JoinTokens'>;

/** `Info.Swarm` (the Engine API's `SwarmInfo`). */
export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: LocalNodeState;
  ControlAvailable: boolean;
  Error: string;
  RemoteManagers: { NodeID: string; Addr: string }[] | null;
  Nodes?: number;
  Managers?: number;
  Cluster?: ClusterInfo | null;
}

/** `GET /info` (the Engine API's `SystemInfo`); only the fields Shoal's CLI reads are typed. */
export interface SystemInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  KernelVersion: string;
  NCPU: number;
  MemTotal: number;
  Swarm: SwarmInfo;
  [field: string]: unknown;
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** `GET /version` (the Engine API's `SystemVersion`). */
export interface SystemVersion {
  Platform?: { Name: string };
  Components?: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** `POST /swarm/init` body. Zero values mean "use the default". */
export interface SwarmInitRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  DataPathPort: number;
  ForceNewCluster: boolean;
  Spec: Partial<SwarmSpec> | Record<string, unknown>;
  AutoLockManagers: boolean;
  Availability: string;
  DefaultAddrPool: string[] | null;
  SubnetSize: number;
}

/** `POST /swarm/join` body. */
export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  RemoteAddrs: string[];
  JoinToken: string;
  Availability: string;
}

/** The rotate flags of `POST /swarm/update` (all sent, as the docker CLI does). */
export interface SwarmUpdateFlags {
  rotateWorkerToken?: boolean;
  rotateManagerToken?: boolean;
  rotateManagerUnlockKey?: boolean;
}
