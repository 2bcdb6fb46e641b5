/**
 * The container runtime port: what the agent needs from an OCI runtime. The real adapter is runc under conmon
 * (src/agent/runtime/runc); the fake (test/fakes/runtime.ts) serves unit and integration tests. Both pass
 * test/contracts/runtime.ts.
 *
 * The port is below Docker's container model: it knows processes, root filesystems, mounts, namespaces and cgroup
 * limits, not names, images or restart policies (src/agent/containers owns those).
 *
 * Invariants:
 * - A container outlives the agent process: conmon holds its exit code and logs, so `list()` after a restart finds
 *   every container created before, running or exited, and `wait()` works on adopted containers.
 * - `create` is all-or-nothing: when it throws, no mount, cgroup, bundle or state directory is left behind.
 * - `delete` removes every trace (runtime state, bundle, rootfs mount, cgroup) and is idempotent.
 */

export type ContainerStatus = 'created' | 'running' | 'stopped';

export interface RootfsSpec {
  /** Image layer directories, lowest first; mounted as overlayfs lowerdirs with a fresh upper dir per container. */
  layers: string[];
  readonly?: boolean;
}

export interface MountSpec {
  destination: string;
  /** 'bind' (source = a host path), 'tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', ... as in the OCI spec. */
  type: string;
  source: string;
  options: string[];
}

export interface Rlimit {
  /** OCI name, e.g. RLIMIT_NOFILE. */
  type: string;
  soft: number;
  hard: number;
}

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  terminal: boolean;
  /** Initial terminal size when `terminal` (docker's ConsoleSize), applied before the process starts. */
  consoleSize?: { rows: number; cols: number };
  /**
   * Capability names with the CAP_ prefix. As docker does it: for uid 0 the bounding, effective and permitted
   * sets; for other users the bounding set only (what execve would leave them). Never inheritable or ambient.
   */
  capabilities: string[];
  noNewPrivileges?: boolean;
  rlimits?: Rlimit[];
  oomScoreAdj?: number;
}

export interface ResourceSpec {
  memoryBytes?: number;
  memorySwapBytes?: number;
  /** CFS quota and period in microseconds (--cpus 0.5 → quota 50000, period 100000). */
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

export interface ContainerSpec {
  /** Unique, [0-9a-f]{64} in practice; the runtime's container name. */
  id: string;
  rootfs: RootfsSpec;
  process: ProcessSpec;
  hostname: string;
  mounts: MountSpec[];
  resources: ResourceSpec;
  sysctls?: Record<string, string>;
  /** Namespaces to create (or join, with `path`). pid, mount, uts, ipc and network by default. */
  namespaces?: { type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup'; path?: string }[];
  /** Host path of the container's log file (conmon writes it in k8s-file format). */
  logPath: string;
  /** Free-form annotations stored with the container and returned by `list()`/`state()`. */
  annotations?: Record<string, string>;
}

export interface ContainerState {
  id: string;
  status: ContainerStatus;
  /** Host PID of the container's init process while it runs. */
  pid?: number;
  exitCode?: number;
  /** True when the kernel's OOM killer ended it (exit 137 then). */
  oomKilled?: boolean;
  /** Epoch ms. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  annotations: Record<string, string>;
}

export interface ExitStatus {
  exitCode: number;
  oomKilled: boolean;
  finishedAt: number;
}

export interface ExecSpec {
  args: string[];
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  terminal?: boolean;
  /** Initial terminal size when `terminal`, applied before the process starts (so a quick command sees it). */
  consoleSize?: { rows: number; cols: number };
}

/** A process started inside a running container. Streams are raw bytes; with a terminal, stdout carries both. */
export interface ExecProcess {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  resize(rows: number, cols: number): void;
  kill(signal: string): void;
}

/** The container's main process console, for `run -it` / `attach`. */
export interface AttachStreams {
  stdin: NodeJS.WritableStream | undefined;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | undefined;
  resize(rows: number, cols: number): void;
  detach(): void;
}

export interface Runtime {
  /**
   * Prepares the container (rootfs, bundle, cgroup) and its monitor; the process is created but not started.
   * `stdin` gives the main process a stdin that `attach` feeds; `stdinOnce` closes it when the first attached
   * client ends its input or detaches (docker's StdinOnce, set by `run -i`), otherwise it stays open.
   */
  create(spec: ContainerSpec, opts?: { stdin?: boolean; stdinOnce?: boolean }): Promise<void>;
  start(id: string): Promise<void>;
  /** Sends a signal (name like SIGTERM or number as string) to the main process. */
  kill(id: string, signal: string): Promise<void>;
  state(id: string): Promise<ContainerState | undefined>;
  list(): Promise<ContainerState[]>;
  /** Resolves when the main process has exited (at once if it already has). Rejects if `signal` aborts. */
  wait(id: string, signal?: AbortSignal): Promise<ExitStatus>;
  exec(id: string, spec: ExecSpec): Promise<ExecProcess>;
  attach(id: string): Promise<AttachStreams>;
  /** Removes the container; `force` kills it first. Idempotent. */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
}
