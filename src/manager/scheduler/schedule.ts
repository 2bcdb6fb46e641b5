/**
 * The scheduler's pure core: which node each PENDING task goes to, or why none can take it.
 *
 * - Pre-assigned tasks (global services: the orchestrator sets NodeID) come first: they are only checked against
 *   their node; one that does not fit stays PENDING with the pipeline's reason (swarmkit words it without the
 *   "no suitable node" prefix).
 * - The others are batched by (service, SpecVersion) — tasks of one spec version are interchangeable — oldest
 *   first, and each batch is spread (spread.ts) over the nodes that pass the filters (filters.ts).
 * - A task no node can take gets `no suitable node (<why>)`, counted over every node after the batch's placements.
 * - Decisions are applied to the NodeSet as they are made, so later batches see them. Randomness (node ranks,
 *   branch ranks) comes only from `random`: one seed, one answer.
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { requirementsOf } from './filters.js';
import type { NodeInfo } from './node-info.js';
import { NodeSet } from './node-info.js';
import { Pipeline, explainCounts, noSuitableNode } from './pipeline.js';
import { placeBatch } from './spread.js';
import type { TaskWithEndpoint } from './task-facts.js';
import { awaitsScheduling } from './task-facts.js';

export interface Assignment {
  taskId: string;
  nodeId: string;
}

export interface Unschedulable {
  taskId: string;
  /** The status error to show: `no suitable node (insufficient resources on 1 node)`. */
  message: string;
}

export interface ScheduleResult {
  assignments: Assignment[];
  unschedulable: Unschedulable[];
}

export interface ScheduleOptions {
  random: Random;
  /** Milliseconds since the epoch (recent-failure windows). */
  now: number;
  /** Services by ID: host-mode ports of tasks that do not carry their own Endpoint. */
  services?: ReadonlyMap<string, Service>;
}

/**
 * Places `pendingTasks` on `nodes`, given every task (`tasks`: those ASSIGNED..RUNNING hold their node's
 * resources and ports). Tasks that are not PENDING, or are desired beyond COMPLETE, are left out of the answer.
 */
export function schedule(nodes: readonly Node[], tasks: readonly Task[], pendingTasks: readonly Task[], opts: ScheduleOptions): ScheduleResult {
  return scheduleOn(NodeSet.of(nodes, tasks, opts.services), pendingTasks, opts);
}

/** As `schedule`, over a NodeSet the caller keeps (the component's cache); the set receives every assignment. */
export function scheduleOn(set: NodeSet, pendingTasks: readonly TaskWithEndpoint[], opts: ScheduleOptions): ScheduleResult {
  const result: ScheduleResult = { assignments: [], unschedulable: [] };
  const seen = new Set<string>();
  const waiting: TaskWithEndpoint[] = [];
  for (const t of pendingTasks) {
    if (seen.has(t.ID) || !awaitsScheduling(t) || set.nodeOf(t.ID) !== undefined) continue;
    seen.add(t.ID);
    waiting.push(t);
  }
  const ordered = byAge(waiting);
  const service = (t: Task): Service | undefined => opts.services?.get(t.ServiceID);

  for (const t of ordered) {
    if (t.NodeID === undefined || t.NodeID === '') continue;
    const info = set.get(t.NodeID);
    if (info?.node === undefined) continue; // the node is gone: its orchestrator will deal with the task
    const pipeline = new Pipeline(requirementsOf(t, service(t)));
    const failed = pipeline.firstFailure(info);
    if (failed === undefined) {
      set.bind(t, info.id, service(t));
      result.assignments.push({ taskId: t.ID, nodeId: info.id });
    } else {
      result.unschedulable.push({ taskId: t.ID, message: explainCounts([failed], new Map([[failed, 1]])) });
    }
  }

  const batches = new Map<string, TaskWithEndpoint[]>();
  for (const t of ordered) {
    if (t.NodeID !== undefined && t.NodeID !== '') continue;
    const key = t.SpecVersion === undefined ? `${t.ServiceID}#${JSON.stringify(t.Spec)}` : `${t.ServiceID}@${t.SpecVersion.Index}`;
    const batch = batches.get(key);
    if (batch === undefined) batches.set(key, [t]);
    else batch.push(t);
  }
  if (batches.size === 0) return result;

  const rank = new Map<NodeInfo, number>();
  for (const info of set.nodes()) rank.set(info, opts.random.float());
  for (const batch of batches.values()) {
    const first = batch[0] as TaskWithEndpoint;
    const pipeline = new Pipeline(requirementsOf(first, service(first)));
    const { placed, unplaced } = placeBatch(batch, { set, pipeline, rank, random: opts.random, now: opts.now, service: service(first) });
    result.assignments.push(...placed);
    if (unplaced.length === 0) continue;
    const message = noSuitableNode(pipeline.explain(set.nodes()));
    for (const t of unplaced) result.unschedulable.push({ taskId: t.ID, message });
  }
  return result;
}

/** Oldest first (CreatedAt, then slot, then ID), so that when nodes run short the first-come tasks win. */
function byAge<T extends Task>(tasks: readonly T[]): T[] {
  const keyed = tasks.map((t) => ({ t, at: Date.parse(t.CreatedAt) || 0 }));
  keyed.sort((a, b) => a.at - b.at || (a.t.Slot ?? 0) - (b.t.Slot ?? 0) || (a.t.ID < b.t.ID ? -1 : a.t.ID > b.t.ID ? 1 : 0));
  return keyed.map((k) => k.t);
}
