/**
 * The worker with the real ContainerExecutor: ContainerService over the fake runtime (the process boundary) and the
 * real image store holding a fixture image, on a fake clock.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { TaskState, type TaskStateName } from '../../api/task-state.js';
import type { ContainerSpec } from '../../api/types.js';
import type { ContainerInspect } from '../../api/container.js';
import { captureLogger, type LogRecord } from '../../lib/logger.js';
import { aContainerHarness, fixtureImages, type ContainerHarness, type FixtureImages } from '../../../test/builders/containers.js';
import { anAgentTask } from '../../../test/contracts/controller.js';
import { FAKE_DESCRIPTION } from '../../../test/fakes/executor.js';
import type { AgentTask } from '../exec/controller.js';
import { containerName } from './container-config.js';
import { ContainerExecutor } from './container-executor.js';
import type { StatusReporter, StatusUpdate } from './types.js';
import { Worker } from './worker.js';

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

class RecordingReporter implements StatusReporter {
  readonly updates: StatusUpdate[] = [];
  async reportStatus(updates: StatusUpdate[]): Promise<void> {
    this.updates.push(...structuredClone(updates));
  }
  states(taskId: string): TaskStateName[] {
    return this.updates.filter((u) => u.taskId === taskId).map((u) => u.status.State);
  }
}

interface Agent {
  containers: ContainerHarness;
  worker: Worker;
  stop(): Promise<void>;
}

interface Node extends AsyncDisposable {
  reporter: RecordingReporter;
  logs: LogRecord[];
  agent: Agent;
  /** The task's container, if it exists. */
  container(task: AgentTask): ContainerInspect | undefined;
  until(cond: () => boolean, what: string): Promise<void>;
  /** Stops the agent (worker and container monitors; containers keep running) and starts a new one on the same data. */
  restart(between?: () => void): Promise<void>;
}

async function aNode(): Promise<Node> {
  const reporter = new RecordingReporter();
  const logs: LogRecord[] = [];
  const first = await aContainerHarness(images);
  const startAgent = async (containers: ContainerHarness): Promise<Agent> => {
    const executor = new ContainerExecutor({
      containers: containers.svc,
      images: images.store,
      clock: containers.clock,
      logger: captureLogger(logs),
      describe: () => FAKE_DESCRIPTION,
    });
    const worker = new Worker({ executor, reporter, storeDir: join(first.dir, 'worker'), clock: containers.clock, logger: captureLogger(logs) });
    const ac = new AbortController();
    const running = worker.run(ac.signal);
    return {
      containers,
      worker,
      stop: async () => {
        ac.abort();
        await running;
        containers.svc.close();
      },
    };
  };
  const clock = first.clock;
  let second: ContainerHarness | undefined;
  const node: Node = {
    reporter,
    logs,
    agent: await startAgent(first),
    container: (task) => {
      try {
        return node.agent.containers.svc.inspect(containerName(task));
      } catch (e) {
        if (isShoalError(e, 'NotFound')) return undefined;
        throw e;
      }
    },
    until: async (cond, what) => {
      const deadline = Date.now() + 10_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
        if (cond()) break;
        const next = clock.nextDeadline;
        if (next !== undefined) clock.advance(Math.min(Math.max(next - clock.now(), 0), 1000));
        else await new Promise((r) => setTimeout(r, 1));
      }
    },
    restart: async (between) => {
      await node.agent.stop();
      between?.();
      second = await aContainerHarness(images, { host: first.host, clock, root: first.root });
      await second.svc.load();
      node.agent = await startAgent(second);
    },
    [Symbol.asyncDispose]: async () => {
      await node.agent.stop();
      await second?.[Symbol.asyncDispose]();
      await first[Symbol.asyncDispose]();
    },
  };
  return node;
}

const task = (container: Partial<ContainerSpec> = {}, over: Partial<AgentTask> = {}): AgentTask =>
  anAgentTask(images.ref, { Command: ['fake'], Args: ['sleep'], ...container }, over);
const stateOf = (n: Node, t: AgentTask): TaskStateName | undefined => n.agent.worker.status(t.ID)?.State;

describe('worker on ContainerService (fake runtime)', () => {
  it('takes a task accepted → preparing → ready → starting → running, as a docker-named, swarm-labelled container', async () => {
    await using n = await aNode();
    const t = anAgentTask(images.ref, {}, {
      ServiceAnnotations: { Name: 'shop' },
      Slot: 2,
      Spec: {
        ContainerSpec: { Image: images.ref, Command: ['fake'], Args: ['sleep'], Env: ['MODE=web'], Labels: { app: 'shop' } },
        Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 5e8, Pids: 50 } },
      },
    });
    n.agent.worker.apply({ type: 'complete', tasks: [t] });
    await n.until(() => stateOf(n, t) === 'running', 'running');
    assert.deepEqual(
      [...new Set(n.reporter.states(t.ID))].filter((s) => TaskState[s] >= TaskState.accepted),
      n.reporter.states(t.ID),
      'only agent states, each once',
    );
    assert.equal(n.reporter.states(t.ID).at(-1), 'running');
    const c = n.container(t)!;
    assert.equal(c.Name, `/shop.2.${t.ID}`);
    assert.equal(c.State.Running, true);
    assert.deepEqual(c.Config.Labels, {
      'org.shoal.test.image': 'misbehave',
      app: 'shop',
      'com.docker.swarm.node.id': 'node1',
      'com.docker.swarm.service.id': t.ServiceID,
      'com.docker.swarm.service.name': 'shop',
      'com.docker.swarm.task': '',
      'com.docker.swarm.task.id': t.ID,
      'com.docker.swarm.task.name': `shop.2.${t.ID}`,
    });
    assert.ok(c.Config.Env?.includes('MODE=web'));
    assert.deepEqual([c.HostConfig.Memory, c.HostConfig.NanoCpus, c.HostConfig.PidsLimit], [64 * 1024 * 1024, 5e8, 50]);
    const spec = n.agent.containers.spec(c.Id);
    assert.equal(spec.resources.memoryBytes, 64 * 1024 * 1024, 'limits reach the runtime');
    const s = n.agent.worker.status(t.ID)!;
    assert.equal(s.ContainerStatus?.ContainerID, c.Id);
    assert.equal(s.ContainerStatus?.PID, c.State.Pid);
  });

  it('desired shutdown stops the container with the grace period and reports shutdown', async () => {
    await using n = await aNode();
    const t = task({ Args: ['sleep', '--ignore', 'SIGTERM'], StopGracePeriod: 3_000_000_000 });
    n.agent.worker.apply({ type: 'complete', tasks: [t] });
    await n.until(() => stateOf(n, t) === 'running', 'running');
    const asked = n.agent.containers.clock.now();
    n.agent.worker.apply({ type: 'incremental', changes: [{ action: 'update', task: { ...t, DesiredState: 'shutdown' } }] });
    await n.until(() => stateOf(n, t) === 'shutdown', 'shutdown');
    assert.ok(n.agent.containers.clock.now() - asked >= 3000, 'killed only after the grace period');
    assert.equal(n.container(t)?.State.Status, 'exited');
    assert.equal(n.agent.worker.status(t.ID)?.ContainerStatus?.ExitCode, 137);
  });

  it('a container exiting 1 fails the task with "task: non-zero exit (1)"', async () => {
    await using n = await aNode();
    const t = task();
    n.agent.worker.apply({ type: 'complete', tasks: [t] });
    await n.until(() => stateOf(n, t) === 'running', 'running');
    n.agent.containers.host.exit(n.container(t)!.Id, 1);
    await n.until(() => stateOf(n, t) === 'failed', 'failed');
    const s = n.agent.worker.status(t.ID)!;
    assert.deepEqual([s.Message, s.Err, s.ContainerStatus?.ExitCode], ['failed', 'task: non-zero exit (1)', 1]);
    assert.equal(n.reporter.states(t.ID).at(-1), 'failed');
  });

  it("a missing image that cannot be pulled rejects the task with docker's No such image", async () => {
    await using n = await aNode();
    const t = anAgentTask('127.0.0.1:9/shoal-missing/none', { Command: ['fake'], Args: ['sleep'] });
    n.agent.worker.apply({ type: 'complete', tasks: [t] });
    await n.until(() => stateOf(n, t) === 'rejected', 'rejected');
    assert.equal(n.agent.worker.status(t.ID)!.Err, 'No such image: 127.0.0.1:9/shoal-missing/none:latest (pulling it failed: registry ping: Get "http://127.0.0.1:9/v2/": bad port)');
    assert.equal(n.container(t), undefined);
    assert.ok(n.logs.some((l) => l.msg === 'pulling the image failed'), 'the pull failure is logged');
  });

  it('a healthcheck holds the task at starting until healthy; a failing one fails it', async () => {
    await using n = await aNode();
    const ok = task({ Healthcheck: { Test: ['CMD', 'fake', 'exit', '0'], Interval: 2_000_000_000, Retries: 1 } });
    const sick = task({ Healthcheck: { Test: ['CMD', 'fake', 'exit', '1'], Interval: 2_000_000_000, Retries: 2 } });
    n.agent.worker.apply({ type: 'complete', tasks: [ok, sick] });
    await n.until(() => stateOf(n, ok) === 'running' && stateOf(n, sick) === 'failed', 'healthy running, unhealthy failed');
    assert.equal(n.container(ok)?.State.Health?.Status, 'healthy');
    const at = (state: TaskStateName): number => Date.parse(n.reporter.updates.find((u) => u.taskId === ok.ID && u.status.State === state)!.status.Timestamp);
    assert.ok(at('running') - at('starting') >= 2000, 'running only once the first probe (after 2 s) passed');
    assert.equal(n.agent.worker.status(sick.ID)!.Err, 'task: non-zero exit (143): unhealthy container');
    assert.equal(n.container(sick)?.State.Running, false, 'the unhealthy container was stopped');
  });

  it('a task dropped from the assignments is stopped and its container removed', async () => {
    await using n = await aNode();
    const t = task();
    n.agent.worker.apply({ type: 'complete', tasks: [t] });
    await n.until(() => stateOf(n, t) === 'running', 'running');
    n.agent.worker.apply({ type: 'complete', tasks: [] });
    await n.until(() => n.container(t) === undefined, 'removed');
    assert.deepEqual(n.agent.worker.tasks(), []);
  });

  it('a restarted agent resumes: the running container is adopted, an exit while it was down is reported', async () => {
    await using n = await aNode();
    const stays = task();
    const dies = task();
    n.agent.worker.apply({ type: 'complete', tasks: [stays, dies] });
    await n.until(() => stateOf(n, stays) === 'running' && stateOf(n, dies) === 'running', 'running');
    const before = n.reporter.updates.length;
    const stayId = n.container(stays)!.Id;
    const dieId = n.container(dies)!.Id;
    await n.restart(() => n.agent.containers.host.exit(dieId, 3));
    await n.until(() => stateOf(n, dies) === 'failed', 'the exit seen after the restart');
    assert.equal(n.agent.worker.status(dies.ID)!.Err, 'task: non-zero exit (3)');
    await n.until(() => n.reporter.updates.slice(before).some((u) => u.taskId === stays.ID), 'the running task reported again');
    assert.equal(stateOf(n, stays), 'running');
    assert.equal(n.container(stays)?.Id, stayId, 'the same container');
    assert.equal(n.container(stays)?.State.Running, true);
    assert.ok(existsSync(join(n.agent.containers.dir, 'worker', 'tasks', `${stays.ID}.json`)));
    // And it still controls it: desired shutdown after the restart stops it.
    n.agent.worker.apply({ type: 'complete', tasks: [{ ...stays, DesiredState: 'shutdown' }, dies] });
    await n.until(() => stateOf(n, stays) === 'shutdown', 'shutdown after the restart');
    assert.equal(n.container(stays)?.State.Running, false);
  });
});
