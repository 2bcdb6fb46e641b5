/**
 * The filter pipeline for one batch of identical tasks (swarmkit's Pipeline): a node passes when every enabled
 * filter passes; the first filter that fails is the node's reason. `explain` counts reasons over nodes and words
 * them as swarm does: most frequent first (ties in pipeline order), joined by "; ".
 */
import type { Filter, Requirements } from './filters.js';
import { FILTERS } from './filters.js';
import type { NodeInfo } from './node-info.js';

export class Pipeline {
  private readonly filters: readonly Filter[];

  constructor(
    readonly requirements: Requirements,
    filters: readonly Filter[] = FILTERS,
  ) {
    this.filters = filters.filter((f) => f.enabled(requirements));
  }

  /** The first filter `info` fails, or undefined when the node can take the task. */
  firstFailure(info: NodeInfo): Filter | undefined {
    if (info.node === undefined) return this.filters[0];
    for (const f of this.filters) if (!f.check(this.requirements, info)) return f;
    return undefined;
  }

  passes(info: NodeInfo): boolean {
    return this.firstFailure(info) === undefined;
  }

  /** Why none of `infos` can take the task, e.g. `insufficient resources on 2 nodes; 1 node not available for new tasks`. */
  explain(infos: Iterable<NodeInfo>): string {
    const counts = new Map<Filter, number>();
    for (const info of infos) {
      const f = this.firstFailure(info);
      if (f !== undefined) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
    return explainCounts(this.filters, counts);
  }
}

/** Orders failure counts as swarmkit does (a stable sort by count, descending) and words them. */
export function explainCounts(order: readonly Filter[], counts: ReadonlyMap<Filter, number>): string {
  return order
    .map((f, i) => ({ f, i, n: counts.get(f) ?? 0 }))
    .filter((e) => e.n > 0)
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .map((e) => e.f.explain(e.n))
    .join('; ');
}

/** The status error of a task no node can take: `no suitable node (<explanation>)`, or bare with no nodes at all. */
export function noSuitableNode(explanation: string): string {
  return explanation === '' ? 'no suitable node' : `no suitable node (${explanation})`;
}
