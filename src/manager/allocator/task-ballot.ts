/**
 * Moving a task NEW → PENDING (swarmkit's allocator ballot): every sub-allocator votes on the task; when all say
 * yes, each contributes its part and the task becomes PENDING with "pending task scheduling". A "not yet" leaves
 * the task NEW; a refusal with a reason leaves it NEW with the reason in `Status.Err`.
 *
 * Voters: ports (here), then networks (ipam/voter.ts: the task's `NetworksAttachments`); others can be added as
 * more `TaskVoter`s.
 */
import { TaskState } from '../../api/task-state.js';
import type { Endpoint, Service, Task } from '../../api/types.js';

/** swarmkit's tasks carry their service's Endpoint from allocation on (the agent binds host ports from it). */
export type TaskWithEndpoint = Task & { Endpoint?: Endpoint };

export const PENDING_MESSAGE = 'pending task scheduling';

export type Vote =
  /** Ready; `patch` is what this allocator adds to the task. */
  | { kind: 'yes'; patch?: Partial<TaskWithEndpoint> }
  /** Not yet: the task stays NEW until something changes (no reason is shown). */
  | { kind: 'wait' }
  /** Cannot be allocated as things are: the task stays NEW with this reason. */
  | { kind: 'refuse'; reason: string };

export interface TaskVoter {
  readonly name: string;
  vote(task: Task, service: Service): Vote;
}

/** What the ports allocator knows about each service: allocated (its Endpoint is current), or refused and why. */
export interface PortsView {
  refusal(serviceId: string): string | undefined;
  isAllocated(service: Service): boolean;
}

export function portsVoter(view: PortsView): TaskVoter {
  return {
    name: 'ports',
    vote(_task, service) {
      const reason = view.refusal(service.ID);
      if (reason !== undefined) return { kind: 'refuse', reason };
      if (!view.isAllocated(service) || service.Endpoint === undefined) return { kind: 'wait' };
      return (service.Endpoint.Ports?.length ?? 0) > 0 ? { kind: 'yes', patch: { Endpoint: structuredClone(service.Endpoint) } } : { kind: 'yes' };
    },
  };
}

/** NEW and wanted (desired at most COMPLETE, which job tasks use): the allocator's input. */
export function awaitsAllocation(task: Task): boolean {
  return task.Status.State === 'new' && TaskState[task.DesiredState] <= TaskState.complete;
}

export type Ballot = { kind: 'pending'; task: TaskWithEndpoint } | { kind: 'wait' } | { kind: 'refused'; reason: string };

/** The outcome for one task: the PENDING task to write, a wait, or a refusal. `stamp` is the status time. */
export function ballot(task: TaskWithEndpoint, service: Service | undefined, voters: readonly TaskVoter[], stamp: string): Ballot {
  if (!awaitsAllocation(task) || service === undefined) return { kind: 'wait' };
  let next: TaskWithEndpoint = task;
  for (const v of voters) {
    const vote = v.vote(task, service);
    if (vote.kind === 'refuse') return { kind: 'refused', reason: vote.reason };
    if (vote.kind === 'wait') return { kind: 'wait' };
    if (vote.patch !== undefined) next = { ...next, ...vote.patch };
  }
  return {
    kind: 'pending',
    task: { ...next, Status: { Timestamp: stamp, State: 'pending', Message: PENDING_MESSAGE }, UpdatedAt: stamp },
  };
}
