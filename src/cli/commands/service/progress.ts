/**
 * Convergence progress after `service create/update/scale/rollback` without `--detach`, as the docker CLI's
 * cli/command/service/progress does it (docs/docker-engine-api.md §4):
 *
 *   every 200 ms: GET /services/{ref}?insertDefaults=false, GET /tasks?filters={"_up-to-date":…,"service":…},
 *   GET /nodes (active = not "down"); replicated, global, replicated-job and global-job updaters draw per-slot
 *   (per-node) lines and "overall progress: N out of M tasks"; once converged, the service must stay so for the
 *   update monitor window ("verify: Waiting N seconds to verify that tasks are stable...") before
 *   "verify: Service <ref> converged". `UpdateStatus` steers it: completed before convergence ends it at once,
 *   paused/rollback_paused are errors, rollback_started prints "rollback: <message>".
 *
 * The updaters emit docker's progress messages (jsonmessage JSON objects) and image/progress.ts's ProgressDisplay
 * renders them as docker's jsonmessage does: redrawn lines on a terminal, plain lines otherwise (bars left out).
 * The loop ends when converged, on an error (paused, API failure), or when the user interrupts (SIGINT): then,
 * unless converged, "Operation continuing in background.".
 */
import type { EngineClient } from '../../../client/index.js';
import type { JSONMessage } from '../../../client/image-types.js';
import { nodeList, serviceInspect, taskList } from '../../../client/services.js';
import type { Service, Task } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import type { Terminal } from '../container/terminal.js';
import { ProgressDisplay } from '../image/progress.js';

const NUMBERED_STATES: Readonly<Record<string, number>> = {
  new: 1,
  allocated: 2,
  pending: 3,
  assigned: 4,
  accepted: 5,
  preparing: 6,
  ready: 7,
  starting: 8,
  running: 9,
  complete: 10,
  shutdown: 11,
  failed: 12,
  rejected: 13,
};
const MAX_PROGRESS = 9;
const MAX_PROGRESS_BARS = 20;
const MAX_JOB_PROGRESS = 10;
const POLL_MS = 200;
const INTERRUPTED = Symbol('interrupted');
const DEFAULT_MONITOR_NS = 5_000_000_000;

const num = (state: string | undefined): number => NUMBERED_STATES[state ?? ''] ?? 0;

function terminalState(state: string | undefined): boolean {
  return num(state) > (NUMBERED_STATES.running as number);
}

/** The longest non-terminal state name (or "complete"): "allocated" / "preparing". */
const LONGEST_STATE = Math.max(...Object.keys(NUMBERED_STATES).filter((s) => !terminalState(s) || s === 'complete').map((s) => s.length));

type Emit = (m: JSONMessage) => void;

interface Progress {
  id: string;
  action: string;
  current?: number;
  total?: number;
  hideCounts?: boolean;
}

/** streamformatter's WriteProgress: a status with a (possibly empty) progress detail. */
function progressMessage(p: Progress): JSONMessage {
  const detail: NonNullable<JSONMessage['progressDetail']> = {};
  if (p.current) detail.current = p.current;
  if (p.total) detail.total = p.total;
  if (p.hideCounts === true) detail.hidecounts = true;
  return { status: p.action, progressDetail: detail, id: p.id };
}

/** progress.Message: a plain status line. */
function statusMessage(id: string, message: string): JSONMessage {
  return id === '' ? { status: message } : { status: message, id };
}

const padState = (s: string | undefined): string => (s ?? '').padEnd(LONGEST_STATE, ' ');

/** truncError: no newlines, at most 75 bytes. */
export function truncError(err: string): string {
  const s = err.replace(/\n/g, ' ');
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= 75) return s;
  return bytes.subarray(0, 74).toString('utf8').replace(/\uFFFD+$/, '') + '…';
}

function writeOverallProgress(emit: Emit, numerator: number, denominator: number, rollback: boolean): void {
  emit(
    progressMessage({
      id: 'overall progress',
      action: rollback ? `rolling back update: ${numerator} out of ${denominator} tasks` : `${numerator} out of ${denominator} tasks`,
    }),
  );
}

interface Updater {
  update(service: Service, tasks: readonly Task[], activeNodes: ReadonlySet<string>, rollback: boolean): boolean;
}

class ReplicatedUpdater implements Updater {
  private slotMap = new Map<number, number>();
  private initialized = false;
  private done = false;
  constructor(private readonly emit: Emit) {}

  update(service: Service, tasks: readonly Task[], activeNodes: ReadonlySet<string>, rollback: boolean): boolean {
    const r = service.Spec.Mode.Replicated?.Replicas;
    if (r === undefined || r === null) throw new CliError('no replica count');
    const replicas = r;
    if (!this.initialized) {
      this.slotMap = new Map();
      writeOverallProgress(this.emit, 0, replicas, rollback);
      if (replicas <= MAX_PROGRESS_BARS) {
        for (let i = 1; i <= replicas; i++) this.emit(progressMessage({ id: `${i}/${replicas}`, action: ' ' }));
      }
      this.initialized = true;
    }
    const bySlot = tasksBySlot(tasks, activeNodes);
    if (this.done) {
      for (const t of bySlot.values()) {
        if (t.Status?.State !== 'running') {
          this.done = false;
          break;
        }
      }
    }
    let running = 0;
    for (const [slot, task] of bySlot) {
      let mapped = this.slotMap.get(slot) ?? 0;
      if (mapped === 0) {
        mapped = this.slotMap.size + 1;
        this.slotMap.set(slot, mapped);
      }
      if (!terminalState(task.DesiredState) && task.Status?.State === 'running') running++;
      this.writeTaskProgress(task, mapped, replicas);
    }
    if (!this.done) {
      writeOverallProgress(this.emit, running, replicas, rollback);
      if (running === replicas) this.done = true;
    }
    return running === replicas;
  }

  private writeTaskProgress(task: Task, mapped: number, replicas: number): void {
    if (this.done || replicas > MAX_PROGRESS_BARS || mapped > replicas) return;
    const id = `${mapped}/${replicas}`;
    const err = task.Status?.Err ?? '';
    if (err !== '') {
      this.emit(progressMessage({ id, action: truncError(err) }));
      return;
    }
    if (!terminalState(task.DesiredState) && !terminalState(task.Status?.State)) {
      this.emit(progressMessage({ id, action: padState(task.Status?.State), current: num(task.Status?.State), total: MAX_PROGRESS, hideCounts: true }));
    }
  }
}

/** Per slot, the task with the lowest desired state (then the lowest observed state), on an active node. */
function tasksBySlot(tasks: readonly Task[], activeNodes: ReadonlySet<string>): Map<number, Task> {
  const bySlot = new Map<number, Task>();
  for (const task of tasks) {
    if (num(task.DesiredState) === 0 || num(task.Status?.State) === 0) continue;
    const slot = task.Slot ?? 0;
    const existing = bySlot.get(slot);
    if (existing !== undefined) {
      if (num(existing.DesiredState) < num(task.DesiredState)) continue;
      if (num(existing.DesiredState) === num(task.DesiredState) && num(existing.Status?.State) <= num(task.Status?.State)) continue;
    }
    if ((task.NodeID ?? '') !== '' && !activeNodes.has(task.NodeID as string)) continue;
    bySlot.set(slot, task);
  }
  return new Map([...bySlot].sort((a, b) => a[0] - b[0]));
}

class GlobalUpdater implements Updater {
  private initialized = false;
  private done = false;
  constructor(private readonly emit: Emit) {}

  update(_service: Service, tasks: readonly Task[], activeNodes: ReadonlySet<string>, rollback: boolean): boolean {
    const byNode = new Map<string, Task>();
    for (const task of tasks) {
      if (num(task.DesiredState) === 0 || num(task.Status?.State) === 0) continue;
      const node = task.NodeID ?? '';
      const existing = byNode.get(node);
      if (existing !== undefined) {
        if (num(existing.DesiredState) < num(task.DesiredState)) continue;
        if (num(existing.DesiredState) === num(task.DesiredState) && num(existing.Status?.State) <= num(task.Status?.State)) continue;
      }
      byNode.set(node, task);
    }
    const nodeCount = byNode.size;
    if (!this.initialized) {
      if (nodeCount === 0) {
        this.emit(progressMessage({ id: 'overall progress', action: 'waiting for new tasks' }));
        return false;
      }
      writeOverallProgress(this.emit, 0, nodeCount, rollback);
      this.initialized = true;
    }
    if (this.done) {
      for (const t of byNode.values()) {
        if (t.Status?.State !== 'running') {
          this.done = false;
          break;
        }
      }
    }
    let running = 0;
    for (const task of byNode.values()) {
      if (!activeNodes.has(task.NodeID ?? '')) continue;
      if (!terminalState(task.DesiredState) && task.Status?.State === 'running') running++;
      this.writeTaskProgress(task, nodeCount);
    }
    if (!this.done) {
      writeOverallProgress(this.emit, running, nodeCount, rollback);
      if (running === nodeCount) this.done = true;
    }
    return running === nodeCount;
  }

  private writeTaskProgress(task: Task, nodeCount: number): void {
    if (this.done || nodeCount > MAX_PROGRESS_BARS) return;
    const id = (task.NodeID ?? '').slice(0, 12);
    const err = task.Status?.Err ?? '';
    if (err !== '') {
      this.emit(progressMessage({ id, action: truncError(err) }));
      return;
    }
    if (!terminalState(task.DesiredState) && !terminalState(task.Status?.State)) {
      this.emit(progressMessage({ id, action: padState(task.Status?.State), current: num(task.Status?.State), total: MAX_PROGRESS, hideCounts: true }));
    }
  }
}

const jobIteration = (s: Service): number => s.JobStatus?.JobIteration.Index ?? 0;

class ReplicatedJobUpdater implements Updater {
  private initialized = false;
  private readonly concurrent: number;
  private readonly total: number;
  private readonly iteration: number;
  private readonly progressDigits: number;
  private readonly activeDigits: number;

  constructor(
    private readonly emit: Emit,
    service: Service,
  ) {
    const job = service.Spec.Mode.ReplicatedJob ?? {};
    this.concurrent = job.MaxConcurrent ?? 0;
    this.total = job.TotalCompletions ?? 0;
    this.iteration = jobIteration(service);
    this.progressDigits = String(this.total).length;
    this.activeDigits = String(this.concurrent).length;
  }

  update(_service: Service, tasks: readonly Task[]): boolean {
    if (!this.initialized) {
      this.writeOverallProgress(0, 0);
      if (this.total <= MAX_PROGRESS_BARS) {
        for (let i = 1; i <= this.total; i++) this.emit(progressMessage({ id: `${i}/${this.total}`, action: ' ' }));
      }
      this.initialized = true;
    }
    const bySlot = new Map<number, Task>();
    for (const task of tasks) {
      if (task.JobIteration === undefined || task.JobIteration === null || task.JobIteration.Index !== this.iteration) continue;
      if (num(task.DesiredState) === 0 || num(task.Status?.State) === 0) continue;
      const slot = task.Slot ?? 0;
      const existing = bySlot.get(slot);
      if (existing === undefined || num(existing.Status?.State) > num(task.Status?.State)) bySlot.set(slot, task);
    }
    let active = 0;
    let complete = 0;
    for (let i = 0; i < bySlot.size; i++) {
      const task: Task = bySlot.get(i) ?? { ID: '' };
      this.writeTaskProgress(task);
      if (num(task.Status?.State) < (NUMBERED_STATES.complete as number)) active++;
      if (task.Status?.State === 'complete') complete++;
    }
    this.writeOverallProgress(active, complete);
    return complete === this.total;
  }

  private writeOverallProgress(active: number, completed: number): void {
    this.emit(
      progressMessage({
        id: 'job progress',
        action: `${String(completed).padStart(this.progressDigits, ' ')} out of ${this.total} complete`,
        current: completed,
        total: this.total,
        hideCounts: true,
      }),
    );
    const desired = Math.min(this.total - completed, this.concurrent);
    const w = this.activeDigits;
    this.emit(progressMessage({ id: 'active tasks', action: `${String(active).padStart(w, ' ')} out of ${String(desired).padStart(w, ' ')} tasks` }));
  }

  private writeTaskProgress(task: Task): void {
    if (this.total > MAX_PROGRESS_BARS) return;
    const id = `${(task.Slot ?? 0) + 1}/${this.total}`;
    const err = task.Status?.Err ?? '';
    if (err !== '') {
      this.emit(progressMessage({ id, action: truncError(err) }));
      return;
    }
    this.emit(progressMessage({ id, action: padState(task.Status?.State), current: num(task.Status?.State), total: MAX_JOB_PROGRESS, hideCounts: true }));
  }
}

class GlobalJobUpdater implements Updater {
  private initialized = false;
  private total = 0;
  private progressDigits = 1;
  private taskNodes = new Set<string>();
  constructor(private readonly emit: Emit) {}

  update(service: Service, tasks: readonly Task[], activeNodes: ReadonlySet<string>): boolean {
    const iteration = jobIteration(service);
    if (!this.initialized) {
      if (tasks.length === 0 && activeNodes.size !== 0) {
        this.emit(progressMessage({ id: 'job progress', action: 'waiting for tasks' }));
        return false;
      }
      this.taskNodes = new Set();
      for (const task of tasks) {
        if (task.JobIteration?.Index !== iteration) continue;
        this.taskNodes.add(task.NodeID ?? '');
      }
      this.total = this.taskNodes.size;
      this.progressDigits = String(this.total).length;
      this.writeOverallProgress(0);
      this.initialized = true;
    }
    const byNode = new Map<string, Task>();
    for (const task of tasks) {
      if (task.JobIteration?.Index !== iteration) continue;
      const node = task.NodeID ?? '';
      if (!this.taskNodes.has(node)) continue;
      const old = byNode.get(node);
      if (old === undefined || num(old.Status?.State) > num(task.Status?.State)) byNode.set(node, task);
    }
    let complete = 0;
    for (const task of byNode.values()) {
      this.writeTaskProgress(task);
      if (task.Status?.State === 'complete') complete++;
    }
    this.writeOverallProgress(complete);
    return complete === this.total;
  }

  private writeTaskProgress(task: Task): void {
    if (this.total > MAX_PROGRESS_BARS) return;
    const id = task.NodeID ?? '';
    const err = task.Status?.Err ?? '';
    if (err !== '') {
      this.emit(progressMessage({ id, action: truncError(err) }));
      return;
    }
    this.emit(progressMessage({ id, action: padState(task.Status?.State), current: num(task.Status?.State), total: MAX_JOB_PROGRESS, hideCounts: true }));
  }

  private writeOverallProgress(complete: number): void {
    this.emit(
      progressMessage({
        id: 'job progress',
        action: `${String(complete).padStart(this.progressDigits, ' ')} out of ${this.total} complete`,
        current: complete,
        total: this.total,
        hideCounts: true,
      }),
    );
  }
}

function initializeUpdater(service: Service, emit: Emit): Updater {
  const mode = service.Spec.Mode;
  if (mode.Replicated && mode.Replicated.Replicas !== undefined && mode.Replicated.Replicas !== null) return new ReplicatedUpdater(emit);
  if (mode.Global) return new GlobalUpdater(emit);
  if (mode.ReplicatedJob) return new ReplicatedJobUpdater(emit, service);
  if (mode.GlobalJob) return new GlobalJobUpdater(emit);
  throw new CliError('unrecognized service mode');
}

/** What the loop needs from its surroundings: the terminal, a clock, and a 200 ms pause the user can interrupt. */
export interface WaitEnvironment {
  /** stdout is a terminal: redraw lines in place. */
  tty: boolean;
  /** Terminal width (docker draws bars above 110 columns). */
  columns?: number | undefined;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Waits `ms`; resolves true at once if the user interrupted (now or earlier). */
  pause: (ms: number) => Promise<boolean>;
  /** Aborted when the user interrupts: cancels a request in flight, so the loop ends at once. */
  signal?: AbortSignal | undefined;
}

/** The real environment: process stdout, the wall clock, SIGINT. `dispose()` removes the signal handler. */
export function processWaitEnvironment(terminal: Terminal): WaitEnvironment & { dispose(): void } {
  const ac = new AbortController();
  const undo = terminal.onSignals(['SIGINT'], () => ac.abort());
  return {
    tty: terminal.stdoutIsTTY,
    columns: terminal.size()?.columns,
    now: () => Date.now(),
    pause: (ms) =>
      new Promise<boolean>((resolve) => {
        if (ac.signal.aborted) {
          resolve(true);
          return;
        }
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          ac.signal.removeEventListener('abort', onAbort);
          resolve(false);
        }, ms);
        ac.signal.addEventListener('abort', onAbort, { once: true });
      }),
    signal: ac.signal,
    dispose: undo,
  };
}

export interface WaitOptions {
  /** -q: no output, but still wait. */
  quiet?: boolean;
}

/**
 * WaitOnService / ServiceProgress: polls until the service converged (and stayed so for the monitor window), its
 * update paused, or the user interrupted. `ref` is what the user typed (or the new ID after create); the closing
 * "verify: Service <ref> converged" names it.
 */
export async function waitOnService(ctx: CliContext, client: EngineClient, ref: string, env: WaitEnvironment, o: WaitOptions = {}): Promise<void> {
  const display = o.quiet === true ? undefined : new ProgressDisplay(ctx.out, { tty: env.tty, ...(env.columns !== undefined ? { columns: env.columns } : {}), now: env.now });
  const emit: Emit = (m) => display?.show(m);
  let updater: Updater | undefined;
  let converged = false;
  let convergedAt: number | undefined;
  let monitorMs = DEFAULT_MONITOR_NS / 1e6;
  let rollback = false;
  let message: JSONMessage | undefined;

  const interrupted = (): void => {
    if (!converged) {
      emit(statusMessage('', 'Operation continuing in background.'));
      emit(statusMessage('', `Use \`${ctx.binName} service ps ${ref}\` to check progress.`));
    }
  };
  /** A call of the loop; interrupted by the user, it ends the loop the way an interrupted pause does. */
  const call = async <T>(f: () => Promise<T>): Promise<T | typeof INTERRUPTED> => {
    try {
      return await f();
    } catch (e) {
      if (env.signal?.aborted === true) return INTERRUPTED;
      throw e;
    }
  };

  for (;;) {
    const service = await call(() => serviceInspect(client, ref, { insertDefaults: false, signal: env.signal }));
    if (service === INTERRUPTED) return interrupted();
    const monitor = service.Spec.UpdateConfig?.Monitor ?? 0;
    if (monitor !== 0) monitorMs = monitor / 1e6;
    updater ??= initializeUpdater(service, emit);

    const status = service.UpdateStatus;
    if (status !== undefined && status !== null) {
      switch (status.State) {
        case 'updating':
          rollback = false;
          break;
        case 'completed':
          if (!converged) return;
          break;
        case 'paused':
          throw new CliError(`service update paused: ${status.Message ?? ''}`);
        case 'rollback_started':
          if (!rollback && (status.Message ?? '') !== '') emit(progressMessage({ id: 'rollback', action: status.Message as string }));
          rollback = true;
          break;
        case 'rollback_paused':
          throw new CliError(`service rollback paused: ${status.Message ?? ''}`);
        case 'rollback_completed':
          if (!converged) message = statusMessage('rollback', status.Message ?? '');
          rollback = true;
          break;
        case '':
        case undefined:
          break;
      }
    }
    if (converged && convergedAt !== undefined && env.now() - convergedAt >= monitorMs) {
      emit(progressMessage({ id: 'verify', action: `Service ${ref} converged` }));
      if (message !== undefined) emit(message);
      return;
    }

    const tasks = await call(() => taskList(client, { service: { [service.ID]: true }, '_up-to-date': { true: true } }, env.signal));
    if (tasks === INTERRUPTED) return interrupted();
    const nodes = await call(() => nodeList(client, undefined, env.signal));
    if (nodes === INTERRUPTED) return interrupted();
    const active = new Set<string>();
    for (const n of nodes) if (n.Status.State !== 'down') active.add(n.ID);

    converged = updater.update(service, tasks, active, rollback);
    if (converged) {
      if (service.JobStatus !== undefined && service.JobStatus !== null) {
        emit(statusMessage('', 'job complete'));
        return;
      }
      convergedAt ??= env.now();
      // time.Since is never 0 (a microsecond, say), so a 5 s window first reads "Waiting 5 seconds", as with docker
      const wait = monitorMs - Math.max(env.now() - convergedAt, 1e-3);
      if (wait >= 0) emit(progressMessage({ id: 'verify', action: `Waiting ${Math.trunc(wait / 1000) + 1} seconds to verify that tasks are stable...` }));
    } else {
      if (convergedAt !== undefined) emit(progressMessage({ id: 'verify', action: 'Detected task failure' }));
      convergedAt = undefined;
    }

    if (await env.pause(POLL_MS)) return interrupted();
  }
}
