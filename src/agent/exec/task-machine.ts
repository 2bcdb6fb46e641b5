/**
 * The agent's task state machine (swarmkit's exec.Do, as a pure function): given the task's current state, its
 * desired state and what the controller has reported so far, `next` says what to do: report a new state, run one
 * controller operation, hold until the desired state changes, or nothing more (terminal).
 *
 *   accepted → preparing (prepare) → ready ─ hold while desired ≤ ready ─→ starting (start; with a healthcheck, wait
 *   for its verdict) → running (wait) → complete (exit 0) | failed (`task: non-zero exit (N)`)
 *   desired ≥ shutdown, from any non-terminal state: shutdown (stop) → shutdown
 *   an error before starting → rejected; at or after starting → failed (Err = the error)
 *   unhealthy (while starting or running) → stop → failed (`task: non-zero exit (N): unhealthy container`)
 *
 * Invariants (task-machine.test.ts checks them over every state × desired × observation):
 * - a reported state is always later than the current one (never backwards), and terminal states do nothing;
 * - the container is only started when the desired state is past ready (the READY gate of DESIGN §1);
 * - the function is pure: the same input gives the same action, and the input is never changed. Operations are
 *   idempotent, so a task manager that restarts with no observations simply asks for them again.
 */
import { TaskState, isTerminal, type TaskStateName } from '../../api/task-state.js';
import type { HealthVerdict } from './controller.js';

/** The result of an operation: done, or failed with the error's message. */
export type Outcome = { ok: true } | { ok: false; error: string };

/** What the task manager has learnt from its controller since it began managing the task; facts only accumulate. */
export interface Observed {
  prepare?: Outcome;
  start?: Outcome;
  /** The latest health verdict. */
  health?: HealthVerdict;
  /** The container has exited. */
  exit?: { exitCode: number };
  /** Waiting for the container (or its health) failed. */
  waitError?: string;
  shutdown?: Outcome;
}

export interface MachineInput {
  state: TaskStateName;
  desired: TaskStateName;
  observed: Observed;
}

/**
 * The controller operations the machine asks for. `health` waits for the container's health verdict or its exit;
 * `wait` waits for its exit or for it turning unhealthy.
 */
export type Operation = 'prepare' | 'start' | 'health' | 'wait' | 'shutdown';

export type Action =
  | { kind: 'report'; state: TaskStateName; message: string; err?: string; exitCode?: number }
  | { kind: 'run'; op: Operation }
  /** Wait until the desired state changes. */
  | { kind: 'hold' }
  /** Terminal: nothing more will happen to this task. */
  | { kind: 'done' };

/** The status messages, as the services contract (docs/design/services.md) lists them. */
export const MESSAGES = {
  accepted: 'accepted',
  preparing: 'preparing',
  ready: 'ready',
  starting: 'starting',
  running: 'started',
  complete: 'finished',
  shutdown: 'shutdown',
  failed: 'failed',
  rejected: 'rejected',
} as const;

/** docker's Err for an unhealthy container (daemon/cluster/executor/container). */
export const UNHEALTHY = 'unhealthy container';

/** docker's Err for a container that exited non-zero. */
export function exitError(exitCode: number, cause?: string): string {
  return `task: non-zero exit (${exitCode})${cause ? `: ${cause}` : ''}`;
}

const report = (state: keyof typeof MESSAGES, extra: { err?: string; exitCode?: number } = {}): Action => ({
  kind: 'report',
  state,
  message: MESSAGES[state],
  ...extra,
});
const run = (op: Operation): Action => ({ kind: 'run', op });
const HOLD: Action = { kind: 'hold' };
const DONE: Action = { kind: 'done' };

/** A failure is a rejection before the container was asked to start, a failure from then on. */
function fatal(state: TaskStateName, error: string, exitCode?: number): Action {
  return report(TaskState[state] < TaskState.starting ? 'rejected' : 'failed', exitCode === undefined ? { err: error } : { err: error, exitCode });
}

/** The container has exited: complete on 0 (unless it was stopped for being unhealthy), failed otherwise. */
function exited(exitCode: number, health: HealthVerdict | undefined): Action {
  if (health === 'unhealthy') return report('failed', { err: exitCode === 0 ? UNHEALTHY : exitError(exitCode, UNHEALTHY), exitCode });
  return exitCode === 0 ? report('complete', { exitCode }) : report('failed', { err: exitError(exitCode), exitCode });
}

/** An unhealthy container is stopped first; the failure is reported with its exit code. */
function stopUnhealthy(o: Observed): Action {
  if (!o.shutdown) return run('shutdown');
  // Stopped without an exit to show (it had already gone), or the stop itself failed.
  return report('failed', { err: o.shutdown.ok ? UNHEALTHY : o.shutdown.error });
}

export function next(input: MachineInput): Action {
  const { state, desired, observed: o } = input;
  if (isTerminal(state)) return DONE;

  if (TaskState[desired] >= TaskState.shutdown) {
    if (o.shutdown?.ok) return report('shutdown', o.exit ? { exitCode: o.exit.exitCode } : {});
    if (o.shutdown) return fatal(state, o.shutdown.error);
    return run('shutdown');
  }

  // Before preparing, and at ready, the task only moves on while the desired state is further along.
  const proceed = TaskState[state] < TaskState[desired];
  switch (state) {
    case 'new':
    case 'pending':
    case 'assigned':
      return proceed ? report('accepted') : HOLD;
    case 'accepted':
      return proceed ? report('preparing') : HOLD;
    case 'preparing':
      if (!o.prepare) return run('prepare');
      return o.prepare.ok ? report('ready') : fatal(state, o.prepare.error);
    case 'ready':
      return proceed ? report('starting') : HOLD;
    case 'starting':
      if (!o.start) return run('start');
      if (!o.start.ok) return fatal(state, o.start.error);
      if (o.exit) return o.exit.exitCode === 0 && o.health !== 'unhealthy' ? report('running') : exited(o.exit.exitCode, o.health);
      if (o.waitError !== undefined) return fatal(state, o.waitError);
      if (o.health === 'unhealthy') return stopUnhealthy(o);
      if (o.health === 'none' || o.health === 'healthy') return report('running');
      return run('health');
    case 'running':
      if (o.exit) return exited(o.exit.exitCode, o.health);
      if (o.waitError !== undefined) return fatal(state, o.waitError);
      if (o.health === 'unhealthy') return stopUnhealthy(o);
      return run('wait');
    case 'complete':
    case 'shutdown':
    case 'failed':
    case 'rejected':
    case 'remove':
    case 'orphaned':
      return DONE;
  }
}
