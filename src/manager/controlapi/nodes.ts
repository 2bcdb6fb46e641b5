/**
 * Node use-cases: list with docker's filters, resolve references (ID, name or hostname, ID prefix), update the
 * spec under optimistic concurrency, and remove. Swarmkit's safety rules apply: the last manager cannot be
 * demoted, a manager must be demoted before removal, and a node that is up needs `force` to be removed.
 */
import { failedPrecondition, invalidArgument } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { parseNodeSpec } from '../../api/node-spec.js';
import { resolveRef } from '../../api/resolve.js';
import type { Node, NodeDescription } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { ControlDeps } from './deps.js';

export const NODE_FILTERS = ['id', 'name', 'label', 'node.label', 'role', 'membership'] as const;

const nodeRef = {
  id: (n: Node): string => n.ID,
  name: (n: Node): string[] => [n.Spec.Name, n.Description.Hostname].filter((x): x is string => !!x),
};

function matches(f: Filters, n: Node): boolean {
  return (
    f.matchPrefix('id', n.ID) &&
    f.matchPrefix('name', n.Spec.Name, n.Description.Hostname) &&
    f.matchLabels(n.Description.Engine.Labels ?? {}, 'label') &&
    f.matchLabels(n.Spec.Labels, 'node.label') &&
    f.matchExact('role', n.Spec.Role) &&
    f.matchExact('membership', 'accepted')
  );
}

export async function listNodes(deps: Pick<ControlDeps, 'store'>, filters: Filters | undefined): Promise<Node[]> {
  const f = filters ?? Filters.empty();
  f.validate(NODE_FILTERS);
  for (const r of f.values('role')) {
    if (r !== 'manager' && r !== 'worker') throw invalidArgument('filter.invalid', `invalid filter 'role=${r}'`);
  }
  for (const m of f.values('membership')) {
    if (m !== 'accepted' && m !== 'pending') throw invalidArgument('filter.invalid', `invalid filter 'membership=${m}'`);
  }
  const nodes = await deps.store.view().list('nodes');
  return nodes.filter((n) => matches(f, n));
}

export async function getNode(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<Node> {
  return resolveRef('node', ref, await deps.store.view().list('nodes'), nodeRef);
}

export async function updateNode(deps: ControlDeps, ref: string, version: number, specInput: unknown): Promise<Node> {
  const { result } = await deps.store.update(async (tx) => {
    const nodes = await tx.list('nodes');
    const node = resolveRef('node', ref, nodes, nodeRef);
    const spec = parseNodeSpec(specInput, node.Spec);
    if (node.Spec.Role === 'manager' && spec.Role === 'worker') {
      const managers = nodes.filter((n) => n.Spec.Role === 'manager');
      if (managers.length <= 1) {
        throw failedPrecondition('node.last_manager', 'attempting to demote the last manager of the swarm');
      }
    }
    const next: Node = { ...node, Version: { Index: version }, Spec: spec, UpdatedAt: rfc3339Nano(deps.clock.now()) };
    tx.update('nodes', next);
    return next;
  });
  return result;
}

export async function removeNode(deps: ControlDeps, ref: string, force: boolean, selfId: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const node = resolveRef('node', ref, await tx.list('nodes'), nodeRef);
    if (node.Spec.Role === 'manager' || node.ManagerStatus) {
      throw failedPrecondition(
        'node.is_manager',
        `node ${node.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
      );
    }
    if (!force && node.Status.State !== 'down') {
      throw failedPrecondition('node.not_down', `node ${node.ID} is not down and can't be removed`);
    }
    if (node.ID === selfId) {
      throw failedPrecondition('node.is_self', `node ${node.ID} is this node; use "swarm leave" instead`);
    }
    tx.delete('nodes', node.ID);
  });
}

export async function countManagers(deps: Pick<ControlDeps, 'store'>): Promise<{ managers: number; reachable: number }> {
  const nodes = await deps.store.view().list('nodes');
  const managers = nodes.filter((n) => n.ManagerStatus);
  return { managers: managers.length, reachable: managers.filter((n) => n.ManagerStatus?.Reachability === 'reachable').length };
}

/** After a restart: this node's description may have changed (hostname, engine version), and it is up again. */
export async function refreshOwnNode(deps: ControlDeps, nodeId: string, description: NodeDescription, addr: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const node = await tx.get('nodes', nodeId);
    if (!node) return;
    tx.update('nodes', {
      ...node,
      Description: description,
      Status: { State: 'ready', Addr: addr },
      UpdatedAt: rfc3339Nano(deps.clock.now()),
    });
  });
}
