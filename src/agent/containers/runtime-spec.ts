/**
 * Turns a container record (docker's Config + HostConfig) and its image into the runtime's ContainerSpec:
 * command line, environment, user, hostname, mounts (including /etc/hosts, /etc/hostname, /etc/resolv.conf and
 * tini for --init), cgroup limits, capabilities, sysctls and rlimits.
 */
import { join } from 'node:path';
import type { ContainerInspect } from '../../api/container.js';
import { invalidArgument } from '../../api/errors.js';
import type { ContainerSpec, MountSpec, Rlimit } from '../exec/runtime.js';
import type { ImageConfig } from '../runtime/images/store-port.js';
import type { PlannedMount } from './mounts.js';
import { resolveUser } from './user.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** The command a container runs: entrypoint + cmd, where a request's entrypoint drops the image's cmd (docker's rule). */
export function commandLine(config: ContainerInspect['Config'], image: ImageConfig): string[] {
  const entrypoint = config.Entrypoint ?? image.Entrypoint ?? [];
  const cmd = config.Cmd ?? (config.Entrypoint ? [] : (image.Cmd ?? []));
  return [...entrypoint, ...cmd];
}

/** Image env, then the request's env overriding by key; PATH is always set. */
export function mergeEnv(image: readonly string[] | undefined, request: readonly string[] | null | undefined): string[] {
  const out = new Map<string, string>();
  const add = (e: string): void => {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  };
  for (const e of image ?? []) add(e);
  for (const e of request ?? []) add(e);
  if (!out.has('PATH')) out.set('PATH', DEFAULT_PATH);
  return [...out.values()];
}

const RLIMIT_NAMES: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};

export function rlimits(ulimits: ContainerInspect['HostConfig']['Ulimits']): Rlimit[] {
  return (ulimits ?? []).map((u) => {
    const type = RLIMIT_NAMES[u.Name];
    if (!type) throw invalidArgument('container.ulimit_invalid', `invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw invalidArgument('container.ulimit_invalid', `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    return { type, soft: u.Soft, hard: u.Hard };
  });
}

export interface SpecInputs {
  record: { inspect: ContainerInspect; mounts: PlannedMount[]; network?: { netnsPath: string } };
  image: ImageConfig;
  layers: string[];
  containerDir: string;
  volumeDir: (name: string) => string;
  capabilities: string[];
  initBinary: string | undefined;
  swapLimitSupported: boolean;
}

export function buildRuntimeSpec(i: SpecInputs): ContainerSpec {
  const c = i.record.inspect;
  const hc = c.HostConfig;
  const args = [c.Path, ...c.Args];
  const user = resolveUser(c.Config.User ?? '', i.layers, hc.GroupAdd ?? []);
  const mounts: MountSpec[] = [];
  for (const m of i.record.mounts) {
    switch (m.kind) {
      case 'bind':
        mounts.push({ destination: m.target, type: 'bind', source: m.source, options: ['rbind', m.propagation, m.readonly ? 'ro' : 'rw'] });
        break;
      case 'volume':
        mounts.push({ destination: m.target, type: 'bind', source: i.volumeDir(m.name), options: ['rbind', 'rprivate', m.readonly ? 'ro' : 'rw'] });
        break;
      case 'tmpfs':
        mounts.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: m.options });
        break;
    }
  }
  const targets = new Set(i.record.mounts.map((m) => m.target));
  for (const [file, dest] of [['hostname', '/etc/hostname'], ['hosts', '/etc/hosts'], ['resolv.conf', '/etc/resolv.conf']] as const) {
    if (!targets.has(dest)) mounts.push({ destination: dest, type: 'bind', source: join(i.containerDir, file), options: ['rbind', 'rprivate', 'rw'] });
  }
  let processArgs = args;
  if (hc.Init === true) {
    if (!i.initBinary) throw invalidArgument('container.init_missing', 'docker-init binary not found: install tini to use --init');
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: i.initBinary, options: ['rbind', 'rprivate', 'ro'] });
    processArgs = [INIT_PATH_IN_CONTAINER, '--', ...args];
  }
  const resources: ContainerSpec['resources'] = {};
  if (hc.Memory) {
    resources.memoryBytes = hc.Memory;
    if (i.swapLimitSupported) resources.memorySwapBytes = hc.MemorySwap && hc.MemorySwap !== 0 ? hc.MemorySwap : hc.Memory * 2;
  }
  if (hc.NanoCpus) {
    resources.cpuPeriod = 100000;
    resources.cpuQuota = Math.round((hc.NanoCpus / 1e9) * 100000);
  } else {
    if (hc.CpuQuota) resources.cpuQuota = hc.CpuQuota;
    if (hc.CpuPeriod) resources.cpuPeriod = hc.CpuPeriod;
  }
  if (hc.CpuShares) resources.cpuShares = hc.CpuShares;
  if (hc.PidsLimit && hc.PidsLimit > 0) resources.pidsLimit = hc.PidsLimit;
  return {
    id: c.Id,
    rootfs: { layers: i.layers, readonly: hc.ReadonlyRootfs === true },
    process: {
      args: processArgs,
      env: c.Config.Env ?? [],
      cwd: c.Config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      terminal: c.Config.Tty === true,
      capabilities: i.capabilities,
      noNewPrivileges: false,
      rlimits: rlimits(hc.Ulimits),
      ...(hc.OomScoreAdj ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    },
    hostname: c.Config.Hostname ?? c.Id.slice(0, 12),
    mounts,
    resources,
    sysctls: hc.Sysctls ?? {},
    ...(i.record.network !== undefined
      ? { namespaces: [{ type: 'mount' }, { type: 'network', path: i.record.network.netnsPath }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }] }
      : {}),
    logPath: c.LogPath,
    annotations: { 'io.shoal.container.name': c.Name },
  };
}
