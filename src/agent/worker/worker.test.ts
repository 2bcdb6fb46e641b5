import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TaskState, type TaskStateName } from '../../api/task-state.js';
import type { ContainerSpec, TaskStatus } from '../../api/types.js';
import { captureLogger, type LogRecord } from '../../lib/logger.js';
import { anAgentTask } from '../../../test/contracts/controller.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { FakeExecutor } from '../../../test/fakes/executor.js';
import type { AgentTask } from '../exec/controller.js';
import type { StatusReporter, StatusUpdate } from './types.js';
import { Worker } from './worker.js';

const IMAGE = 'busybox:latest';

class RecordingReporter implements StatusReporter {
  readonly sent: StatusUpdate[][] = [];
  failing = false;
  attempts = 0;
  /** While set, a call records its updates, then waits for it (a slow dispatcher). */
  slow: Promise<void> | undefined;
  async reportStatus(updates: StatusUpdate[]): Promise<void> {
    this.attempts++;
    if (this.failing) throw new Error('dispatcher unavailable');
    this.sent.push(structuredClone(updates));
    if (this.slow) await this.slow;
  }
  /** Every state reported for the task, in order. */
  states(taskId: string): TaskStateName[] {
    return this.sent.flat().filter((u) => u.taskId === taskId).map((u) => u.status.State);
  }
  last(taskId: string): TaskStatus | undefined {
    return this.sent.flat().filter((u) => u.taskId === taskId).at(-1)?.status;
  }
}

interface Harness extends AsyncDisposable {
  dir: string;
  clock: FakeClock;
  executor: FakeExecutor;
  reporter: RecordingReporter;
  worker: Worker;
  logs: LogRecord[];
  /** Awaits a condition: drains callbacks, moves the fake clock to its next timer, up to a real-time deadline. */
  until(cond: () => boolean, what: string): Promise<void>;
  /** Lets pending callbacks run without moving the clock. */
  drain(): Promise<void>;
  stop(): Promise<void>;
  /** A new worker on the same store and executor, as after an agent restart (the containers outlived it). */
  restart(): Promise<void>;
}

async function aWorker(o: { dir?: string; clock?: FakeClock; executor?: FakeExecutor; start?: boolean } = {}): Promise<Harness> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'shoal-worker-'));
  const clock = o.clock ?? new FakeClock();
  const executor = o.executor ?? new FakeExecutor(clock, { images: [IMAGE] });
  const reporter = new RecordingReporter();
  const logs: LogRecord[] = [];
  const make = (): Worker => new Worker({ executor, reporter, storeDir: dir, clock, logger: captureLogger(logs) });
  let ac = new AbortController();
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const h: Harness = {
    dir,
    clock,
    executor,
    reporter,
    worker: make(),
    logs,
    drain,
    until: async (cond, what) => {
      const deadline = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await drain();
        if (cond()) break;
        const next = clock.nextDeadline;
        if (next !== undefined) clock.advance(Math.min(Math.max(next - clock.now(), 0), 1000));
        else await new Promise((r) => setTimeout(r, 1));
      }
    },
    stop: async () => {
      ac.abort();
      await running;
      running = undefined;
    },
    restart: async () => {
      await h.stop();
      h.worker = make();
      ac = new AbortController();
      running = h.worker.run(ac.signal);
    },
    [Symbol.asyncDispose]: async () => {
      await h.stop();
      if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  if (o.start !== false) running = h.worker.run(ac.signal);
  else {
    // Callers start it later with restart().
    running = undefined;
  }
  return h;
}

const task = (container: Partial<ContainerSpec> = {}, over: Partial<AgentTask> = {}): AgentTask =>
  anAgentTask(IMAGE, { Command: ['fake'], Args: ['sleep'], ...container }, over);
const withDesired = (t: AgentTask, desired: TaskStateName): AgentTask => ({ ...t, DesiredState: desired });
const stateOf = (h: Harness, id: string): TaskStateName | undefined => h.worker.status(id)?.State;
const increasing = (states: TaskStateName[]): boolean => states.every((s, i) => i === 0 || TaskState[s] > TaskState[states[i - 1]!]);

describe('worker: running tasks', () => {
  it('runs an assigned task to running, persisting and reporting each state in order', async () => {
    await using h = await aWorker();
    const t = task();
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => h.reporter.last(t.ID)?.State === 'running', 'running reported');
    const states = h.reporter.states(t.ID);
    assert.ok(increasing(states), `states only move forward: ${states.join(' → ')}`);
    assert.deepEqual(h.executor.calls.filter((c) => c.op !== 'health' && c.op !== 'wait').map((c) => c.op), ['prepare', 'start']);
    const s = h.worker.status(t.ID)!;
    assert.equal(s.Message, 'started');
    assert.equal(s.ContainerStatus?.ContainerID, h.executor.containers.get(t.ID)!.id);
    assert.ok((s.ContainerStatus?.PID ?? 0) > 0);
    assert.ok(Date.parse(s.Timestamp) <= h.clock.now() && Date.parse(s.Timestamp) >= Date.UTC(2024, 0, 1), 'timestamps come from the clock');
    assert.ok(existsSync(join(h.dir, 'tasks', `${t.ID}.json`)), 'the task is recorded');
  });

  it('coalesces the statuses that pile up while the dispatcher is slow to answer into one batch', async () => {
    await using h = await aWorker();
    let answer!: () => void;
    h.reporter.slow = new Promise<void>((r) => (answer = r));
    const a = task();
    const b = task();
    h.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: a }, { action: 'update', task: b }] });
    await h.until(() => stateOf(h, a.ID) === 'running' && stateOf(h, b.ID) === 'running', 'both running');
    assert.equal(h.reporter.sent.length, 1, 'one call in flight');
    h.reporter.slow = undefined;
    answer();
    await h.until(() => h.reporter.sent.length === 2, 'the next batch');
    assert.deepEqual(
      h.reporter.sent[1]!.map((u) => [u.taskId, u.status.State]),
      [
        [a.ID, 'running'],
        [b.ID, 'running'],
      ],
      'only the latest status of each task',
    );
  });

  it('holds a task at ready until its desired state is running (restart delay, start-first)', async () => {
    await using h = await aWorker();
    const t = task({}, { DesiredState: 'ready' });
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'ready', 'ready');
    h.clock.advance(60_000);
    await h.drain();
    assert.equal(stateOf(h, t.ID), 'ready', 'held at ready');
    assert.equal(h.executor.containers.get(t.ID)?.state, 'created', 'prepared, not started');
    h.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: withDesired(t, 'running') }] });
    await h.until(() => stateOf(h, t.ID) === 'running', 'running');
    assert.equal(h.executor.containers.get(t.ID)?.starts, 1);
  });

  it('desired shutdown stops the container and reports shutdown with its exit code', async () => {
    await using h = await aWorker();
    const t = task();
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'running', 'running');
    h.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: withDesired(t, 'shutdown') }] });
    await h.until(() => h.reporter.last(t.ID)?.State === 'shutdown', 'shutdown reported');
    const s = h.worker.status(t.ID)!;
    assert.equal(s.Message, 'shutdown');
    assert.equal(s.ContainerStatus?.ExitCode, 143);
    assert.equal(h.executor.containers.get(t.ID)?.state, 'exited');
  });

  it('desired shutdown cancels a slow prepare and never starts the task', async () => {
    await using h = await aWorker();
    const t = task();
    h.executor.gate('prepare', t.ID);
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'preparing', 'preparing');
    h.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: withDesired(t, 'shutdown') }] });
    await h.until(() => stateOf(h, t.ID) === 'shutdown', 'shutdown');
    assert.ok(!h.executor.calls.some((c) => c.op === 'start'));
  });

  it('a container exiting 1 fails the task with "task: non-zero exit (1)"; exiting 0 completes it', async () => {
    await using h = await aWorker();
    const bad = task();
    const good = task({}, { DesiredState: 'complete' });
    h.worker.apply({ type: 'complete', tasks: [bad, good] });
    await h.until(() => stateOf(h, bad.ID) === 'running' && stateOf(h, good.ID) === 'running', 'both running');
    h.executor.exit(bad.ID, 1);
    h.executor.exit(good.ID, 0);
    await h.until(() => h.reporter.last(bad.ID)?.State === 'failed' && h.reporter.last(good.ID)?.State === 'complete', 'both ended');
    assert.deepEqual(
      { Message: h.worker.status(bad.ID)!.Message, Err: h.worker.status(bad.ID)!.Err, ExitCode: h.worker.status(bad.ID)!.ContainerStatus?.ExitCode },
      { Message: 'failed', Err: 'task: non-zero exit (1)', ExitCode: 1 },
    );
    assert.equal(h.worker.status(good.ID)!.Message, 'finished');
    assert.equal(h.worker.status(good.ID)!.Err, undefined);
  });

  it("a missing image rejects the task with docker's error", async () => {
    await using h = await aWorker();
    const t = anAgentTask('nosuch/image', { Command: ['fake'], Args: ['sleep'] });
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => h.reporter.last(t.ID)?.State === 'rejected', 'rejected');
    assert.equal(h.worker.status(t.ID)!.Err, 'No such image: nosuch/image:latest');
    assert.equal(h.worker.status(t.ID)!.Message, 'rejected');
  });

  it('a start failure fails the task with the error', async () => {
    await using h = await aWorker();
    const t = task({ Command: ['/nonexistent/binary'], Args: [] });
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => h.reporter.last(t.ID)?.State === 'failed', 'failed');
    assert.match(h.worker.status(t.ID)!.Err ?? '', /^starting container failed: /);
  });

  it('with a healthcheck the task is running only once healthy; an unhealthy one is stopped and failed', async () => {
    await using h = await aWorker();
    const healthy = task({ Healthcheck: { Test: ['CMD', 'fake', 'exit', '0'], Interval: 5_000_000_000, Retries: 2 } });
    const sick = task({ Healthcheck: { Test: ['CMD', 'fake', 'exit', '1'], Interval: 5_000_000_000, Retries: 2 } });
    h.worker.apply({ type: 'complete', tasks: [healthy, sick] });
    await h.until(() => stateOf(h, healthy.ID) === 'starting' && h.executor.containers.get(healthy.ID)?.state === 'running', 'started, not yet healthy');
    const started = h.clock.now();
    await h.until(() => stateOf(h, healthy.ID) === 'running', 'healthy → running');
    assert.ok(h.clock.now() - started >= 5000, 'running only after the first probe passed');
    await h.until(() => stateOf(h, sick.ID) === 'failed', 'unhealthy → failed');
    assert.equal(h.worker.status(sick.ID)!.Err, 'task: non-zero exit (143): unhealthy container');
    assert.equal(h.executor.containers.get(sick.ID)?.state, 'exited', 'the unhealthy container was stopped');
  });

  it('a task turning unhealthy while running fails', async () => {
    await using h = await aWorker();
    const t = task({ Healthcheck: { Test: ['CMD', 'fake', 'exit', '0'], Interval: 1_000_000_000, Retries: 1 } });
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'running', 'running');
    h.executor.containers.get(t.ID)!.health = 'unhealthy';
    await h.until(() => stateOf(h, t.ID) === 'failed', 'failed');
    assert.equal(h.worker.status(t.ID)!.Err, 'task: non-zero exit (143): unhealthy container');
  });
});

describe('worker: assignments', () => {
  it('stops, removes and forgets a task that disappears from a complete assignment', async () => {
    await using h = await aWorker();
    const keep = task();
    const gone = task();
    h.worker.apply({ type: 'complete', tasks: [keep, gone] });
    await h.until(() => stateOf(h, keep.ID) === 'running' && stateOf(h, gone.ID) === 'running', 'running');
    h.worker.apply({ type: 'complete', tasks: [keep] });
    await h.until(() => !h.executor.containers.has(gone.ID), 'container removed');
    await h.until(() => !existsSync(join(h.dir, 'tasks', `${gone.ID}.json`)), 'record deleted');
    assert.deepEqual(
      h.executor.calls.filter((c) => c.taskId === gone.ID && (c.op === 'shutdown' || c.op === 'remove')).map((c) => c.op),
      ['shutdown', 'remove'],
      'stopped before removed',
    );
    assert.deepEqual(h.worker.tasks().map((r) => r.task.ID), [keep.ID]);
    assert.equal(h.executor.containers.get(keep.ID)?.state, 'running', 'the other task is untouched');
  });

  it('an incremental remove does the same', async () => {
    await using h = await aWorker();
    const t = task();
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'running', 'running');
    h.worker.apply({ type: 'incremental', changes: [{ action: 'remove', task: t }] });
    await h.until(() => !h.executor.containers.has(t.ID) && !existsSync(join(h.dir, 'tasks', `${t.ID}.json`)), 'removed');
    const reportsBefore = h.reporter.sent.length;
    await h.until(() => h.clock.pendingSleeps === 0, 'quiet');
    assert.equal(h.reporter.sent.length, reportsBefore, 'nothing more is reported for it');
  });

  it('ignores a task whose ID cannot name a file', async () => {
    await using h = await aWorker();
    const t = task({}, { ID: '../escape' });
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.drain();
    assert.deepEqual(h.worker.tasks(), []);
    assert.ok(h.logs.some((l) => l.level === 'error' && l.msg?.includes('invalid ID')));
  });

  it('keeps its own later status over an older assignment copy, without re-reporting an acknowledged one', async () => {
    await using h = await aWorker();
    const t = task();
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => h.reporter.last(t.ID)?.State === 'running', 'running reported');
    const sent = h.reporter.sent.length;
    // The dispatcher echoes the task with an older status: ours stands, and was already acknowledged.
    h.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: t }] });
    await h.drain();
    assert.equal(stateOf(h, t.ID), 'running');
    assert.equal(h.reporter.sent.length, sent, 'no duplicate report of an acknowledged status');
  });
});

describe('worker: reporting', () => {
  it('retries failed reports with backoff and sends only the latest status per task', async () => {
    await using h = await aWorker();
    h.reporter.failing = true;
    const t = task();
    h.worker.apply({ type: 'complete', tasks: [t] });
    await h.until(() => stateOf(h, t.ID) === 'running' && h.reporter.attempts >= 3, 'running, reports failing');
    assert.equal(h.reporter.sent.length, 0);
    h.reporter.failing = false;
    await h.until(() => h.reporter.sent.length > 0, 'a report got through');
    assert.deepEqual(h.reporter.sent, [[{ taskId: t.ID, status: h.worker.status(t.ID) }]], 'one batch with the latest status only');
    assert.ok(h.logs.some((l) => l.level === 'warn' && l.msg === 'reporting task status failed'));
  });
});

describe('worker: restart', () => {
  it('resumes after a restart: reloads its tasks, reports them again, adopts running containers, sees exits', async () => {
    const clock = new FakeClock();
    const executor = new FakeExecutor(clock, { images: [IMAGE] });
    await using h = await aWorker({ clock, executor });
    const stays = task();
    const dies = task();
    const held = task({}, { DesiredState: 'ready' });
    h.worker.apply({ type: 'complete', tasks: [stays, dies, held] });
    await h.until(() => stateOf(h, stays.ID) === 'running' && stateOf(h, dies.ID) === 'running' && stateOf(h, held.ID) === 'ready', 'all up');
    await h.stop();
    // While the agent is down: one container exits; the others keep running.
    executor.exit(dies.ID, 2);
    const before = h.reporter.sent.length;
    await h.restart();
    await h.until(() => h.reporter.last(dies.ID)?.State === 'failed', 'the exit is reported');
    assert.equal(h.worker.status(dies.ID)!.Err, 'task: non-zero exit (2)');
    await h.until(() => h.reporter.sent.slice(before).flat().some((u) => u.taskId === stays.ID), 'the running task reported again');
    assert.equal(stateOf(h, stays.ID), 'running');
    assert.equal(executor.containers.get(stays.ID)?.starts, 1, 'the running container was adopted, not started again');
    assert.equal(stateOf(h, held.ID), 'ready', 'still held at ready');
    // The session then delivers the complete set: the held task is released.
    h.worker.apply({ type: 'complete', tasks: [stays, dies, withDesired(held, 'running')] });
    await h.until(() => stateOf(h, held.ID) === 'running', 'released after the restart');
  });

  it('a complete assignment after a restart drops tasks the node no longer has', async () => {
    const clock = new FakeClock();
    const executor = new FakeExecutor(clock, { images: [IMAGE] });
    await using h = await aWorker({ clock, executor });
    const a = task();
    const b = task();
    h.worker.apply({ type: 'complete', tasks: [a, b] });
    await h.until(() => stateOf(h, a.ID) === 'running' && stateOf(h, b.ID) === 'running', 'running');
    await h.stop();
    const w = new Worker({ executor, reporter: h.reporter, storeDir: h.dir, clock, logger: captureLogger() });
    // Applied before run: the drop waits for run to remove the container.
    w.apply({ type: 'complete', tasks: [a] });
    assert.deepEqual(w.tasks().map((r) => r.task.ID), [a.ID]);
    const ac = new AbortController();
    const running = w.run(ac.signal);
    await h.until(() => !executor.containers.has(b.ID), 'b removed');
    assert.ok(!existsSync(join(h.dir, 'tasks', `${b.ID}.json`)));
    assert.equal(executor.containers.get(a.ID)?.state, 'running');
    ac.abort();
    await running;
  });

  it('drops unreadable records and leftovers of interrupted writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-worker-'));
    try {
      await using h = await aWorker({ dir });
      const t = task();
      h.worker.apply({ type: 'complete', tasks: [t] });
      await h.until(() => stateOf(h, t.ID) === 'running', 'running');
      await h.stop();
      writeFileSync(join(dir, 'tasks', 'broken0000000000000000000.json'), '{"task":');
      writeFileSync(join(dir, 'tasks', `${t.ID}.json.tmp-1234`), 'partial');
      const w = new Worker({ executor: h.executor, reporter: h.reporter, storeDir: dir, clock: h.clock, logger: captureLogger() });
      assert.deepEqual(w.tasks().map((r) => [r.task.ID, r.status.State]), [[t.ID, 'running']]);
      assert.deepEqual(readdirSync(join(dir, 'tasks')), [`${t.ID}.json`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
