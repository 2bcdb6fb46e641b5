/**
 * Global orchestrator core (swarmkit's global.Orchestrator.reconcileServices): one task per eligible node.
 *
 * - A node that is ready and active and suits the placement gets a task bound to it (NodeID set, desired
 *   RUNNING) when it has no live one, unless the restart policy gave up on it (`slotGaveUp`).
 * - A paused node (or one whose state is not known yet) keeps what it runs and gets nothing new.
 * - Live tasks on a node that is drained, down, deleted, or no longer suits the placement get desired SHUTDOWN.
 *
 * Ended tasks on good nodes are restarted by the restart supervisor; dirty ones are updated by the update
 * supervisor. Global jobs have their own core (jobs.ts).
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { newTask } from './new-task.js';
import { placementCheck } from './placement.js';
import { TaskPlan } from './plan.js';
import { slotGaveUp } from './restart-policy.js';
import { groupSlots, nextCreatedAt, slotKeyForNode } from './slots.js';
import { isLive, isTaskDirty, nodeInvalid, nodeTakesNewTasks } from './task-facts.js';

export interface GlobalContext {
  now: number;
  random: Random;
  nodes: ReadonlyMap<string, Node>;
}

export function reconcileGlobal(service: Service, tasks: readonly Task[], ctx: GlobalContext): TaskPlan {
  const plan = new TaskPlan(ctx.now);
  const suits = placementCheck(service);
  const slots = groupSlots('global', tasks);
  for (const group of slots.values()) {
    const nodeId = group[0]?.NodeID;
    const node = nodeId === undefined ? undefined : ctx.nodes.get(nodeId);
    if (node !== undefined && !nodeInvalid(node) && suits(node)) continue;
    for (const t of group) if (isLive(t)) plan.setDesired(t, 'shutdown');
  }
  for (const node of [...ctx.nodes.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))) {
    if (nodeInvalid(node) || !suits(node) || !nodeTakesNewTasks(node)) continue;
    const group = slots.get(slotKeyForNode(node.ID)) ?? [];
    if (group.some(isLive)) continue;
    if (slotGaveUp(group, false, (t) => !isTaskDirty(service, t))) continue;
    plan.create(
      newTask(service, { nodeId: node.ID, desired: 'running', createdAt: nextCreatedAt(group, ctx.now), random: ctx.random }),
    );
  }
  return plan;
}
