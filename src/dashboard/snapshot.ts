/**
 * The dashboard's snapshot: what `GET /api/state` returns and what the page renders, built by one PURE function
 * from store objects (no store, no clock, no node:*: the caller passes the objects and `now`).
 *
 * Contract:
 * - `cluster`: ID, name, creation time and the managers/workers counts (by `Spec.Role`). Never a join token, a CA
 *   key or the unlock key: the dashboard is unauthenticated and read-only.
 * - `nodes`: hostname, role, status (`Ready`/`Down`/`Unknown`/`Disconnected`, as `docker node ls`), availability,
 *   manager status (`Leader`/`Reachable`/`Unreachable`), address, engine version, labels; ordered by hostname then ID.
 * - `services`: name, mode, replicas running/desired exactly as `docker service ls` prints them (running tasks on
 *   nodes that are not down; desired = replicas, or the tasks that should run for global services; jobs add
 *   `(n/m completed)`), image (digest stripped), published ingress ports, update status; ordered by name.
 * - per service its tasks, as `docker service ps` shows them: name `<svc>.<slot>` (global: `<svc>.<nodeID>`),
 *   node hostname (the node ID when the node is gone), desired and current state with the age of the current
 *   state, error. Tasks with desired state `remove` are left out; per slot the live tasks are kept plus the
 *   newest `HISTORY_PER_SLOT` finished ones. Ordered by slot (global: node hostname), newest first in a slot.
 */
import type { Cluster, Node, PortConfig, Service, Task } from '../api/types.js';
import { isTerminal, type TaskStateName } from '../api/task-state.js';
import { humanDuration } from '../lib/duration.js';

/** How many finished tasks per slot the dashboard keeps beside the live ones. */
export const HISTORY_PER_SLOT = 3;

export interface ClusterView {
  id: string;
  name: string;
  createdAt: string;
  managers: number;
  workers: number;
}

export interface NodeView {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  status: 'Ready' | 'Down' | 'Unknown' | 'Disconnected';
  message: string;
  availability: 'Active' | 'Pause' | 'Drain';
  /** `Leader`, `Reachable`, `Unreachable` for managers; empty for workers. */
  managerStatus: string;
  address: string;
  engineVersion: string;
  labels: Record<string, string>;
}

export interface TaskView {
  id: string;
  /** `<svc>.<slot>` or, for global services, `<svc>.<nodeID>`. */
  name: string;
  slot: number | null;
  nodeId: string;
  /** The node's hostname; the node ID when the node is unknown; empty before scheduling. */
  node: string;
  desiredState: string;
  state: string;
  /** When the current state was reached (RFC 3339): the page keeps the age up to date from it. */
  since: string;
  /** `Running 5 seconds ago`, as `docker service ps` prints CURRENT STATE at snapshot time. */
  currentState: string;
  error: string;
  message: string;
  /** False for finished tasks kept as history (the indented ` \_ ` rows of `service ps`). */
  live: boolean;
}

export interface ServiceView {
  id: string;
  name: string;
  mode: string;
  running: number;
  desired: number;
  /** `docker service ls`'s REPLICAS column: `2/3`, `1/1 (max 1 per node)`, `0/1 (1/5 completed)`. */
  replicas: string;
  image: string;
  /** `*:8080->80/tcp, ...`, as `docker service ls`'s PORTS. */
  ports: string;
  updateStatus: { state: string; message: string; startedAt: string; completedAt: string } | null;
  createdAt: string;
  updatedAt: string;
  tasks: TaskView[];
}

export interface DashboardSnapshot {
  /** When the snapshot was built (RFC 3339). */
  time: string;
  cluster: ClusterView | null;
  nodes: NodeView[];
  services: ServiceView[];
}

export interface SnapshotInput {
  cluster: Cluster | undefined;
  nodes: readonly Node[];
  services: readonly Service[];
  tasks: readonly Task[];
  /** Milliseconds since the epoch. */
  now: number;
}

const byText = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

const title = (s: string): string => (s === '' ? s : s[0]!.toUpperCase() + s.slice(1));

function nodeStatus(n: Node): NodeView['status'] {
  switch (n.Status.State) {
    case 'ready':
      return 'Ready';
    case 'down':
      return 'Down';
    case 'disconnected':
      return 'Disconnected';
    case 'unknown':
      return 'Unknown';
  }
}

function managerStatus(n: Node): string {
  const m = n.ManagerStatus;
  if (n.Spec.Role !== 'manager' || m === undefined) return '';
  if (m.Leader === true) return 'Leader';
  return title(m.Reachability);
}

function nodeView(n: Node): NodeView {
  return {
    id: n.ID,
    hostname: n.Description.Hostname,
    role: n.Spec.Role,
    status: nodeStatus(n),
    message: n.Status.Message ?? '',
    availability: n.Spec.Availability === 'drain' ? 'Drain' : n.Spec.Availability === 'pause' ? 'Pause' : 'Active',
    managerStatus: managerStatus(n),
    address: n.Status.Addr,
    engineVersion: n.Description.Engine.EngineVersion,
    labels: { ...n.Spec.Labels },
  };
}

function modeOf(s: Service): string {
  const m = s.Spec.Mode;
  if (m?.Global !== undefined) return 'global';
  if (m?.ReplicatedJob !== undefined) return 'replicated job';
  if (m?.GlobalJob !== undefined) return 'global job';
  return 'replicated';
}

/** swarmkit's ListServiceStatuses, as the manager's `GET /services?status=true` computes it. */
export function replicaCounts(s: Service, tasks: readonly Task[], downNodes: ReadonlySet<string>): { running: number; desired: number; completed: number } {
  const mode = s.Spec.Mode;
  const global = mode?.Global !== undefined || mode?.GlobalJob !== undefined;
  let desired = mode?.ReplicatedJob !== undefined ? (mode.ReplicatedJob.MaxConcurrent ?? 1) : global ? 0 : (mode?.Replicated?.Replicas ?? 1);
  let running = 0;
  let completed = 0;
  const iteration = s.JobStatus?.JobIteration.Index;
  for (const t of tasks) {
    if (iteration !== undefined) {
      if (t.JobIteration?.Index !== iteration) continue;
      if (t.Status.State === 'complete') completed++;
    }
    if (t.Status.State === 'running' && !(t.NodeID !== undefined && downNodes.has(t.NodeID))) running++;
    if (global && t.DesiredState === 'running') desired++;
    if (global && t.DesiredState === 'complete' && t.Status.State !== 'complete') desired++;
  }
  return { running, desired, completed };
}

function replicasText(s: Service, c: { running: number; desired: number; completed: number }): string {
  const m = s.Spec.Mode;
  const base = `${c.running}/${c.desired}`;
  if (m?.ReplicatedJob !== undefined) return `${base} (${c.completed}/${m.ReplicatedJob.TotalCompletions ?? 0} completed)`;
  if (m?.GlobalJob !== undefined) return `${base} (${c.completed}/${c.desired + c.completed} completed)`;
  const max = m?.Global === undefined ? (s.Spec.TaskTemplate.Placement?.MaxReplicas ?? 0) : 0;
  return max > 0 ? `${base} (max ${max} per node)` : base;
}

/** The image as `docker service ls` shows it: without the pinned digest. */
function displayImage(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

function portsText(ports: readonly PortConfig[] | undefined): string {
  return (ports ?? [])
    .filter((p) => p.PublishMode !== 'host' && (p.PublishedPort ?? 0) > 0)
    .sort((a, b) => byText(a.Protocol ?? 'tcp', b.Protocol ?? 'tcp') || (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0))
    .map((p) => `*:${p.PublishedPort ?? 0}->${p.TargetPort}/${p.Protocol ?? 'tcp'}`)
    .join(', ');
}

/** The key of a task's slot: its slot number, or its node for global services. */
function slotKey(t: Task): string {
  return t.Slot !== undefined ? `s${t.Slot}` : `n${t.NodeID ?? t.ID}`;
}

const isLive = (t: Task): boolean => !isTerminal(t.Status.State) || !isTerminal(t.DesiredState);

/** Newest first: by creation time, then by store revision. */
const newestFirst = (a: Task, b: Task): number => byText(b.CreatedAt, a.CreatedAt) || b.Version.Index - a.Version.Index;

function taskViews(s: Service, tasks: readonly Task[], hostnames: ReadonlyMap<string, string>, now: number): TaskView[] {
  const slots = new Map<string, Task[]>();
  for (const t of tasks) {
    if (t.DesiredState === ('remove' satisfies TaskStateName)) continue;
    const k = slotKey(t);
    const list = slots.get(k);
    if (list === undefined) slots.set(k, [t]);
    else list.push(t);
  }
  const hostOf = (t: Task): string => (t.NodeID === undefined ? '' : (hostnames.get(t.NodeID) ?? t.NodeID));
  const groups = [...slots.values()].map((list) => {
    list.sort(newestFirst);
    const live = list.filter(isLive);
    const history = list.filter((t) => !isLive(t)).slice(0, HISTORY_PER_SLOT);
    return [...live, ...history];
  });
  const first = (g: Task[]): Task => g[0]!;
  groups.sort((a, b) => {
    const x = first(a);
    const y = first(b);
    if (x.Slot !== undefined && y.Slot !== undefined) return x.Slot - y.Slot;
    if (x.Slot !== undefined) return -1;
    if (y.Slot !== undefined) return 1;
    return byText(hostOf(x), hostOf(y)) || byText(x.NodeID ?? '', y.NodeID ?? '');
  });
  return groups.flat().map((t) => {
    const since = t.Status.Timestamp;
    const at = Date.parse(since);
    return {
      id: t.ID,
      name: `${s.Spec.Name}.${t.Slot !== undefined ? String(t.Slot) : (t.NodeID ?? '')}`,
      slot: t.Slot ?? null,
      nodeId: t.NodeID ?? '',
      node: hostOf(t),
      desiredState: title(t.DesiredState),
      state: title(t.Status.State),
      since,
      currentState: `${title(t.Status.State)} ${humanDuration(Number.isNaN(at) ? 0 : Math.max(0, now - at)).toLowerCase()} ago`,
      error: t.Status.Err ?? '',
      message: t.Status.Message,
      live: isLive(t),
    };
  });
}

function serviceView(s: Service, tasks: readonly Task[], hostnames: ReadonlyMap<string, string>, down: ReadonlySet<string>, now: number): ServiceView {
  const counts = replicaCounts(s, tasks, down);
  const u = s.UpdateStatus;
  return {
    id: s.ID,
    name: s.Spec.Name,
    mode: modeOf(s),
    running: counts.running,
    desired: counts.desired,
    replicas: replicasText(s, counts),
    image: displayImage(s.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
    ports: portsText(s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports),
    updateStatus:
      u?.State === undefined ? null : { state: u.State, message: u.Message ?? '', startedAt: u.StartedAt ?? '', completedAt: u.CompletedAt ?? '' },
    createdAt: s.CreatedAt,
    updatedAt: s.UpdatedAt,
    tasks: taskViews(s, tasks, hostnames, now),
  };
}

/** Builds the snapshot (pure). */
export function buildSnapshot(input: SnapshotInput): DashboardSnapshot {
  const hostnames = new Map(input.nodes.map((n) => [n.ID, n.Description.Hostname]));
  const down = new Set(input.nodes.filter((n) => n.Status.State === 'down').map((n) => n.ID));
  const byService = new Map<string, Task[]>();
  for (const t of input.tasks) {
    const list = byService.get(t.ServiceID);
    if (list === undefined) byService.set(t.ServiceID, [t]);
    else list.push(t);
  }
  const nodes = input.nodes.map(nodeView).sort((a, b) => byText(a.hostname, b.hostname) || byText(a.id, b.id));
  const c = input.cluster;
  return {
    time: new Date(input.now).toISOString(),
    cluster:
      c === undefined
        ? null
        : {
            id: c.ID,
            name: c.Spec.Name,
            createdAt: c.CreatedAt,
            managers: nodes.filter((n) => n.role === 'manager').length,
            workers: nodes.filter((n) => n.role === 'worker').length,
          },
    nodes,
    services: input.services
      .map((s) => serviceView(s, byService.get(s.ID) ?? [], hostnames, down, input.now))
      .sort((a, b) => byText(a.name, b.name) || byText(a.id, b.id)),
  };
}
