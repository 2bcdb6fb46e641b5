/**
 * The single-host compose planner (docs/design/compose.md): a normalized ComposeProject → the Engine API bodies
 * `shoal compose up` sends, with docker compose's names and labels. Pure: no daemon, no files.
 *
 * - containers `<project>-<service>-<n>`, `deploy.replicas` of them (1 by default, 1 for global);
 * - networks and volumes keep the model's full names; created ones carry `com.docker.compose.{project,network|volume}`;
 * - every container carries `com.docker.compose.{project,service,container-number,oneoff,config-hash,...}`;
 * - one network at create (`HostConfig.NetworkMode` + its `EndpointsConfig`, aliases = service name + its aliases);
 *   the others come back from `extraNetworks` for `POST /networks/{id}/connect`;
 * - secrets and configs with `file:` are bind-mounted read-only at their target (compose's one-host behaviour);
 *   others are refused with the field named.
 */
import type { ContainerCreateRequest, HostConfig, MountRequest } from '../../api/container.js';
import { invalidArgument } from '../../api/errors.js';
import { configHash } from './compose-hash.js';
import type { ComposeFileReference, ComposeProject, ComposeService } from './types.js';

export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_SERVICE = 'com.docker.compose.service';
export const LABEL_NUMBER = 'com.docker.compose.container-number';
export const LABEL_ONEOFF = 'com.docker.compose.oneoff';
export const LABEL_CONFIG_HASH = 'com.docker.compose.config-hash';
export const LABEL_WORKING_DIR = 'com.docker.compose.project.working_dir';
export const LABEL_CONFIG_FILES = 'com.docker.compose.project.config_files';
export const LABEL_NETWORK = 'com.docker.compose.network';
export const LABEL_VOLUME = 'com.docker.compose.volume';
export const LABEL_VERSION = 'com.docker.compose.version';
export const LABEL_DEPENDS_ON = 'com.docker.compose.depends_on';
export const LABEL_IMAGE = 'com.docker.compose.image';
/** What `com.docker.compose.version` says on objects Shoal creates. */
export const COMPOSE_VERSION = '2.0.0-shoal';

/** Where the project's files are, for the `project.*` labels. */
export interface PlanContext {
  workingDir?: string;
  configFiles?: readonly string[];
}

/** The body of `POST /networks/create` for a local (bridge) network. */
export interface LocalNetworkCreate {
  Name: string;
  Driver: string;
  Internal: boolean;
  Attachable: boolean;
  IPAM?: { Driver: string; Config: { Subnet?: string; Gateway?: string }[] };
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The body of `POST /volumes/create`. */
export interface LocalVolumeCreate {
  Name: string;
  Driver: string;
  DriverOpts: Record<string, string>;
  Labels: Record<string, string>;
}

/** `POST /containers/create`'s body as compose sends it. */
export type ComposeContainerBody = ContainerCreateRequest & {
  HostConfig: HostConfig;
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases: string[] }> };
  Labels: Record<string, string>;
};

const bad = (field: string, message: string): Error => invalidArgument('compose.invalid', `${field}: ${message}`);

export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/** How many containers a service runs on one host. */
export function replicasOf(service: ComposeService): number {
  const d = service.deploy;
  if (d === undefined) return 1;
  if (d.mode === 'global' || d.mode === 'global-job') return 1;
  return d.replicas ?? 1;
}

/** The service's networks in attach order (compose: by name), as model keys. */
export function serviceNetworks(service: ComposeService): string[] {
  return Object.keys(service.networks).sort();
}

/** The network the container is created on (`HostConfig.NetworkMode`). */
export function primaryNetwork(project: ComposeProject, service: ComposeService): { key: string; name: string; aliases: string[] } {
  const key = serviceNetworks(service)[0];
  if (key === undefined) throw bad(`services.${service.name}.networks`, 'the service is on no network');
  return { key, name: networkName(project, service, key), aliases: [service.name, ...(service.networks[key]?.aliases ?? [])] };
}

/** Networks after the first, for `POST /networks/{id}/connect` once the container exists. */
export function extraNetworks(project: ComposeProject, service: ComposeService): { key: string; name: string; aliases: string[] }[] {
  return serviceNetworks(service)
    .slice(1)
    .map((key) => ({ key, name: networkName(project, service, key), aliases: [service.name, ...(service.networks[key]?.aliases ?? [])] }));
}

function networkName(project: ComposeProject, service: ComposeService, key: string): string {
  const n = project.networks[key];
  if (n === undefined) throw bad(`services.${service.name}.networks.${key}`, `network "${key}" is not declared in the top-level networks`);
  return n.name;
}

export function networkCreateBody(project: ComposeProject, key: string): LocalNetworkCreate {
  const n = project.networks[key];
  if (n === undefined) throw bad(`networks.${key}`, 'no such network');
  const subnets = n.ipam?.config ?? [];
  return {
    Name: n.name,
    Driver: n.driver ?? 'bridge',
    Internal: n.internal,
    Attachable: n.attachable,
    ...(subnets.length > 0 ? { IPAM: { Driver: 'default', Config: subnets.map((c) => ({ ...(c.subnet ? { Subnet: c.subnet } : {}), ...(c.gateway ? { Gateway: c.gateway } : {}) })) } } : {}),
    Options: { ...n.driver_opts },
    Labels: { ...n.labels, [LABEL_NETWORK]: key, [LABEL_PROJECT]: project.name, [LABEL_VERSION]: COMPOSE_VERSION },
  };
}

export function volumeCreateBody(project: ComposeProject, key: string): LocalVolumeCreate {
  const v = project.volumes[key];
  if (v === undefined) throw bad(`volumes.${key}`, 'no such volume');
  return {
    Name: v.name,
    Driver: v.driver ?? 'local',
    DriverOpts: { ...v.driver_opts },
    Labels: { ...v.labels, [LABEL_PROJECT]: project.name, [LABEL_VOLUME]: key, [LABEL_VERSION]: COMPOSE_VERSION },
  };
}

/**
 * Services in start order: every service after the ones it depends on (ties by name). A cycle or a required
 * dependency on an unknown service is an error naming the field.
 */
export function dependencyOrder(project: ComposeProject): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw bad(`services.${name}.depends_on`, `dependency cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    const svc = project.services[name];
    for (const dep of Object.keys(svc?.depends_on ?? {}).sort()) {
      if (project.services[dep] === undefined) {
        if (svc?.depends_on[dep]?.required === false) continue;
        throw bad(`services.${name}.depends_on`, `service "${dep}" is not defined`);
      }
      visit(dep, [...path, name]);
    }
    state.set(name, 'done');
    out.push(name);
  };
  for (const name of Object.keys(project.services).sort()) visit(name, []);
  return out;
}

/** Services in stop order: dependents before what they depend on. */
export function reverseDependencyOrder(project: ComposeProject): string[] {
  return dependencyOrder(project).reverse();
}

function restartPolicy(service: ComposeService): { Name: string; MaximumRetryCount: number } {
  const field = `services.${service.name}.restart`;
  if (service.restart !== undefined) {
    const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(service.restart);
    if (m === null || (m[2] !== undefined && m[1] !== 'on-failure')) throw bad(field, `invalid restart policy "${service.restart}" (no, always, unless-stopped, on-failure[:max-retries])`);
    return { Name: m[1] as string, MaximumRetryCount: m[2] === undefined ? 0 : Number(m[2]) };
  }
  const rp = service.deploy?.restart_policy;
  if (rp === undefined) return { Name: 'no', MaximumRetryCount: 0 };
  switch (rp.condition ?? 'any') {
    case 'none':
      return { Name: 'no', MaximumRetryCount: 0 };
    case 'on-failure':
      return { Name: 'on-failure', MaximumRetryCount: rp.max_attempts ?? 0 };
    case 'any':
      return { Name: 'always', MaximumRetryCount: 0 };
  }
}

function fileMount(project: ComposeProject, service: ComposeService, kind: 'secrets' | 'configs', ref: ComposeFileReference, i: number): MountRequest {
  const field = `services.${service.name}.${kind}[${i}]`;
  const obj = project[kind][ref.source];
  if (obj === undefined) throw bad(field, `${kind === 'secrets' ? 'secret' : 'config'} "${ref.source}" is not declared in the top-level ${kind}`);
  if (obj.external) throw bad(`${kind}.${ref.source}`, `external ${kind} are swarm objects: shoal compose (one host, no swarm) cannot mount them`);
  if (obj.file === undefined) throw bad(`${kind}.${ref.source}`, `only \`file:\` ${kind} can be mounted by shoal compose (one host, no swarm)`);
  const target = ref.target.startsWith('/') ? ref.target : kind === 'secrets' ? `/run/secrets/${ref.target || ref.source}` : `/${ref.target || ref.source}`;
  return { Type: 'bind', Source: obj.file, Target: target, ReadOnly: true };
}

function tmpfsMap(service: ComposeService): Record<string, string> | undefined {
  if (service.tmpfs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of service.tmpfs) {
    const i = t.indexOf(':');
    out[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  return out;
}

function volumeMounts(project: ComposeProject, service: ComposeService): { binds: string[]; mounts: MountRequest[] } {
  const binds: string[] = [];
  const mounts: MountRequest[] = [];
  service.volumes.forEach((v, i) => {
    const field = `services.${service.name}.volumes[${i}]`;
    switch (v.type) {
      case 'bind':
        if (v.source === undefined || v.source === '') throw bad(field, 'a bind mount needs a source');
        binds.push(`${v.source}:${v.target}${v.read_only ? ':ro' : ''}`);
        return;
      case 'volume': {
        if (v.source === undefined || v.source === '') {
          mounts.push({ Type: 'volume', Target: v.target, ...(v.read_only ? { ReadOnly: true } : {}) });
          return;
        }
        const vol = project.volumes[v.source];
        if (vol === undefined) throw bad(field, `volume "${v.source}" is not declared in the top-level volumes`);
        mounts.push({
          Type: 'volume',
          Source: vol.name,
          Target: v.target,
          ...(v.read_only ? { ReadOnly: true } : {}),
          ...(v.volume?.nocopy === true ? { VolumeOptions: { NoCopy: true } } : {}),
        });
        return;
      }
      case 'tmpfs':
        mounts.push({ Type: 'tmpfs', Target: v.target, ...(v.tmpfs?.size !== undefined ? { TmpfsOptions: { SizeBytes: v.tmpfs.size } } : {}) });
        return;
    }
  });
  service.secrets.forEach((s, i) => mounts.push(fileMount(project, service, 'secrets', s, i)));
  service.configs.forEach((c, i) => mounts.push(fileMount(project, service, 'configs', c, i)));
  return { binds, mounts };
}

function portBindings(service: ComposeService): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published === undefined ? '' : String(p.published) });
  }
  return { exposed, bindings };
}

/** The labels that make a container part of the project (and tell `up` whether it is current). */
export function containerLabels(project: ComposeProject, service: ComposeService, n: number, ctx: PlanContext = {}): Record<string, string> {
  const deps = Object.entries(service.depends_on)
    .map(([name, d]) => `${name}:${d.condition}:${d.restart}`)
    .sort();
  return {
    ...service.labels,
    [LABEL_CONFIG_HASH]: configHash(service),
    [LABEL_NUMBER]: String(n),
    [LABEL_DEPENDS_ON]: deps.join(','),
    [LABEL_IMAGE]: service.image ?? '',
    [LABEL_ONEOFF]: 'False',
    [LABEL_PROJECT]: project.name,
    ...(ctx.configFiles !== undefined ? { [LABEL_CONFIG_FILES]: ctx.configFiles.join(',') } : {}),
    ...(ctx.workingDir !== undefined ? { [LABEL_WORKING_DIR]: ctx.workingDir } : {}),
    [LABEL_SERVICE]: service.name,
    [LABEL_VERSION]: COMPOSE_VERSION,
  };
}

/** The `POST /containers/create` body of container `n` (1-based) of `service`. */
export function containerBody(project: ComposeProject, service: ComposeService, n: number, ctx: PlanContext = {}): ComposeContainerBody {
  const field = `services.${service.name}`;
  if (service.image === undefined || service.image === '') {
    throw bad(`${field}.image`, service.build !== undefined ? 'build is not supported by shoal compose: give an image' : 'the service has neither an image nor a build context');
  }
  const net = primaryNetwork(project, service);
  const { binds, mounts } = volumeMounts(project, service);
  const { exposed, bindings } = portBindings(service);
  const env = Object.keys(service.environment)
    .sort()
    .flatMap((k) => {
      const v = service.environment[k];
      return v === null || v === undefined ? [] : [`${k}=${v}`];
    });
  const hc = service.healthcheck;
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const tmpfs = tmpfsMap(service);
  const host: HostConfig = {
    Binds: binds.length > 0 ? binds : null,
    NetworkMode: net.name,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(service),
    AutoRemove: false,
    Mounts: mounts.length > 0 ? mounts : null,
    ...(tmpfs !== undefined ? { Tmpfs: tmpfs } : {}),
    ReadonlyRootfs: service.read_only === true,
    CapAdd: service.cap_add.length > 0 ? [...service.cap_add] : null,
    CapDrop: service.cap_drop.length > 0 ? [...service.cap_drop] : null,
    ...(Object.keys(service.sysctls).length > 0 ? { Sysctls: { ...service.sysctls } } : {}),
    ...(Object.keys(service.ulimits).length > 0
      ? { Ulimits: Object.keys(service.ulimits).sort().map((name) => ({ Name: name, Soft: service.ulimits[name]?.soft ?? 0, Hard: service.ulimits[name]?.hard ?? 0 })) }
      : {}),
    ...(service.init !== undefined ? { Init: service.init } : {}),
    Memory: limits?.memory ?? 0,
    MemoryReservation: reservations?.memory ?? 0,
    NanoCpus: limits?.cpus !== undefined ? Math.round(limits.cpus * 1e9) : 0,
    ...(limits?.pids !== undefined ? { PidsLimit: limits.pids } : {}),
    ...(service.dns.length > 0 ? { Dns: [...service.dns] } : {}),
    ExtraHosts: service.extra_hosts.length > 0 ? service.extra_hosts.map((h) => h.replace(/^([^:=]+)=/, '$1:')) : null,
  };
  return {
    Hostname: service.hostname ?? '',
    User: service.user ?? '',
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    Tty: false,
    OpenStdin: false,
    Env: env,
    Cmd: service.command !== undefined ? [...service.command] : null,
    ...(hc !== undefined
      ? {
          Healthcheck:
            hc.disable === true
              ? { Test: ['NONE'] }
              : {
                  Test: [...hc.test],
                  ...(hc.interval !== undefined ? { Interval: hc.interval } : {}),
                  ...(hc.timeout !== undefined ? { Timeout: hc.timeout } : {}),
                  ...(hc.retries !== undefined ? { Retries: hc.retries } : {}),
                  ...(hc.start_period !== undefined ? { StartPeriod: hc.start_period } : {}),
                  ...(hc.start_interval !== undefined ? { StartInterval: hc.start_interval } : {}),
                },
        }
      : {}),
    Image: service.image,
    WorkingDir: service.working_dir ?? '',
    Entrypoint: service.entrypoint !== undefined ? [...service.entrypoint] : null,
    Labels: containerLabels(project, service, n, ctx),
    ...(service.stop_signal !== undefined ? { StopSignal: service.stop_signal } : {}),
    ...(service.stop_grace_period !== undefined ? { StopTimeout: Math.ceil(service.stop_grace_period / 1e9) } : {}),
    HostConfig: host,
    NetworkingConfig: { EndpointsConfig: { [net.name]: { Aliases: net.aliases } } },
  };
}
