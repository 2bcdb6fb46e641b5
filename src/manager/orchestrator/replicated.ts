/**
 * Replicated orchestrator core (swarmkit's replicated.Orchestrator.reconcile): keep one slot per replica.
 *
 * - A slot is *occupied* when it has a live task, or when the restart policy gave up on it (`slotGaveUp`).
 * - Too few: new tasks (desired RUNNING) fill the lowest free slot numbers from 1.
 * - Too many: slots the policy gave up on go first, then live slots in swarmkit's order: keep running tasks
 *   before the others and low slot numbers before high ones, but first spread the keepers over nodes (a slot
 *   whose task is the n-th of this service on its node ranks by n; tasks without a node rank last), so scaling
 *   down removes the highest slots from the nodes that run the most tasks of the service. Every task of a
 *   removed slot gets desired REMOVE; the task reaper deletes them once the agent has shut them down.
 *
 * Failed tasks and tasks on bad nodes are the restart supervisor's; dirty tasks are the update supervisor's.
 */
import type { Node, Service, Task } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { newTask } from './new-task.js';
import { TaskPlan } from './plan.js';
import { slotGaveUp } from './restart-policy.js';
import { replicasOf } from './service-mode.js';
import { groupSlots, nextCreatedAt } from './slots.js';
import { isLive, isTaskDirty } from './task-facts.js';

export interface ReplicatedContext {
  now: number;
  random: Random;
  nodes: ReadonlyMap<string, Node>;
}

interface SlotInfo {
  slot: number;
  tasks: Task[];
  /** The newest live task, which stands for the slot when ranking. */
  current: Task | undefined;
}

export function reconcileReplicated(service: Service, tasks: readonly Task[], ctx: ReplicatedContext): TaskPlan {
  const plan = new TaskPlan(ctx.now);
  const want = replicasOf(service);
  const live: SlotInfo[] = [];
  const gaveUp: SlotInfo[] = [];
  const bySlot = new Map<number, Task[]>();
  for (const [, group] of groupSlots('replicated', tasks)) {
    const slot = group[0]?.Slot;
    if (slot === undefined || slot < 1) continue;
    bySlot.set(slot, group);
    const liveTasks = group.filter(isLive);
    if (liveTasks.length > 0) live.push({ slot, tasks: group, current: liveTasks[liveTasks.length - 1] });
    else if (slotGaveUp(group, false, (t) => !isTaskDirty(service, t))) gaveUp.push({ slot, tasks: group, current: undefined });
  }
  const occupied = live.length + gaveUp.length;

  if (occupied < want) {
    const taken = new Set([...live, ...gaveUp].map((s) => s.slot));
    let missing = want - occupied;
    for (let slot = 1; missing > 0; slot++) {
      if (taken.has(slot)) continue;
      const history = bySlot.get(slot) ?? [];
      plan.create(
        newTask(service, { slot, desired: 'running', createdAt: nextCreatedAt(history, ctx.now), random: ctx.random }),
      );
      missing--;
    }
  } else if (occupied > want) {
    const removeOrder = [...gaveUp.sort((a, b) => b.slot - a.slot), ...keepOrder(live).reverse()];
    for (const s of removeOrder.slice(0, occupied - want)) {
      for (const t of s.tasks) plan.setDesired(t, 'remove');
    }
  }
  return plan;
}

/** Live slots, the ones to keep first. */
function keepOrder(slots: readonly SlotInfo[]): SlotInfo[] {
  const running = (s: SlotInfo): boolean => s.current?.Status.State === 'running';
  const pre = [...slots].sort((a, b) => Number(running(b)) - Number(running(a)) || a.slot - b.slot);
  const perNode = new Map<string, number>();
  const ranked = pre.map((s, i) => {
    const node = s.current?.NodeID;
    if (node === undefined || node === '') return { s, rank: Number.POSITIVE_INFINITY, i };
    const n = (perNode.get(node) ?? 0) + 1;
    perNode.set(node, n);
    return { s, rank: n, i };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return ranked.map((r) => r.s);
}
