/**
 * The convergence loop against a scripted Engine API (a node:http server on a temp unix socket whose tasks move
 * forward call by call), on a fake clock: the docker CLI's non-TTY lines, the monitor window, rollback and pause
 * handling, interruption, global services and jobs, and the TTY rendering.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from '../../../client/index.js';
import type { EngineClient } from '../../../client/index.js';
import type { Service, Task } from '../../../client/service-types.js';
import { CliError } from '../../errors.js';
import { captureContext, EngineStub } from '../container/engine-stub.testkit.js';
import { truncError, waitOnService } from './progress.js';
import type { WaitEnvironment } from './progress.js';

const SID = 'svc0000000000000000000001';

function service(o: Partial<Service> & { replicas?: number; monitorNs?: number; mode?: Service['Spec']['Mode'] } = {}): Service {
  return {
    ID: SID,
    Version: { Index: 10 },
    CreatedAt: '2026-03-01T12:00:00Z',
    UpdatedAt: '2026-03-01T12:00:00Z',
    Spec: {
      Name: 'web',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'busybox:latest' } },
      Mode: o.mode ?? { Replicated: { Replicas: o.replicas ?? 3 } },
      ...(o.monitorNs !== undefined ? { UpdateConfig: { Parallelism: 1, Monitor: o.monitorNs, MaxFailureRatio: 0, Order: 'stop-first' } } : {}),
    },
    ...o,
  };
}

function task(slot: number, state: string, desired = 'running', extra: Partial<Task> = {}): Task {
  return { ID: `task${slot}${state}`, ServiceID: SID, Slot: slot, NodeID: 'node1', DesiredState: desired, Status: { State: state, Timestamp: '2026-03-01T12:00:00Z' }, ...extra };
}

const NODES = [
  { ID: 'node1', Status: { State: 'ready' } },
  { ID: 'node2', Status: { State: 'down' } },
];

/** A fake clock: each 200 ms pause moves it forward; `interruptAt` simulates ctrl-c during that pause. */
function fakeEnv(o: { tty?: boolean; columns?: number; interruptAtPause?: number } = {}): WaitEnvironment & { pauses: number } {
  let now = 1_000_000;
  const env = {
    tty: o.tty ?? false,
    columns: o.columns,
    pauses: 0,
    now: () => now,
    pause: (ms: number) => {
      env.pauses++;
      now += ms;
      return Promise.resolve(o.interruptAtPause !== undefined && env.pauses >= o.interruptAtPause);
    },
  };
  return env;
}

describe('service convergence progress', () => {
  let engine: EngineStub;
  let client: EngineClient;
  beforeEach(async () => {
    engine = await new EngineStub().start();
    client = createClient({ host: engine.host, apiVersion: '1.47' });
    engine.on('GET /nodes', (c) => c.json(200, NODES));
  });
  afterEach(async () => {
    await client.close();
    await engine.close();
  });

  /** Serves `svc(n)` and `tasks(n)` on the n-th poll (1-based, the last entry repeating). */
  function script(services: (n: number) => Service, tasks: (n: number) => Task[]): { polls: () => number } {
    let sn = 0;
    let tn = 0;
    engine.on(`GET /services/${SID}`, (c) => c.json(200, services(++sn)));
    engine.on('GET /services/web', (c) => c.json(200, services(++sn)));
    engine.on('GET /tasks', (c) => c.json(200, tasks(++tn)));
    return { polls: () => tn };
  }

  it('replicated: plain lines without a TTY, per-slot bars left out, then the monitor window and "converged"', async () => {
    const steps: Task[][] = [
      [],
      [task(1, 'pending'), task(2, 'pending'), task(3, 'assigned')],
      [task(1, 'running'), task(2, 'preparing'), task(3, 'starting')],
      [task(1, 'running'), task(2, 'running'), task(3, 'running')],
    ];
    script(() => service({ monitorNs: 1e9 }), (n) => steps[Math.min(n, steps.length) - 1] as Task[]);
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv());
    assert.equal(
      cap.out(),
      [
        'overall progress: 0 out of 3 tasks',
        '1/3:  ',
        '2/3:  ',
        '3/3:  ',
        'overall progress: 0 out of 3 tasks',
        'overall progress: 0 out of 3 tasks',
        'overall progress: 1 out of 3 tasks',
        'overall progress: 3 out of 3 tasks',
        'verify: Waiting 1 seconds to verify that tasks are stable...',
        'verify: Waiting 1 seconds to verify that tasks are stable...',
        'verify: Waiting 1 seconds to verify that tasks are stable...',
        'verify: Waiting 1 seconds to verify that tasks are stable...',
        'verify: Waiting 1 seconds to verify that tasks are stable...',
        `verify: Service ${SID} converged`,
        '',
      ].join('\n'),
    );
    const loop = engine.calls().slice(0, 3);
    assert.deepEqual(loop, [
      `GET /services/${SID}?insertDefaults=false`,
      `GET /tasks?filters=${encodeURIComponent(JSON.stringify({ '_up-to-date': { true: true }, service: { [SID]: true } }))}`,
      'GET /nodes',
    ]);
  });

  it('the default 5 s window counts down; a task failing inside it restarts the wait ("Detected task failure")', async () => {
    const running = [task(1, 'running')];
    const failed = [task(1, 'failed', 'shutdown'), task(1, 'ready', 'running', { ID: 'again' })];
    script(() => service({ replicas: 1 }), (n) => (n === 3 ? failed : running));
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv());
    const lines = cap.out().split('\n');
    assert.deepEqual(lines.slice(0, 8), [
      'overall progress: 0 out of 1 tasks',
      '1/1:  ',
      'overall progress: 1 out of 1 tasks',
      'verify: Waiting 5 seconds to verify that tasks are stable...',
      'verify: Waiting 5 seconds to verify that tasks are stable...',
      'overall progress: 0 out of 1 tasks',
      'verify: Detected task failure',
      'overall progress: 1 out of 1 tasks',
    ]);
    // 5 s reads "Waiting 5 seconds" from 0 to 1 s elapsed: 2 readings before the failure, 6 after it
    assert.equal(lines.filter((l) => l.startsWith('verify: Waiting 5 ')).length, 8);
    assert.ok(lines.includes('verify: Waiting 1 seconds to verify that tasks are stable...'));
    assert.equal(lines.at(-2), `verify: Service ${SID} converged`);
  });

  it('a slot’s error is shown instead of its bar, cut to 75 bytes, even without a terminal', async () => {
    const err = 'no suitable node (host-mode port already in use on 3 nodes; 2 nodes not available for new tasks)';
    script(
      () => service({ replicas: 1, monitorNs: 1 }),
      (n) =>
        n === 1
          ? [task(1, 'rejected', 'shutdown', { Status: { State: 'rejected', Err: 'No such image: nosuch:latest' } }), task(1, 'pending', 'running', { ID: 'p', Status: { State: 'pending', Err: err } })]
          : [task(1, 'running')],
    );
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv());
    // the pending task (lower desired state) holds the slot; the rejected one is history
    assert.equal(cap.out().split('\n')[2], '1/1: no suitable node (host-mode port already in use on 3 nodes; 2 nodes not av…');
    assert.ok(!cap.out().includes('No such image'));
    assert.equal(truncError('a\nb'), 'a b');
  });

  it('rollback: "rollback: manually requested rollback", the rolling-back count, the message at the end', async () => {
    const started = { State: 'rollback_started' as const, Message: 'manually requested rollback' };
    const done = { State: 'rollback_completed' as const, Message: 'rollback completed' };
    script(
      (n) => service({ replicas: 2, monitorNs: 1, UpdateStatus: n <= 1 ? started : done }),
      (n) => (n === 1 ? [task(1, 'running'), task(2, 'starting')] : [task(1, 'running'), task(2, 'running')]),
    );
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, 'web', fakeEnv());
    assert.equal(
      cap.out(),
      [
        'rollback: manually requested rollback',
        'overall progress: rolling back update: 0 out of 2 tasks',
        '1/2:  ',
        '2/2:  ',
        'overall progress: rolling back update: 1 out of 2 tasks',
        'overall progress: rolling back update: 2 out of 2 tasks',
        // a 1 ns window is over before docker's first "Waiting" line
        'verify: Service web converged',
        'rollback: rollback completed',
        '',
      ].join('\n'),
    );
  });

  it('paused updates end the loop with docker’s error; "completed" before convergence ends it at once', async () => {
    script(
      () => service({ UpdateStatus: { State: 'paused', Message: 'update paused due to failure or early termination of task t1' } }),
      () => [],
    );
    const cap = captureContext(engine.host);
    await assert.rejects(
      waitOnService(cap.ctx, client, 'web', fakeEnv()),
      (e: unknown) => e instanceof CliError && e.message === 'service update paused: update paused due to failure or early termination of task t1',
    );

    engine.on('GET /services/web', (c) => c.json(200, service({ UpdateStatus: { State: 'rollback_paused', Message: 'rollback paused' } })));
    await assert.rejects(waitOnService(cap.ctx, client, 'web', fakeEnv()), /service rollback paused: rollback paused/);

    engine.on('GET /services/web', (c) => c.json(200, service({ UpdateStatus: { State: 'completed' } })));
    const env = fakeEnv();
    await waitOnService(cap.ctx, client, 'web', env);
    assert.equal(env.pauses, 0);
  });

  it('ctrl-c before convergence: "Operation continuing in background." and the ps hint', async () => {
    script(() => service({ replicas: 1 }), () => [task(1, 'pending')]);
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, 'web', fakeEnv({ interruptAtPause: 2 }));
    assert.equal(
      cap.out(),
      'overall progress: 0 out of 1 tasks\n1/1:  \noverall progress: 0 out of 1 tasks\noverall progress: 0 out of 1 tasks\n' +
        'Operation continuing in background.\nUse `shoal service ps web` to check progress.\n',
    );
  });

  it('ctrl-c while the daemon is slow to answer ends the loop at once', async () => {
    engine.on('GET /services/web', (c) => c.json(200, service({ replicas: 1 })));
    const ac = new AbortController();
    engine.on('GET /tasks', () => {
      ac.abort(); // the user presses ctrl-c while this request hangs
    });
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, 'web', { ...fakeEnv(), signal: ac.signal });
    assert.equal(cap.out(), 'Operation continuing in background.\nUse `shoal service ps web` to check progress.\n');
  });

  it('-q: nothing printed, still waits', async () => {
    script(() => service({ replicas: 1, monitorNs: 1 }), () => [task(1, 'running')]);
    const cap = captureContext(engine.host);
    const env = fakeEnv();
    await waitOnService(cap.ctx, client, SID, env, { quiet: true });
    assert.equal(cap.out(), '');
    assert.equal(env.pauses, 1);
  });

  it('global: "waiting for new tasks", then one task per node (tasks on down nodes do not count)', async () => {
    script(
      () => service({ mode: { Global: {} }, monitorNs: 1 }),
      (n) => (n === 1 ? [] : [task(0, 'running', 'running', { NodeID: 'node1' })]),
    );
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv());
    assert.equal(
      cap.out(),
      'overall progress: waiting for new tasks\noverall progress: 0 out of 1 tasks\noverall progress: 1 out of 1 tasks\n' +
        `verify: Service ${SID} converged\n`,
    );
  });

  it('replicated job: job progress and active tasks, then "job complete" (no monitor window)', async () => {
    const job = (state: string, slot: number): Task => task(slot, state, 'complete', { JobIteration: { Index: 7 } });
    script(
      () => service({ mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } }, JobStatus: { JobIteration: { Index: 7 } } }),
      (n) => (n === 1 ? [job('running', 0), job('starting', 1)] : [job('complete', 0), job('complete', 1)]),
    );
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv());
    assert.equal(
      cap.out(),
      // "job progress" carries a bar (current/total), so docker leaves it out without a terminal
      'active tasks: 0 out of 2 tasks\n1/2:  \n2/2:  \nactive tasks: 2 out of 2 tasks\nactive tasks: 0 out of 0 tasks\njob complete\n',
    );
  });

  it('an unknown mode is refused', async () => {
    script(() => service({ mode: { Replicated: {} } }), () => []);
    await assert.rejects(waitOnService(captureContext(engine.host).ctx, client, SID, fakeEnv()), /unrecognized service mode/);
  });

  it('on a terminal: per-slot lines redrawn in place with bars, as docker draws them', async () => {
    script(
      () => service({ replicas: 1, monitorNs: 1 }),
      (n) => (n === 1 ? [task(1, 'preparing')] : [task(1, 'running')]),
    );
    const cap = captureContext(engine.host);
    await waitOnService(cap.ctx, client, SID, fakeEnv({ tty: true, columns: 120 }));
    // the line-clearing sequence is image/progress.ts's (docker 28 writes ESC[2K, older ones ESC[1K ESC[K)
    const ESC = String.fromCharCode(27);
    const out = cap.out().split(`${ESC}[1K${ESC}[K`).join('<CLR>').split(`${ESC}[2K`).join('<CLR>');
    const clear = '<CLR>\r';
    assert.ok(out.startsWith(`\n\x1b[1A${clear}overall progress: 0 out of 1 tasks \r\x1b[1B\n\x1b[1A${clear}1/1:   \r\x1b[1B`), JSON.stringify(out));
    assert.ok(out.includes(`1/1: preparing [=================================>                 ] \r`), JSON.stringify(out));
    assert.ok(out.includes(`1/1: running   [==================================================>] \r`), JSON.stringify(out));
    assert.ok(out.includes(`verify: Service ${SID} converged \r`), JSON.stringify(out));
  });
});
