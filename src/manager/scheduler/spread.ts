/**
 * Spreading a batch of identical tasks over the nodes that pass the pipeline (swarmkit's decision tree).
 *
 * Placement preferences `spread=node.labels.x` (or `engine.labels.x`), in order, split the nodes into a tree: one
 * level per preference, one branch per label value (a node without the label goes to the "" branch). Each branch
 * counts the service's active tasks on all its nodes. Tasks go one at a time down the least loaded branch at each
 * level, so branches fill evenly; a branch with no node left that can take one more is skipped. At a leaf, the
 * node with the fewest tasks of this service wins, then the one with the fewest tasks overall, then a random
 * rank; a node where this service version failed 5 times in 5 minutes goes behind the others. Without
 * preferences the tree is a single leaf, which equalises the service's task count per node.
 *
 * Other descriptors are ignored, as swarmkit ignores them.
 */
import { ENGINE_LABEL_PREFIX, NODE_LABEL_PREFIX } from '../../api/constraints.js';
import type { Node, Placement, Service } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { Heap } from './heap.js';
import type { NodeInfo, NodeSet } from './node-info.js';
import { MAX_FAILURES } from './node-info.js';
import type { Pipeline } from './pipeline.js';
import type { TaskWithEndpoint } from './task-facts.js';

export interface SpreadContext {
  readonly set: NodeSet;
  readonly pipeline: Pipeline;
  /** A random rank per node (the last tie-breaker), fixed for one scheduling pass. */
  readonly rank: ReadonlyMap<NodeInfo, number>;
  readonly random: Random;
  readonly now: number;
  readonly service: Service | undefined;
}

export interface BatchPlacement {
  placed: { taskId: string; nodeId: string }[];
  unplaced: TaskWithEndpoint[];
}

type Level = { source: 'node' | 'engine'; label: string };

/** The preferences swarmkit understands, in order. */
export function spreadLevels(preferences: Placement['Preferences']): Level[] {
  const out: Level[] = [];
  for (const p of preferences ?? []) {
    const d = p.Spread.SpreadDescriptor;
    const lower = d.toLowerCase();
    if (d.length > NODE_LABEL_PREFIX.length && lower.startsWith(NODE_LABEL_PREFIX)) out.push({ source: 'node', label: d.slice(NODE_LABEL_PREFIX.length) });
    else if (d.length > ENGINE_LABEL_PREFIX.length && lower.startsWith(ENGINE_LABEL_PREFIX)) out.push({ source: 'engine', label: d.slice(ENGINE_LABEL_PREFIX.length) });
  }
  return out;
}

function labelValue(level: Level, node: Node): string {
  return (level.source === 'node' ? node.Spec.Labels[level.label] : node.Description.Engine.Labels?.[level.label]) ?? '';
}

interface Branch {
  tasks: number;
  rank: number;
  children: Heap<Branch> | undefined;
  nodes: Heap<NodeInfo> | undefined;
}

interface Draft {
  tasks: number;
  children: Map<string, Draft>;
  eligible: NodeInfo[];
}

/** Places as many of `tasks` (identical, in priority order) as the nodes can take. Updates `ctx.set` as it goes. */
export function placeBatch(tasks: readonly TaskWithEndpoint[], ctx: SpreadContext): BatchPlacement {
  const first = tasks[0];
  if (first === undefined) return { placed: [], unplaced: [] };
  const serviceId = first.ServiceID;
  const versionKey = ctx.pipeline.requirements.versionKey;
  const levels = spreadLevels(first.Spec.Placement?.Preferences);

  const penalty = (n: NodeInfo): number => {
    const f = n.recentFailures(versionKey, ctx.now);
    return f >= MAX_FAILURES ? f : 0;
  };
  const nodeLess = (a: NodeInfo, b: NodeInfo): boolean => {
    const pa = penalty(a);
    const pb = penalty(b);
    if (pa !== pb) return pa < pb;
    const sa = a.activeOf(serviceId);
    const sb = b.activeOf(serviceId);
    if (sa !== sb) return sa < sb;
    if (a.activeTasks !== b.activeTasks) return a.activeTasks < b.activeTasks;
    return (ctx.rank.get(a) ?? 0) < (ctx.rank.get(b) ?? 0);
  };
  const branchLess = (a: Branch, b: Branch): boolean => (a.tasks !== b.tasks ? a.tasks < b.tasks : a.rank < b.rank);

  const draft: Draft = { tasks: 0, children: new Map(), eligible: [] };
  for (const info of ctx.set.nodes()) {
    const node = info.node;
    if (node === undefined) continue;
    const mine = info.activeOf(serviceId);
    let d = draft;
    d.tasks += mine;
    for (const level of levels) {
      const value = labelValue(level, node);
      let next = d.children.get(value);
      if (next === undefined) {
        next = { tasks: 0, children: new Map(), eligible: [] };
        d.children.set(value, next);
      }
      next.tasks += mine;
      d = next;
    }
    if (ctx.pipeline.passes(info)) d.eligible.push(info);
  }

  const build = (d: Draft, depth: number, rank: number): Branch => {
    if (depth === levels.length) return { tasks: d.tasks, rank, children: undefined, nodes: new Heap(nodeLess, d.eligible) };
    const keys = [...d.children.keys()].sort();
    const children = keys.map((k) => build(d.children.get(k) as Draft, depth + 1, ctx.random.float()));
    return { tasks: d.tasks, rank, children: new Heap(branchLess, children), nodes: undefined };
  };
  const root = build(draft, 0, 0);

  const out: BatchPlacement = { placed: [], unplaced: [] };
  for (const task of tasks) {
    const path = pathToNode(root);
    const leaf = path?.[path.length - 1];
    const info = leaf?.nodes?.peek();
    if (path === undefined || leaf === undefined || info === undefined) {
      out.unplaced.push(task);
      continue;
    }
    ctx.set.bind(task, info.id, ctx.service);
    out.placed.push({ taskId: task.ID, nodeId: info.id });
    if (ctx.pipeline.passes(info)) leaf.nodes?.updateTop();
    else leaf.nodes?.pop();
    for (let i = path.length - 1; i >= 1; i--) {
      (path[i] as Branch).tasks++;
      (path[i - 1] as Branch).children?.updateTop();
    }
    root.tasks++;
  }
  return out;
}

/** The chain of least loaded branches from `b` down to a leaf with a node left; drops exhausted branches on the way. */
function pathToNode(b: Branch): Branch[] | undefined {
  if (b.nodes !== undefined) return b.nodes.size > 0 ? [b] : undefined;
  const children = b.children;
  if (children === undefined) return undefined;
  for (let c = children.peek(); c !== undefined; c = children.peek()) {
    const below = pathToNode(c);
    if (below !== undefined) return [b, ...below];
    children.pop();
  }
  return undefined;
}
