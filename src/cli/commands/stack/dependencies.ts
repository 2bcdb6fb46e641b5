/**
 * `stack deploy`'s dependency waits (compose/model/stack-order.ts makes the waves): before a wave of services is
 * created, every `service_healthy` / `service_completed_successfully` dependency of it must get there. Each round
 * (200 ms) reads the stack's services with their status, the up-to-date tasks of the stack and the nodes:
 *
 *  - healthy: as many up-to-date tasks run on active nodes as the service wants (`docker service ls` REPLICAS
 *    `3/3`); a task with a healthcheck only reaches RUNNING once healthy. Failed tasks are retried by the
 *    orchestrator, so they do not end the wait, but the last one's error is named if the wait times out;
 *  - completed successfully: as many up-to-date tasks completed (exit 0) as the service wants (a job's
 *    completions, a replicated one-shot's replicas); a failed task ends the deploy at once.
 *
 * Tasks that existed before the deploy are history: their failures never count. A wait that does not end within
 * `--dependency-timeout` fails naming the dependency, why, and the services left uncreated.
 */
import { formatDuration } from '../../../lib/duration.js';
import type { EngineClient } from '../../../client/index.js';
import { nodeList, serviceList, taskList } from '../../../client/services.js';
import type { Service, Task } from '../../../client/service-types.js';
import type { WaitCondition } from '../../../compose/model/stack-order.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import type { WaitEnvironment } from '../service/progress.js';
import { stackFilter } from './common.js';

const POLL_MS = 200;

export interface DependencyState {
  satisfied: boolean;
  /** Running (healthy) or completed up-to-date tasks, of `desired`. */
  done: number;
  desired: number;
  /** completed_successfully: a task failed, so it never will. */
  failure?: string;
  /** The last failure seen (healthy waits go on through them). */
  lastError?: string;
}

/** A wait of one wave, resolved to the daemon's names and IDs. */
export interface ResolvedWait {
  /** `<stack>_<key>`. */
  name: string;
  id: string;
  condition: WaitCondition;
  /** `<stack>_<key>` of the services waiting. */
  dependents: string[];
}

function taskLabel(t: Task, serviceName: string): string {
  const slot = (t.Slot ?? 0) !== 0 ? String(t.Slot) : (t.NodeID ?? '');
  return `${serviceName}.${slot} (${t.ID.slice(0, 12)})`;
}

const slotOf = (t: Task): string => ((t.Slot ?? 0) !== 0 ? `s${t.Slot}` : `n${t.NodeID ?? ''}`);

/** Where a dependency stands, from its status and its up-to-date tasks. Pure. */
export function dependencyState(condition: WaitCondition, s: Service, tasks: readonly Task[], active: ReadonlySet<string>, history: ReadonlySet<string> = new Set()): DependencyState {
  const name = s.Spec.Name ?? s.ID;
  const mode = s.Spec.Mode;
  const global = (mode.Global !== undefined && mode.Global !== null) || (mode.GlobalJob !== undefined && mode.GlobalJob !== null);
  const running = new Set<string>();
  const completed = new Set<string>();
  let live = 0;
  let lastError: string | undefined;
  for (const t of tasks) {
    const state = t.Status?.State ?? '';
    const exit = t.Status?.ContainerStatus?.ExitCode ?? 0;
    if (state === 'failed' || state === 'rejected' || (state === 'complete' && exit !== 0)) {
      if (history.has(t.ID)) continue;
      const why = t.Status?.Err || t.Status?.Message || (exit !== 0 ? `exit code ${exit}` : state);
      lastError = `task ${taskLabel(t, name)} ${state === 'rejected' ? 'was rejected' : 'failed'}: ${why}`;
      if (condition === 'service_completed_successfully') return { satisfied: false, done: completed.size, desired: 0, failure: lastError };
      continue;
    }
    if (state === 'complete') completed.add(slotOf(t));
    else if (t.DesiredState === 'running' || t.DesiredState === 'complete') live++;
    if (state === 'running' && t.DesiredState === 'running' && active.has(t.NodeID ?? '')) running.add(slotOf(t));
  }
  const done = condition === 'service_healthy' ? running.size : completed.size;
  let desired: number;
  if (mode.Replicated) desired = mode.Replicated.Replicas ?? 1;
  else if (mode.ReplicatedJob) desired = mode.ReplicatedJob.TotalCompletions ?? mode.ReplicatedJob.MaxConcurrent ?? 1;
  // global: one task per eligible node; none yet means the orchestrator has not placed them
  else desired = condition === 'service_healthy' ? (s.ServiceStatus?.DesiredTasks ?? 0) : completed.size + live;
  const satisfied = global ? desired > 0 && done >= desired : done >= desired;
  return { satisfied, done, desired, ...(lastError !== undefined ? { lastError } : {}) };
}

const goal = (c: WaitCondition): string => (c === 'service_healthy' ? 'be healthy' : 'complete successfully');
const reached = (c: WaitCondition): string => (c === 'service_healthy' ? 'is healthy' : 'completed successfully');
const missed = (c: WaitCondition): string => (c === 'service_healthy' ? 'did not become healthy' : 'did not complete');
const counted = (c: WaitCondition): string => (c === 'service_healthy' ? 'running' : 'completed');

export function waitingLine(w: Pick<ResolvedWait, 'name' | 'condition' | 'dependents'>, dry = false): string {
  return `${dry ? 'Would wait' : 'Waiting'} for service ${w.name} to ${goal(w.condition)} before creating ${w.dependents.join(', ')}`;
}

/**
 * Waits until every wait of a wave is met; throws a CliError naming the dependency and the dependents when one
 * cannot be (a failed one-shot, the timeout, an interrupt).
 */
export async function waitForDependencies(
  ctx: CliContext,
  client: EngineClient,
  stack: string,
  waits: readonly ResolvedWait[],
  env: WaitEnvironment,
  o: { timeoutMs: number; history: ReadonlySet<string> },
): Promise<void> {
  for (const w of waits) ctx.out.write(waitingLine(w) + '\n');
  const pending = new Set(waits);
  const deadline = env.now() + o.timeoutMs;
  const last = new Map<ResolvedWait, DependencyState>();
  while (pending.size > 0) {
    const services = await serviceList(client, { filters: stackFilter(stack), status: true });
    const tasks = await taskList(client, stackFilter(stack, { '_up-to-date': { true: true } }), env.signal);
    const active = new Set<string>();
    for (const n of await nodeList(client, undefined, env.signal)) if (n.Status.State !== 'down') active.add(n.ID);
    for (const w of [...pending]) {
      const s = services.find((x) => x.ID === w.id);
      if (s === undefined) throw new CliError(`service ${w.name} was removed while ${w.dependents.join(', ')} waited for it`);
      const st = dependencyState(
        w.condition,
        s,
        tasks.filter((t) => t.ServiceID === w.id),
        active,
        o.history,
      );
      last.set(w, st);
      if (st.failure !== undefined) throw new CliError(`service ${w.name} did not complete successfully, so ${w.dependents.join(', ')} ${w.dependents.length > 1 ? 'were' : 'was'} not created: ${st.failure}`);
      if (st.satisfied) {
        ctx.out.write(`Service ${w.name} ${reached(w.condition)} (${st.done}/${st.desired} ${counted(w.condition)})\n`);
        pending.delete(w);
      }
    }
    if (pending.size === 0) return;
    if (env.now() >= deadline) {
      const w = [...pending][0] as ResolvedWait;
      const st = last.get(w);
      const detail = st === undefined ? '' : ` (${st.done}/${st.desired} tasks ${counted(w.condition)}${st.lastError !== undefined ? `; last failure: ${st.lastError}` : ''})`;
      throw new CliError(`service ${w.name} ${missed(w.condition)} within ${formatDuration(o.timeoutMs * 1e6)}${detail}, so ${w.dependents.join(', ')} ${w.dependents.length > 1 ? 'were' : 'was'} not created (--dependency-timeout)`);
    }
    if (await env.pause(Math.min(POLL_MS, Math.max(0, deadline - env.now())))) {
      const w = [...pending][0] as ResolvedWait;
      const left = [...new Set([...pending].flatMap((x) => x.dependents))];
      throw new CliError(`interrupted while waiting for service ${w.name} to ${goal(w.condition)}; ${left.join(', ')} not created`);
    }
  }
}
