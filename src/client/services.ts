/**
 * Typed calls for the Engine API's service and task endpoints and the lookups the service verbs make around them
 * (distribution inspect, secret/config lists, network inspect), as standalone functions over an EngineClient.
 *
 * Requests go out as the docker CLI 28.x sends them (docs/docker-engine-api.md §3.5, §9): query parameters in Go's
 * `url.Values.Encode` order (sorted by key), `filters` as sorted JSON, and spec bodies in moby's Go field order
 * with Go's `omitempty` applied and `<`, `>`, `&` escaped as `encoding/json` does (`encodeServiceSpec`), so a
 * spec read from the daemon and sent back is normalized the way the docker CLI's decode/encode round trip does.
 */
import type { IncomingMessage } from 'node:http';
import type { EngineClient } from './client.js';
import type {
  ConfigReference,
  ContainerSpec,
  DistributionInspect,
  EndpointSpec,
  FilterMap,
  HealthConfig,
  Limit,
  MountSpec,
  NamedObject,
  NetworkAttachmentConfig,
  Placement,
  Privileges,
  ResourceRequirements,
  ResourceSpec,
  RestartPolicy,
  SecretReference,
  Service,
  ServiceCreateResponse,
  ServiceLogsOptions,
  ServiceMode,
  ServiceSpec,
  ServiceUpdateOptions,
  ServiceUpdateResponse,
  Task,
  TaskSpec,
  UpdateConfig,
  NetworkRef,
  Node,
} from './service-types.js';

const seg = (ref: string): string => encodeURIComponent(ref);
const flag = (b: boolean | undefined): string | undefined => (b === true ? '1' : undefined);

// ---------------------------------------------------------------- JSON as Go writes it

type Json = Record<string, unknown>;

/** What Go's `omitempty` drops: false, 0, "", nil, and empty slices and maps (only maps reach `opt` as objects). */
const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === false ||
  v === 0 ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** Sets `key` unless Go's `omitempty` would drop the value. */
function opt(o: Json, key: string, v: unknown): void {
  if (!isEmpty(v)) o[key] = v;
}

/** A pointer field with omitempty: dropped only when nil. */
function ptr(o: Json, key: string, v: unknown): void {
  if (v === undefined || v === null) return;
  o[key] = v;
}

/** A Go map as encoding/json writes it: keys sorted. */
function sortedMap<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as T;
  return out;
}

function mapOrUndefined(m: Record<string, string> | null | undefined): Record<string, string> | undefined {
  return m === null || m === undefined || Object.keys(m).length === 0 ? undefined : sortedMap(m);
}

function encodeHealth(h: HealthConfig): Json {
  const o: Json = {};
  opt(o, 'Test', h.Test);
  opt(o, 'Interval', h.Interval);
  opt(o, 'Timeout', h.Timeout);
  opt(o, 'StartPeriod', h.StartPeriod);
  opt(o, 'StartInterval', h.StartInterval);
  opt(o, 'Retries', h.Retries);
  return o;
}

function encodeMount(m: MountSpec): Json {
  const o: Json = {};
  const src = m as MountSpec & { ImageOptions?: unknown; ClusterOptions?: unknown };
  opt(o, 'Type', src.Type);
  opt(o, 'Source', src.Source);
  opt(o, 'Target', src.Target);
  opt(o, 'ReadOnly', src.ReadOnly);
  opt(o, 'Consistency', src.Consistency);
  ptr(o, 'BindOptions', src.BindOptions);
  ptr(o, 'VolumeOptions', src.VolumeOptions);
  ptr(o, 'ImageOptions', src.ImageOptions);
  ptr(o, 'TmpfsOptions', src.TmpfsOptions);
  ptr(o, 'ClusterOptions', src.ClusterOptions);
  return o;
}

function encodeFile(f: { Name: string; UID: string; GID: string; Mode: number }): Json {
  return { Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode };
}

function encodeSecret(s: SecretReference): Json {
  return { File: s.File ? encodeFile(s.File) : null, SecretID: s.SecretID, SecretName: s.SecretName };
}

function encodeConfig(c: ConfigReference): Json {
  const o: Json = {};
  if (c.File) o.File = encodeFile(c.File);
  ptr(o, 'Runtime', c.Runtime);
  o.ConfigID = c.ConfigID;
  o.ConfigName = c.ConfigName;
  return o;
}

function encodePrivileges(p: Privileges): Json {
  const o: Json = {};
  const cs = p.CredentialSpec;
  o.CredentialSpec = cs ? { Config: cs.Config ?? '', File: cs.File ?? '', Registry: cs.Registry ?? '' } : null;
  const se = p.SELinuxContext;
  o.SELinuxContext = se ? { Disable: se.Disable, User: se.User, Role: se.Role, Type: se.Type, Level: se.Level } : null;
  ptr(o, 'Seccomp', p.Seccomp);
  ptr(o, 'AppArmor', p.AppArmor);
  o.NoNewPrivileges = p.NoNewPrivileges === true;
  return o;
}

/**
 * The container spec's health check. Go decodes JSON keys case-insensitively, so the docker CLI also reads a
 * daemon's `HealthCheck` (the spelling Shoal's api/types.ts stores) as `Healthcheck`; so does this client.
 */
export function healthcheckOf(c: ContainerSpec): HealthConfig | null | undefined {
  return c.Healthcheck ?? (c as { HealthCheck?: HealthConfig | null }).HealthCheck;
}

function encodeContainerSpec(c: ContainerSpec): Json {
  const o: Json = {};
  opt(o, 'Image', c.Image);
  opt(o, 'Labels', mapOrUndefined(c.Labels));
  opt(o, 'Command', c.Command);
  opt(o, 'Args', c.Args);
  opt(o, 'Hostname', c.Hostname);
  opt(o, 'Env', c.Env);
  opt(o, 'Dir', c.Dir);
  opt(o, 'User', c.User);
  opt(o, 'Groups', c.Groups);
  if (c.Privileges) o.Privileges = encodePrivileges(c.Privileges);
  ptr(o, 'Init', c.Init);
  opt(o, 'StopSignal', c.StopSignal);
  opt(o, 'TTY', c.TTY);
  opt(o, 'OpenStdin', c.OpenStdin);
  opt(o, 'ReadOnly', c.ReadOnly);
  if (c.Mounts && c.Mounts.length > 0) o.Mounts = c.Mounts.map(encodeMount);
  ptr(o, 'StopGracePeriod', c.StopGracePeriod);
  const health = healthcheckOf(c);
  if (health) o.Healthcheck = encodeHealth(health);
  opt(o, 'Hosts', c.Hosts);
  if (c.DNSConfig) {
    const d: Json = {};
    opt(d, 'Nameservers', c.DNSConfig.Nameservers);
    opt(d, 'Search', c.DNSConfig.Search);
    opt(d, 'Options', c.DNSConfig.Options);
    o.DNSConfig = d;
  }
  if (c.Secrets && c.Secrets.length > 0) o.Secrets = c.Secrets.map(encodeSecret);
  if (c.Configs && c.Configs.length > 0) o.Configs = c.Configs.map(encodeConfig);
  opt(o, 'Isolation', c.Isolation);
  opt(o, 'Sysctls', mapOrUndefined(c.Sysctls));
  opt(o, 'CapabilityAdd', c.CapabilityAdd);
  opt(o, 'CapabilityDrop', c.CapabilityDrop);
  if (c.Ulimits && c.Ulimits.length > 0) o.Ulimits = c.Ulimits.map((u) => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft }));
  opt(o, 'OomScoreAdj', c.OomScoreAdj);
  return o;
}

function encodeLimit(l: Limit): Json {
  const o: Json = {};
  opt(o, 'NanoCPUs', l.NanoCPUs);
  opt(o, 'MemoryBytes', l.MemoryBytes);
  opt(o, 'Pids', l.Pids);
  return o;
}

function encodeReservation(r: ResourceSpec): Json {
  const o: Json = {};
  opt(o, 'NanoCPUs', r.NanoCPUs);
  opt(o, 'MemoryBytes', r.MemoryBytes);
  opt(o, 'GenericResources', r.GenericResources);
  return o;
}

function encodeResources(r: ResourceRequirements): Json {
  const o: Json = {};
  if (r.Limits) o.Limits = encodeLimit(r.Limits);
  if (r.Reservations) o.Reservations = encodeReservation(r.Reservations);
  return o;
}

function encodeRestart(r: RestartPolicy): Json {
  const o: Json = {};
  opt(o, 'Condition', r.Condition);
  ptr(o, 'Delay', r.Delay);
  ptr(o, 'MaxAttempts', r.MaxAttempts);
  ptr(o, 'Window', r.Window);
  return o;
}

function encodePlacement(p: Placement): Json {
  const o: Json = {};
  opt(o, 'Constraints', p.Constraints);
  if (p.Preferences && p.Preferences.length > 0) {
    o.Preferences = p.Preferences.map((x) => ({ Spread: x.Spread ? { SpreadDescriptor: x.Spread.SpreadDescriptor } : null }));
  }
  opt(o, 'MaxReplicas', p.MaxReplicas);
  if (p.Platforms && p.Platforms.length > 0) {
    o.Platforms = p.Platforms.map((x) => {
      const q: Json = {};
      opt(q, 'Architecture', x.Architecture);
      opt(q, 'OS', x.OS);
      return q;
    });
  }
  return o;
}

function encodeNetworks(ns: NetworkAttachmentConfig[]): Json[] {
  return ns.map((n) => {
    const o: Json = {};
    opt(o, 'Target', n.Target);
    opt(o, 'Aliases', n.Aliases);
    opt(o, 'DriverOpts', mapOrUndefined(n.DriverOpts));
    return o;
  });
}

function encodeTaskSpec(t: TaskSpec): Json {
  const o: Json = {};
  if (t.ContainerSpec) o.ContainerSpec = encodeContainerSpec(t.ContainerSpec);
  ptr(o, 'PluginSpec', t.PluginSpec);
  ptr(o, 'NetworkAttachmentSpec', t.NetworkAttachmentSpec);
  if (t.Resources) o.Resources = encodeResources(t.Resources);
  if (t.RestartPolicy) o.RestartPolicy = encodeRestart(t.RestartPolicy);
  if (t.Placement) o.Placement = encodePlacement(t.Placement);
  if (t.Networks && t.Networks.length > 0) o.Networks = encodeNetworks(t.Networks);
  if (t.LogDriver) {
    const d: Json = {};
    opt(d, 'Name', t.LogDriver.Name);
    opt(d, 'Options', mapOrUndefined(t.LogDriver.Options));
    o.LogDriver = d;
  }
  o.ForceUpdate = t.ForceUpdate ?? 0;
  opt(o, 'Runtime', t.Runtime);
  return o;
}

function encodeMode(m: ServiceMode): Json {
  const o: Json = {};
  if (m.Replicated) {
    const r: Json = {};
    ptr(r, 'Replicas', m.Replicated.Replicas);
    o.Replicated = r;
  }
  if (m.Global) o.Global = {};
  if (m.ReplicatedJob) {
    const r: Json = {};
    ptr(r, 'MaxConcurrent', m.ReplicatedJob.MaxConcurrent);
    ptr(r, 'TotalCompletions', m.ReplicatedJob.TotalCompletions);
    o.ReplicatedJob = r;
  }
  if (m.GlobalJob) o.GlobalJob = {};
  return o;
}

function encodeUpdateConfig(u: UpdateConfig): Json {
  const o: Json = { Parallelism: u.Parallelism };
  opt(o, 'Delay', u.Delay);
  opt(o, 'FailureAction', u.FailureAction);
  opt(o, 'Monitor', u.Monitor);
  o.MaxFailureRatio = u.MaxFailureRatio;
  o.Order = u.Order;
  return o;
}

function encodeEndpointSpec(e: EndpointSpec): Json {
  const o: Json = {};
  opt(o, 'Mode', e.Mode);
  if (e.Ports && e.Ports.length > 0) {
    o.Ports = e.Ports.map((p) => {
      const q: Json = {};
      opt(q, 'Name', p.Name);
      opt(q, 'Protocol', p.Protocol);
      opt(q, 'TargetPort', p.TargetPort);
      opt(q, 'PublishedPort', p.PublishedPort);
      opt(q, 'PublishMode', p.PublishMode);
      return q;
    });
  }
  return o;
}

/**
 * A ServiceSpec as the docker CLI marshals `swarm.ServiceSpec`: moby's field order, `omitempty` applied (pointers
 * kept when set, even to zero: `"Init":false`, `"MaxAttempts":0`), `Labels` always present (`null` when nil),
 * `TaskTemplate.ForceUpdate` always present, unknown fields dropped.
 */
export function encodeServiceSpec(s: ServiceSpec): Json {
  const o: Json = {};
  opt(o, 'Name', s.Name);
  o.Labels = s.Labels === null || s.Labels === undefined ? null : sortedMap(s.Labels);
  o.TaskTemplate = encodeTaskSpec(s.TaskTemplate ?? {});
  o.Mode = encodeMode(s.Mode ?? {});
  if (s.UpdateConfig) o.UpdateConfig = encodeUpdateConfig(s.UpdateConfig);
  if (s.RollbackConfig) o.RollbackConfig = encodeUpdateConfig(s.RollbackConfig);
  if (s.Networks && s.Networks.length > 0) o.Networks = encodeNetworks(s.Networks);
  if (s.EndpointSpec) o.EndpointSpec = encodeEndpointSpec(s.EndpointSpec);
  return o;
}

/**
 * A Service as the docker CLI prints it after decoding it into moby's `swarm.Service` (`service inspect`): Go's
 * field order and omitempty, map keys sorted, unknown fields dropped.
 */
export function encodeService(s: Service): Json {
  const o: Json = { ID: s.ID, Version: { Index: s.Version?.Index ?? 0 }, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt };
  o.Spec = encodeServiceSpec(s.Spec);
  if (s.PreviousSpec) o.PreviousSpec = encodeServiceSpec(s.PreviousSpec);
  const ep = s.Endpoint ?? {};
  const endpoint: Json = { Spec: encodeEndpointSpec(ep.Spec ?? {}) };
  const ports = encodeEndpointSpec({ Ports: ep.Ports ?? null }).Ports;
  if (ports !== undefined) endpoint.Ports = ports;
  if (ep.VirtualIPs && ep.VirtualIPs.length > 0) {
    endpoint.VirtualIPs = ep.VirtualIPs.map((v) => {
      const q: Json = {};
      opt(q, 'NetworkID', v.NetworkID);
      opt(q, 'Addr', v.Addr);
      return q;
    });
  }
  o.Endpoint = endpoint;
  if (s.UpdateStatus) {
    const u: Json = {};
    opt(u, 'State', s.UpdateStatus.State);
    ptr(u, 'StartedAt', s.UpdateStatus.StartedAt);
    ptr(u, 'CompletedAt', s.UpdateStatus.CompletedAt);
    opt(u, 'Message', s.UpdateStatus.Message);
    o.UpdateStatus = u;
  }
  if (s.ServiceStatus) {
    o.ServiceStatus = { RunningTasks: s.ServiceStatus.RunningTasks, DesiredTasks: s.ServiceStatus.DesiredTasks, CompletedTasks: s.ServiceStatus.CompletedTasks };
  }
  if (s.JobStatus) {
    o.JobStatus = { JobIteration: { Index: s.JobStatus.JobIteration.Index }, LastExecution: s.JobStatus.LastExecution ?? '0001-01-01T00:00:00Z' };
  }
  return o;
}

/** JSON text as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJSON(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A filters map with keys (and values) sorted, as Go's json.Marshal of `map[string]map[string]bool` orders them. */
export function sortedFilters(filters: FilterMap | undefined): FilterMap | undefined {
  if (filters === undefined) return undefined;
  const keys = Object.keys(filters).sort();
  if (keys.length === 0) return undefined;
  const out: FilterMap = {};
  for (const k of keys) {
    const values = filters[k] ?? {};
    const inner: Record<string, boolean> = {};
    for (const v of Object.keys(values).sort()) inner[v] = values[v] as boolean;
    out[k] = inner;
  }
  return out;
}

/** A request body as the docker client sends it: json.NewEncoder's output, ending in a newline. */
function jsonBody(value: unknown): { body: string; headers: Record<string, string> } {
  return { body: goJSON(value) + '\n', headers: { 'Content-Type': 'application/json' } };
}

// ---------------------------------------------------------------- services

/** `POST /services/create` (+ `X-Registry-Auth`) → 201 `{ID, Warnings}`. */
export function serviceCreate(client: EngineClient, spec: ServiceSpec, o: { registryAuth?: string | undefined } = {}): Promise<ServiceCreateResponse> {
  const { body, headers } = jsonBody(encodeServiceSpec(spec));
  if (o.registryAuth !== undefined && o.registryAuth !== '') headers['X-Registry-Auth'] = o.registryAuth;
  return client.request('POST', '/services/create', { body, headers });
}

/** `GET /services?filters=…&status=true`. */
export async function serviceList(client: EngineClient, o: { filters?: FilterMap; status?: boolean } = {}): Promise<Service[]> {
  const list = await client.request<Service[] | null>('GET', '/services', {
    query: { filters: sortedFilters(o.filters), status: o.status === true ? 'true' : undefined },
  });
  return list ?? [];
}

/** `GET /services/{id or name}?insertDefaults=true|false` (the docker client always sends the parameter). */
export function serviceInspect(client: EngineClient, ref: string, o: { insertDefaults?: boolean; signal?: AbortSignal | undefined } = {}): Promise<Service> {
  return client.request('GET', `/services/${seg(ref)}`, {
    query: { insertDefaults: o.insertDefaults === true ? 'true' : 'false' },
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
}

/** `POST /services/{id}/update?registryAuthFrom=…&rollback=previous&version=N` (+ `X-Registry-Auth`). */
export async function serviceUpdate(client: EngineClient, id: string, spec: ServiceSpec, o: ServiceUpdateOptions): Promise<ServiceUpdateResponse> {
  const { body, headers } = jsonBody(encodeServiceSpec(spec));
  if (o.registryAuth !== undefined && o.registryAuth !== '') headers['X-Registry-Auth'] = o.registryAuth;
  const res = await client.request<ServiceUpdateResponse | undefined>('POST', `/services/${seg(id)}/update`, {
    query: { registryAuthFrom: o.registryAuthFrom, rollback: o.rollback, version: o.version },
    body,
    headers,
  });
  return res ?? {};
}

/** `DELETE /services/{id or name}`. */
export async function serviceRemove(client: EngineClient, ref: string): Promise<void> {
  await client.request('DELETE', `/services/${seg(ref)}`);
}

function logsQuery(o: ServiceLogsOptions): Record<string, string | undefined> {
  return {
    details: flag(o.details),
    follow: flag(o.follow),
    since: o.since === undefined || o.since === '' ? undefined : o.since,
    stderr: flag(o.stderr),
    stdout: flag(o.stdout),
    tail: o.tail,
    timestamps: flag(o.timestamps),
  };
}

/** `GET /services/{id or name}/logs?…`: multiplexed frames, one line each (raw bytes for a TTY service). */
export function serviceLogs(client: EngineClient, ref: string, o: ServiceLogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
  return client.stream('GET', `/services/${seg(ref)}/logs`, { query: logsQuery(o), ...(signal !== undefined ? { signal } : {}) });
}

// ---------------------------------------------------------------- tasks

/** `GET /tasks?filters=…`. */
export async function taskList(client: EngineClient, filters?: FilterMap, signal?: AbortSignal): Promise<Task[]> {
  const list = await client.request<Task[] | null>('GET', '/tasks', { query: { filters: sortedFilters(filters) }, ...(signal !== undefined ? { signal } : {}) });
  return list ?? [];
}

/** `GET /tasks/{id}`. */
export function taskInspect(client: EngineClient, id: string): Promise<Task> {
  return client.request('GET', `/tasks/${seg(id)}`);
}

/** `GET /tasks/{id}/logs?…`. */
export function taskLogs(client: EngineClient, id: string, o: ServiceLogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
  return client.stream('GET', `/tasks/${seg(id)}/logs`, { query: logsQuery(o), ...(signal !== undefined ? { signal } : {}) });
}

// ---------------------------------------------------------------- lookups around services

/**
 * `GET /distribution/{image}/json` (+ `X-Registry-Auth`): the image's digest and platforms. The reference goes in
 * the path unescaped (`img:latest`, `me/app:2`), as the docker client sends it.
 */
export function distributionInspect(client: EngineClient, image: string, registryAuth?: string): Promise<DistributionInspect> {
  const headers: Record<string, string> = {};
  if (registryAuth !== undefined && registryAuth !== '') headers['X-Registry-Auth'] = registryAuth;
  return client.request('GET', `/distribution/${encodeURI(image)}/json`, { headers });
}

/** `GET /secrets?filters=…`. */
export async function secretList(client: EngineClient, filters?: FilterMap): Promise<NamedObject[]> {
  return (await client.request<NamedObject[] | null>('GET', '/secrets', { query: { filters: sortedFilters(filters) } })) ?? [];
}

/** `GET /configs?filters=…`. */
export async function configList(client: EngineClient, filters?: FilterMap): Promise<NamedObject[]> {
  return (await client.request<NamedObject[] | null>('GET', '/configs', { query: { filters: sortedFilters(filters) } })) ?? [];
}

/** `GET /networks/{id or name}?scope=swarm`. */
export function networkInspect(client: EngineClient, ref: string, o: { scope?: string } = {}): Promise<NetworkRef> {
  return client.request('GET', `/networks/${seg(ref)}`, { query: { scope: o.scope || undefined } });
}

/** `GET /nodes/{id or name}`. */
export function nodeInspect(client: EngineClient, ref: string): Promise<Node> {
  return client.request('GET', `/nodes/${seg(ref)}`);
}

/** `GET /nodes` (the progress loop's "active nodes"). */
export async function nodeList(client: EngineClient, filters?: FilterMap, signal?: AbortSignal): Promise<Node[]> {
  return (await client.request<Node[] | null>('GET', '/nodes', { query: { filters: sortedFilters(filters) }, ...(signal !== undefined ? { signal } : {}) })) ?? [];
}
