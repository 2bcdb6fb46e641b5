/**
 * The Controller contract (DESIGN §4.3): the fake executor (test/fakes/executor.ts) and the real ContainerExecutor
 * (on the fake runtime, and on runc) must both pass it. Register it from a test file with
 * `controllerContract(name, make)`; `make` gives a fresh harness per test: an executor, a way to build tasks for its
 * image, command lines for the behaviours the cases need, a look at the containers, and `settle` to await a promise
 * while time passes (a fake clock is advanced; a real one is waited on, with a deadline).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSpec, HealthConfig } from '../../src/api/types.js';
import type { AgentTask, Executor } from '../../src/agent/exec/controller.js';
import type { FakeClock } from '../fakes/clock.js';

export interface ControllerPrograms {
  /** Exits with `code` at once. */
  exit(code: number): Pick<ContainerSpec, 'Command' | 'Args'>;
  /** Runs until SIGTERM, which ends it promptly. */
  sleep(): Pick<ContainerSpec, 'Command' | 'Args'>;
  /** Ignores SIGTERM: only SIGKILL ends it. */
  ignoreTerm(): Pick<ContainerSpec, 'Command' | 'Args'>;
  /** A command that does not exist in the image. */
  missingBinary(): Pick<ContainerSpec, 'Command' | 'Args'>;
  /** A healthcheck that passes (or fails) on every probe. */
  check(pass: boolean): HealthConfig;
}

export interface ControllerHarness {
  executor: Executor;
  /** The image every task of the harness runs (present in its store). */
  image: string;
  programs: ControllerPrograms;
  /**
   * An image that is missing and cannot be pulled, and docker's error for it (a pattern where the real executor adds
   * why the pull failed).
   */
  missingImage: { ref: string; error: string | RegExp };
  exists(task: AgentTask): Promise<boolean>;
  running(task: AgentTask): Promise<boolean>;
  /** Awaits `p` while time passes, failing after a deadline. */
  settle<T>(p: Promise<T>, what: string): Promise<T>;
  cleanup(): Promise<void>;
}

let taskSeq = 0;

/** A replicated task of service `web` (slot 1) running `container` on `image`, assigned to node `node1`. */
export function anAgentTask(image: string, container: Partial<ContainerSpec> = {}, over: Partial<AgentTask> = {}): AgentTask {
  const n = ++taskSeq;
  const id = `task${String(n).padStart(4, '0')}${'x'.repeat(17)}`.slice(0, 25);
  const now = '2024-01-01T00:00:00Z';
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: now,
    UpdatedAt: now,
    Labels: {},
    Spec: { ContainerSpec: { Image: image, ...container } },
    ServiceID: 'svc0000000000000000000001',
    ServiceAnnotations: { Name: 'web' },
    Slot: 1,
    NodeID: 'node1',
    Status: { Timestamp: now, State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: 'running',
    ...over,
  };
}

/** Drains pending callbacks, then moves a fake clock to its next timer (≤ stepMs), until `p` settles or the deadline. */
export async function settleOnFakeClock<T>(clock: FakeClock, p: Promise<T>, what: string, opts: { realMs?: number; maxStepMs?: number } = {}): Promise<T> {
  let done = false;
  const tracked = p.finally(() => {
    done = true;
  });
  void tracked.catch(() => undefined);
  const deadline = Date.now() + (opts.realMs ?? 10_000);
  while (!done) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    for (let i = 0; i < 5 && !done; i++) await new Promise((r) => setImmediate(r));
    if (done) break;
    const nextAt = clock.nextDeadline;
    if (nextAt !== undefined) clock.advance(Math.min(Math.max(nextAt - clock.now(), 0), opts.maxStepMs ?? 1000));
    else await new Promise((r) => setTimeout(r, 1));
  }
  return tracked;
}

const signal = (): AbortSignal => new AbortController().signal;

export function controllerContract(name: string, make: () => Promise<ControllerHarness>): void {
  const withHarness =
    (fn: (h: ControllerHarness) => Promise<void>) =>
    async (): Promise<void> => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

  describe(`controller contract: ${name}`, () => {
    it(
      'prepare, start and wait run the container to its exit code',
      withHarness(async (h) => {
        for (const code of [0, 3]) {
          const task = anAgentTask(h.image, h.programs.exit(code));
          const c = h.executor.controller(task);
          await h.settle(c.prepare(signal()), 'prepare');
          assert.ok(await h.exists(task), 'prepare creates the container');
          assert.equal(await h.running(task), false, 'prepare does not start it');
          await h.settle(c.start(signal()), 'start');
          assert.deepEqual(await h.settle(c.wait(signal()), 'wait'), { exitCode: code });
          assert.equal((await c.status())?.ExitCode, code);
        }
      }),
    );

    it(
      'prepare and start are idempotent; a second controller adopts the container and never starts it again',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.exit(4));
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.prepare(signal()), 'prepare again');
        const id = (await c.status())?.ContainerID;
        assert.ok(id, 'the container has an ID once prepared');
        await h.settle(c.start(signal()), 'start');
        assert.deepEqual(await h.settle(c.wait(signal()), 'wait'), { exitCode: 4 });
        await h.settle(c.start(signal()), 'start again');
        const again = h.executor.controller(task);
        await h.settle(again.prepare(signal()), 'prepare by a new controller');
        await h.settle(again.start(signal()), 'start by a new controller');
        assert.equal(await h.running(task), false, 'an exited task container is not started again');
        assert.deepEqual(await h.settle(again.wait(signal()), 'wait by a new controller'), { exitCode: 4 });
        assert.equal((await again.status())?.ContainerID, id, 'the same container');
      }),
    );

    it(
      "prepare fails with docker's No such image error when the image is missing and cannot be pulled",
      withHarness(async (h) => {
        const task = anAgentTask(h.missingImage.ref, h.programs.sleep());
        const c = h.executor.controller(task);
        await assert.rejects(h.settle(c.prepare(signal()), 'prepare'), (e: Error) => {
          if (typeof h.missingImage.error === 'string') assert.equal(e.message, h.missingImage.error);
          else assert.match(e.message, h.missingImage.error);
          return true;
        });
        assert.equal(await h.exists(task), false, 'no container is left');
        assert.equal(await c.status(), undefined);
      }),
    );

    it(
      'start fails with "starting container failed: ..." when the command does not exist',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.missingBinary());
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await assert.rejects(h.settle(c.start(signal()), 'start'), /^Error: starting container failed: .*(no such file|not found)/i);
        assert.equal(await h.running(task), false);
      }),
    );

    it(
      'shutdown stops a running container; wait then resolves and the container is no longer running',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.sleep());
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        assert.equal(await h.running(task), true);
        const waited = c.wait(signal());
        const result = await h.settle(c.shutdown(signal()), 'shutdown');
        assert.ok(result !== undefined && typeof result.exitCode === 'number', 'shutdown gives the exit');
        assert.deepEqual(await h.settle(waited, 'wait'), result);
        assert.equal(await h.running(task), false);
        assert.deepEqual(await h.settle(c.shutdown(signal()), 'shutdown again'), result, 'idempotent');
      }),
    );

    it(
      'shutdown kills a container that ignores the stop signal once StopGracePeriod is over',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, { ...h.programs.ignoreTerm(), StopGracePeriod: 1_000_000_000 });
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        assert.deepEqual(await h.settle(c.shutdown(signal()), 'shutdown'), { exitCode: 137 });
        assert.equal(await h.running(task), false);
      }),
    );

    it(
      'shutdown and remove do nothing before prepare; shutdown of a container that never started gives no exit',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.sleep());
        const c = h.executor.controller(task);
        assert.equal(await h.settle(c.shutdown(signal()), 'shutdown'), undefined);
        await h.settle(c.remove(), 'remove');
        await h.settle(c.prepare(signal()), 'prepare');
        assert.equal(await h.settle(c.shutdown(signal()), 'shutdown'), undefined);
        await h.settle(c.remove(), 'remove');
        assert.equal(await h.exists(task), false, 'removed');
        await h.settle(c.remove(), 'remove again');
        assert.equal(await c.status(), undefined);
      }),
    );

    it(
      'remove deletes a running container',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.sleep());
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        await h.settle(c.remove(), 'remove');
        assert.equal(await h.exists(task), false);
      }),
    );

    it(
      'health is none without a healthcheck, healthy with a passing one, unhealthy with a failing one',
      withHarness(async (h) => {
        const verdict = async (container: Partial<ContainerSpec>): Promise<string> => {
          const task = anAgentTask(h.image, { ...h.programs.sleep(), ...container });
          const c = h.executor.controller(task);
          await h.settle(c.prepare(signal()), 'prepare');
          await h.settle(c.start(signal()), 'start');
          const v = await h.settle(c.health(signal()), 'health');
          await h.settle(c.remove(), 'remove');
          return v;
        };
        assert.equal(await verdict({}), 'none');
        assert.equal(await verdict({ Healthcheck: h.programs.check(true) }), 'healthy');
        assert.equal(await verdict({ Healthcheck: h.programs.check(false) }), 'unhealthy');
        assert.equal(await verdict({ Healthcheck: { Test: ['NONE'] } }), 'none');
      }),
    );

    it(
      'health with a known verdict waits for a different one',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, { ...h.programs.sleep(), Healthcheck: h.programs.check(true) });
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        assert.equal(await h.settle(c.health(signal()), 'health'), 'healthy');
        const ac = new AbortController();
        const waiting = c.health(ac.signal, 'healthy');
        const outcome = h.settle(
          waiting.then(
            (v) => `resolved ${v}`,
            () => 'aborted',
          ),
          'health aborted',
        );
        ac.abort(new Error('enough'));
        assert.equal(await outcome, 'aborted', 'no other verdict came');
        await h.settle(c.remove(), 'remove');
      }),
    );

    it(
      'wait rejects once its signal aborts; the container keeps running',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.sleep());
        const c = h.executor.controller(task);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        const ac = new AbortController();
        const waited = c.wait(ac.signal);
        ac.abort(new Error('stop waiting'));
        await assert.rejects(h.settle(waited, 'wait'));
        assert.equal(await h.running(task), true);
        await assert.rejects(c.prepare(ac.signal), 'an aborted signal refuses new work');
        await h.settle(c.remove(), 'remove');
      }),
    );

    it(
      'status gives the container ID, its PID while it runs and its exit code after',
      withHarness(async (h) => {
        const task = anAgentTask(h.image, h.programs.sleep());
        const c = h.executor.controller(task);
        assert.equal(await c.status(), undefined);
        await h.settle(c.prepare(signal()), 'prepare');
        await h.settle(c.start(signal()), 'start');
        const s = await c.status();
        assert.match(s?.ContainerID ?? '', /^[0-9a-f]{64}$/);
        assert.ok((s?.PID ?? 0) > 0, 'a PID while running');
        const exit = await h.settle(c.shutdown(signal()), 'shutdown');
        const after = await c.status();
        assert.equal(after?.ContainerID, s?.ContainerID);
        assert.equal(after?.PID, 0);
        assert.equal(after?.ExitCode, exit?.exitCode);
      }),
    );

    it(
      'describe gives the platform, resources and engine of the node',
      withHarness(async (h) => {
        const d = await h.executor.describe();
        assert.ok(d.Hostname.length > 0);
        assert.equal(d.Platform.OS, 'linux');
        assert.ok(d.Platform.Architecture.length > 0);
        assert.ok(d.Resources.NanoCPUs > 0 && d.Resources.MemoryBytes > 0);
        assert.ok(d.Engine.EngineVersion.length > 0);
      }),
    );
  });
}
