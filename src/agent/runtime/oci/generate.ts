/**
 * ContainerSpec → OCI config.json, as docker would write it for the same container (moby daemon/oci_linux.go),
 * with cgroup v1 resources through runc's cgroupfs driver. Pure: the host's limits, capabilities and oom floor
 * come in as data. Every refusal is an InvalidArgument ShoalError worded like docker's.
 */
import { invalidArgument } from '../../../api/errors.js';
import type { ContainerSpec, ExecSpec, ProcessSpec } from '../../exec/runtime.js';
import { validateCapabilities } from './capabilities.js';
import { DEFAULT_PATH_ENV, defaultDeviceRules, defaultMounts, defaultNamespaces, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
import { mergeMounts } from './mounts.js';
import { clampRlimits, UNLIMITED } from './rlimits.js';
import type { HostLimits } from './rlimits.js';
import { validateSysctls } from './sysctls.js';
import { OCI_VERSION } from './types.js';
import type { OciCapabilities, OciNamespace, OciProcess, OciResources, OciSpec } from './types.js';

/** What the host contributes to a config: data read once by the adapter (see runc/host-info.ts). */
export interface OciHost {
  /** The agent's own rlimits; requested hard limits are clamped to these. */
  limits: HostLimits;
  /** Capabilities the host can grant (its bounding set); unchecked when undefined. */
  capabilities?: readonly string[];
  /** Lowest oom_score_adj the host may give a child (its own, without CAP_SYS_RESOURCE); unclamped when undefined. */
  oomScoreAdjFloor?: number;
}

export interface GenerateOptions {
  /** Host path of the mounted root filesystem (the overlay mount point). */
  rootfsPath: string;
  /** cgroupfs-style path, e.g. `/shoal/<id>`. */
  cgroupsPath: string;
  host: OciHost;
  shmBytes?: number;
}

/** Docker's minimum memory limit (6 MB) and its wording. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

export function validateContainerId(id: string): void {
  if (!ID_RE.test(id)) throw invalidArgument('container.invalid_id', `invalid container ID ${JSON.stringify(id)}`);
}

/** Docker's rule: root keeps the set as bounding, effective and permitted; other users get it as bounding only. */
export function capabilitySets(caps: readonly string[], uid: number): OciCapabilities {
  return uid === 0 ? { bounding: [...caps], effective: [...caps], permitted: [...caps] } : { bounding: [...caps] };
}

function withPath(env: readonly string[]): string[] {
  return env.some((e) => e.startsWith('PATH=')) ? [...env] : [...env, DEFAULT_PATH_ENV];
}

function checkCwd(cwd: string): void {
  if (!cwd.startsWith('/')) {
    throw invalidArgument('container.invalid_workdir', `the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  }
}

function oomScoreAdj(p: ProcessSpec, host: OciHost): number | undefined {
  if (p.oomScoreAdj === undefined) return undefined;
  if (!Number.isInteger(p.oomScoreAdj) || p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000) {
    throw invalidArgument('container.invalid_oom_score_adj', `Invalid value ${p.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  return host.oomScoreAdjFloor === undefined ? p.oomScoreAdj : Math.max(p.oomScoreAdj, host.oomScoreAdjFloor);
}

/** OCI's consoleSize (height × width) for a terminal of rows × cols; none without a terminal or a size. */
function consoleSize(terminal: boolean, size: { rows: number; cols: number } | undefined): OciProcess['consoleSize'] {
  if (!terminal || !size || size.rows <= 0 || size.cols <= 0) return undefined;
  return { height: Math.min(65535, Math.floor(size.rows)), width: Math.min(65535, Math.floor(size.cols)) };
}

/** The container's main process. */
export function processSpec(p: ProcessSpec, host: OciHost): OciProcess {
  if (p.args.length === 0 || p.args[0] === '') throw invalidArgument('container.no_command', 'No command specified');
  checkCwd(p.cwd);
  validateCapabilities(p.capabilities, host.capabilities ? { available: host.capabilities } : {});
  const out: OciProcess = {
    terminal: p.terminal,
    user: { uid: p.uid, gid: p.gid, ...(p.additionalGids && p.additionalGids.length > 0 ? { additionalGids: [...p.additionalGids] } : {}) },
    args: [...p.args],
    env: withPath(p.env),
    cwd: p.cwd,
    capabilities: capabilitySets(p.capabilities, p.uid),
  };
  const size = consoleSize(p.terminal, p.consoleSize);
  if (size) out.consoleSize = size;
  if (p.rlimits && p.rlimits.length > 0) out.rlimits = clampRlimits(p.rlimits, host.limits);
  if (p.noNewPrivileges === true) out.noNewPrivileges = true;
  const adj = oomScoreAdj(p, host);
  if (adj !== undefined) out.oomScoreAdj = adj;
  return out;
}

/**
 * A process for `runc exec --process`: the container's capabilities, rlimits and no-new-privileges; its env with
 * the exec's entries overriding by key (docker exec's merge); the exec's user and cwd when given.
 */
export function execProcessSpec(container: ContainerSpec, exec: ExecSpec, host: OciHost): OciProcess {
  if (exec.args.length === 0 || exec.args[0] === '') throw invalidArgument('exec.no_command', 'No exec command specified');
  const cwd = exec.cwd !== undefined && exec.cwd !== '' ? exec.cwd : container.process.cwd;
  checkCwd(cwd);
  const env = new Map<string, string>();
  for (const e of [...container.process.env, ...(exec.env ?? [])]) {
    const eq = e.indexOf('=');
    env.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  const uid = exec.uid ?? container.process.uid;
  const gid = exec.gid ?? (exec.uid !== undefined ? exec.uid : container.process.gid);
  const out: OciProcess = {
    terminal: exec.terminal === true,
    user: {
      uid,
      gid,
      ...(exec.uid === undefined && container.process.additionalGids && container.process.additionalGids.length > 0
        ? { additionalGids: [...container.process.additionalGids] }
        : {}),
    },
    args: [...exec.args],
    env: withPath([...env.values()]),
    cwd,
    capabilities: capabilitySets(container.process.capabilities, uid),
  };
  const size = consoleSize(exec.terminal === true, exec.consoleSize);
  if (size) out.consoleSize = size;
  if (container.process.rlimits && container.process.rlimits.length > 0) out.rlimits = clampRlimits(container.process.rlimits, host.limits);
  if (container.process.noNewPrivileges === true) out.noNewPrivileges = true;
  return out;
}

/** cgroup v1 resources, checked with docker's limits and texts. */
export function resources(r: ContainerSpec['resources']): OciResources {
  const out: OciResources = { devices: defaultDeviceRules() };
  if (r.memoryBytes !== undefined && r.memoryBytes !== 0) {
    if (r.memoryBytes < MIN_MEMORY_BYTES) throw invalidArgument('container.memory_too_low', 'Minimum memory limit allowed is 6MB');
    out.memory = { limit: r.memoryBytes };
    if (r.memorySwapBytes !== undefined && r.memorySwapBytes !== 0) {
      if (r.memorySwapBytes !== -1 && r.memorySwapBytes < r.memoryBytes) {
        throw invalidArgument('container.swap_too_low', 'Minimum memoryswap limit should be larger than memory limit, see usage');
      }
      out.memory.swap = r.memorySwapBytes;
    }
  } else if (r.memorySwapBytes !== undefined && r.memorySwapBytes > 0) {
    throw invalidArgument('container.swap_without_memory', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuPeriod !== undefined && r.cpuPeriod !== 0) {
    if (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000) {
      throw invalidArgument('container.cpu_period', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    }
    cpu.period = r.cpuPeriod;
  }
  if (r.cpuQuota !== undefined && r.cpuQuota !== 0) {
    if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw invalidArgument('container.cpu_quota', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    cpu.quota = r.cpuQuota;
  }
  if (r.cpuShares !== undefined && r.cpuShares !== 0) {
    if (r.cpuShares < 0) throw invalidArgument('container.cpu_shares', 'invalid CPU shares: must be positive');
    cpu.shares = r.cpuShares;
  }
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.pids = { limit: r.pidsLimit < 0 ? -1 : r.pidsLimit };
  return out;
}

export function generateOciSpec(spec: ContainerSpec, opts: GenerateOptions): OciSpec {
  validateContainerId(spec.id);
  const namespaces: OciNamespace[] = spec.namespaces
    ? spec.namespaces.map((n) => (n.path !== undefined ? { type: n.type, path: n.path } : { type: n.type }))
    : defaultNamespaces();
  const sysctls = spec.sysctls ?? {};
  validateSysctls(sysctls, namespaces);
  const privateUts = namespaces.some((n) => n.type === 'uts' && n.path === undefined);
  const out: OciSpec = {
    ociVersion: OCI_VERSION,
    process: processSpec(spec.process, opts.host),
    root: { path: opts.rootfsPath, readonly: spec.rootfs.readonly === true },
    mounts: mergeMounts(defaultMounts(opts.shmBytes), spec.mounts),
    linux: {
      namespaces,
      resources: resources(spec.resources),
      cgroupsPath: opts.cgroupsPath,
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (privateUts && spec.hostname !== '') out.hostname = spec.hostname;
  if (Object.keys(sysctls).length > 0) out.linux.sysctl = { ...sysctls };
  return out;
}

const U64_MAX = '18446744073709551615';
const UNLIMITED_MARK = '\u0000rlim-infinity\u0000';

/** JSON for config.json; rlimits of `UNLIMITED` become RLIM_INFINITY (2^64-1), which a JS number cannot hold. */
export function serializeOciSpec(value: OciSpec | OciProcess): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v === UNLIMITED ? UNLIMITED_MARK : v), 2);
  return text.replaceAll(JSON.stringify(UNLIMITED_MARK), U64_MAX);
}
