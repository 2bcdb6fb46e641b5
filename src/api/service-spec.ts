/**
 * ServiceSpec validation and normalisation: the bodies of `POST /services/create` and `POST /services/{id}/update`
 * (untrusted JSON in, a checked, canonical ServiceSpec out). Pure: no node:* imports, no store.
 *
 * Two layers, in dockerd's order:
 * 1. **Conversion** (dockerd `daemon/cluster/convert`): JSON shapes and enums. Its errors are dockerd's own, without
 *    a gRPC prefix (`invalid RestartCondition: "x"`, `must specify only one service mode`, ...). Type errors name the
 *    field (`TaskTemplate.RestartPolicy.MaxAttempts: expected a non-negative integer, got -1`).
 * 2. **Validation** (swarmkit `controlapi/service.go`): what the manager refuses. dockerd prints swarmkit's gRPC
 *    status text, so these messages carry it: `rpc error: code = InvalidArgument desc = <what swarmkit says>`.
 *
 * The output is what a Service's `Spec` looks like after dockerd's round trip through swarmkit, so that `GET` shows
 * what docker shows and the docker CLI can read it back (docs/docker-engine-api.md §8-§10):
 * - `Mode` always has exactly one key; `{"Replicated":{}}` gets `Replicas: 1`; a replicated job gets
 *   `MaxConcurrent` (default 1) and `TotalCompletions` (default MaxConcurrent);
 * - `EndpointSpec.Mode` defaults to `vip`; ports get `Protocol` (`tcp`) and `PublishMode` (`ingress`);
 * - `RestartPolicy` gets `Condition` (`any`) and `MaxAttempts` (0); `UpdateConfig`/`RollbackConfig` get
 *   `FailureAction` (`pause`) and `Order` (`stop-first`), and a zero `Monitor` is dropped;
 * - `TaskTemplate` gets `ForceUpdate` (0) and `Runtime: "container"`; `ContainerSpec` gets `Isolation: "default"`;
 *   `Privileges` keeps docker's shape; mount types and propagations are lower-cased; the health check keeps only
 *   non-zero fields and is stored as `Healthcheck`, dockerd's JSON key (older clients' `HealthCheck` is accepted too;
 *   `Healthcheck`; both are read, and Go decodes keys case-insensitively, so the docker CLI reads either);
 * - `Labels` is always an object; empty lists and maps, empty strings and `false` flags are dropped, as Go's
 *   `omitempty` drops them. Keys come out in docker's order.
 * Network targets are NOT resolved here (that needs the store): see controlapi/services.ts.
 */
import { parseConstraints } from './constraints.js';
import { invalidArgument, ShoalError } from './errors.js';
import type { ErrorKind } from './errors.js';
import type {
  ContainerSpec,
  EndpointSpec,
  HealthConfig,
  Mount,
  NetworkAttachmentConfig,
  Placement,
  PortConfig,
  ResourceSpec,
  RestartPolicy,
  ServiceMode,
  ServiceSpec,
  TaskSpec,
  UpdateConfig,
} from './types.js';

type Json = Record<string, unknown>;


/** The gRPC code names dockerd prints in `rpc error: code = <Code> desc = ...`. */
export type GrpcCode = 'InvalidArgument' | 'NotFound' | 'AlreadyExists' | 'FailedPrecondition' | 'Unimplemented' | 'Unknown' | 'PermissionDenied';

/**
 * An error swarmkit reports over gRPC, with the text dockerd passes on: `rpc error: code = <grpc> desc = <desc>`.
 * `kind` picks the HTTP status (Unimplemented has no kind of its own and is reported as InvalidArgument, 400).
 */
export function rpcError(kind: ErrorKind, grpc: GrpcCode, code: string, desc: string): ShoalError {
  return new ShoalError(kind, code, `rpc error: code = ${grpc} desc = ${desc}`);
}

const invalidSpec = (desc: string): ShoalError => rpcError('InvalidArgument', 'InvalidArgument', 'service.spec_invalid', desc);
const badField = (message: string): ShoalError => invalidArgument('service.spec_invalid', message);

// ------------------------------------------------------------------ JSON readers (null = absent, as in Go)

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badField(`${path}: expected an object, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badField(`${path}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badField(`${path}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** An integer (Go int64, or uint64/uint32 with `min: 0`). */
function int(v: unknown, path: string, range: { min?: number; max?: number } = {}): number | undefined {
  if (v === undefined || v === null) return undefined;
  const kind = range.min === 0 ? 'a non-negative integer' : 'an integer';
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badField(`${path}: expected ${kind}, got ${JSON.stringify(v)}`);
  if (range.min !== undefined && v < range.min) throw badField(`${path}: expected ${kind}, got ${v}`);
  if (range.max !== undefined && v > range.max) throw badField(`${path}: must be at most ${range.max}, got ${v}`);
  return v;
}

const uint = (v: unknown, path: string): number | undefined => int(v, path, { min: 0 });

function float(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badField(`${path}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function strList(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badField(`${path}: expected a list of strings, got ${JSON.stringify(v)}`);
  return v.map((x, i) => str(x, `${path}[${i}]`) ?? '');
}

function list(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badField(`${path}: expected a list, got ${JSON.stringify(v)}`);
  return v as unknown[];
}

function strMap(v: unknown, path: string): Record<string, string> | undefined {
  const o = obj(v, path);
  if (o === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) {
    if (typeof x !== 'string') throw badField(`${path}.${k}: expected a string, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

/** Drops undefined values, so optional fields are absent rather than undefined (exactOptionalPropertyTypes). */
function prune<T>(o: Record<string, unknown>): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as T;
}

/** Go's `omitempty` for the cases that matter here: empty string, false, 0, empty list or map → absent. */
function nonEmpty<T>(v: T | undefined): T | undefined {
  if (v === undefined || v === '' || v === false || v === 0) return undefined;
  if (Array.isArray(v) && v.length === 0) return undefined;
  if (isObject(v) && Object.keys(v).length === 0) return undefined;
  return v;
}

// ------------------------------------------------------------------ small formatters

/** Go's `%g` for a float64 (shortest representation; exponent form below 1e-4 or from 1e21). */
export function formatGoFloat(x: number): string {
  if (x === 0) return '0';
  const [mant = '0', e = '0'] = x.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 21) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

// ------------------------------------------------------------------ names and images

const SERVICE_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

/** swarmkit's rule for service (and network) names: a DNS label. */
export function checkServiceName(name: string): void {
  if (name === '') throw invalidSpec('meta: name must be provided');
  if (!SERVICE_NAME.test(name)) throw invalidSpec('name must be valid as a DNS name component');
  if (name.length > 63) throw invalidSpec('name must be 63 characters or fewer');
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HEX64 = /^[a-f0-9]{64}$/;

/**
 * True when `ref` parses as a normalized named reference (distribution's `ParseNormalizedNamed`): optional registry
 * host, lower-case path components, optional `:tag`, optional `@digest`. A bare 64-hex ID is not a name.
 */
export function isValidImageReference(ref: string): boolean {
  if (ref === '' || HEX64.test(ref)) return false;
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return false;
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    if (!TAG.test(rest.slice(lastColon + 1))) return false;
    rest = rest.slice(0, lastColon);
  }
  let path = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    const isDomain = /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
    if (isDomain) {
      if (!DOMAIN.test(first)) return false;
      path = rest.slice(slash + 1);
    }
  }
  return rest.length <= 255 && PATH.test(path);
}

// ------------------------------------------------------------------ the spec

/** Converts and validates a ServiceSpec. Throws InvalidArgument (400) naming the field or quoting swarmkit. */
export function parseServiceSpec(input: unknown): ServiceSpec {
  if (!isObject(input)) throw badField(`service spec: expected a JSON object, got ${JSON.stringify(input)}`);
  const spec = convertServiceSpec(input);
  validateServiceSpec(spec);
  return spec;
}

function convertServiceSpec(s: Json): ServiceSpec {
  const task = convertTaskSpec(obj(s.TaskTemplate, 'TaskTemplate') ?? {});
  const update = convertUpdateConfig(s.UpdateConfig, 'UpdateConfig');
  const rollback = convertUpdateConfig(s.RollbackConfig, 'RollbackConfig');
  const endpoint = convertEndpointSpec(s.EndpointSpec);
  const mode = convertMode(s.Mode);
  return prune<ServiceSpec>({
    Name: str(s.Name, 'Name') ?? '',
    Labels: strMap(s.Labels, 'Labels') ?? {},
    TaskTemplate: task,
    Mode: mode,
    UpdateConfig: update,
    RollbackConfig: rollback,
    Networks: nonEmpty(convertNetworks(s.Networks, 'Networks')),
    EndpointSpec: endpoint,
  });
}

function convertMode(v: unknown): ServiceMode {
  const m = obj(v, 'Mode') ?? {};
  const present = (['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const).filter((k) => m[k] !== undefined && m[k] !== null);
  if (present.length > 1) throw badField('must specify only one service mode');
  if (m.Global !== undefined && m.Global !== null) {
    obj(m.Global, 'Mode.Global');
    return { Global: {} };
  }
  if (m.GlobalJob !== undefined && m.GlobalJob !== null) {
    obj(m.GlobalJob, 'Mode.GlobalJob');
    return { GlobalJob: {} };
  }
  const job = obj(m.ReplicatedJob, 'Mode.ReplicatedJob');
  if (job !== undefined) {
    const maxConcurrent = uint(job.MaxConcurrent, 'Mode.ReplicatedJob.MaxConcurrent') ?? 1;
    const total = uint(job.TotalCompletions, 'Mode.ReplicatedJob.TotalCompletions') ?? maxConcurrent;
    return { ReplicatedJob: { MaxConcurrent: maxConcurrent, TotalCompletions: total } };
  }
  const replicated = obj(m.Replicated, 'Mode.Replicated') ?? {};
  return { Replicated: { Replicas: uint(replicated.Replicas, 'Mode.Replicated.Replicas') ?? 1 } };
}

function convertTaskSpec(t: Json): TaskSpec {
  const runtime = str(t.Runtime, 'TaskTemplate.Runtime') ?? '';
  if (runtime === 'plugin') throw badField('runtime type "plugin" only supported in experimental');
  if (runtime !== '' && runtime !== 'container') throw badField('unsupported runtime');
  const container = obj(t.ContainerSpec, 'TaskTemplate.ContainerSpec');
  if (container === undefined) throw badField('mismatched Runtime and *Spec fields');
  const containerSpec = convertContainerSpec(container, 'TaskTemplate.ContainerSpec');
  const resources = convertResources(t.Resources);
  return prune<TaskSpec>({
    ContainerSpec: containerSpec,
    Resources: resources,
    RestartPolicy: convertRestartPolicy(t.RestartPolicy),
    Placement: convertPlacement(t.Placement),
    Networks: nonEmpty(convertNetworks(t.Networks, 'TaskTemplate.Networks')),
    LogDriver: convertDriver(t.LogDriver, 'TaskTemplate.LogDriver'),
    ForceUpdate: uint(t.ForceUpdate, 'TaskTemplate.ForceUpdate') ?? 0,
    Runtime: 'container',
  });
}

function convertContainerSpec(c: Json, path: string): ContainerSpec {
  const health = c.Healthcheck !== undefined && c.Healthcheck !== null ? c.Healthcheck : c.HealthCheck;
  const init = bool(c.Init, `${path}.Init`);
  return prune<ContainerSpec>({
    Image: nonEmpty(str(c.Image, `${path}.Image`)),
    Labels: nonEmpty(strMap(c.Labels, `${path}.Labels`)),
    Command: nonEmpty(strList(c.Command, `${path}.Command`)),
    Args: nonEmpty(strList(c.Args, `${path}.Args`)),
    Hostname: nonEmpty(str(c.Hostname, `${path}.Hostname`)),
    Env: nonEmpty(strList(c.Env, `${path}.Env`)),
    Dir: nonEmpty(str(c.Dir, `${path}.Dir`)),
    User: nonEmpty(str(c.User, `${path}.User`)),
    Groups: nonEmpty(strList(c.Groups, `${path}.Groups`)),
    Privileges: convertPrivileges(c.Privileges, `${path}.Privileges`),
    Init: init,
    StopSignal: nonEmpty(str(c.StopSignal, `${path}.StopSignal`)),
    TTY: nonEmpty(bool(c.TTY, `${path}.TTY`)),
    OpenStdin: nonEmpty(bool(c.OpenStdin, `${path}.OpenStdin`)),
    ReadOnly: nonEmpty(bool(c.ReadOnly, `${path}.ReadOnly`)),
    Mounts: nonEmpty(list(c.Mounts, `${path}.Mounts`)?.map((m, i) => convertMount(m, `${path}.Mounts[${i}]`))),
    StopGracePeriod: int(c.StopGracePeriod, `${path}.StopGracePeriod`),
    Healthcheck: convertHealthcheck(health, `${path}.Healthcheck`),
    Hosts: nonEmpty(strList(c.Hosts, `${path}.Hosts`)),
    DNSConfig: convertDnsConfig(c.DNSConfig, `${path}.DNSConfig`),
    Secrets: nonEmpty(list(c.Secrets, `${path}.Secrets`)?.map((r, i) => convertSecretRef(r, `${path}.Secrets[${i}]`))),
    Configs: nonEmpty(list(c.Configs, `${path}.Configs`)?.map((r, i) => convertConfigRef(r, `${path}.Configs[${i}]`))),
    Isolation: convertIsolation(str(c.Isolation, `${path}.Isolation`) ?? ''),
    Sysctls: nonEmpty(strMap(c.Sysctls, `${path}.Sysctls`)),
    CapabilityAdd: nonEmpty(strList(c.CapabilityAdd, `${path}.CapabilityAdd`)),
    CapabilityDrop: nonEmpty(strList(c.CapabilityDrop, `${path}.CapabilityDrop`)),
    Ulimits: nonEmpty(list(c.Ulimits, `${path}.Ulimits`)?.map((u, i) => convertUlimit(u, `${path}.Ulimits[${i}]`))),
    OomScoreAdj: nonEmpty(int(c.OomScoreAdj, `${path}.OomScoreAdj`)),
  });
}

function convertIsolation(v: string): string {
  const l = v.toLowerCase();
  return l === 'hyperv' || l === 'process' ? l : 'default';
}

function convertPrivileges(v: unknown, path: string): Json | undefined {
  const p = obj(v, path);
  if (p === undefined) return undefined;
  let credentialSpec: Json | null = null;
  const cs = obj(p.CredentialSpec, `${path}.CredentialSpec`);
  if (cs !== undefined) {
    const sources = (['Config', 'File', 'Registry'] as const).filter((k) => (str(cs[k], `${path}.CredentialSpec.${k}`) ?? '') !== '');
    const names = sources.map((k) => `"${k.toLowerCase()}"`);
    if (names.length === 0) throw badField('invalid CredentialSpec: must either provide "file", "registry", or "config" for credential spec');
    if (names.length === 2) throw badField(`invalid CredentialSpec: cannot specify both ${names[0]} and ${names[1]} credential specs`);
    if (names.length > 2) throw badField(`invalid CredentialSpec: cannot specify both ${names.slice(0, -1).join(', ')}, and ${names[names.length - 1]} credential specs`);
    const source = sources[0] as 'Config' | 'File' | 'Registry';
    credentialSpec = { [source]: cs[source] };
  }
  let selinux: Json | null = null;
  const se = obj(p.SELinuxContext, `${path}.SELinuxContext`);
  if (se !== undefined) {
    selinux = {
      Disable: bool(se.Disable, `${path}.SELinuxContext.Disable`) ?? false,
      User: str(se.User, `${path}.SELinuxContext.User`) ?? '',
      Role: str(se.Role, `${path}.SELinuxContext.Role`) ?? '',
      Type: str(se.Type, `${path}.SELinuxContext.Type`) ?? '',
      Level: str(se.Level, `${path}.SELinuxContext.Level`) ?? '',
    };
  }
  let seccomp: Json | undefined;
  const sc = obj(p.Seccomp, `${path}.Seccomp`);
  if (sc !== undefined) {
    const mode = str(sc.Mode, `${path}.Seccomp.Mode`) ?? '';
    if (!['', 'default', 'unconfined', 'custom'].includes(mode)) throw badField(`${path}.Seccomp.Mode: unknown mode "${mode}" (default, unconfined or custom)`);
    const profile = str(sc.Profile, `${path}.Seccomp.Profile`);
    if (mode === 'custom' && !profile) throw badField(`${path}.Seccomp.Profile: a custom seccomp mode needs a profile`);
    seccomp = prune({ Mode: nonEmpty(mode), Profile: nonEmpty(profile) });
  }
  let apparmor: Json | undefined;
  const aa = obj(p.AppArmor, `${path}.AppArmor`);
  if (aa !== undefined) {
    const mode = str(aa.Mode, `${path}.AppArmor.Mode`) ?? '';
    if (!['', 'default', 'disabled'].includes(mode)) throw badField(`${path}.AppArmor.Mode: unknown mode "${mode}" (default or disabled)`);
    apparmor = prune({ Mode: nonEmpty(mode) });
  }
  return prune({
    CredentialSpec: credentialSpec,
    SELinuxContext: selinux,
    Seccomp: seccomp,
    AppArmor: apparmor,
    NoNewPrivileges: bool(p.NoNewPrivileges, `${path}.NoNewPrivileges`) ?? false,
  });
}

const MOUNT_TYPES = ['bind', 'volume', 'tmpfs', 'npipe', 'cluster'] as const;
const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];

function convertMount(v: unknown, path: string): Mount {
  const m = obj(v, path) ?? {};
  const rawType = str(m.Type, `${path}.Type`) ?? '';
  const type = rawType === '' ? 'bind' : MOUNT_TYPES.find((t) => t === rawType.toLowerCase());
  if (type === undefined) throw badField(`invalid MountType: ${JSON.stringify(rawType)}`);
  let bindOptions: Json | undefined;
  const bo = obj(m.BindOptions, `${path}.BindOptions`);
  if (bo !== undefined) {
    const rawProp = str(bo.Propagation, `${path}.BindOptions.Propagation`) ?? '';
    const prop = rawProp === '' ? undefined : PROPAGATIONS.find((p) => p === rawProp.toLowerCase());
    if (rawProp !== '' && prop === undefined) throw badField(`invalid MountPropagation: ${JSON.stringify(rawProp)}`);
    bindOptions = prune({
      Propagation: prop,
      NonRecursive: nonEmpty(bool(bo.NonRecursive, `${path}.BindOptions.NonRecursive`)),
      CreateMountpoint: nonEmpty(bool(bo.CreateMountpoint, `${path}.BindOptions.CreateMountpoint`)),
      ReadOnlyNonRecursive: nonEmpty(bool(bo.ReadOnlyNonRecursive, `${path}.BindOptions.ReadOnlyNonRecursive`)),
      ReadOnlyForceRecursive: nonEmpty(bool(bo.ReadOnlyForceRecursive, `${path}.BindOptions.ReadOnlyForceRecursive`)),
    });
  }
  let volumeOptions: Json | undefined;
  const vo = obj(m.VolumeOptions, `${path}.VolumeOptions`);
  if (vo !== undefined) {
    const dc = obj(vo.DriverConfig, `${path}.VolumeOptions.DriverConfig`);
    volumeOptions = prune({
      NoCopy: nonEmpty(bool(vo.NoCopy, `${path}.VolumeOptions.NoCopy`)),
      Labels: nonEmpty(strMap(vo.Labels, `${path}.VolumeOptions.Labels`)),
      Subpath: nonEmpty(str(vo.Subpath, `${path}.VolumeOptions.Subpath`)),
      DriverConfig:
        dc === undefined
          ? undefined
          : prune({ Name: nonEmpty(str(dc.Name, `${path}.VolumeOptions.DriverConfig.Name`)), Options: nonEmpty(strMap(dc.Options, `${path}.VolumeOptions.DriverConfig.Options`)) }),
    });
  }
  let tmpfsOptions: Json | undefined;
  const to = obj(m.TmpfsOptions, `${path}.TmpfsOptions`);
  if (to !== undefined) {
    tmpfsOptions = prune({
      SizeBytes: nonEmpty(int(to.SizeBytes, `${path}.TmpfsOptions.SizeBytes`, { min: 0 })),
      Mode: nonEmpty(uint(to.Mode, `${path}.TmpfsOptions.Mode`)),
    });
  }
  return prune<Mount>({
    Type: type,
    Source: nonEmpty(str(m.Source, `${path}.Source`)),
    Target: nonEmpty(str(m.Target, `${path}.Target`)),
    ReadOnly: nonEmpty(bool(m.ReadOnly, `${path}.ReadOnly`)),
    Consistency: nonEmpty(str(m.Consistency, `${path}.Consistency`)),
    BindOptions: bindOptions,
    VolumeOptions: volumeOptions,
    TmpfsOptions: tmpfsOptions,
  });
}

function convertHealthcheck(v: unknown, path: string): HealthConfig | undefined {
  const h = obj(v, path);
  if (h === undefined) return undefined;
  return prune<HealthConfig>({
    Test: nonEmpty(strList(h.Test, `${path}.Test`)),
    Interval: nonEmpty(int(h.Interval, `${path}.Interval`)),
    Timeout: nonEmpty(int(h.Timeout, `${path}.Timeout`)),
    Retries: nonEmpty(int(h.Retries, `${path}.Retries`)),
    StartPeriod: nonEmpty(int(h.StartPeriod, `${path}.StartPeriod`)),
    StartInterval: nonEmpty(int(h.StartInterval, `${path}.StartInterval`)),
  });
}

function convertDnsConfig(v: unknown, path: string): Json | undefined {
  const d = obj(v, path);
  if (d === undefined) return undefined;
  return prune({
    Nameservers: nonEmpty(strList(d.Nameservers, `${path}.Nameservers`)),
    Search: nonEmpty(strList(d.Search, `${path}.Search`)),
    Options: nonEmpty(strList(d.Options, `${path}.Options`)),
  });
}

function convertFileTarget(v: unknown, path: string): Json | undefined {
  const f = obj(v, path);
  if (f === undefined) return undefined;
  return { Name: str(f.Name, `${path}.Name`) ?? '', UID: str(f.UID, `${path}.UID`) ?? '', GID: str(f.GID, `${path}.GID`) ?? '', Mode: uint(f.Mode, `${path}.Mode`) ?? 0 };
}

function convertSecretRef(v: unknown, path: string): Json {
  const r = obj(v, path) ?? {};
  return prune({
    File: convertFileTarget(r.File, `${path}.File`),
    SecretID: str(r.SecretID, `${path}.SecretID`) ?? '',
    SecretName: str(r.SecretName, `${path}.SecretName`) ?? '',
  });
}

function convertConfigRef(v: unknown, path: string): Json {
  const r = obj(v, path) ?? {};
  const file = convertFileTarget(r.File, `${path}.File`);
  const runtime = obj(r.Runtime, `${path}.Runtime`);
  if (file === undefined && runtime === undefined) throw badField('invalid Config: either File or Runtime should be set');
  if (file !== undefined && runtime !== undefined) throw badField('invalid Config: cannot specify both File and Runtime');
  return prune({
    File: file,
    Runtime: runtime === undefined ? undefined : {},
    ConfigID: str(r.ConfigID, `${path}.ConfigID`) ?? '',
    ConfigName: str(r.ConfigName, `${path}.ConfigName`) ?? '',
  });
}

function convertUlimit(v: unknown, path: string): { Name: string; Soft: number; Hard: number } {
  const u = obj(v, path) ?? {};
  return { Name: str(u.Name, `${path}.Name`) ?? '', Soft: int(u.Soft, `${path}.Soft`) ?? 0, Hard: int(u.Hard, `${path}.Hard`) ?? 0 };
}

function convertResourceSpec(v: unknown, path: string, limits: boolean): ResourceSpec | undefined {
  const r = obj(v, path);
  if (r === undefined) return undefined;
  return prune<ResourceSpec>({
    NanoCPUs: nonEmpty(int(r.NanoCPUs, `${path}.NanoCPUs`)),
    MemoryBytes: nonEmpty(int(r.MemoryBytes, `${path}.MemoryBytes`)),
    Pids: limits ? nonEmpty(int(r.Pids, `${path}.Pids`)) : undefined,
    GenericResources: limits ? undefined : nonEmpty(list(r.GenericResources, `${path}.GenericResources`)?.map((g, i) => convertGenericResource(g, `${path}.GenericResources[${i}]`))),
  });
}

function convertGenericResource(v: unknown, path: string): Json {
  const g = obj(v, path) ?? {};
  const named = obj(g.NamedResourceSpec, `${path}.NamedResourceSpec`);
  const discrete = obj(g.DiscreteResourceSpec, `${path}.DiscreteResourceSpec`);
  if (named !== undefined) {
    return { NamedResourceSpec: { Kind: str(named.Kind, `${path}.NamedResourceSpec.Kind`) ?? '', Value: str(named.Value, `${path}.NamedResourceSpec.Value`) ?? '' } };
  }
  if (discrete !== undefined) {
    return { DiscreteResourceSpec: { Kind: str(discrete.Kind, `${path}.DiscreteResourceSpec.Kind`) ?? '', Value: int(discrete.Value, `${path}.DiscreteResourceSpec.Value`) ?? 0 } };
  }
  throw badField(`${path}: expected NamedResourceSpec or DiscreteResourceSpec`);
}

function convertResources(v: unknown): TaskSpec['Resources'] {
  const r = obj(v, 'TaskTemplate.Resources');
  if (r === undefined) return undefined;
  return prune<NonNullable<TaskSpec['Resources']>>({
    Limits: convertResourceSpec(r.Limits, 'TaskTemplate.Resources.Limits', true),
    Reservations: convertResourceSpec(r.Reservations, 'TaskTemplate.Resources.Reservations', false),
  });
}

const CONDITIONS = ['none', 'on-failure', 'any'] as const;

function convertRestartPolicy(v: unknown): RestartPolicy | undefined {
  const p = obj(v, 'TaskTemplate.RestartPolicy');
  if (p === undefined) return undefined;
  const raw = str(p.Condition, 'TaskTemplate.RestartPolicy.Condition') ?? '';
  const condition = raw === '' ? 'any' : CONDITIONS.find((c) => c === raw);
  if (condition === undefined) throw badField(`invalid RestartCondition: ${JSON.stringify(raw)}`);
  return prune<RestartPolicy>({
    Condition: condition,
    Delay: int(p.Delay, 'TaskTemplate.RestartPolicy.Delay'),
    MaxAttempts: uint(p.MaxAttempts, 'TaskTemplate.RestartPolicy.MaxAttempts') ?? 0,
    Window: int(p.Window, 'TaskTemplate.RestartPolicy.Window'),
  });
}

function convertPlacement(v: unknown): Placement | undefined {
  const p = obj(v, 'TaskTemplate.Placement');
  if (p === undefined) return undefined;
  const prefs = list(p.Preferences, 'TaskTemplate.Placement.Preferences')?.flatMap((x, i) => {
    const path = `TaskTemplate.Placement.Preferences[${i}]`;
    const spread = obj((obj(x, path) ?? {}).Spread, `${path}.Spread`);
    if (spread === undefined) return [];
    return [{ Spread: { SpreadDescriptor: str(spread.SpreadDescriptor, `${path}.Spread.SpreadDescriptor`) ?? '' } }];
  });
  const platforms = list(p.Platforms, 'TaskTemplate.Placement.Platforms')?.map((x, i) => {
    const path = `TaskTemplate.Placement.Platforms[${i}]`;
    const pl = obj(x, path) ?? {};
    return prune<{ Architecture?: string; OS?: string }>({
      Architecture: nonEmpty(str(pl.Architecture, `${path}.Architecture`)),
      OS: nonEmpty(str(pl.OS, `${path}.OS`)),
    });
  });
  return prune<Placement>({
    Constraints: nonEmpty(strList(p.Constraints, 'TaskTemplate.Placement.Constraints')),
    Preferences: nonEmpty(prefs),
    MaxReplicas: nonEmpty(uint(p.MaxReplicas, 'TaskTemplate.Placement.MaxReplicas')),
    Platforms: nonEmpty(platforms),
  });
}

function convertNetworks(v: unknown, path: string): NetworkAttachmentConfig[] | undefined {
  return list(v, path)?.map((x, i) => {
    const p = `${path}[${i}]`;
    const n = obj(x, p) ?? {};
    return prune<NetworkAttachmentConfig>({
      Target: str(n.Target, `${p}.Target`) ?? '',
      Aliases: nonEmpty(strList(n.Aliases, `${p}.Aliases`)),
      DriverOpts: nonEmpty(strMap(n.DriverOpts, `${p}.DriverOpts`)),
    });
  });
}

function convertDriver(v: unknown, path: string): { Name: string; Options?: Record<string, string> } | undefined {
  const d = obj(v, path);
  if (d === undefined) return undefined;
  return prune({ Name: str(d.Name, `${path}.Name`) ?? '', Options: nonEmpty(strMap(d.Options, `${path}.Options`)) });
}

function convertUpdateConfig(v: unknown, path: string): UpdateConfig | undefined {
  const u = obj(v, path);
  if (u === undefined) return undefined;
  const action = str(u.FailureAction, `${path}.FailureAction`) ?? '';
  if (!['', 'pause', 'continue', 'rollback'].includes(action)) throw badField(`unrecognized update failure action ${action}`);
  const order = str(u.Order, `${path}.Order`) ?? '';
  if (!['', 'stop-first', 'start-first'].includes(order)) throw badField(`unrecognized update order ${order}`);
  return prune<UpdateConfig>({
    Parallelism: uint(u.Parallelism, `${path}.Parallelism`) ?? 0,
    Delay: nonEmpty(int(u.Delay, `${path}.Delay`)),
    FailureAction: (action === '' ? 'pause' : action),
    Monitor: nonEmpty(int(u.Monitor, `${path}.Monitor`)),
    MaxFailureRatio: float(u.MaxFailureRatio, `${path}.MaxFailureRatio`) ?? 0,
    Order: (order === '' ? 'stop-first' : order),
  });
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const PUBLISH_MODES = ['ingress', 'host'] as const;

function convertEndpointSpec(v: unknown): EndpointSpec | undefined {
  const e = obj(v, 'EndpointSpec');
  if (e === undefined) return undefined;
  const mode = str(e.Mode, 'EndpointSpec.Mode') ?? '';
  if (mode !== '' && mode !== 'vip' && mode !== 'dnsrr') throw badField(`invalid resolution mode: ${JSON.stringify(mode)}`);
  const ports = list(e.Ports, 'EndpointSpec.Ports')?.map((x, i) => {
    const path = `EndpointSpec.Ports[${i}]`;
    const p = obj(x, path) ?? {};
    const rawProto = str(p.Protocol, `${path}.Protocol`) ?? '';
    const protocol = rawProto === '' ? 'tcp' : PROTOCOLS.find((k) => k === rawProto.toLowerCase());
    if (protocol === undefined) throw badField(`${path}.Protocol: invalid protocol ${JSON.stringify(rawProto)} (tcp, udp or sctp)`);
    const rawMode = str(p.PublishMode, `${path}.PublishMode`) ?? '';
    const publishMode = rawMode === '' ? 'ingress' : PUBLISH_MODES.find((k) => k === rawMode.toLowerCase());
    if (publishMode === undefined) throw badField(`${path}.PublishMode: invalid publish mode ${JSON.stringify(rawMode)} (ingress or host)`);
    const target = uint(p.TargetPort, `${path}.TargetPort`) ?? 0;
    if (target < 1 || target > 65535) throw badField(`${path}.TargetPort: must be a port number from 1 to 65535, got ${target}`);
    const published = uint(p.PublishedPort, `${path}.PublishedPort`) ?? 0;
    if (published > 65535) throw badField(`${path}.PublishedPort: must be a port number from 1 to 65535 (or 0 to pick one), got ${published}`);
    return prune<PortConfig>({
      Name: nonEmpty(str(p.Name, `${path}.Name`)),
      Protocol: protocol,
      TargetPort: target,
      PublishedPort: nonEmpty(published),
      PublishMode: publishMode,
    });
  });
  return prune<EndpointSpec>({ Mode: mode === '' ? 'vip' : mode, Ports: nonEmpty(ports) });
}

// ------------------------------------------------------------------ swarmkit's validation

const MIN_DURATION = 1e6; // 1ms
const MIB = 1024 * 1024;

function validateServiceSpec(spec: ServiceSpec): void {
  checkServiceName(spec.Name);
  validateTaskSpec(spec.TaskTemplate);
  validateMode(spec.Mode ?? {});
  if (isJobMode(spec.Mode)) {
    if (spec.UpdateConfig !== undefined) throw invalidSpec('Jobs may not have an update config');
  } else {
    validateUpdateConfig(spec.UpdateConfig, 'update');
  }
  validateUpdateConfig(spec.RollbackConfig, 'rollback');
  validateEndpoint(spec.EndpointSpec);
}

function validateTaskSpec(t: TaskSpec): void {
  for (const r of [t.Resources?.Limits, t.Resources?.Reservations]) {
    if (r === undefined) continue;
    const cpu = r.NanoCPUs ?? 0;
    if (cpu !== 0 && cpu < 1e6) throw invalidSpec(`invalid cpu value ${formatGoFloat(cpu / 1e9)}: Must be at least ${formatGoFloat(0.001)}`);
    const mem = r.MemoryBytes ?? 0;
    if (mem !== 0 && mem < 4 * MIB) throw invalidSpec(`invalid memory value ${mem}: Must be at least 4MiB`);
    if ((r.Pids ?? 0) < 0) throw badField(`TaskTemplate.Resources.Limits.Pids: cannot be negative, got ${r.Pids}`);
  }
  const rp = t.RestartPolicy;
  if (rp?.Delay !== undefined && rp.Delay < 0) throw invalidSpec('TaskSpec: restart-delay cannot be negative');
  if (rp?.Window !== undefined && rp.Window < 0) throw invalidSpec('TaskSpec: restart-window cannot be negative');
  parseConstraints(t.Placement?.Constraints); // refused with the expression quoted (constraints.ts)
  const c = t.ContainerSpec;
  if (c === undefined) return;
  validateSecretRefs(c);
  validateConfigRefs(c);
  const image = c.Image ?? '';
  if (image === '') throw invalidSpec('ContainerSpec: image reference must be provided');
  if (!isValidImageReference(image)) throw invalidSpec(`ContainerSpec: ${JSON.stringify(image)} is not a valid repository/tag`);
  validateMounts(c.Mounts ?? []);
  validateHealthcheck(c.Healthcheck);
  if ((c.StopGracePeriod ?? 0) < 0) throw badField('TaskTemplate.ContainerSpec.StopGracePeriod: cannot be negative');
}

function validateSecretRefs(c: ContainerSpec): void {
  const targets = new Map<string, string>();
  for (const r of c.Secrets ?? []) {
    if (r.SecretID === '' || r.SecretName === '') throw invalidSpec('malformed secret reference');
    if (r.File === undefined) throw invalidSpec('malformed secret reference, no target provided');
    if (r.File.Name === '') throw invalidSpec('malformed file secret reference, invalid target file name provided');
    const prev = targets.get(r.File.Name);
    if (prev !== undefined) throw invalidSpec(`secret references '${prev}' and '${r.SecretName}' have a conflicting target: '${r.File.Name}'`);
    targets.set(r.File.Name, r.SecretName);
  }
}

function validateConfigRefs(c: ContainerSpec): void {
  const targets = new Map<string, string>();
  for (const r of c.Configs ?? []) {
    if (r.ConfigID === '' || r.ConfigName === '') throw invalidSpec('malformed config reference');
    if (r.File === undefined) continue;
    if (r.File.Name === '') throw invalidSpec('malformed file config reference, invalid target file name provided');
    const prev = targets.get(r.File.Name);
    if (prev !== undefined) throw invalidSpec(`config references '${prev}' and '${r.ConfigName}' have a conflicting target: '${r.File.Name}'`);
    targets.set(r.File.Name, r.ConfigName);
  }
}

/** The daemon's mount rules (moby `volume/mounts`), checked at create so a bad mount is refused before any task. */
function validateMounts(mounts: readonly Mount[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    const bad = (what: string): ShoalError => badField(`invalid mount config for type ${JSON.stringify(m.Type)}: ${what}`);
    const target = m.Target ?? '';
    if (target === '') throw bad('field Target must not be empty');
    if (m.Type !== 'npipe' && !target.startsWith('/')) throw bad(`invalid mount path: '${target}' mount path must be absolute`);
    if (m.Type === 'bind' && (m.Source ?? '') === '') throw bad('field Source must not be empty');
    if (m.Type === 'tmpfs' && (m.Source ?? '') !== '') throw bad('field Source must not be specified');
    if (m.BindOptions !== undefined && m.Type !== 'bind') throw bad('field BindOptions must not be specified');
    if (m.VolumeOptions !== undefined && m.Type !== 'volume') throw bad('field VolumeOptions must not be specified');
    if (m.TmpfsOptions !== undefined && m.Type !== 'tmpfs') throw bad('field TmpfsOptions must not be specified');
    if (seen.has(target)) throw invalidSpec(`ContainerSpec: duplicate mount point: ${target}`);
    seen.add(target);
  }
}

function validateHealthcheck(h: HealthConfig | undefined): void {
  if (h === undefined) return;
  for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const d = h[f] ?? 0;
    if (d !== 0 && d < MIN_DURATION) throw invalidSpec(`ContainerSpec: ${f} in HealthConfig cannot be less than 1ms`);
  }
  if ((h.Retries ?? 0) < 0) throw invalidSpec('ContainerSpec: Retries in HealthConfig cannot be negative');
  const kind = h.Test?.[0];
  if (kind !== undefined && !['NONE', 'CMD', 'CMD-SHELL'].includes(kind)) {
    throw badField(`TaskTemplate.ContainerSpec.Healthcheck.Test: the first element must be NONE, CMD or CMD-SHELL, got ${JSON.stringify(kind)}`);
  }
}

function validateMode(mode: ServiceMode): void {
  const job = mode.ReplicatedJob;
  if (job === undefined) return;
  const max = job.MaxConcurrent ?? 1;
  const total = job.TotalCompletions ?? max;
  if (max > total) {
    throw badField(`Mode.ReplicatedJob: MaxConcurrent (${max}) cannot be greater than TotalCompletions (${total})`);
  }
}

function validateUpdateConfig(u: UpdateConfig | undefined, what: 'update' | 'rollback'): void {
  if (u === undefined) return;
  if ((u.Delay ?? 0) < 0) throw invalidSpec(`TaskSpec: ${what}-delay cannot be negative`);
  if ((u.Monitor ?? 0) < 0) throw invalidSpec(`TaskSpec: ${what}-monitor cannot be negative`);
  const ratio = u.MaxFailureRatio ?? 0;
  if (ratio < 0 || ratio > 1) throw invalidSpec(`TaskSpec: ${what}-maxfailureratio cannot be less than 0 or bigger than 1`);
}

function validateEndpoint(e: EndpointSpec | undefined): void {
  if (e === undefined) return;
  const seen = new Set<string>();
  for (const p of e.Ports ?? []) {
    if (e.Mode === 'dnsrr' && p.PublishMode === 'ingress') {
      throw invalidSpec("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
    }
    if ((p.PublishedPort ?? 0) === 0) continue;
    const key = `${p.PublishedPort}/${p.Protocol}`;
    if (seen.has(key)) throw invalidSpec('EndpointSpec: duplicate published ports provided');
    seen.add(key);
  }
}

// ------------------------------------------------------------------ modes, defaults, comparison

export type ServiceModeName = 'replicated' | 'global' | 'replicated-job' | 'global-job';

/** The mode as `service ls` and the `mode` filter name it. */
export function serviceModeName(mode: ServiceMode | undefined): ServiceModeName {
  if (mode?.Global !== undefined) return 'global';
  if (mode?.ReplicatedJob !== undefined) return 'replicated-job';
  if (mode?.GlobalJob !== undefined) return 'global-job';
  return 'replicated';
}

export function isJobMode(mode: ServiceMode | undefined): boolean {
  const m = serviceModeName(mode);
  return m === 'replicated-job' || m === 'global-job';
}

const SECOND = 1e9;

function defaultUpdateConfig(u: UpdateConfig | undefined): UpdateConfig {
  if (u === undefined) return { Parallelism: 1, FailureAction: 'pause', Monitor: 5 * SECOND, MaxFailureRatio: 0, Order: 'stop-first' };
  return prune<UpdateConfig>({
    Parallelism: u.Parallelism,
    Delay: u.Delay,
    FailureAction: u.FailureAction,
    Monitor: u.Monitor ?? 5 * SECOND,
    MaxFailureRatio: u.MaxFailureRatio,
    Order: u.Order,
  });
}

/**
 * `GET /services/{id}?insertDefaults=true` (swarmkit `defaults.InterpolateService`): the spec with the defaults the
 * managers apply filled in, for `service inspect`: stop grace period 10s, DNS config, resources, restart policy
 * (any, 5s), placement, update and rollback configs (parallelism 1, pause, monitor 5s, stop-first).
 */
export function insertServiceDefaults(spec: ServiceSpec): ServiceSpec {
  const s = structuredClone(spec);
  const t = s.TaskTemplate;
  const c = t.ContainerSpec;
  let container: ContainerSpec | undefined;
  if (c !== undefined) {
    // Rebuilt in docker's key order, with the defaults where docker prints them.
    const src = c as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of CONTAINER_KEYS) {
      out[key] = key === 'StopGracePeriod' ? (c.StopGracePeriod ?? 10 * SECOND) : key === 'DNSConfig' ? (c.DNSConfig ?? {}) : src[key];
    }
    container = prune<ContainerSpec>(out);
  }
  const rp = t.RestartPolicy;
  const restart = prune<RestartPolicy>({
    Condition: rp?.Condition ?? 'any',
    Delay: rp?.Delay ?? 5 * SECOND,
    MaxAttempts: rp?.MaxAttempts ?? 0,
    Window: rp?.Window,
  });
  s.TaskTemplate = prune<TaskSpec>({
    ContainerSpec: container,
    Resources: t.Resources ?? {},
    RestartPolicy: restart,
    Placement: t.Placement ?? {},
    Networks: t.Networks,
    LogDriver: t.LogDriver,
    ForceUpdate: t.ForceUpdate ?? 0,
    Runtime: t.Runtime,
  });
  return prune<ServiceSpec>({
    Name: s.Name,
    Labels: s.Labels ?? {},
    TaskTemplate: s.TaskTemplate,
    Mode: s.Mode,
    UpdateConfig: defaultUpdateConfig(s.UpdateConfig),
    RollbackConfig: defaultUpdateConfig(s.RollbackConfig),
    Networks: s.Networks,
    EndpointSpec: s.EndpointSpec,
  });
}

/** docker's ContainerSpec key order (moby `api/types/swarm/container.go`). */
const CONTAINER_KEYS = [
  'Image', 'Labels', 'Command', 'Args', 'Hostname', 'Env', 'Dir', 'User', 'Groups', 'Privileges', 'Init', 'StopSignal',
  'TTY', 'OpenStdin', 'ReadOnly', 'Mounts', 'StopGracePeriod', 'Healthcheck', 'HealthCheck', 'Hosts', 'DNSConfig', 'Secrets', 'Configs',
  'Isolation', 'Sysctls', 'CapabilityAdd', 'CapabilityDrop', 'Ulimits', 'OomScoreAdj',
] as const;

/** Deep equality of JSON values, ignoring object key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

/**
 * True when the change from `a` to `b` makes existing tasks out of date (swarmkit `IsTaskDirty`): the task template
 * (including `ForceUpdate`) or the endpoint spec changed. Replicas, labels and update configs do not.
 */
export function tasksOutOfDate(a: ServiceSpec, b: ServiceSpec): boolean {
  return !sameJson(a.TaskTemplate, b.TaskTemplate) || !sameJson(a.EndpointSpec ?? null, b.EndpointSpec ?? null);
}
