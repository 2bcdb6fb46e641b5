/**
 * A task's container, as docker's swarm executor makes it (daemon/cluster/executor/container): its name, its labels
 * and the `POST /containers/create` body mapped from the TaskSpec. Pure.
 */
import type { ContainerCreateRequest, HostConfig, MountRequest } from '../../api/container.js';
import type { ContainerSpec, Labels, Mount } from '../../api/types.js';
import type { AgentTask } from '../exec/controller.js';

/** swarm's default StopGracePeriod: 10 s. */
export const DEFAULT_STOP_GRACE_NS = 10_000_000_000;

/** The service's name; the service ID when the dispatcher did not send it. */
export function serviceName(task: AgentTask): string {
  return task.ServiceAnnotations?.Name || task.ServiceID;
}

/** `<service>.<slot>` (replicated) or `<service>.<nodeID>` (global): what `service ps` shows. */
export function taskDisplayName(task: AgentTask): string {
  return `${serviceName(task)}.${task.Slot !== undefined && task.Slot > 0 ? task.Slot : (task.NodeID ?? '')}`;
}

/** `<service>.<slot>.<taskID>` or `<service>.<nodeID>.<taskID>`: the container's name and its task.name label. */
export function containerName(task: AgentTask): string {
  return `${taskDisplayName(task)}.${task.ID}`;
}

export function containerSpecOf(task: AgentTask): ContainerSpec {
  const spec = task.Spec.ContainerSpec;
  if (!spec || typeof spec.Image !== 'string' || spec.Image === '') throw new Error(`task ${task.ID} has no container spec with an image`);
  return spec;
}

/**
 * The container's labels: the spec's container labels, then the stack namespace from the service's labels, then the
 * system labels (which win), as docker sets them.
 */
export function containerLabels(task: AgentTask): Labels {
  const labels: Labels = { ...(task.Spec.ContainerSpec?.Labels ?? {}) };
  const ns = task.Labels?.['com.docker.stack.namespace'] ?? task.ServiceAnnotations?.Labels?.['com.docker.stack.namespace'];
  if (ns !== undefined) labels['com.docker.stack.namespace'] = ns;
  Object.assign(labels, {
    'com.docker.swarm.node.id': task.NodeID ?? '',
    'com.docker.swarm.service.id': task.ServiceID,
    'com.docker.swarm.service.name': serviceName(task),
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': task.ID,
    'com.docker.swarm.task.name': containerName(task),
  });
  return labels;
}

function mountRequest(m: Mount): MountRequest {
  if (m.Type !== 'bind' && m.Type !== 'volume' && m.Type !== 'tmpfs') throw new Error(`mount type "${m.Type}" is not supported`);
  const out: MountRequest = { Type: m.Type, Target: m.Target };
  if (m.Source !== undefined && m.Source !== '') out.Source = m.Source;
  if (m.ReadOnly === true) out.ReadOnly = true;
  if (m.BindOptions) {
    out.BindOptions = {
      ...(m.BindOptions.Propagation ? { Propagation: m.BindOptions.Propagation } : {}),
      ...(m.BindOptions.CreateMountpoint !== undefined ? { CreateMountpoint: m.BindOptions.CreateMountpoint } : {}),
    };
  }
  if (m.VolumeOptions) {
    out.VolumeOptions = {
      ...(m.VolumeOptions.NoCopy !== undefined ? { NoCopy: m.VolumeOptions.NoCopy } : {}),
      ...(m.VolumeOptions.Labels ? { Labels: m.VolumeOptions.Labels } : {}),
      ...(m.VolumeOptions.DriverConfig ? { DriverConfig: m.VolumeOptions.DriverConfig } : {}),
    };
  }
  if (m.TmpfsOptions) {
    out.TmpfsOptions = {
      ...(m.TmpfsOptions.SizeBytes !== undefined ? { SizeBytes: m.TmpfsOptions.SizeBytes } : {}),
      ...(m.TmpfsOptions.Mode !== undefined ? { Mode: m.TmpfsOptions.Mode } : {}),
    };
  }
  return out;
}

/** swarm's `Hosts` entries are `IP host [alias...]`; docker's ExtraHosts are `host:IP`. */
function extraHosts(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of hosts) {
    const [ip, ...names] = line.trim().split(/\s+/);
    if (ip === undefined || ip === '') continue;
    for (const n of names) out.push(`${n}:${ip}`);
  }
  return out;
}

/** The create body for the task's container. */
export function createBody(task: AgentTask): ContainerCreateRequest {
  const c = containerSpecOf(task);
  const limits = task.Spec.Resources?.Limits;
  const reservations = task.Spec.Resources?.Reservations;
  const hc: HostConfig = {};
  if (c.Mounts && c.Mounts.length > 0) hc.Mounts = c.Mounts.map(mountRequest);
  if (c.ReadOnly === true) hc.ReadonlyRootfs = true;
  if (c.Init !== undefined && c.Init !== null) hc.Init = c.Init;
  if (c.CapabilityAdd && c.CapabilityAdd.length > 0) hc.CapAdd = [...c.CapabilityAdd];
  if (c.CapabilityDrop && c.CapabilityDrop.length > 0) hc.CapDrop = [...c.CapabilityDrop];
  if (c.Sysctls && Object.keys(c.Sysctls).length > 0) hc.Sysctls = { ...c.Sysctls };
  if (c.Ulimits && c.Ulimits.length > 0) hc.Ulimits = c.Ulimits.map((u) => ({ Name: u.Name, Soft: u.Soft, Hard: u.Hard }));
  if (c.Groups && c.Groups.length > 0) hc.GroupAdd = [...c.Groups];
  if (c.OomScoreAdj !== undefined) hc.OomScoreAdj = c.OomScoreAdj;
  if (c.Hosts && c.Hosts.length > 0) hc.ExtraHosts = extraHosts(c.Hosts);
  if (c.DNSConfig?.Nameservers) hc.Dns = [...c.DNSConfig.Nameservers];
  if (c.DNSConfig?.Search) hc.DnsSearch = [...c.DNSConfig.Search];
  if (c.DNSConfig?.Options) hc.DnsOptions = [...c.DNSConfig.Options];
  if (limits?.MemoryBytes) hc.Memory = limits.MemoryBytes;
  if (limits?.NanoCPUs) hc.NanoCpus = limits.NanoCPUs;
  if (limits?.Pids) hc.PidsLimit = limits.Pids;
  if (reservations?.MemoryBytes) hc.MemoryReservation = reservations.MemoryBytes;

  const body: ContainerCreateRequest = { Image: c.Image, Labels: containerLabels(task), HostConfig: hc };
  if (c.Command && c.Command.length > 0) body.Entrypoint = [...c.Command];
  if (c.Args && c.Args.length > 0) body.Cmd = [...c.Args];
  if (c.Env && c.Env.length > 0) body.Env = [...c.Env];
  if (c.Dir) body.WorkingDir = c.Dir;
  if (c.User) body.User = c.User;
  if (c.Hostname) body.Hostname = c.Hostname;
  if (c.TTY === true) body.Tty = true;
  if (c.OpenStdin === true) body.OpenStdin = true;
  if (c.StopSignal) body.StopSignal = c.StopSignal;
  if (c.Healthcheck) {
    const h = c.Healthcheck;
    body.Healthcheck = {
      ...(h.Test ? { Test: [...h.Test] } : {}),
      ...(h.Interval !== undefined ? { Interval: h.Interval } : {}),
      ...(h.Timeout !== undefined ? { Timeout: h.Timeout } : {}),
      ...(h.Retries !== undefined ? { Retries: h.Retries } : {}),
      ...(h.StartPeriod !== undefined ? { StartPeriod: h.StartPeriod } : {}),
      ...(h.StartInterval !== undefined ? { StartInterval: h.StartInterval } : {}),
    };
  }
  return body;
}

/** The stop grace period in seconds (ContainerService.stop's unit). */
export function stopGraceSeconds(task: AgentTask): number {
  const ns = task.Spec.ContainerSpec?.StopGracePeriod;
  return (ns !== undefined && ns >= 0 ? ns : DEFAULT_STOP_GRACE_NS) / 1e9;
}
