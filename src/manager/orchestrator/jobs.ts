/**
 * Jobs orchestrator core (swarmkit's jobs orchestrator): tasks that run to completion.
 *
 * - **Iterations.** `Service.JobStatus.JobIteration.Index` names the run in progress; it is the service's
 *   SpecVersion, so every spec change (including `service update --force`) runs the job again. When JobStatus is
 *   missing or older than the SpecVersion, it is set (with LastExecution = now) and live unfinished tasks of
 *   earlier iterations get desired SHUTDOWN. Tasks carry the iteration in `JobIteration`.
 * - **Replicated jobs.** Slots 0..TotalCompletions-1 (zero-based: the docker CLI's job progress reads slots 0..N-1); a slot is done when one of its tasks completed. At most
 *   MaxConcurrent slots run at once; new tasks (desired COMPLETE) fill the lowest free slots. The job is done when
 *   every slot is done: nothing more is created.
 * - **Global jobs.** One task per eligible node (ready, active, suits the placement), desired COMPLETE, unless
 *   the node has already completed one for this iteration. Live tasks on drained, down or deleted nodes, or
 *   nodes that no longer suit the placement, get desired SHUTDOWN.
 *
 * Failed job tasks are restarted (restart condition defaults to on-failure) by the restart supervisor; a slot
 * the policy gave up on stays undone, so the job does not complete, as in swarm.
 */
import type { Node, Service, Task } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { newTask } from './new-task.js';
import { placementCheck } from './placement.js';
import { TaskPlan } from './plan.js';
import { slotGaveUp } from './restart-policy.js';
import { jobSizeOf, modeOf } from './service-mode.js';
import { groupSlots, nextCreatedAt, slotKeyForNode, slotKeyForNumber } from './slots.js';
import { isLive, nodeInvalid, nodeTakesNewTasks } from './task-facts.js';

export interface JobsContext {
  now: number;
  random: Random;
  nodes: ReadonlyMap<string, Node>;
}

/** The iteration a job service should be running: its SpecVersion. */
export function targetIteration(service: Service): number {
  return service.SpecVersion?.Index ?? 0;
}

export function reconcileJob(service: Service, tasks: readonly Task[], ctx: JobsContext): TaskPlan {
  const plan = new TaskPlan(ctx.now);
  const mode = modeOf(service);
  if (mode !== 'replicated-job' && mode !== 'global-job') return plan;

  let svc = service;
  const target = targetIteration(service);
  if (service.JobStatus === undefined || service.JobStatus.JobIteration.Index < target) {
    svc = { ...service, JobStatus: { JobIteration: { Index: target }, LastExecution: rfc3339Nano(ctx.now) }, UpdatedAt: rfc3339Nano(ctx.now) };
    plan.setService(svc);
  }
  const iteration = svc.JobStatus?.JobIteration.Index ?? target;
  const current: Task[] = [];
  for (const t of tasks) {
    if (t.JobIteration?.Index === iteration) current.push(t);
    else if (isLive(t) && t.Status.State !== 'complete') plan.setDesired(t, 'shutdown');
  }
  const o = { iteration, svc, plan, ctx };
  if (mode === 'replicated-job') replicatedJob(o, current, tasks);
  else globalJob(o, current, tasks);
  return plan;
}

interface JobPass {
  iteration: number;
  svc: Service;
  plan: TaskPlan;
  ctx: JobsContext;
}

type SlotState = 'done' | 'active' | 'gave-up' | 'free';

function slotState(group: readonly Task[]): SlotState {
  if (group.some((t) => t.Status.State === 'complete')) return 'done';
  if (group.some(isLive)) return 'active';
  if (slotGaveUp(group, true, () => true)) return 'gave-up';
  return 'free';
}

function replicatedJob(p: JobPass, current: readonly Task[], all: readonly Task[]): void {
  const { maxConcurrent, totalCompletions } = jobSizeOf(p.svc);
  const slots = groupSlots('replicated-job', current);
  const history = groupSlots('replicated-job', all);
  let active = 0;
  const free: number[] = [];
  for (let slot = 0; slot < totalCompletions; slot++) {
    const state = slotState(slots.get(slotKeyForNumber(slot)) ?? []);
    if (state === 'active') active++;
    else if (state === 'free') free.push(slot);
  }
  const n = Math.max(0, Math.min(maxConcurrent - active, free.length));
  for (const slot of free.slice(0, n)) {
    p.plan.create(
      newTask(p.svc, {
        slot,
        desired: 'complete',
        createdAt: nextCreatedAt(history.get(slotKeyForNumber(slot)) ?? [], p.ctx.now),
        random: p.ctx.random,
        jobIteration: { Index: p.iteration },
      }),
    );
  }
}

function globalJob(p: JobPass, current: readonly Task[], all: readonly Task[]): void {
  const suits = placementCheck(p.svc);
  const slots = groupSlots('global-job', current);
  const history = groupSlots('global-job', all);
  for (const group of slots.values()) {
    const nodeId = group[0]?.NodeID;
    const node = nodeId === undefined ? undefined : p.ctx.nodes.get(nodeId);
    if (node !== undefined && !nodeInvalid(node) && suits(node)) continue;
    for (const t of group) if (isLive(t) && t.Status.State !== 'complete') p.plan.setDesired(t, 'shutdown');
  }
  for (const node of [...p.ctx.nodes.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))) {
    if (nodeInvalid(node) || !suits(node) || !nodeTakesNewTasks(node)) continue;
    const key = slotKeyForNode(node.ID);
    if (slotState(slots.get(key) ?? []) !== 'free') continue;
    p.plan.create(
      newTask(p.svc, {
        nodeId: node.ID,
        desired: 'complete',
        createdAt: nextCreatedAt(history.get(key) ?? [], p.ctx.now),
        random: p.ctx.random,
        jobIteration: { Index: p.iteration },
      }),
    );
  }
}
