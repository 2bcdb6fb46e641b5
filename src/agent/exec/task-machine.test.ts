import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_TASK_STATES, TaskState, canTransition, isTerminal, type TaskStateName } from '../../api/task-state.js';
import type { HealthVerdict } from './controller.js';
import { MESSAGES, UNHEALTHY, exitError, next, type Action, type MachineInput, type Observed, type Operation, type Outcome } from './task-machine.js';

const OK: Outcome = { ok: true };
const err = (error: string): Outcome => ({ ok: false, error });

/** Every combination of facts a task manager can have gathered. */
function allObservations(): Observed[] {
  const out: Observed[] = [];
  for (const prepare of [undefined, OK, err('No such image: x:latest')])
    for (const start of [undefined, OK, err('starting container failed: boom')])
      for (const health of [undefined, 'none', 'healthy', 'unhealthy'] as const)
        for (const exit of [undefined, { exitCode: 0 }, { exitCode: 1 }, { exitCode: 137 }])
          for (const waitError of [undefined, 'lost the container'])
            for (const shutdown of [undefined, OK, err('stop failed')]) {
              const o: Observed = {};
              if (prepare) o.prepare = prepare;
              if (start) o.start = start;
              if (health) o.health = health;
              if (exit) o.exit = exit;
              if (waitError !== undefined) o.waitError = waitError;
              if (shutdown) o.shutdown = shutdown;
              out.push(o);
            }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const at = (s: TaskStateName): number => TaskState[s];
const FORWARD: Partial<Record<TaskStateName, TaskStateName>> = {
  new: 'accepted',
  pending: 'accepted',
  assigned: 'accepted',
  accepted: 'preparing',
  preparing: 'ready',
  ready: 'starting',
  starting: 'running',
  running: 'complete',
};

describe('task machine: exhaustively over state × desired × observations', () => {
  const observations = allObservations();

  it('checks every combination', () => {
    let checked = 0;
    for (const state of ALL_TASK_STATES) {
      for (const desired of ALL_TASK_STATES) {
        for (const observed of observations) {
          const input: MachineInput = deepFreeze({ state, desired, observed });
          const a = next(input);
          const where = `${state} (desired ${desired}) ${JSON.stringify(observed)} → ${JSON.stringify(a)}`;
          assert.deepEqual(next(input), a, `deterministic: ${where}`);
          checkInvariants(input, a, where);
          checked++;
        }
      }
    }
    assert.equal(checked, ALL_TASK_STATES.length ** 2 * observations.length);
  });
});

function checkInvariants({ state, desired, observed: o }: MachineInput, a: Action, where: string): void {
  if (isTerminal(state)) {
    assert.equal(a.kind, 'done', `terminal states do nothing: ${where}`);
    return;
  }
  assert.notEqual(a.kind, 'done', `only terminal states are done: ${where}`);
  if (a.kind === 'report') {
    assert.ok(canTransition(state, a.state), `never backwards: ${where}`);
    assert.equal(a.message, MESSAGES[a.state as keyof typeof MESSAGES], `swarm's message: ${where}`);
    const failure = a.state === 'failed' || a.state === 'rejected';
    assert.equal(failure, a.err !== undefined, `an Err exactly on failures: ${where}`);
    if (a.state === 'rejected') assert.ok(at(state) < TaskState.starting, `rejected only before starting: ${where}`);
    if (a.state === 'failed') assert.ok(at(state) >= TaskState.starting, `failed only from starting on: ${where}`);
    if (!failure && a.state !== 'shutdown') assert.equal(a.state, FORWARD[state], `one step forward: ${where}`);
  }

  if (at(desired) >= TaskState.shutdown) {
    if (o.shutdown?.ok) assert.equal(a.kind === 'report' && a.state, 'shutdown', `stopped → shutdown: ${where}`);
    else if (o.shutdown) assert.ok(a.kind === 'report' && a.err === o.shutdown.error, `a failed stop is fatal: ${where}`);
    else assert.deepEqual(a, { kind: 'run', op: 'shutdown' }, `desired shutdown stops: ${where}`);
    return;
  }

  // Below: the task should run (or wait at ready).
  if (a.kind === 'report' && a.state === 'shutdown') assert.fail(`shutdown only when desired: ${where}`);
  if (a.kind === 'report' && a.state === 'starting') assert.ok(at(desired) > TaskState.ready, `the READY gate: ${where}`);
  if (a.kind === 'run') {
    const allowed: Record<Operation, TaskStateName[]> = {
      prepare: ['preparing'],
      start: ['starting'],
      health: ['starting'],
      wait: ['running'],
      shutdown: ['starting', 'running'],
    };
    assert.ok(allowed[a.op].includes(state), `${a.op} only in ${allowed[a.op].join('/')}: ${where}`);
    if (a.op === 'shutdown') assert.equal(o.health, 'unhealthy', `stops early only when unhealthy: ${where}`);
    if (a.op === 'health') assert.ok(o.start?.ok, `after a successful start: ${where}`);
  }
  if (a.kind === 'hold') {
    assert.ok(['new', 'pending', 'assigned', 'accepted', 'ready'].includes(state), `holds only before preparing or at ready: ${where}`);
    assert.ok(at(desired) <= at(state), `holds only while desired is not further: ${where}`);
  }
  if (a.kind === 'report' && a.state === 'complete') {
    assert.ok(state === 'running' && o.exit?.exitCode === 0 && o.health !== 'unhealthy', `complete only on exit 0: ${where}`);
    assert.equal(a.exitCode, 0);
  }
  if (a.kind === 'report' && a.state === 'running') {
    assert.ok(o.start?.ok, `running only once started: ${where}`);
    assert.ok(o.health === 'none' || o.health === 'healthy' || o.exit?.exitCode === 0, `running only when healthy (or done): ${where}`);
  }
  if (a.kind === 'report' && a.state === 'failed' && o.exit && o.start?.ok && o.health !== 'unhealthy') {
    assert.equal(a.err, exitError(o.exit.exitCode), `docker's exit error: ${where}`);
    assert.equal(a.exitCode, o.exit.exitCode);
  }
}

describe('task machine: the paths a task takes', () => {
  const step = (state: TaskStateName, desired: TaskStateName, observed: Observed = {}): Action => next({ state, desired, observed });

  it('walks assigned → accepted → preparing → (prepare) → ready → starting → (start, health) → running → (wait) → complete', () => {
    assert.deepEqual(step('assigned', 'running'), { kind: 'report', state: 'accepted', message: 'accepted' });
    assert.deepEqual(step('accepted', 'running'), { kind: 'report', state: 'preparing', message: 'preparing' });
    assert.deepEqual(step('preparing', 'running'), { kind: 'run', op: 'prepare' });
    assert.deepEqual(step('preparing', 'running', { prepare: OK }), { kind: 'report', state: 'ready', message: 'ready' });
    assert.deepEqual(step('ready', 'running', { prepare: OK }), { kind: 'report', state: 'starting', message: 'starting' });
    assert.deepEqual(step('starting', 'running', { prepare: OK }), { kind: 'run', op: 'start' });
    assert.deepEqual(step('starting', 'running', { start: OK }), { kind: 'run', op: 'health' });
    assert.deepEqual(step('starting', 'running', { start: OK, health: 'none' }), { kind: 'report', state: 'running', message: 'started' });
    assert.deepEqual(step('running', 'running', { start: OK, health: 'none' }), { kind: 'run', op: 'wait' });
    assert.deepEqual(step('running', 'running', { start: OK, exit: { exitCode: 0 } }), { kind: 'report', state: 'complete', message: 'finished', exitCode: 0 });
  });

  it('holds at ready until the desired state is past it (restart delay, start-first updates)', () => {
    assert.deepEqual(step('assigned', 'ready'), { kind: 'report', state: 'accepted', message: 'accepted' });
    assert.deepEqual(step('preparing', 'ready'), { kind: 'run', op: 'prepare' });
    assert.deepEqual(step('ready', 'ready', { prepare: OK }), { kind: 'hold' });
    assert.deepEqual(step('ready', 'running', { prepare: OK }), { kind: 'report', state: 'starting', message: 'starting' });
    assert.deepEqual(step('ready', 'complete', { prepare: OK }), { kind: 'report', state: 'starting', message: 'starting' }, 'jobs run to completion');
    assert.deepEqual(step('ready', 'shutdown', { prepare: OK }), { kind: 'run', op: 'shutdown' });
  });

  it('rejects a task whose prepare failed, with the error as Err', () => {
    assert.deepEqual(step('preparing', 'running', { prepare: err('No such image: x:latest') }), {
      kind: 'report',
      state: 'rejected',
      message: 'rejected',
      err: 'No such image: x:latest',
    });
  });

  it('fails a task whose start failed, or that exits non-zero', () => {
    assert.deepEqual(step('starting', 'running', { start: err('starting container failed: no such file') }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: 'starting container failed: no such file',
    });
    assert.deepEqual(step('running', 'running', { start: OK, exit: { exitCode: 1 } }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: 'task: non-zero exit (1)',
      exitCode: 1,
    });
    assert.deepEqual(step('running', 'complete', { start: OK, waitError: 'No such container: x' }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: 'No such container: x',
    });
  });

  it('with a healthcheck: running only once healthy; unhealthy → stop → failed with the exit code', () => {
    assert.deepEqual(step('starting', 'running', { start: OK }), { kind: 'run', op: 'health' });
    assert.deepEqual(step('starting', 'running', { start: OK, health: 'healthy' }), { kind: 'report', state: 'running', message: 'started' });
    assert.deepEqual(step('starting', 'running', { start: OK, health: 'unhealthy' }), { kind: 'run', op: 'shutdown' });
    assert.deepEqual(step('starting', 'running', { start: OK, health: 'unhealthy', shutdown: OK, exit: { exitCode: 143 } }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: `task: non-zero exit (143): ${UNHEALTHY}`,
      exitCode: 143,
    });
    assert.deepEqual(step('running', 'running', { start: OK, health: 'healthy' }), { kind: 'run', op: 'wait' });
    assert.deepEqual(step('running', 'running', { start: OK, health: 'unhealthy' }), { kind: 'run', op: 'shutdown' });
    assert.deepEqual(step('running', 'running', { start: OK, health: 'unhealthy', shutdown: OK, exit: { exitCode: 0 } }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: UNHEALTHY,
      exitCode: 0,
    });
    assert.deepEqual(step('running', 'running', { start: OK, health: 'unhealthy', shutdown: OK }), { kind: 'report', state: 'failed', message: 'failed', err: UNHEALTHY });
  });

  it('a container that exits 0 while its healthcheck is undecided still completes', () => {
    assert.deepEqual(step('starting', 'running', { start: OK, exit: { exitCode: 0 } }), { kind: 'report', state: 'running', message: 'started' });
    assert.deepEqual(step('starting', 'running', { start: OK, exit: { exitCode: 2 } }), {
      kind: 'report',
      state: 'failed',
      message: 'failed',
      err: 'task: non-zero exit (2)',
      exitCode: 2,
    });
  });

  it('desired shutdown or remove stops the task from any live state, and is idempotent once stopped', () => {
    for (const state of ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'] as const) {
      for (const desired of ['shutdown', 'remove'] as const) {
        assert.deepEqual(step(state, desired, { start: OK }), { kind: 'run', op: 'shutdown' });
        assert.deepEqual(step(state, desired, { shutdown: OK, exit: { exitCode: 143 } }), { kind: 'report', state: 'shutdown', message: 'shutdown', exitCode: 143 });
        assert.deepEqual(step(state, desired, { shutdown: OK }), { kind: 'report', state: 'shutdown', message: 'shutdown' });
      }
    }
    assert.deepEqual(step('ready', 'shutdown', { shutdown: err('boom') }), { kind: 'report', state: 'rejected', message: 'rejected', err: 'boom' });
    assert.deepEqual(step('running', 'shutdown', { shutdown: err('boom') }), { kind: 'report', state: 'failed', message: 'failed', err: 'boom' });
    for (const state of ['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'] as const) assert.deepEqual(step(state, 'shutdown'), { kind: 'done' });
  });
});

/** A scripted controller: how each operation turns out (no entry = it never ends on its own). */
interface Script {
  prepare: Outcome;
  start: Outcome;
  health: HealthVerdict | undefined;
  exitCode: number | undefined;
  shutdown: Outcome;
}

function apply(op: Operation, o: Observed, s: Script): Observed | 'blocked' {
  switch (op) {
    case 'prepare':
      return { ...o, prepare: s.prepare };
    case 'start':
      return { ...o, start: s.start };
    case 'health':
      if (s.health !== undefined && s.health !== o.health) return { ...o, health: s.health };
      return s.exitCode === undefined ? 'blocked' : { ...o, exit: { exitCode: s.exitCode } };
    case 'wait':
      if (s.exitCode !== undefined) return { ...o, exit: { exitCode: s.exitCode } };
      if (s.health === 'unhealthy' && o.health !== 'unhealthy') return { ...o, health: 'unhealthy' };
      return 'blocked';
    case 'shutdown':
      return { ...o, shutdown: s.shutdown, ...(s.shutdown.ok && o.start?.ok ? { exit: { exitCode: s.exitCode ?? 143 } } : {}) };
  }
}

describe('task machine: a manager looping it always settles', () => {
  it('reaches a terminal state, a hold, or an operation that waits on the container, in a few steps', () => {
    const outcomes = [OK, err('x')];
    let runs = 0;
    for (const desired of ['ready', 'running', 'complete', 'shutdown', 'remove'] as const)
      for (const prepare of outcomes)
        for (const start of outcomes)
          for (const health of [undefined, 'none', 'healthy', 'unhealthy'] as const)
            for (const exitCode of [undefined, 0, 3])
              for (const shutdown of outcomes) {
                const script: Script = { prepare, start, health, exitCode, shutdown };
                let state: TaskStateName = 'assigned';
                let observed: Observed = {};
                let end: string | undefined;
                for (let i = 0; i < 20 && end === undefined; i++) {
                  const a = next({ state, desired, observed });
                  if (a.kind === 'report') state = a.state;
                  else if (a.kind === 'run') {
                    const o = apply(a.op, observed, script);
                    if (o === 'blocked') end = `blocked in ${a.op}`;
                    else observed = o;
                  } else end = a.kind;
                }
                const where = `${desired} ${JSON.stringify(script)} → ${state} (${end ?? 'no end'})`;
                if (end === undefined) assert.fail(`settles: ${where}`);
                if (at(desired) >= TaskState.shutdown && !isTerminal(state)) assert.fail(`shutting down ends terminal: ${where}`);
                if (desired === 'ready' && state !== 'ready' && !isTerminal(state)) assert.fail(`stops at ready: ${where}`);
                if (end?.startsWith('blocked')) assert.equal(script.exitCode, undefined, `only a container that never exits blocks: ${where}`);
                runs++;
              }
    assert.equal(runs, 5 * 2 * 2 * 4 * 3 * 2);
  });
});
