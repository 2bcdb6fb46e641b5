/**
 * A compose project as a swarm stack (docs/design/compose.md): `toStackPlan(project, stack)` turns the normalized
 * model into the Engine-API objects `docker stack deploy` would send for the same file (the docker CLI's
 * cli/compose/convert conventions), so `shoal stack deploy` and `docker stack deploy` make the same stack:
 *
 *  - names `<stack>_<key>` for networks, secrets, configs, volumes and services (a compose `name:` or an external
 *    object keeps its own name); `com.docker.stack.namespace=<stack>` on every object's labels, the containers' and
 *    named volumes' too; `com.docker.stack.image=<image as written>` on the service labels;
 *  - networks: only those a service uses, overlay unless a driver is given, external ones only listed (to check);
 *    a service without networks is on `<stack>_default`; every attachment gets the service name as an alias;
 *  - secrets/configs: every non-external one, with where its data comes from (the CLI reads files);
 *    service references by name (the CLI resolves the IDs), sorted by name;
 *  - service specs with docker's quirks: `Mode.Replicated` without `Replicas` when none is given, `Resources`,
 *    `Placement`, `Privileges` and `EndpointSpec` always present, Env/ports/networks/ulimits/caps sorted, no
 *    RestartPolicy unless `deploy.restart_policy` or the legacy `restart:` asks for one.
 *
 * Pure: no node:*. Problems that make the stack impossible (an undefined network, a service without an image) throw
 * InvalidArgument 'stack.invalid' naming the service and field, before anything is created.
 */
import { invalidArgument } from '../../api/errors.js';
import type { ConfigReference, ContainerSpec, EndpointSpec, HealthConfig, Labels, Mount, NetworkAttachmentConfig, PortConfig, RestartPolicy, SecretReference, ServiceMode, ServiceSpec, TaskSpec, UpdateConfig } from '../../api/types.js';
import type { ComposeFileObject, ComposeNetwork, ComposeProject, ComposeService, ComposeServiceVolume, UpdateConfigModel } from './types.js';

export const LABEL_NAMESPACE = 'com.docker.stack.namespace';
export const LABEL_IMAGE = 'com.docker.stack.image';
const DEFAULT_NETWORK = 'default';
const DEFAULT_NETWORK_DRIVER = 'overlay';

/** The body of `POST /networks/create` as `docker stack deploy` sends it (moby's network.CreateRequest). */
export interface StackNetworkCreate {
  Name: string;
  Driver: string;
  Scope: string;
  IPAM: { Driver: string; Options: Record<string, string>; Config: { Subnet: string }[] } | null;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  ConfigFrom: null;
  Options: Record<string, string>;
  Labels: Labels;
}

/** Where a secret's or config's bytes come from; the CLI reads them (`file`: an absolute path). */
export type StackData = { file: string } | { content: string } | { environment: string };

export interface StackFileObjectPlan {
  name: string;
  labels: Labels;
  data: StackData;
}

export interface StackPlan {
  stack: string;
  /** Networks the stack creates (when missing), sorted by name. */
  networks: { name: string; create: StackNetworkCreate }[];
  /** External networks the services use: they must exist, swarm-scoped. */
  externalNetworks: string[];
  secrets: StackFileObjectPlan[];
  configs: StackFileObjectPlan[];
  /** Sorted by name; secret/config references carry names only (`SecretID`/`ConfigID` empty). */
  services: { name: string; key: string; spec: ServiceSpec }[];
  warnings: string[];
}

const bad = (message: string): Error => invalidArgument('stack.invalid', message);

const scope = (stack: string, key: string): string => `${stack}_${key}`;

const withNamespace = (stack: string, labels: Readonly<Record<string, string>> | undefined): Labels => ({ ...(labels ?? {}), [LABEL_NAMESPACE]: stack });

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The name an object gets in the stack: external objects and explicit `name:`s keep theirs; the loader's default
 * (`<project>_<key>`) becomes `<stack>_<key>`.
 */
function objectName(project: ComposeProject, stack: string, key: string, o: { name: string; external: boolean } | undefined): string {
  if (o === undefined) return scope(stack, key);
  if (o.external) return o.name;
  if (o.name === '' || o.name === scope(project.name, key)) return scope(stack, key);
  return o.name;
}

/** container.NetworkMode(x).IsUserDefined(): not one of docker's predefined network modes. */
function isUserDefined(target: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(target) && !target.startsWith('container:');
}

// ---------------------------------------------------------------- networks

function networkCreate(stack: string, name: string, n: ComposeNetwork | undefined): StackNetworkCreate {
  const subnets = (n?.ipam?.config ?? []).map((c) => ({ Subnet: c.subnet ?? '' }));
  return {
    Name: name,
    Driver: n?.driver !== undefined && n.driver !== '' ? n.driver : DEFAULT_NETWORK_DRIVER,
    Scope: '',
    IPAM: subnets.length > 0 ? { Driver: '', Options: {}, Config: subnets } : null,
    Internal: n?.internal ?? false,
    Attachable: n?.attachable ?? false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: { ...(n?.driver_opts ?? {}) },
    Labels: withNamespace(stack, n?.labels),
  };
}

function serviceNetworkKeys(s: ComposeService): string[] {
  const keys = Object.keys(s.networks);
  return keys.length === 0 ? [DEFAULT_NETWORK] : keys;
}

function planNetworks(project: ComposeProject, stack: string): Pick<StackPlan, 'networks' | 'externalNetworks'> {
  const used = new Set<string>();
  for (const s of Object.values(project.services)) for (const k of serviceNetworkKeys(s)) used.add(k);
  const networks: StackPlan['networks'] = [];
  const external = new Set<string>();
  for (const key of used) {
    const n = project.networks[key];
    if (n === undefined && key !== DEFAULT_NETWORK) continue; // reported per service (undefined network)
    const name = objectName(project, stack, key, n);
    if (n?.external === true) {
      external.add(name);
      continue;
    }
    networks.push({ name, create: networkCreate(stack, name, n) });
  }
  networks.sort((a, b) => byteOrder(a.name, b.name));
  return { networks, externalNetworks: [...external].sort(byteOrder) };
}

function attachments(project: ComposeProject, stack: string, s: ComposeService): NetworkAttachmentConfig[] {
  const out: NetworkAttachmentConfig[] = [];
  for (const key of serviceNetworkKeys(s)) {
    const n = project.networks[key];
    if (n === undefined && key !== DEFAULT_NETWORK) throw bad(`service ${s.name}: undefined network "${key}"`);
    const target = objectName(project, stack, key, n);
    const aliases = [...(s.networks[key]?.aliases ?? [])];
    if (isUserDefined(target)) aliases.push(s.name);
    const a: NetworkAttachmentConfig = { Target: target };
    if (aliases.length > 0) a.Aliases = aliases;
    out.push(a);
  }
  return out.sort((a, b) => byteOrder(a.Target, b.Target));
}

// ---------------------------------------------------------------- secrets and configs

function fileObjects(project: ComposeProject, stack: string, kind: 'secret' | 'config', objects: Record<string, ComposeFileObject>): StackFileObjectPlan[] {
  const out: StackFileObjectPlan[] = [];
  for (const key of Object.keys(objects).sort(byteOrder)) {
    const o = objects[key] as ComposeFileObject;
    if (o.external) continue;
    let data: StackData;
    if (o.file !== undefined) data = { file: o.file };
    else if (o.content !== undefined) data = { content: o.content };
    else if (o.environment !== undefined) data = { environment: o.environment };
    else throw bad(`${kind}s.${key}: one of file, content or environment is required`);
    out.push({ name: objectName(project, stack, key, o), labels: withNamespace(stack, o.labels), data });
  }
  return out;
}

interface FileRef {
  name: string;
  file: { Name: string; UID: string; GID: string; Mode: number };
}

function fileRefs(project: ComposeProject, stack: string, s: ComposeService, kind: 'secret' | 'config'): FileRef[] {
  const defined = kind === 'secret' ? project.secrets : project.configs;
  const refs = kind === 'secret' ? s.secrets : s.configs;
  const out: FileRef[] = [];
  for (const r of refs) {
    const o = defined[r.source];
    if (o === undefined) throw bad(`service ${s.name}: undefined ${kind} "${r.source}"`);
    out.push({
      name: objectName(project, stack, r.source, o),
      file: { Name: r.target !== '' ? r.target : r.source, UID: r.uid !== '' ? r.uid : '0', GID: r.gid !== '' ? r.gid : '0', Mode: r.mode },
    });
  }
  // docker sorts the references (stably) so a reordered file does not restart the service
  return out.map((r, i) => ({ r, i })).sort((a, b) => byteOrder(a.r.name, b.r.name) || a.i - b.i).map(({ r }) => r);
}

// ---------------------------------------------------------------- the container

function mounts(project: ComposeProject, stack: string, s: ComposeService): Mount[] {
  return s.volumes.map((v: ComposeServiceVolume): Mount => {
    const m: Mount = { Type: v.type, Target: v.target };
    if (v.source !== undefined && v.source !== '') m.Source = v.source;
    if (v.read_only) m.ReadOnly = true;
    switch (v.type) {
      case 'volume': {
        if (v.source === undefined || v.source === '') return m; // anonymous
        const vol = project.volumes[v.source];
        if (vol === undefined) throw bad(`service ${s.name}: undefined volume "${v.source}"`);
        m.Source = objectName(project, stack, v.source, vol);
        m.VolumeOptions = {};
        if (v.volume?.nocopy === true) m.VolumeOptions.NoCopy = true;
        if (vol.external) return m;
        m.VolumeOptions.Labels = withNamespace(stack, vol.labels);
        const opts = vol.driver_opts;
        if ((vol.driver !== undefined && vol.driver !== '') || Object.keys(opts).length > 0) {
          m.VolumeOptions.DriverConfig = { Name: vol.driver ?? '', ...(Object.keys(opts).length > 0 ? { Options: { ...opts } } : {}) };
        }
        return m;
      }
      case 'bind':
        if (m.Source === undefined) throw bad(`service ${s.name}: volumes: invalid bind source, source cannot be empty`);
        return m;
      case 'tmpfs':
        if (m.Source !== undefined) throw bad(`service ${s.name}: volumes: invalid tmpfs source, source must be empty`);
        if (v.tmpfs?.size !== undefined) m.TmpfsOptions = { SizeBytes: v.tmpfs.size };
        return m;
    }
  });
}

function environment(env: Record<string, string | null>): string[] {
  return Object.entries(env)
    .map(([k, v]) => (v === null ? k : `${k}=${v}`))
    .sort(byteOrder);
}

function healthcheck(s: ComposeService): HealthConfig | undefined {
  const h = s.healthcheck;
  if (h === undefined) return undefined;
  if (h.disable === true) {
    if (h.test.length > 0 && !(h.test.length === 1 && h.test[0] === 'NONE')) throw bad(`service ${s.name}: healthcheck: test and disable can't be set at the same time`);
    return { Test: ['NONE'] };
  }
  const out: HealthConfig = {};
  if (h.test.length > 0) out.Test = [...h.test];
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.retries) out.Retries = h.retries;
  if (h.start_period) out.StartPeriod = h.start_period;
  if (h.start_interval) out.StartInterval = h.start_interval;
  return out;
}

/** opts.EffectiveCapAddCapDrop: `CAP_` names upper-cased, ALL wins, an added one is not dropped, sorted. */
export function effectiveCaps(add: readonly string[], drop: readonly string[]): { add: string[]; drop: string[] } {
  const norm = (caps: readonly string[]): Set<string> => {
    const out = new Set<string>();
    for (const raw of caps) {
      const c = raw.trim().toUpperCase();
      out.add(c === 'ALL' || c === 'RESET' || c.startsWith('CAP_') ? c : `CAP_${c}`);
    }
    return out.has('ALL') ? new Set(['ALL']) : out;
  };
  const a = norm(add);
  const d = norm(drop);
  return {
    add: [...a].filter((c) => c !== 'RESET').sort(byteOrder),
    drop: [...d].filter((c) => !a.has(c) && c !== 'RESET').sort(byteOrder),
  };
}

/** convertExtraHosts: `host:ip` (or `host=ip`) → swarmkit's `ip host`, in order. */
function extraHosts(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of hosts) {
    const eq = h.indexOf('=');
    const colon = h.indexOf(':');
    const at = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
    if (at < 0) continue;
    out.push(`${h.slice(at + 1)} ${h.slice(0, at)}`);
  }
  return out;
}

function containerSpec(project: ComposeProject, stack: string, s: ComposeService, image: string): ContainerSpec {
  const c: ContainerSpec = { Image: image };
  c.Labels = withNamespace(stack, s.labels);
  if (s.entrypoint !== undefined && s.entrypoint.length > 0) c.Command = [...s.entrypoint];
  if (s.command !== undefined && s.command.length > 0) c.Args = [...s.command];
  if (s.hostname !== undefined && s.hostname !== '') c.Hostname = s.hostname;
  const env = environment(s.environment);
  if (env.length > 0) c.Env = env;
  if (s.working_dir !== undefined && s.working_dir !== '') c.Dir = s.working_dir;
  if (s.user !== undefined && s.user !== '') c.User = s.user;
  c.Privileges = { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false };
  if (s.init !== undefined) c.Init = s.init;
  if (s.stop_signal !== undefined && s.stop_signal !== '') c.StopSignal = s.stop_signal;
  if (s.read_only === true) c.ReadOnly = true;
  const m = mounts(project, stack, s);
  if (m.length > 0) c.Mounts = m;
  if (s.stop_grace_period !== undefined) c.StopGracePeriod = s.stop_grace_period;
  const h = healthcheck(s);
  if (h !== undefined) c.Healthcheck = h;
  const hosts = extraHosts(s.extra_hosts);
  if (hosts.length > 0) c.Hosts = hosts;
  if (s.dns.length > 0) c.DNSConfig = { Nameservers: [...s.dns] };
  const secrets: SecretReference[] = fileRefs(project, stack, s, 'secret').map((r) => ({ File: r.file, SecretID: '', SecretName: r.name }));
  if (secrets.length > 0) c.Secrets = secrets;
  const configs: ConfigReference[] = fileRefs(project, stack, s, 'config').map((r) => ({ File: r.file, ConfigID: '', ConfigName: r.name }));
  if (configs.length > 0) c.Configs = configs;
  if (Object.keys(s.sysctls).length > 0) c.Sysctls = { ...s.sysctls };
  const caps = effectiveCaps(s.cap_add, s.cap_drop);
  if (caps.add.length > 0) c.CapabilityAdd = caps.add;
  if (caps.drop.length > 0) c.CapabilityDrop = caps.drop;
  const ulimits = Object.keys(s.ulimits)
    .sort(byteOrder)
    .map((name) => {
      const u = s.ulimits[name] as { soft: number; hard: number };
      return { Name: name, Soft: u.soft, Hard: u.hard };
    });
  if (ulimits.length > 0) c.Ulimits = ulimits;
  return c;
}

// ---------------------------------------------------------------- the task and the service

/** convertRestartPolicy: deploy.restart_policy, else the legacy `restart:` (no → none sent), else nothing. */
function restartPolicy(s: ComposeService): RestartPolicy | undefined {
  const p = s.deploy?.restart_policy;
  if (p !== undefined) {
    const out: RestartPolicy = {};
    if (p.condition !== undefined) out.Condition = p.condition;
    if (p.delay !== undefined) out.Delay = p.delay;
    if (p.max_attempts !== undefined) out.MaxAttempts = p.max_attempts;
    if (p.window !== undefined) out.Window = p.window;
    return out;
  }
  const r = s.restart;
  if (r === undefined || r === '') return undefined;
  const m = /^([a-z-]+)(?::(\d+))?$/.exec(r);
  if (m === null) throw bad(`service ${s.name}: restart: invalid restart policy "${r}"`);
  const name = m[1] as string;
  const count = m[2] === undefined ? 0 : Number(m[2]);
  const attempts = count > 0 ? { MaxAttempts: count } : {};
  switch (name) {
    case 'no':
      return undefined;
    case 'always':
    case 'unless-stopped':
      return { Condition: 'any', ...attempts };
    case 'on-failure':
      return { Condition: 'on-failure', ...attempts };
    default:
      throw bad(`service ${s.name}: restart: invalid restart policy: unknown policy '${name}' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')`);
  }
}

function taskSpec(project: ComposeProject, stack: string, s: ComposeService, image: string): TaskSpec {
  const d = s.deploy;
  const t: TaskSpec = { ContainerSpec: containerSpec(project, stack, s, image) };
  const resources: NonNullable<TaskSpec['Resources']> = {};
  const limits = d?.resources?.limits;
  if (limits !== undefined) {
    resources.Limits = {};
    if (limits.cpus) resources.Limits.NanoCPUs = Math.round(limits.cpus * 1e9);
    if (limits.memory) resources.Limits.MemoryBytes = limits.memory;
    if (limits.pids) resources.Limits.Pids = limits.pids;
  }
  const reservations = d?.resources?.reservations;
  if (reservations !== undefined) {
    resources.Reservations = {};
    if (reservations.cpus) resources.Reservations.NanoCPUs = Math.round(reservations.cpus * 1e9);
    if (reservations.memory) resources.Reservations.MemoryBytes = reservations.memory;
  }
  t.Resources = resources;
  const restart = restartPolicy(s);
  if (restart !== undefined) t.RestartPolicy = restart;
  const p = d?.placement;
  t.Placement = {};
  if (p !== undefined) {
    if (p.constraints.length > 0) t.Placement.Constraints = [...p.constraints];
    if (p.preferences.length > 0) t.Placement.Preferences = p.preferences.map((x) => ({ Spread: { SpreadDescriptor: x.spread } }));
    if (p.max_replicas_per_node) t.Placement.MaxReplicas = p.max_replicas_per_node;
  }
  t.Networks = attachments(project, stack, s);
  return t;
}

function mode(s: ComposeService): ServiceMode {
  const d = s.deploy;
  const replicas = d?.replicas;
  switch (d?.mode ?? 'replicated') {
    case 'replicated':
      return { Replicated: replicas === undefined ? {} : { Replicas: replicas } };
    case 'global':
      if (replicas !== undefined) throw bad(`service ${s.name}: deploy.replicas can only be used with replicated or replicated-job mode`);
      return { Global: {} };
    case 'replicated-job':
      return { ReplicatedJob: replicas === undefined ? {} : { MaxConcurrent: replicas, TotalCompletions: replicas } };
    case 'global-job':
      if (replicas !== undefined) throw bad(`service ${s.name}: deploy.replicas can only be used with replicated or replicated-job mode`);
      return { GlobalJob: {} };
  }
}

/** convertUpdateConfig: parallelism defaults to 1; the rest as given. */
function updateConfig(u: UpdateConfigModel | undefined): UpdateConfig | undefined {
  if (u === undefined) return undefined;
  const out: UpdateConfig = { Parallelism: u.parallelism ?? 1 };
  if (u.delay) out.Delay = u.delay;
  if (u.failure_action !== undefined) out.FailureAction = u.failure_action;
  if (u.monitor) out.Monitor = u.monitor;
  out.MaxFailureRatio = u.max_failure_ratio ?? 0;
  if (u.order !== undefined) out.Order = u.order;
  return out;
}

/** convertEndpointSpec: the ports sorted by published port (stable); Mode only when the file names one. */
function endpointSpec(s: ComposeService): EndpointSpec {
  const e: EndpointSpec = {};
  if (s.deploy?.endpoint_mode !== undefined) e.Mode = s.deploy.endpoint_mode;
  const ports = s.ports
    .map((p): PortConfig => {
      const c: PortConfig = { Protocol: p.protocol, TargetPort: p.target, PublishMode: p.mode };
      if (p.published !== undefined) c.PublishedPort = p.published;
      return c;
    })
    .sort((a, b) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0));
  if (ports.length > 0) e.Ports = ports;
  return e;
}

/** Keys the stack conversion ignores (docker's swarm has no use for them): warned, like docker's loader does. */
function stackWarnings(s: ComposeService): string[] {
  const ignored: string[] = [];
  if (s.tmpfs.length > 0) ignored.push('tmpfs');
  if (s.ports.some((p) => p.host_ip !== undefined && p.host_ip !== '')) ignored.push('ports.host_ip');
  return ignored.length > 0 ? [`service ${s.name}: Ignoring unsupported options: ${ignored.join(', ')}`] : [];
}

function serviceSpec(project: ComposeProject, stack: string, s: ComposeService): ServiceSpec {
  const image = s.image ?? '';
  if (image === '') throw bad(`service ${s.name}: image: an image is required to deploy a stack (build is not supported)`);
  const spec: ServiceSpec = {
    Name: scope(stack, s.name),
    Labels: { ...withNamespace(stack, s.deploy?.labels), [LABEL_IMAGE]: image },
    TaskTemplate: taskSpec(project, stack, s, image),
    Mode: mode(s),
  };
  const update = updateConfig(s.deploy?.update_config);
  if (update !== undefined) spec.UpdateConfig = update;
  const rollback = updateConfig(s.deploy?.rollback_config);
  if (rollback !== undefined) spec.RollbackConfig = rollback;
  spec.EndpointSpec = endpointSpec(s);
  return spec;
}

/** The stack name rule of `docker stack`: not empty, not only quotes and white space. */
export function validateStackName(stack: string): void {
  if (stack.replace(/^[\s"']+|[\s"']+$/g, '') === '') throw bad(`invalid stack name: ${JSON.stringify(stack)}`);
}

export function toStackPlan(project: ComposeProject, stack: string): StackPlan {
  validateStackName(stack);
  const services: StackPlan['services'] = [];
  const warnings = [...project.warnings];
  for (const key of Object.keys(project.services).sort(byteOrder)) {
    const s = project.services[key] as ComposeService;
    services.push({ name: scope(stack, key), key, spec: serviceSpec(project, stack, s) });
    warnings.push(...stackWarnings(s));
  }
  return {
    stack,
    ...planNetworks(project, stack),
    secrets: fileObjects(project, stack, 'secret', project.secrets),
    configs: fileObjects(project, stack, 'config', project.configs),
    services,
    warnings,
  };
}
