/**
 * Making a task from a service (swarmkit's orchestrator.NewTask): a copy of the task template, the service's
 * labels (also as `ServiceAnnotations`, with its name, for the agent's container names) and SpecVersion, state
 * NEW with swarm's "created" message.
 */
import type { TaskStateName } from '../../api/task-state.js';
import type { Service, Task, Version } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Random } from '../../lib/random.js';

export interface NewTaskOptions {
  /** Replicated slots count from 1. */
  slot?: number;
  /** Global tasks are bound to their node from the start. */
  nodeId?: string;
  /** RUNNING (or COMPLETE for jobs), or READY when something must release it later (restart delay, stop-first). */
  desired: TaskStateName;
  createdAt: number;
  random: Random;
  jobIteration?: Version;
}

export function newTask(service: Service, o: NewTaskOptions): Task {
  const at = rfc3339Nano(o.createdAt);
  const task: Task = {
    ID: newId(o.random),
    Version: { Index: 0 },
    CreatedAt: at,
    UpdatedAt: at,
    Labels: { ...(service.Spec.Labels ?? {}) },
    ServiceAnnotations: { Name: service.Spec.Name, Labels: { ...(service.Spec.Labels ?? {}) } },
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: service.ID,
    Status: { Timestamp: at, State: 'new', Message: 'created' },
    DesiredState: o.desired,
  };
  if (o.slot !== undefined) task.Slot = o.slot;
  if (o.nodeId !== undefined) task.NodeID = o.nodeId;
  if (service.SpecVersion !== undefined) task.SpecVersion = { Index: service.SpecVersion.Index };
  if (o.jobIteration !== undefined) task.JobIteration = { Index: o.jobIteration.Index };
  return task;
}
