/**
 * `service update` flags applied to the service's current spec, as docker's update.go `updateService` does it: only
 * the flags given change anything; the -add/-rm pairs merge into the current lists (constraints, groups and DNS
 * entries sorted, mounts keyed by target, ports by published/target/protocol/mode, ulimits by name); --force bumps
 * TaskTemplate.ForceUpdate. Network names are resolved through the `resolveNetwork` callback.
 */
import { healthcheckOf } from '../../../client/services.js';
import type { ContainerSpec, PortConfig, ServiceSpec, TaskSpec } from '../../../client/service-types.js';
import { CliError } from '../../errors.js';
import { kvStringsToMap } from '../container/env-values.js';
import type { ServiceFlags } from './flags.js';
import { anyChanged } from './flags.js';
import { applyUpdateConfig, defaultRestartPolicy, defaultUpdateConfig, ulimitsSorted } from './spec.js';
import { RESET_CAPABILITIES, capabilitiesSet, capsList, swarmHosts } from './values.js';

const sortStrings = (a: string[]): string[] => a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
const envKey = (v: string): string => {
  const eq = v.indexOf('=');
  return eq < 0 ? v : v.slice(0, eq);
};
const unique = (a: readonly string[]): string[] => [...new Set(a)];

function updateLabels(current: Record<string, string> | null | undefined, add: string[] | undefined, rm: string[] | undefined): Record<string, string> | null | undefined {
  let field = current;
  if (field !== null && field !== undefined && rm !== undefined) {
    field = { ...field };
    for (const k of rm) delete field[k];
  }
  if (add !== undefined) {
    field = { ...(field ?? {}), ...kvStringsToMap(add) };
  }
  return field;
}

/** updateEnvironment: --env-rm by name, then --env-add replacing a variable of the same name (kept in place). */
function updateEnvironment(env: string[] | null | undefined, add: string[] | undefined, rm: string[] | undefined): string[] {
  const toRemove = new Set(rm ?? []);
  let out = (env ?? []).filter((v) => !toRemove.has(envKey(v)));
  if (add !== undefined) {
    const byKey = new Map<string, string>();
    for (const v of out) byKey.set(envKey(v), v);
    for (const v of add) byKey.set(envKey(v), v);
    out = [...byKey.values()];
  }
  return out;
}

function updateMounts(cs: ContainerSpec, f: ServiceFlags): void {
  const byTarget = new Map<string, NonNullable<ContainerSpec['Mounts']>[number]>();
  for (const m of f.mountAdd ?? []) {
    if (byTarget.has(m.Target ?? '')) throw new CliError('duplicate mount target');
    byTarget.set(m.Target ?? '', m);
  }
  for (const m of cs.Mounts ?? []) if (!byTarget.has(m.Target ?? '')) byTarget.set(m.Target ?? '', m);
  const toRemove = new Set(f.mountRm ?? []);
  const mounts = [...byTarget.values()].filter((m) => !toRemove.has(m.Target ?? ''));
  mounts.sort((a, b) => {
    const sa = a.Source ?? '';
    const sb = b.Source ?? '';
    if (sa === sb) return (a.Target ?? '') < (b.Target ?? '') ? -1 : (a.Target ?? '') > (b.Target ?? '') ? 1 : 0;
    return sa < sb ? -1 : 1;
  });
  cs.Mounts = mounts;
}

function updateSysctls(current: Record<string, string> | null | undefined, f: ServiceFlags): Record<string, string> | null | undefined {
  let field = current;
  if (field !== null && field !== undefined && f.sysctlRm !== undefined) {
    field = { ...field };
    for (const k of Object.keys(kvStringsToMap(f.sysctlRm))) delete field[k];
  }
  if (f.sysctlAdd !== undefined) field = { ...(field ?? {}), ...kvStringsToMap(f.sysctlAdd) };
  return field;
}

function updateUlimits(cs: ContainerSpec, f: ServiceFlags): void {
  const byName = new Map<string, NonNullable<ContainerSpec['Ulimits']>[number]>();
  for (const u of cs.Ulimits ?? []) byName.set(u.Name, u);
  for (const k of Object.keys(kvStringsToMap(f.ulimitRm ?? []))) byName.delete(k);
  for (const u of ulimitsSorted(f.ulimitAdd ?? [])) byName.set(u.Name, u);
  cs.Ulimits = byName.size === 0 ? null : ulimitsSorted([...byName.values()]);
}

const portKey = (p: PortConfig): string => `${p.PublishedPort ?? 0}:${p.TargetPort ?? 0}/${p.Protocol ?? ''}/${p.PublishMode ?? ''}`;
const sameProtocol = (a: string | undefined, b: string | undefined): boolean => (a ?? '') === (b ?? '') || ((a ?? '') === '' && b === 'tcp') || ((b ?? '') === '' && a === 'tcp');
const sameMode = (a: string | undefined, b: string | undefined): boolean =>
  (a ?? '') === (b ?? '') || ((a ?? '') === '' && b === 'ingress') || ((b ?? '') === '' && a === 'ingress');

/** updatePorts: --publish-rm by target port (and protocol, mode), --publish-add unless already there; sorted. */
function updatePorts(current: PortConfig[] | null | undefined, f: ServiceFlags): PortConfig[] {
  const set = new Map<string, PortConfig>();
  for (const p of current ?? []) if (!set.has(portKey(p))) set.set(portKey(p), p);
  const toRemove = f.publishRm ?? [];
  const ports: PortConfig[] = [];
  for (const p of set.values()) {
    if (toRemove.some((r) => sameProtocol(p.Protocol, r.Protocol) && p.TargetPort === r.TargetPort && sameMode(p.PublishMode, r.PublishMode))) continue;
    ports.push(p);
  }
  for (const p of f.publishAdd ?? []) {
    if (set.has(portKey(p))) continue;
    ports.push(p);
  }
  return ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
}

/** updateDNSConfig: each list gets its additions, loses duplicates and removals, and is sorted. */
function updateDNS(cs: ContainerSpec, f: ServiceFlags): void {
  const cur = cs.DNSConfig ?? {};
  const merge = (list: string[] | undefined, add: string[] | undefined, rm: string[] | undefined): string[] | undefined => {
    const toRemove = new Set(rm ?? []);
    const out = unique([...(list ?? []), ...(add ?? [])]).filter((v) => !toRemove.has(v));
    return out.length === 0 ? undefined : sortStrings(out);
  };
  const next: NonNullable<ContainerSpec['DNSConfig']> = {};
  const ns = merge(cur.Nameservers, f.dnsAdd, f.dnsRm);
  if (ns) next.Nameservers = ns;
  const search = merge(cur.Search, f.dnsSearchAdd, f.dnsSearchRm);
  if (search) next.Search = search;
  const options = merge(cur.Options, f.dnsOptionAdd, f.dnsOptionRm);
  if (options) next.Options = options;
  cs.DNSConfig = next;
}

/** updateHosts: `host` or `host:ip` removals from swarmkit's `ip host [aliases]` entries, then the additions. */
function updateHosts(hosts: string[] | null | undefined, f: ServiceFlags): string[] {
  const toRemove = (f.hostRm ?? []).map((e) => {
    const colon = e.indexOf(':');
    return colon < 0 ? { host: e, ip: '' } : { host: e.slice(0, colon), ip: e.slice(colon + 1) };
  });
  const out: string[] = [];
  for (const entry of hosts ?? []) {
    const parts = entry.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) continue;
    const ip = parts[0] as string;
    let names = parts.slice(1);
    for (const rm of toRemove) {
      if (rm.ip !== '' && rm.ip !== ip) continue;
      names = names.filter((h) => h !== rm.host);
    }
    if (names.length > 0) out.push(`${ip} ${names.join(' ')}`);
  }
  out.push(...swarmHosts(f.hostAdd ?? []));
  return unique(out);
}

function updateHealthcheck(cs: ContainerSpec, f: ServiceFlags): void {
  const healthFlags = anyChanged(f, 'healthCmd', 'healthInterval', 'healthRetries', 'healthTimeout', 'healthStartPeriod', 'healthStartInterval');
  if (!healthFlags && f.healthcheck !== false) return;
  const h = { ...(healthcheckOf(cs) ?? {}) };
  delete (cs as { HealthCheck?: unknown }).HealthCheck;
  if (f.healthcheck === false) {
    if (healthFlags) throw new CliError('--no-healthcheck conflicts with --health-* options');
    cs.Healthcheck = { Test: ['NONE'] };
    return;
  }
  if (h.Test !== undefined && h.Test[0] === 'NONE') delete h.Test;
  if (f.healthInterval !== undefined) h.Interval = f.healthInterval;
  if (f.healthTimeout !== undefined) h.Timeout = f.healthTimeout;
  if (f.healthStartPeriod !== undefined) h.StartPeriod = f.healthStartPeriod;
  if (f.healthStartInterval !== undefined) h.StartInterval = f.healthStartInterval;
  if (f.healthRetries !== undefined) h.Retries = f.healthRetries;
  if (f.healthCmd !== undefined) {
    if (f.healthCmd !== '') h.Test = ['CMD-SHELL', f.healthCmd];
    else delete h.Test;
  }
  cs.Healthcheck = h;
}

/** updateCapabilities: the tri-state add/drop merge (adding a dropped capability only un-drops it, and so on). */
function updateCapabilities(cs: ContainerSpec, f: ServiceFlags): void {
  let capDrop = capabilitiesSet(cs.CapabilityDrop ?? []);
  let capAdd = capabilitiesSet(cs.CapabilityAdd ?? []);
  let toAdd = new Set<string>();
  let toDrop = new Set<string>();
  if (f.capAdd !== undefined) {
    toAdd = capabilitiesSet(f.capAdd);
    if (toAdd.has(RESET_CAPABILITIES)) {
      capAdd = new Set();
      toAdd.delete(RESET_CAPABILITIES);
    }
  }
  if (f.capDrop !== undefined) {
    toDrop = capabilitiesSet(f.capDrop);
    if (toDrop.has(RESET_CAPABILITIES)) {
      capDrop = new Set();
      toDrop.delete(RESET_CAPABILITIES);
    }
  }
  for (const c of toDrop) {
    if (toAdd.has(c)) continue;
    if (capAdd.has(c)) capAdd.delete(c);
    else capDrop.add(c);
  }
  for (const c of toAdd) {
    if (capDrop.has(c)) capDrop.delete(c);
    else capAdd.add(c);
  }
  cs.CapabilityDrop = capsList(capDrop) ?? null;
  cs.CapabilityAdd = capsList(capAdd) ?? null;
}

function taskResources(task: TaskSpec): NonNullable<TaskSpec['Resources']> {
  task.Resources ??= {};
  task.Resources.Limits ??= {};
  task.Resources.Reservations ??= {};
  return task.Resources;
}

/**
 * Applies the update flags to `spec` (a copy of the service's spec, changed in place). `resolveNetwork` maps a
 * network name or ID to its ID (`GET /networks/{x}?scope=swarm`).
 */
export async function updateService(spec: ServiceSpec, f: ServiceFlags, resolveNetwork: (ref: string) => Promise<string>): Promise<void> {
  const task = spec.TaskTemplate;
  task.ContainerSpec ??= {};
  const cs = task.ContainerSpec;

  spec.Labels = updateLabels(spec.Labels, f.labelAdd, f.labelRm) ?? null;
  cs.Labels = updateLabels(cs.Labels, f.containerLabelAdd, f.containerLabelRm) ?? null;
  if (f.image !== undefined) cs.Image = f.image;
  if (f.args !== undefined) cs.Args = f.args;
  if (f.entrypoint !== undefined) cs.Command = f.entrypoint;
  cs.Env = updateEnvironment(cs.Env, f.envAdd, f.envRm);
  if (f.workdir !== undefined) cs.Dir = f.workdir;
  if (f.user !== undefined) cs.User = f.user;
  if (f.hostname !== undefined) cs.Hostname = f.hostname;
  if (f.init !== undefined) cs.Init = f.init;
  if (f.isolation !== undefined) cs.Isolation = f.isolation;
  updateMounts(cs, f);
  cs.Sysctls = updateSysctls(cs.Sysctls, f) ?? null;
  updateUlimits(cs, f);

  if (anyChanged(f, 'limitCpu', 'limitMemory', 'limitPids')) {
    const limits = taskResources(task).Limits as NonNullable<NonNullable<TaskSpec['Resources']>['Limits']>;
    if (f.limitCpu !== undefined) limits.NanoCPUs = f.limitCpu;
    if (f.limitMemory !== undefined) limits.MemoryBytes = f.limitMemory;
    if (f.limitPids !== undefined) limits.Pids = f.limitPids;
  }
  if (anyChanged(f, 'reserveCpu', 'reserveMemory')) {
    const res = taskResources(task).Reservations as NonNullable<NonNullable<TaskSpec['Resources']>['Reservations']>;
    if (f.reserveCpu !== undefined) res.NanoCPUs = f.reserveCpu;
    if (f.reserveMemory !== undefined) res.MemoryBytes = f.reserveMemory;
  }
  if (f.oomScoreAdj !== undefined) cs.OomScoreAdj = f.oomScoreAdj;
  if (f.stopGracePeriod !== undefined) cs.StopGracePeriod = f.stopGracePeriod;

  if (anyChanged(f, 'restartCondition', 'restartDelay', 'restartMaxAttempts', 'restartWindow')) {
    const rp = { ...(task.RestartPolicy ?? defaultRestartPolicy()) };
    if (f.restartCondition !== undefined) rp.Condition = f.restartCondition;
    if (f.restartDelay !== undefined) rp.Delay = f.restartDelay;
    if (f.restartMaxAttempts !== undefined) rp.MaxAttempts = f.restartMaxAttempts;
    if (f.restartWindow !== undefined) rp.Window = f.restartWindow;
    task.RestartPolicy = rp;
  }

  if (anyChanged(f, 'constraintAdd', 'constraintRm')) {
    task.Placement ??= {};
    const toRemove = new Set(f.constraintRm ?? []);
    task.Placement.Constraints = sortStrings([...(task.Placement.Constraints ?? []), ...(f.constraintAdd ?? [])].filter((c) => !toRemove.has(c)));
  }
  if (anyChanged(f, 'placementPrefAdd', 'placementPrefRm')) {
    task.Placement ??= {};
    let prefs = task.Placement.Preferences ?? [];
    if (f.placementPrefRm !== undefined) {
      const rm = f.placementPrefRm;
      prefs = prefs.filter((p) => !rm.some((r) => r.Spread !== null && p.Spread !== null && r.Spread.SpreadDescriptor === p.Spread.SpreadDescriptor));
    }
    if (f.placementPrefAdd !== undefined) prefs = [...prefs, ...f.placementPrefAdd];
    task.Placement.Preferences = prefs;
  }

  if (anyChanged(f, 'networkAdd', 'networkRm')) {
    let current = task.Networks ?? [];
    if (current.length === 0) current = spec.Networks ?? [];
    spec.Networks = null;
    const idsToRemove = new Set<string>();
    for (const ref of new Set(f.networkRm ?? [])) idsToRemove.add(await resolveNetwork(ref));
    const existing = new Set<string>();
    const next = [];
    for (const n of current) {
      if (idsToRemove.has(n.Target ?? '')) continue;
      next.push(n);
      existing.add(n.Target ?? '');
    }
    for (const n of f.networkAdd ?? []) {
      const id = await resolveNetwork(n.Target ?? '');
      if (existing.has(id)) throw new CliError(`service is already attached to network ${n.Target ?? ''}`);
      next.push({ ...n, Target: id });
      existing.add(id);
    }
    task.Networks = next.sort((a, b) => ((a.Target ?? '') < (b.Target ?? '') ? -1 : (a.Target ?? '') > (b.Target ?? '') ? 1 : 0));
  }

  if (f.replicas !== undefined) {
    if (!spec.Mode.Replicated) throw new CliError('replicas can only be used with replicated mode');
    spec.Mode.Replicated.Replicas = f.replicas;
  }
  if (f.replicasMaxPerNode !== undefined) {
    task.Placement ??= {};
    task.Placement.MaxReplicas = f.replicasMaxPerNode;
  }
  if (anyChanged(f, 'updateParallelism', 'updateDelay', 'updateMonitor', 'updateFailureAction', 'updateMaxFailureRatio', 'updateOrder')) {
    spec.UpdateConfig = applyUpdateConfig(spec.UpdateConfig ?? defaultUpdateConfig(), f, 'update');
  }
  if (anyChanged(f, 'rollbackParallelism', 'rollbackDelay', 'rollbackMonitor', 'rollbackFailureAction', 'rollbackMaxFailureRatio', 'rollbackOrder')) {
    spec.RollbackConfig = applyUpdateConfig(spec.RollbackConfig ?? defaultUpdateConfig(), f, 'rollback');
  }
  if (f.endpointMode !== undefined) {
    spec.EndpointSpec ??= {};
    spec.EndpointSpec.Mode = f.endpointMode;
  }
  if (anyChanged(f, 'groupAdd', 'groupRm')) {
    const toRemove = new Set(f.groupRm ?? []);
    cs.Groups = sortStrings([...(cs.Groups ?? []), ...(f.groupAdd ?? [])].filter((g) => !toRemove.has(g)));
  }
  if (anyChanged(f, 'publishAdd', 'publishRm')) {
    spec.EndpointSpec ??= {};
    spec.EndpointSpec.Ports = updatePorts(spec.EndpointSpec.Ports, f);
  }
  if (anyChanged(f, 'dnsAdd', 'dnsRm', 'dnsOptionAdd', 'dnsOptionRm', 'dnsSearchAdd', 'dnsSearchRm')) updateDNS(cs, f);
  if (anyChanged(f, 'hostAdd', 'hostRm')) cs.Hosts = updateHosts(cs.Hosts, f);
  if (f.logDriver !== undefined && f.logDriver !== '') task.LogDriver = { Name: f.logDriver, Options: kvStringsToMap(f.logOpt ?? []) };
  if (f.force === true) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
  updateHealthcheck(cs, f);
  if (f.tty !== undefined) cs.TTY = f.tty;
  if (f.readOnly !== undefined) cs.ReadOnly = f.readOnly;
  if (f.stopSignal !== undefined) cs.StopSignal = f.stopSignal;
  if (anyChanged(f, 'capAdd', 'capDrop')) updateCapabilities(cs, f);
}

/** The flags besides --rollback, --detach and --quiet that were given (docker refuses to combine them). */
export function flagsBesidesRollback(f: ServiceFlags): string[] {
  return Object.entries(f)
    .filter(([k, v]) => v !== undefined && !['rollback', 'detach', 'quiet'].includes(k) && !(k === 'healthcheck' && v === true) && !(k === 'resolveImage' && v === true))
    .map(([k]) => k);
}
