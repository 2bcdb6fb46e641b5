/**
 * Service use-cases (swarmkit `controlapi/service.go` plus dockerd's part in `daemon/cluster/services.go`): create,
 * list (with docker's filters and `ServiceStatus`), get (with `insertDefaults`), update (under `version`, with
 * `rollback=previous`) and remove. Validate, then transact.
 *
 * What this file writes (docs/design/services.md): `Spec`, `PreviousSpec`, `SpecVersion`, the initial `Endpoint`,
 * `JobStatus` of jobs, and `UpdateStatus` (reset on update; `rollback_started` on a manual rollback). The
 * `X-Registry-Auth` of a create or update goes into the spec, out of sight of the API (registry-auth.ts). Everything
 * else belongs to the orchestrators and the allocator; removing a service leaves its tasks to the orchestrators
 * (they set them to desired `remove`).
 *
 * `SpecVersion` starts at 1 and goes up by one whenever a change makes existing tasks out of date (the task template,
 * `ForceUpdate` included, or the endpoint spec; every update of a job, which re-runs it). Scaling or relabelling does
 * not bump it, so `service scale` converges on the tasks it already has (the `_up-to-date` task filter compares
 * `Task.SpecVersion` with it, as swarmkit's `IsTaskDirty` would). A job's `JobStatus.JobIteration` is its
 * `SpecVersion`, the convention of the jobs orchestrator.
 */
import { invalidArgument, isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { resolveRef, specNameGetters } from '../../api/resolve.js';
import {
  checkServiceName,
  insertServiceDefaults,
  isJobMode,
  parseServiceSpec,
  rpcError,
  sameJson,
  serviceModeName,
  tasksOutOfDate,
} from '../../api/service-spec.js';
import type { Endpoint, Network, Node, PortConfig, Service, ServiceSpec, Task } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Random } from '../../lib/random.js';
import { storeErrorCodes } from '../../store/core/errors.js';
import type { ReadTx } from '../../store/core/tables.js';
import type { ControlDeps } from './deps.js';
import { hideRegistryAuth, keptRegistryAuth, withRegistryAuth } from './registry-auth.js';

export const SERVICE_FILTERS = ['id', 'name', 'label', 'mode', 'runtime'] as const;

type ServiceStatus = NonNullable<Service['ServiceStatus']>;

// ------------------------------------------------------------------ presentation

/**
 * The API view of a stored service: docker's key order, `Endpoint` always present, no internal `SpecVersion`, no
 * registry credentials.
 */
export function publicService(s: Service): Service {
  const out: Service = { ID: s.ID, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Spec: hideRegistryAuth(s.Spec) };
  if (s.PreviousSpec !== undefined) out.PreviousSpec = hideRegistryAuth(s.PreviousSpec);
  out.Endpoint = s.Endpoint ?? { Spec: {} };
  if (s.UpdateStatus !== undefined) out.UpdateStatus = s.UpdateStatus;
  if (s.ServiceStatus !== undefined) out.ServiceStatus = s.ServiceStatus;
  if (s.JobStatus !== undefined) out.JobStatus = s.JobStatus;
  return out;
}

// ------------------------------------------------------------------ names

const ADJECTIVES = [
  'amber', 'brisk', 'calm', 'dapper', 'eager', 'fluent', 'gentle', 'hardy', 'jovial', 'keen', 'lively', 'mellow',
  'nimble', 'placid', 'quiet', 'rapid', 'steady', 'tidy', 'upbeat', 'vivid', 'witty', 'zesty',
];
const NOUNS = [
  'anchovy', 'barracuda', 'carp', 'dorado', 'eel', 'flounder', 'grouper', 'herring', 'koi', 'loach', 'mackerel',
  'minnow', 'perch', 'pike', 'salmon', 'sardine', 'shad', 'smelt', 'sturgeon', 'tetra', 'trout', 'tuna',
];

function pick(random: Random, words: readonly string[]): string {
  return words[Math.floor(random.float() * words.length)] ?? words[0] ?? 'service';
}

/** dockerd names an unnamed service at random (`namesgenerator`); this picks one no service has. */
async function randomName(tx: ReadTx, random: Random): Promise<string> {
  for (let i = 0; ; i++) {
    let name = `${pick(random, ADJECTIVES)}_${pick(random, NOUNS)}`;
    if (i >= 3) name += String(Math.floor(random.float() * 10));
    if ((await tx.getByName('services', name)) === undefined) return name;
  }
}

function inputName(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const n = (input as Record<string, unknown>).Name;
  return typeof n === 'string' && n !== '' ? n : undefined;
}

const nameConflict = (name: string): Error =>
  rpcError('AlreadyExists', 'AlreadyExists', 'service.name_conflict', `name conflicts with an existing object: service ${name} already exists`);

// ------------------------------------------------------------------ checks against the store

const networkRef = { id: (n: Network): string => n.Id, name: (n: Network): string => n.Name };

/** dockerd's `populateNetworkID`: every network target (a name, ID or ID prefix) becomes the network's ID. */
async function resolveNetworks(tx: ReadTx, spec: ServiceSpec): Promise<void> {
  const lists = [spec.TaskTemplate.Networks, spec.Networks].filter((l) => l !== undefined && l.length > 0);
  if (lists.length === 0) return;
  const networks = await tx.list('networks');
  for (const attachments of lists) {
    for (const a of attachments ?? []) {
      const n = resolveRef('network', a.Target, networks, networkRef);
      if (n.Scope === 'local') {
        throw invalidArgument(
          'service.network_not_swarm',
          `The network ${n.Name} cannot be used with services. Only networks scoped to the swarm can be used, such as those created with the overlay driver.`,
        );
      }
      if (n.Ingress) {
        throw rpcError('InvalidArgument', 'InvalidArgument', 'service.ingress_network', `Service cannot be explicitly attached to the ingress network ${JSON.stringify(n.Name)}`);
      }
      a.Target = n.Id;
    }
  }
}

/** swarmkit's `checkSecretExistence`/`checkConfigExistence`: each reference names an existing object by ID and name. */
async function checkReferences(tx: ReadTx, spec: ServiceSpec): Promise<void> {
  const c = spec.TaskTemplate.ContainerSpec;
  const check = async (kind: 'secrets' | 'configs', refs: { id: string; name: string }[]): Promise<void> => {
    if (refs.length === 0) return;
    const missing: string[] = [];
    for (const r of refs) {
      const obj = await tx.get(kind, r.id);
      if (obj === undefined || obj.Spec.Name !== r.name) missing.push(r.name);
    }
    if (missing.length === 0) return;
    const word = kind === 'secrets' ? 'secret' : 'config';
    throw rpcError('InvalidArgument', 'InvalidArgument', `service.${word}_not_found`, `${word}${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`);
  };
  await check('secrets', (c?.Secrets ?? []).map((r) => ({ id: r.SecretID, name: r.SecretName })));
  await check('configs', (c?.Configs ?? []).map((r) => ({ id: r.ConfigID, name: r.ConfigName })));
}

/**
 * swarmkit's `checkPortConflicts`: a published port (and protocol) taken by another service is refused; an ingress
 * port conflicts with anything, host-mode ports only with ingress ones (the scheduler keeps host ports apart).
 */
function checkPortConflicts(services: readonly Service[], spec: ServiceSpec, selfId: string | undefined): void {
  const key = (p: PortConfig): string => `${p.PublishedPort ?? 0}/${p.Protocol ?? 'tcp'}`;
  const ingress = new Set<string>();
  const host = new Set<string>();
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    if ((p.PublishedPort ?? 0) === 0) continue;
    (p.PublishMode === 'host' ? host : ingress).add(key(p));
  }
  if (ingress.size === 0 && host.size === 0) return;
  for (const s of services) {
    if (s.ID === selfId) continue;
    for (const p of [...(s.Spec.EndpointSpec?.Ports ?? []), ...(s.Endpoint?.Ports ?? [])]) {
      if ((p.PublishedPort ?? 0) === 0) continue;
      const k = key(p);
      const taken = p.PublishMode === 'host' ? ingress.has(k) : ingress.has(k) || host.has(k);
      if (taken) {
        const as = p.PublishMode === 'host' ? 'a host-published port' : 'an ingress port';
        throw rpcError('InvalidArgument', 'InvalidArgument', 'service.port_in_use', `port '${p.PublishedPort}' is already in use by service '${s.Spec.Name}' (${s.ID}) as ${as}`);
      }
    }
  }
}

// ------------------------------------------------------------------ create

export interface CreateServiceResult {
  service: Service;
  /** For the response's `Warnings` (none yet: digests are pinned by the client, as at API ≥ 1.30). */
  warnings: string[];
}

/** `POST /services/create`: a new service from an untrusted spec. An unnamed service gets a random name. */
export async function createService(deps: ControlDeps, input: unknown, opts: { registryAuth?: string | undefined } = {}): Promise<CreateServiceResult> {
  const given = inputName(input);
  let name = given ?? '';
  const { result } = await commit(() => name, () =>
    deps.store.update(async (tx) => {
      name = given ?? (await randomName(tx, deps.random));
      const spec = withRegistryAuth(parseServiceSpec(given === undefined && isRecord(input) ? { ...input, Name: name } : input), opts.registryAuth);
      await resolveNetworks(tx, spec);
      await checkReferences(tx, spec);
      checkPortConflicts(await tx.list('services'), spec, undefined);
      if ((await tx.getByName('services', spec.Name)) !== undefined) throw nameConflict(spec.Name);
      const now = rfc3339Nano(deps.clock.now());
      const service: Service = {
        ID: newId(deps.random),
        Version: { Index: 0 },
        CreatedAt: now,
        UpdatedAt: now,
        Spec: spec,
        Endpoint: initialEndpoint(spec),
        SpecVersion: { Index: 1 },
      };
      // A job's iteration is its SpecVersion (the jobs orchestrator runs the iteration JobStatus names).
      if (isJobMode(spec.Mode)) service.JobStatus = { JobIteration: { Index: 1 }, LastExecution: now };
      tx.create('services', service);
      return service;
    }),
  );
  return { service: publicService(result), warnings: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Until the allocator fills it, the endpoint carries the spec's ports (docker shows `{"Spec":{}}` without them). */
function initialEndpoint(spec: ServiceSpec): Endpoint {
  const e = spec.EndpointSpec;
  return e?.Ports !== undefined && e.Ports.length > 0 ? { Spec: structuredClone(e) } : { Spec: {} };
}

/** Runs a write and turns the store's name-index conflict (a race with another create) into dockerd's message. */
async function commit<T>(name: () => string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isShoalError(e) && e.code === storeErrorCodes.nameConflict) throw nameConflict(name());
    throw e;
  }
}

// ------------------------------------------------------------------ read

export interface ListServicesOptions {
  filters?: Filters;
  /** Fill `ServiceStatus` (`GET /services?status=true`, API ≥ 1.41). */
  status?: boolean;
}

/** `GET /services`: docker's filters (`id`/`name` prefixes, `label`, `mode`, `runtime`), optionally with status. */
export async function listServices(deps: Pick<ControlDeps, 'store'>, opts: ListServicesOptions = {}): Promise<Service[]> {
  const f = opts.filters ?? Filters.empty();
  f.validate(SERVICE_FILTERS);
  const runtimes = f.values('runtime');
  const view = deps.store.view();
  const services = (await view.list('services')).filter(
    (s) =>
      f.matchPrefix('id', s.ID) &&
      f.matchPrefix('name', s.Spec.Name) &&
      f.matchLabels(s.Spec.Labels ?? {}) &&
      f.matchExact('mode', serviceModeName(s.Spec.Mode)) &&
      (runtimes.length === 0 || runtimes.includes('container')),
  );
  if (opts.status !== true || services.length === 0) return services.map(publicService);
  const [tasks, nodes] = await Promise.all([view.list('tasks'), view.list('nodes')]);
  const byService = new Map<string, Task[]>();
  for (const t of tasks) {
    const l = byService.get(t.ServiceID);
    if (l === undefined) byService.set(t.ServiceID, [t]);
    else l.push(t);
  }
  return services.map((s) => ({ ...publicService(s), ServiceStatus: serviceStatus(s, byService.get(s.ID) ?? [], nodes) }));
}

/**
 * `ServiceStatus` as swarmkit's `ListServiceStatuses` computes it. Desired: the replicas (replicated), the maximum
 * concurrency (replicated jobs), or the tasks that should run or complete (global modes). Running: tasks in state
 * `running`, not counting nodes that are down (their tasks are being replaced). Completed: tasks of the current job
 * iteration in state `complete`. Tasks of earlier job iterations are not counted.
 */
export function serviceStatus(s: Service, tasks: readonly Task[], nodes: readonly Node[]): ServiceStatus {
  const down = new Set(nodes.filter((n) => n.Status.State === 'down').map((n) => n.ID));
  const mode = s.Spec.Mode;
  const global = mode?.Global !== undefined || mode?.GlobalJob !== undefined;
  const out: ServiceStatus = {
    RunningTasks: 0,
    DesiredTasks: mode?.ReplicatedJob !== undefined ? (mode.ReplicatedJob.MaxConcurrent ?? 1) : global ? 0 : (mode?.Replicated?.Replicas ?? 1),
    CompletedTasks: 0,
  };
  const iteration = s.JobStatus?.JobIteration.Index;
  for (const t of tasks) {
    if (iteration !== undefined) {
      if (t.JobIteration?.Index !== iteration) continue;
      if (t.Status.State === 'complete') out.CompletedTasks++;
    }
    if (t.Status.State === 'running' && !(t.NodeID !== undefined && down.has(t.NodeID))) out.RunningTasks++;
    if (global && t.DesiredState === 'running') out.DesiredTasks++;
    if (global && t.DesiredState === 'complete' && t.Status.State !== 'complete') out.DesiredTasks++;
  }
  return out;
}

export interface GetServiceOptions {
  /** Fill in the defaults the managers apply (`service inspect`). */
  insertDefaults?: boolean;
}

/** `GET /services/{id}`: by full ID, exact name, or unique ID prefix. */
export async function getService(deps: Pick<ControlDeps, 'store'>, ref: string, opts: GetServiceOptions = {}): Promise<Service> {
  const s = publicService(resolveRef<Service>('service', ref, await deps.store.view().list('services'), specNameGetters));
  return opts.insertDefaults === true ? { ...s, Spec: insertServiceDefaults(s.Spec) } : s;
}

// ------------------------------------------------------------------ update

export interface UpdateServiceInput {
  /** The `Version.Index` the client read; a stale one fails with `update out of sequence`. */
  version: number;
  /** The full new spec (untrusted). With `rollback` it is still validated, then ignored, as dockerd does. */
  spec: unknown;
  /** `rollback=previous`: go back to `PreviousSpec`. */
  rollback?: boolean;
  /** The `X-Registry-Auth` header: the credentials the tasks pull with (registry-auth.ts). */
  registryAuth?: string | undefined;
  /** Without the header: keep the credentials of the current spec (default) or of the previous one. */
  registryAuthFrom?: 'spec' | 'previous-spec';
}

/**
 * `POST /services/{id}/update`. The previous spec is kept in `PreviousSpec`; `UpdateStatus` is reset (the update
 * supervisor then reports `updating` → `completed` if tasks must change). With `rollback`, `Spec` and `PreviousSpec`
 * swap and `UpdateStatus` becomes `rollback_started` ("manually requested rollback"). Changing the mode or the name
 * is refused, as in swarmkit.
 */
export async function updateService(deps: ControlDeps, ref: string, input: UpdateServiceInput): Promise<{ service: Service; warnings: string[] }> {
  const { result } = await deps.store.update(async (tx) => {
    const services = await tx.list('services');
    const current = resolveRef<Service>('service', ref, services, specNameGetters);
    if (!isRecord(input.spec)) parseServiceSpec(input.spec); // throws: not a spec at all
    const name = inputName(input.spec);
    if (name !== current.Spec.Name) {
      if (name !== undefined) checkServiceName(name);
      throw rpcError('InvalidArgument', 'Unimplemented', 'service.rename', 'renaming services is not supported');
    }
    const given = input.registryAuth !== undefined && input.registryAuth !== '' ? input.registryAuth : keptRegistryAuth(current, input.registryAuthFrom);
    const spec = withRegistryAuth(parseServiceSpec(input.spec), given);
    if (serviceModeName(spec.Mode) !== serviceModeName(current.Spec.Mode)) {
      throw rpcError('InvalidArgument', 'Unimplemented', 'service.mode_change', 'service mode change is not allowed');
    }
    await resolveNetworks(tx, spec);
    const oldNets = current.Spec.Networks ?? [];
    const newNets = spec.Networks ?? [];
    if ((oldNets.length > 0 || newNets.length > 0) && !sameJson(oldNets, newNets) && sameJson(spec.TaskTemplate.Networks ?? [], current.Spec.TaskTemplate.Networks ?? [])) {
      throw rpcError('InvalidArgument', 'Unimplemented', 'service.network_update', 'networks must be migrated to TaskSpec before being changed');
    }
    await checkReferences(tx, spec);
    if (!sameJson(spec.EndpointSpec ?? null, current.Spec.EndpointSpec ?? null)) checkPortConflicts(services, spec, current.ID);

    const now = rfc3339Nano(deps.clock.now());
    const next: Service = { ...current, Version: { Index: input.version }, UpdatedAt: now };
    if (input.rollback === true) {
      if (current.PreviousSpec === undefined) {
        throw rpcError('FailedPrecondition', 'FailedPrecondition', 'service.no_previous_spec', `service ${current.ID} does not have a previous spec`);
      }
      next.Spec = current.PreviousSpec;
      next.PreviousSpec = current.Spec;
      next.UpdateStatus = { State: 'rollback_started', StartedAt: now, Message: 'manually requested rollback' };
    } else {
      next.Spec = spec;
      next.PreviousSpec = current.Spec;
      delete next.UpdateStatus;
    }
    const job = isJobMode(current.Spec.Mode);
    const specVersion = current.SpecVersion?.Index ?? 1;
    next.SpecVersion = { Index: job || tasksOutOfDate(current.Spec, next.Spec) ? specVersion + 1 : specVersion };
    if (job) next.JobStatus = { JobIteration: { Index: next.SpecVersion.Index }, LastExecution: now };
    tx.update('services', next);
    return next;
  });
  return { service: publicService(result), warnings: [] };
}

// ------------------------------------------------------------------ remove

/**
 * `DELETE /services/{id}`: by full ID, exact name or unique ID prefix. The tasks stay: the orchestrators see the
 * removal and set them to desired `remove`, the agents stop them, and the reaper deletes them.
 */
export async function removeService(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const s = resolveRef<Service>('service', ref, await tx.list('services'), specNameGetters);
    tx.delete('services', s.ID);
  });
}
