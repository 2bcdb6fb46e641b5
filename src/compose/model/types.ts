/**
 * The normalized compose model (docs/design/compose.md): what `loadProject` (load.ts) returns after parsing,
 * interpolating, merging, validating and normalizing one or more compose files. Pure types; both `shoal stack`
 * (stack.ts → swarm specs) and `shoal compose` (Engine API) consume it. Sizes are bytes, durations nanoseconds.
 */

/** One located problem; thrown as ShoalError InvalidArgument 'compose.invalid', message `${file}:${line}:${col}: ${field}: ${message}`. */
export interface ComposeError {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
}

export interface LoadInput {
  /** -f files in order (later ones override, compose merge rules). */
  files: { path: string; content: string }[];
  /** Project directory (where .env is read). */
  workingDir: string;
  /** Process environment (wins over .env). */
  env: Record<string, string>;
  /** .env, env_file, secrets/configs `file:` checks, extends files. undefined when the file does not exist. */
  readFile(path: string): string | undefined;
  /** -p / stack name; default: basename of workingDir, normalized. */
  projectName?: string;
}

export interface ComposeProject {
  name: string;
  /** Keys sorted. */
  services: Record<string, ComposeService>;
  /** `default` added when a service uses no network. */
  networks: Record<string, ComposeNetwork>;
  volumes: Record<string, ComposeVolume>;
  secrets: Record<string, ComposeFileObject>;
  configs: Record<string, ComposeFileObject>;
  /** e.g. `Ignoring unsupported options: build` per service. */
  warnings: string[];
}

export interface ComposePort {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp';
  mode: 'ingress' | 'host';
  host_ip?: string;
}

export interface ComposeServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only: boolean;
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number };
}

export interface ComposeFileReference {
  source: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface ComposeHealthcheck {
  test: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  start_period?: number;
  start_interval?: number;
  disable?: boolean;
}

export interface ComposeDeploy {
  mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  replicas?: number;
  labels: Record<string, string>;
  endpoint_mode?: 'vip' | 'dnsrr';
  resources?: {
    limits?: { cpus?: number; memory?: number; pids?: number };
    reservations?: { cpus?: number; memory?: number };
  };
  restart_policy?: { condition?: 'none' | 'on-failure' | 'any'; delay?: number; max_attempts?: number; window?: number };
  placement?: { constraints: string[]; preferences: { spread: string }[]; max_replicas_per_node?: number };
  update_config?: UpdateConfigModel;
  rollback_config?: UpdateConfigModel;
}

export interface ComposeDependency {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart: boolean;
  required: boolean;
}

export interface ComposeService {
  name: string;
  image?: string;
  /** Kept only to warn. */
  build?: unknown;
  /** Shell form split like compose does (shlex). */
  command?: string[];
  entrypoint?: string[];
  /** env_file merged under environment; `KEY` without a value → null. */
  environment: Record<string, string | null>;
  labels: Record<string, string>;
  ports: ComposePort[];
  /** `default` when none given. */
  networks: Record<string, { aliases: string[] }>;
  volumes: ComposeServiceVolume[];
  secrets: ComposeFileReference[];
  configs: ComposeFileReference[];
  /** Durations in ns. */
  healthcheck?: ComposeHealthcheck;
  deploy?: ComposeDeploy;
  depends_on: Record<string, ComposeDependency>;
  /** compose (one host): no | always | on-failure[:n] | unless-stopped. */
  restart?: string;
  user?: string;
  working_dir?: string;
  hostname?: string;
  init?: boolean;
  read_only?: boolean;
  /** ns. */
  stop_grace_period?: number;
  stop_signal?: string;
  cap_add: string[];
  cap_drop: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, { soft: number; hard: number }>;
  tmpfs: string[];
  extra_hosts: string[];
  dns: string[];
}

export interface UpdateConfigModel {
  parallelism?: number;
  delay?: number;
  failure_action?: 'continue' | 'pause' | 'rollback';
  monitor?: number;
  max_failure_ratio?: number;
  order?: 'stop-first' | 'start-first';
}

export interface ComposeNetwork {
  /** Full name: `<project>_<key>` unless `name:` or external. */
  name: string;
  external: boolean;
  driver?: string;
  driver_opts: Record<string, string>;
  attachable: boolean;
  internal: boolean;
  labels: Record<string, string>;
  ipam?: { config: { subnet?: string; gateway?: string }[] };
}

export interface ComposeVolume {
  name: string;
  external: boolean;
  driver?: string;
  driver_opts: Record<string, string>;
  labels: Record<string, string>;
}

export interface ComposeFileObject {
  name: string;
  external: boolean;
  /** Absolute. */
  file?: string;
  content?: string;
  environment?: string;
  labels: Record<string, string>;
}
