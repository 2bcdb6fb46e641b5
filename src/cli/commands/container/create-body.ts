/**
 * docker's `parse` (cli/command/container/opts.go) for the flags Shoal takes: flags + IMAGE + CMD → the
 * `POST /containers/create` body, byte-for-byte the JSON the docker CLI sends (every Config/HostConfig field in Go's
 * order, zero values included, `omitempty` fields left out). Pure apart from the injected file reader.
 */
import type { ContainerCreateBody, HealthConfig, HostConfigBody } from '../../../client/container-types.js';
import type { CreateFlags } from './create-flags.js';
import { kvStringsToMap, parseKeyValueFile } from './env-values.js';
import { parseRestartPolicy, ulimitList } from './host-options.js';
import { splitVolumes, tmpfsMap } from './mount-spec.js';

/** A parse failure; `run`/`create` print it as "<bin>: <message>.\nSee '<bin> run --help'." and exit 125. */
export class CreateOptionsError extends Error {
  override readonly name = 'CreateOptionsError';
}

export interface BuildEnvironment {
  /** The CLI's environment (bare names in --env-file take their value from it). */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads an --env-file / --label-file. */
  readFile: (path: string) => string;
  /** Resolves relative `-v ./x:/y` sources. */
  cwd: string;
  /** [height, width] of the local terminal, [0, 0] when stdout is not one. */
  consoleSize: [number, number];
}

const emptyNull = <T>(values: T[] | undefined): T[] | null => (values === undefined || values.length === 0 ? null : values);

function readKVStrings(files: readonly string[], values: readonly string[], build: BuildEnvironment, withEnv: boolean): string[] | null {
  const out: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = build.readFile(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CreateOptionsError(code === 'ENOENT' ? `open ${f}: no such file or directory` : `open ${f}: ${(e as Error).message}`);
    }
    try {
      out.push(...parseKeyValueFile(text, withEnv ? (k) => build.env[k] : undefined));
    } catch (e) {
      throw new CreateOptionsError((e as Error).message);
    }
  }
  out.push(...values);
  return out.length === 0 ? null : out;
}

function healthConfig(f: CreateFlags): HealthConfig | undefined {
  const interval = f.healthInterval ?? 0;
  const timeout = f.healthTimeout ?? 0;
  const startPeriod = f.healthStartPeriod ?? 0;
  const startInterval = f.healthStartInterval ?? 0;
  const retries = f.healthRetries ?? 0;
  const cmd = f.healthCmd ?? '';
  const have = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (f.healthcheck === false) {
    if (have) throw new CreateOptionsError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  if (interval < 0) throw new CreateOptionsError('--health-interval cannot be negative');
  if (timeout < 0) throw new CreateOptionsError('--health-timeout cannot be negative');
  if (retries < 0) throw new CreateOptionsError('--health-retries cannot be negative');
  if (startPeriod < 0) throw new CreateOptionsError('--health-start-period cannot be negative');
  if (startInterval < 0) throw new CreateOptionsError('--health-start-interval cannot be negative');
  const h: HealthConfig = {};
  if (cmd !== '') h.Test = ['CMD-SHELL', cmd];
  if (interval !== 0) h.Interval = interval;
  if (timeout !== 0) h.Timeout = timeout;
  if (startPeriod !== 0) h.StartPeriod = startPeriod;
  if (startInterval !== 0) h.StartInterval = startInterval;
  if (retries !== 0) h.Retries = retries;
  return h;
}

/** The create body for `image` and `args`, as `docker create`/`docker run` builds it from the same flags. */
export function buildCreateBody(f: CreateFlags, image: string, args: readonly string[], build: BuildEnvironment): ContainerCreateBody {
  const attach = f.attach ?? [];
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (f.interactive === true) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  let split: ReturnType<typeof splitVolumes>;
  try {
    split = splitVolumes(f.volume ?? [], build.cwd);
  } catch (e) {
    throw new CreateOptionsError((e as Error).message);
  }
  const tmpfs = tmpfsMap(f.tmpfs ?? []);

  let entrypoint: string[] | null = null;
  if (f.entrypoint !== undefined) entrypoint = f.entrypoint !== '' ? [f.entrypoint] : [''];

  const env = readKVStrings(f.envFile ?? [], f.env ?? [], build, true);
  const labels = kvStringsToMap(readKVStrings(f.labelFile ?? [], f.label ?? [], build, false) ?? []);

  let restart: ReturnType<typeof parseRestartPolicy>;
  try {
    restart = parseRestartPolicy(f.restart ?? 'no');
  } catch (e) {
    throw new CreateOptionsError((e as Error).message);
  }

  const health = healthConfig(f);
  const sysctls = kvStringsToMap(f.sysctl ?? []);

  const hostConfig: HostConfigBody = {
    Binds: emptyNull(split.binds),
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: restart,
    AutoRemove: f.rm === true,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: build.consoleSize,
    CapAdd: emptyNull(f.capAdd),
    CapDrop: emptyNull(f.capDrop),
    CgroupnsMode: '',
    Dns: f.dns ?? [],
    DnsOptions: f.dnsOption ?? [],
    DnsSearch: f.dnsSearch ?? [],
    ExtraHosts: emptyNull(f.addHost),
    GroupAdd: emptyNull(f.groupAdd),
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: f.oomScoreAdj ?? 0,
    PidMode: '',
    Privileged: f.privileged === true,
    PublishAllPorts: false,
    ReadonlyRootfs: f.readOnly === true,
    SecurityOpt: null,
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    UTSMode: '',
    UsernsMode: '',
    ShmSize: f.shmSize ?? 0,
    ...(Object.keys(sysctls).length > 0 ? { Sysctls: sysctls } : {}),
    Isolation: '',
    CpuShares: f.cpuShares ?? 0,
    Memory: f.memory ?? 0,
    NanoCpus: f.cpus ?? 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: f.memoryReservation ?? 0,
    MemorySwap: f.memorySwap ?? 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: f.pidsLimit ?? 0,
    Ulimits: ulimitList(f.ulimit ?? []),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(f.mount !== undefined && f.mount.length > 0 ? { Mounts: f.mount } : {}),
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...(f.init !== undefined ? { Init: f.init } : {}),
  };

  if (f.rm === true && restart.Name !== 'no' && restart.Name !== '') {
    throw new CreateOptionsError('conflicting options: cannot specify both --restart and --rm');
  }

  const openStdin = f.interactive === true;
  const body: ContainerCreateBody = {
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: f.tty === true,
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: env,
    Cmd: args.length > 0 ? [...args] : null,
    ...(health !== undefined ? { Healthcheck: health } : {}),
    Image: image,
    Volumes: split.volumes,
    WorkingDir: f.workdir ?? '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(f.stopSignal !== undefined && f.stopSignal !== '' ? { StopSignal: f.stopSignal } : {}),
    ...(f.stopTimeout !== undefined ? { StopTimeout: f.stopTimeout } : {}),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: {} },
  };
  return body;
}

/** What `run -d` changes in the body (docker's runContainer): nothing attached. */
export function detachBody(body: ContainerCreateBody): ContainerCreateBody {
  return { ...body, AttachStdin: false, AttachStdout: false, AttachStderr: false, StdinOnce: false };
}
