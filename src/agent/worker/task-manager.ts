/**
 * One task's manager (swarmkit's agent/task.go): loops the pure task machine, runs the operation it asks for on the
 * task's controller, and hands every new status to the worker (which persists it, then reports it).
 *
 * - An operation in flight is cancelled when the task's desired state becomes shutdown or later (so a long pull or a
 *   wait does not delay the stop); a cancelled operation leaves no observation and the machine asks again.
 * - `health` and `wait` race the container's exit against its health: a container can die before its healthcheck
 *   decides, or turn unhealthy while it runs.
 * - Closing the manager (agent shutdown) cancels the loop; the container keeps running, and a new manager for the
 *   same task after a restart picks up where this one stopped (operations are idempotent).
 */
import { TaskState, canTransition } from '../../api/task-state.js';
import type { TaskStatus } from '../../api/types.js';
import { rfc3339Nano, type Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { AgentTask, Controller, ExitResult, Executor, HealthVerdict } from '../exec/controller.js';
import { next, type Action, type Observed, type Operation } from '../exec/task-machine.js';

export interface TaskManagerOptions {
  executor: Executor;
  clock: Clock;
  logger: Logger;
  /** Called with every status the manager gives the task, in order. */
  onStatus: (task: AgentTask, status: TaskStatus) => void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class TaskManager {
  readonly controller: Controller;
  private task: AgentTask;
  private status: TaskStatus;
  private observed: Observed = {};
  private op: { name: Operation; abort: AbortController } | undefined;
  private poke: (() => void) | undefined;
  private readonly stop = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    task: AgentTask,
    status: TaskStatus,
    private readonly o: TaskManagerOptions,
  ) {
    this.task = task;
    this.status = status;
    this.controller = o.executor.controller(task);
    this.log = o.logger.child({ task: task.ID });
  }

  get current(): { task: AgentTask; status: TaskStatus } {
    return { task: this.task, status: this.status };
  }

  /** A new version of the task from the dispatcher (its desired state may have changed). */
  update(task: AgentTask, adoptStatus?: TaskStatus): void {
    this.task = task;
    if (adoptStatus && canTransition(this.status.State, adoptStatus.State)) this.status = adoptStatus;
    if (TaskState[task.DesiredState] >= TaskState.shutdown && this.op && this.op.name !== 'shutdown') {
      this.op.abort.abort(new Error(`desired state is ${task.DesiredState}`));
    }
    this.poke?.();
  }

  start(parent: AbortSignal): void {
    const signal = AbortSignal.any([parent, this.stop.signal]);
    this.loop = this.run(signal).catch((e: unknown) => this.log.error({ err: message(e) }, 'task manager failed'));
  }

  /** Ends the loop (the container is left as it is) and resolves when it has ended. */
  async close(): Promise<void> {
    this.stop.abort(new Error('task manager closed'));
    await this.loop;
  }

  /** Resolves when the loop has ended: terminal state, or closed. */
  get done(): Promise<void> {
    return this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const a = next({ state: this.status.State, desired: this.task.DesiredState, observed: this.observed });
      switch (a.kind) {
        case 'done':
          return;
        case 'hold':
          await this.nextUpdate(signal);
          break;
        case 'report':
          await this.report(a);
          break;
        case 'run':
          await this.runOp(a.op, signal);
          break;
      }
    }
  }

  private nextUpdate(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.poke = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (signal.aborted) {
        resolve();
        return;
      }
      this.poke = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async report(a: Extract<Action, { kind: 'report' }>): Promise<void> {
    if (!canTransition(this.status.State, a.state)) throw new Error(`task machine moved ${this.task.ID} backwards: ${this.status.State} → ${a.state}`);
    const container = await this.controller.status().catch(() => undefined);
    const exit = a.exitCode !== undefined ? { ExitCode: a.exitCode } : {};
    const status: TaskStatus = {
      Timestamp: rfc3339Nano(this.o.clock.now()),
      State: a.state,
      Message: a.message,
      ...(a.err !== undefined ? { Err: a.err } : {}),
      ...(container || a.exitCode !== undefined ? { ContainerStatus: { ...container, ...exit } } : {}),
    };
    this.status = status;
    this.log.info({ state: a.state, ...(a.err !== undefined ? { err: a.err } : {}) }, 'task state changed');
    this.o.onStatus(this.task, status);
  }

  private async runOp(op: Operation, parent: AbortSignal): Promise<void> {
    const abort = new AbortController();
    const onParent = (): void => abort.abort(parent.reason);
    parent.addEventListener('abort', onParent, { once: true });
    this.op = { name: op, abort };
    const signal = abort.signal;
    try {
      switch (op) {
        case 'prepare':
          await this.controller.prepare(signal);
          this.observed = { ...this.observed, prepare: { ok: true } };
          break;
        case 'start':
          await this.controller.start(signal);
          this.observed = { ...this.observed, start: { ok: true } };
          break;
        case 'health':
        case 'wait': {
          const r = await this.exitOrHealth(signal);
          this.observed = 'exit' in r ? { ...this.observed, exit: r.exit } : { ...this.observed, health: r.health };
          break;
        }
        case 'shutdown': {
          const exit = await this.controller.shutdown(signal);
          this.observed = { ...this.observed, shutdown: { ok: true }, ...(exit ? { exit } : {}) };
          break;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      const error = message(e);
      this.log.warn({ op, err: error }, 'task operation failed');
      switch (op) {
        case 'prepare':
        case 'start':
        case 'shutdown':
          this.observed = { ...this.observed, [op]: { ok: false, error } };
          break;
        case 'health':
        case 'wait':
          this.observed = { ...this.observed, waitError: error };
          break;
      }
    } finally {
      this.op = undefined;
      parent.removeEventListener('abort', onParent);
    }
  }

  /** The container's exit, or a change of its health, whichever comes first. */
  private async exitOrHealth(signal: AbortSignal): Promise<{ exit: ExitResult } | { health: HealthVerdict }> {
    const both = new AbortController();
    const onAbort = (): void => both.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const exit = this.controller.wait(both.signal).then((r) => ({ exit: r }));
    const health = this.controller.health(both.signal, this.observed.health).then((h) => ({ health: h }));
    void exit.catch(() => undefined);
    void health.catch(() => undefined);
    try {
      return await Promise.race([exit, health]);
    } finally {
      both.abort(new Error('settled'));
      signal.removeEventListener('abort', onAbort);
    }
  }
}
