/**
 * `stack deploy --detach=false`: waits until every service of the deploy converged, or one failed. Each round
 * (200 ms) reads the stack's services with their status (`GET /services?filters=label&status=true`), the tasks made
 * from the current specs (`GET /tasks?filters={label, _up-to-date}`) and the nodes (active = not down):
 *
 *  - a service converged when as many up-to-date tasks run on active nodes as it wants (replicated: Replicas,
 *    global: ServiceStatus.DesiredTasks; jobs: completions) and no update is in progress;
 *  - it failed when an up-to-date task failed or was rejected (its `Status.Err` says why), or its update paused or
 *    rolled back (`x_bad: failed: task x_bad.1 (id) was rejected: No such image: ...`); the others are still waited
 *    for, and once every service converged or failed the wait ends with an error naming each failed service, its
 *    task and the reason, one per line.
 *
 * Tasks that existed before the deploy are history and never count as a failure.
 * A line is printed per service whenever its count changes (`x_web: 3/5 running`), then `x_web: converged`.
 * (docker's own loop waits on the services one after another and never gives up on a failing task; this one
 * reports each failure instead, so a broken deploy ends and says which services did come up.)
 */
import type { EngineClient } from '../../../client/index.js';
import { nodeList, serviceList, taskList } from '../../../client/services.js';
import type { Service, Task } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import type { WaitEnvironment } from '../service/progress.js';
import { stackFilter } from './common.js';

const POLL_MS = 200;

export interface ServiceProgress {
  converged: boolean;
  running: number;
  desired: number;
  /** Set when the service failed: why. */
  failure?: string;
}

function taskLabel(t: Task, serviceName: string): string {
  const slot = (t.Slot ?? 0) !== 0 ? String(t.Slot) : (t.NodeID ?? '');
  return `${serviceName}.${slot} (${t.ID.slice(0, 12)})`;
}

/** One service's state from its status, its up-to-date tasks and the active nodes. Pure. */
export function serviceProgress(s: Service, tasks: readonly Task[], active: ReadonlySet<string>, history: ReadonlySet<string> = new Set()): ServiceProgress {
  const name = s.Spec.Name ?? s.ID;
  const update = s.UpdateStatus?.State ?? '';
  const mode = s.Spec.Mode;
  let desired: number;
  if (mode.Replicated) desired = mode.Replicated.Replicas ?? 1;
  else if (mode.ReplicatedJob) desired = mode.ReplicatedJob.TotalCompletions ?? mode.ReplicatedJob.MaxConcurrent ?? 1;
  else desired = s.ServiceStatus?.DesiredTasks ?? 0;
  const job = mode.ReplicatedJob !== undefined && mode.ReplicatedJob !== null || (mode.GlobalJob !== undefined && mode.GlobalJob !== null);
  const slots = new Set<string>();
  let done = 0;
  for (const t of tasks) {
    const state = t.Status?.State ?? '';
    if ((state === 'failed' || state === 'rejected') && !history.has(t.ID)) {
      const why = t.Status?.Err || t.Status?.Message || state;
      return { converged: false, running: slots.size, desired, failure: `task ${taskLabel(t, name)} ${state === 'rejected' ? 'was rejected' : 'failed'}: ${why}` };
    }
    if (job && state === 'complete') done++;
    if (state === 'running' && t.DesiredState === 'running' && active.has(t.NodeID ?? '')) slots.add((t.Slot ?? 0) !== 0 ? `s${t.Slot}` : `n${t.NodeID ?? ''}`);
  }
  if (update === 'paused') return { converged: false, running: slots.size, desired, failure: `update paused: ${s.UpdateStatus?.Message ?? ''}` };
  if (update === 'rollback_paused') return { converged: false, running: slots.size, desired, failure: `rollback paused: ${s.UpdateStatus?.Message ?? ''}` };
  if (update === 'rollback_completed') return { converged: false, running: slots.size, desired, failure: `update rolled back: ${s.UpdateStatus?.Message ?? ''}` };
  const updating = update === 'updating' || update === 'rollback_started';
  if (job) return { converged: !updating && done >= desired, running: done, desired };
  return { converged: !updating && slots.size >= desired, running: slots.size, desired };
}

/**
 * Waits for the services (by ID) of the stack until each converged or failed; throws a CliError naming every one
 * that failed. Tasks in `before` (IDs that existed before the deploy) are history: their failures do not count.
 */
export async function waitOnStack(
  ctx: CliContext,
  client: EngineClient,
  stack: string,
  ids: readonly string[],
  env: WaitEnvironment,
  o: { quiet?: boolean; before?: ReadonlySet<string> } = {},
): Promise<void> {
  const pending = new Set(ids);
  const failed: string[] = [];
  const shown = new Map<string, string>();
  const say = (line: string): void => {
    if (o.quiet !== true) ctx.out.write(line + '\n');
  };
  while (pending.size > 0) {
    const services = await serviceList(client, { filters: stackFilter(stack), status: true });
    const tasks = await taskList(client, stackFilter(stack, { '_up-to-date': { true: true } }), env.signal);
    const active = new Set<string>();
    for (const n of await nodeList(client, undefined, env.signal)) if (n.Status.State !== 'down') active.add(n.ID);
    for (const id of [...pending]) {
      const s = services.find((x) => x.ID === id);
      if (s === undefined) throw new CliError(`service ${id} was removed while waiting for it`);
      const name = s.Spec.Name ?? id;
      const p = serviceProgress(
        s,
        tasks.filter((t) => t.ServiceID === id),
        active,
        o.before,
      );
      if (p.failure !== undefined) {
        say(`${name}: failed: ${p.failure}`);
        failed.push(`service ${name} failed: ${p.failure}`);
        pending.delete(id);
        continue;
      }
      const line = `${name}: ${p.running}/${p.desired} ${s.Spec.Mode.ReplicatedJob || s.Spec.Mode.GlobalJob ? 'completed' : 'running'}`;
      if (shown.get(id) !== line) say(line);
      shown.set(id, line);
      if (p.converged) {
        say(`${name}: converged`);
        pending.delete(id);
      }
    }
    if (pending.size === 0) break;
    if (await env.pause(POLL_MS)) {
      say('Operation continuing in background.');
      break;
    }
  }
  if (failed.length > 0) throw new CliError(failed.join('\n'));
}
