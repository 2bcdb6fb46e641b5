/**
 * The row contexts `service ls` and `service ps` format, with the docker CLI's field names and values
 * (cli/command/service/formatter.go serviceContext, cli/command/task/formatter.go taskContext):
 *
 * - ls: ID (12 chars), NAME, MODE, REPLICAS (`3/5`, `2/3 (max 2 per node)`, jobs `2/3 (5/10 completed)`), IMAGE
 *   (digest stripped), PORTS (ingress ports only, consecutive ports merged: `*:80-81->80-81/tcp`);
 * - ps: ID, NAME (`svc.1`, `svc.<node id>` for global tasks, older tasks of a slot indented ` \_ `), IMAGE, NODE,
 *   DESIRED STATE, CURRENT STATE (`Running 2 minutes ago`), ERROR (quoted, cut at 30), PORTS (host-mode ports).
 */
import type { PortConfig, Service, Task } from '../../../client/service-types.js';
import { GoStruct, stringWidth } from '../../format/index.js';
import { humanDuration } from '../../../lib/duration.js';
import { truncateID } from '../container/units.js';
import { naturalLess } from '../node/rows.js';
import { displayImage } from './image.js';

// ---------------------------------------------------------------- service ls

export const SERVICE_HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'NAME',
  Mode: 'MODE',
  Replicas: 'REPLICAS',
  Image: 'IMAGE',
  Ports: 'PORTS',
};

export const DEFAULT_SERVICE_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}';
export const SERVICE_RAW = 'id: {{.ID}}\\nname: {{.Name}}\\nmode: {{.Mode}}\\nreplicas: {{.Replicas}}\\nimage: {{.Image}}\\nports: {{.Ports}}\\n';
export const SERVICE_RAW_QUIET = 'id: {{.ID}}';

export function serviceMode(s: Service): string {
  const m = s.Spec.Mode;
  if (m.Global) return 'global';
  if (m.Replicated) return 'replicated';
  if (m.ReplicatedJob) return 'replicated job';
  if (m.GlobalJob) return 'global job';
  return '';
}

export function serviceReplicas(s: Service): string {
  const running = s.ServiceStatus?.RunningTasks ?? 0;
  const desired = s.ServiceStatus?.DesiredTasks ?? 0;
  const completed = s.ServiceStatus?.CompletedTasks ?? 0;
  const m = s.Spec.Mode;
  if (m.ReplicatedJob) return `${running}/${desired} (${completed}/${m.ReplicatedJob.TotalCompletions ?? 0} completed)`;
  if (m.GlobalJob) return `${running}/${desired} (${completed}/${desired + completed} completed)`;
  const max = serviceMode(s) === 'replicated' ? (s.Spec.TaskTemplate.Placement?.MaxReplicas ?? 0) : 0;
  if (max > 0) return `${running}/${desired} (max ${max} per node)`;
  return `${running}/${desired}`;
}

const u32 = (n: number): number => n >>> 0;

/** serviceContext.Ports: the ingress ports, sorted by protocol then published port, consecutive ranges merged. */
export function servicePorts(ports: readonly PortConfig[] | null | undefined): string {
  if (ports === null || ports === undefined) return '';
  const sorted = [...ports].sort((a, b) => {
    const pa = a.Protocol ?? '';
    const pb = b.Protocol ?? '';
    if (pa === pb) return (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0);
    return pa < pb ? -1 : 1;
  });
  const out: string[] = [];
  let pr = { pStart: 0, pEnd: 0, tStart: 0, tEnd: 0, protocol: '' };
  const show = (r: typeof pr): string => {
    const pub = r.pEnd > r.pStart ? `${r.pStart}-${r.pEnd}` : `${r.pStart}`;
    const tgt = r.tEnd > r.tStart ? `${r.tStart}-${r.tEnd}` : `${r.tStart}`;
    return `*:${pub}->${tgt}/${r.protocol}`;
  };
  for (const p of sorted) {
    if (p.PublishMode !== 'ingress') continue;
    const published = p.PublishedPort ?? 0;
    const target = p.TargetPort ?? 0;
    const protocol = p.Protocol ?? '';
    const isRange = pr.tEnd !== pr.tStart;
    const overlaps = target <= pr.tEnd;
    // uint32 arithmetic, as in Go: a port below the range's end wraps around and starts a new range
    if (protocol !== pr.protocol || u32(published - pr.pEnd) > 1 || u32(target - pr.tEnd) > 1 || (isRange && overlaps)) {
      if (pr.pStart > 0) out.push(show(pr));
      pr = { pStart: published, pEnd: published, tStart: target, tEnd: target, protocol };
      continue;
    }
    pr.pEnd = published;
    pr.tEnd = target;
  }
  if (pr.pStart > 0) out.push(show(pr));
  return out.join(', ');
}

export function serviceRow(s: Service): GoStruct {
  return new GoStruct(
    '*service.serviceContext',
    {
      ID: truncateID(s.ID),
      Name: s.Spec.Name ?? '',
      Mode: () => serviceMode(s),
      Replicas: () => serviceReplicas(s),
      Image: () => displayImage(s.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
      Ports: () => servicePorts(s.Endpoint?.Ports),
    },
    'methods',
  );
}

/** ListFormatWrite's order: natural order of the names. */
export function sortServices(services: Service[]): Service[] {
  return services.sort((a, b) => {
    const x = a.Spec.Name ?? '';
    const y = b.Spec.Name ?? '';
    return naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0;
  });
}

// ---------------------------------------------------------------- service ps

export const TASK_HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};

export const DEFAULT_TASK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}';
export const TASK_RAW =
  'id: {{.ID}}\\nname: {{.Name}}\\nimage: {{.Image}}\\nnode: {{.Node}}\\ndesired_state: {{.DesiredState}}\\ncurrent_state: {{.CurrentState}}\\nerror: {{.Error}}\\nports: {{.Ports}}\\n';
export const TASK_RAW_QUIET = 'id: {{.ID}}';

const MAX_ERR_LENGTH = 30;

/** command.PrettyPrint: the first letter upper-cased. */
export function prettyPrint(s: string | undefined): string {
  const v = s ?? '';
  return v === '' ? v : (v[0] as string).toUpperCase() + v.slice(1);
}

/** formatter.Ellipsis: cut to `max` display columns, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  if (stringWidth(s) <= max) return s;
  if (max === 1) return chars[0] ?? '';
  let out = '';
  let width = 0;
  for (const c of chars) {
    const w = stringWidth(c);
    if (width + w > max - 1) break;
    out += c;
    width += w;
  }
  return out + '…';
}

export interface TaskRowInput {
  task: Task;
  /** The task's display name, indented when it is an older task of the same slot. */
  name: string;
  node: string;
  trunc: boolean;
  /** Milliseconds since the epoch, for CURRENT STATE's age. */
  now: number;
}

export function currentState(task: Task, now: number): string {
  const ts = Date.parse(task.Status?.Timestamp ?? '');
  const age = Number.isNaN(ts) ? humanDuration(now - 0) : humanDuration(now - ts);
  return `${prettyPrint(task.Status?.State)} ${age.toLowerCase()} ago`;
}

export function taskRow(r: TaskRowInput): GoStruct {
  const t = r.task;
  return new GoStruct(
    '*task.taskContext',
    {
      ID: r.trunc ? truncateID(t.ID) : t.ID,
      Name: r.name,
      Image: () => {
        const image = t.Spec?.ContainerSpec?.Image ?? '';
        return r.trunc ? displayImage(image) : image;
      },
      Node: r.node,
      DesiredState: () => prettyPrint(t.DesiredState),
      CurrentState: () => currentState(t, r.now),
      Error: () => {
        let err = t.Status?.Err ?? '';
        if (r.trunc) err = ellipsis(err, MAX_ERR_LENGTH);
        return err === '' ? '' : `"${err}"`;
      },
      Ports: () => {
        const ports = t.Status?.PortStatus?.Ports ?? [];
        return ports.map((p) => `*:${p.PublishedPort ?? 0}->${p.TargetPort ?? 0}/${p.Protocol ?? ''}`).join(',');
      },
    },
    'methods',
  );
}

/** The task's name: `service.slot`, or `service.nodeID` for a task without a slot (global). */
export function taskName(task: Task, serviceName: string): string {
  return (task.Slot ?? 0) !== 0 ? `${serviceName}.${task.Slot}` : `${serviceName}.${task.NodeID ?? ''}`;
}

/** tasksSortable: by name (natural order), then newest first; stable. */
export function sortTasks<T extends { name: string; task: Task }>(rows: T[]): T[] {
  const created = (t: Task): number => {
    const ms = Date.parse(t.CreatedAt ?? '');
    return Number.isNaN(ms) ? 0 : ms;
  };
  const createdNanos = (t: Task): bigint => {
    const m = /\.(\d+)/.exec(t.CreatedAt ?? '');
    const frac = (m?.[1] ?? '').padEnd(9, '0').slice(3, 9);
    return BigInt(created(t)) * 1_000_000n + BigInt(frac === '' ? '0' : frac);
  };
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      if (a.r.name !== b.r.name) return naturalLess(a.r.name, b.r.name) ? -1 : naturalLess(b.r.name, a.r.name) ? 1 : a.i - b.i;
      const ca = createdNanos(a.r.task);
      const cb = createdNanos(b.r.task);
      if (cb < ca) return -1;
      if (ca < cb) return 1;
      return a.i - b.i;
    })
    .map((x) => x.r);
}
