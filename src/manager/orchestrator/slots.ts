/**
 * Slots: the unit a service keeps filled. Replicated services and replicated jobs number them from 1; global
 * services and global jobs have one per node. A slot's tasks, in creation order, are its history: a restart or
 * an update adds a task to the slot, it never revives one.
 */
import type { Task } from '../../api/types.js';
import type { ModeKind } from './service-mode.js';
import { isPerNodeMode } from './service-mode.js';
import { byCreation, createdMs } from './task-facts.js';

export function slotKey(mode: ModeKind, t: Task): string {
  return isPerNodeMode(mode) ? `node:${t.NodeID ?? ''}` : `slot:${t.Slot ?? 0}`;
}

/** The slot key when the mode may be unknown (the service is gone): a slot number if the task has one. */
export function slotKeyOfTask(mode: ModeKind | undefined, t: Task): string {
  if (mode !== undefined) return slotKey(mode, t);
  return t.Slot !== undefined && t.Slot > 0 ? `slot:${t.Slot}` : `node:${t.NodeID ?? ''}`;
}

export const slotKeyForNumber = (slot: number): string => `slot:${slot}`;
export const slotKeyForNode = (nodeId: string): string => `node:${nodeId}`;

/** The tasks of one service grouped by slot, each group in creation order. */
export function groupSlots(mode: ModeKind, tasks: Iterable<Task>): Map<string, Task[]> {
  const out = new Map<string, Task[]>();
  for (const t of tasks) {
    const k = slotKey(mode, t);
    const g = out.get(k);
    if (g === undefined) out.set(k, [t]);
    else g.push(t);
  }
  for (const g of out.values()) g.sort(byCreation);
  return out;
}

/**
 * The creation time for a new task in a slot: now, but strictly after the slot's newest task, so creation order
 * (which the restart history is read from) never ties, even under a clock that does not move.
 */
export function nextCreatedAt(slot: readonly Task[], now: number): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const t of slot) newest = Math.max(newest, createdMs(t));
  return Math.max(now, newest + 1);
}

/** The task created just before `t` in its slot (`slot` in creation order). */
export function predecessorOf(slot: readonly Task[], t: Task): Task | undefined {
  const i = slot.findIndex((x) => x.ID === t.ID);
  return i > 0 ? slot[i - 1] : undefined;
}
