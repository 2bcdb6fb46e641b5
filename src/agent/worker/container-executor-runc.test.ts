/**
 * The Controller contract, and the worker, on the real stack (root only): ContainerExecutor → ContainerService → runc under conmon,
 * with the real image store holding the misbehave fixture image, on the system clock. Every container, cgroup and
 * state directory carries a unique prefix and is removed in cleanup, even when a case fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerInspect } from '../../api/container.js';
import { isShoalError } from '../../api/errors.js';
import { TaskState } from '../../api/task-state.js';
import { systemClock } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import { fixtureImages, type FixtureImages } from '../../../test/builders/containers.js';
import { anAgentTask, controllerContract, type ControllerPrograms } from '../../../test/contracts/controller.js';
import { within } from '../../../test/contracts/runtime.js';
import { FAKE_DESCRIPTION } from '../../../test/fakes/executor.js';
import { ContainerService } from '../containers/service.js';
import type { AgentTask } from '../exec/controller.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from '../runtime/oci/index.js';
import { readMountinfo } from '../runtime/rootfs/index.js';
import { createRuncRuntime, readHostInfo } from '../runtime/runc/index.js';
import { containerName } from './container-config.js';
import { ContainerExecutor } from './container-executor.js';
import type { StatusUpdate } from './types.js';
import { Worker } from './worker.js';

const isRoot = process.getuid?.() === 0;
const haveTools = ['/usr/sbin/runc', '/usr/bin/conmon', '/usr/bin/perl', '/bin/busybox'].every((p) => existsSync(p));
const skip = !isRoot ? 'needs root' : !haveTools ? 'needs runc, conmon, perl and busybox-static' : false;

const RUN = `shoal-wk-${randomBytes(4).toString('hex')}`;
const workDir = join(tmpdir(), RUN);
const cgroupParents = new Set<string>();
let images: FixtureImages | undefined;
let harnesses = 0;

/** The misbehave image's modes (its entrypoint is /misbehave). */
const programs: ControllerPrograms = {
  exit: (code) => ({ Args: ['exit-code', String(code)] }),
  sleep: () => ({ Args: ['sleep'] }),
  ignoreTerm: () => ({ Args: ['ignore-term'] }),
  missingBinary: () => ({ Command: ['/nonexistent/binary'] }),
  check: (pass) => ({ Test: ['CMD-SHELL', pass ? 'exit 0' : 'exit 1'], Interval: 200_000_000, Timeout: 5_000_000_000, Retries: 1 }),
};

async function removeCgroupParent(parent: string): Promise<void> {
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctrl, parent);
    if (existsSync(dir)) await rmdir(dir).catch(() => undefined);
  }
}

before(async () => {
  if (skip) return;
  mkdirSync(workDir, { recursive: true });
  images = await fixtureImages('misbehave');
});

after(async () => {
  for (const p of cgroupParents) await removeCgroupParent(p);
  await images?.[Symbol.asyncDispose]();
  if (!existsSync(workDir)) return;
  const mounts = (await readMountinfo()).filter((m) => m.mountPoint.startsWith(workDir));
  if (mounts.length === 0) rmSync(workDir, { recursive: true, force: true });
});

interface Stack {
  svc: ContainerService;
  executor: ContainerExecutor;
  dir: string;
  inspect(task: AgentTask): ContainerInspect | undefined;
  cleanup(): Promise<void>;
}

/** ContainerService on a fresh runc runtime (own state dir and cgroup parent), with the executor over it. */
async function aStack(): Promise<Stack> {
  if (!images) throw new Error('fixture images not loaded');
  const store = images.store;
  const n = ++harnesses;
  const dir = join(workDir, `h${n}`);
  const cgroupParent = `${RUN}-${n}`;
  cgroupParents.add(cgroupParent);
  const host = await readHostInfo();
  const runtime = await createRuncRuntime({ stateDir: join(dir, 'runtime'), cgroupParent, host, pollIntervalMs: 250 });
  const svc = new ContainerService({
    root: join(dir, 'containers'),
    volumesRoot: join(dir, 'volumes'),
    runtime,
    images: store,
    clock: systemClock,
    random: seededRandom(n),
    logger: nullLogger,
    capabilities: (add, drop, privileged) => tweakCapabilities(DEFAULT_CAPABILITIES, add, drop, privileged, host.oci.capabilities ? { available: host.oci.capabilities } : {}),
    initBinary: undefined,
    swapLimitSupported: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    resolvConf: () => 'nameserver 192.0.2.53\n',
  });
  const executor = new ContainerExecutor({ containers: svc, images: store, clock: systemClock, logger: nullLogger, describe: () => FAKE_DESCRIPTION, healthPollMs: 50 });
  return {
    svc,
    executor,
    dir,
    inspect: (task) => {
      try {
        return svc.inspect(containerName(task));
      } catch (e) {
        if (isShoalError(e, 'NotFound')) return undefined;
        throw e;
      }
    },
    cleanup: async () => {
      svc.close();
      for (const s of await runtime.list()) await runtime.delete(s.id, { force: true }).catch(() => undefined);
      runtime.close();
      await removeCgroupParent(cgroupParent);
      const mounts = (await readMountinfo()).filter((m) => m.mountPoint.startsWith(dir));
      if (mounts.length === 0) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls a condition in real time (runc runs real processes), failing after the deadline. */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (skip) {
  describe('container executor on runc', () => {
    it('runs only as root with runc, conmon, perl and busybox', () => assert.fail(String(skip)));
  });
} else {
  controllerContract('container executor on runc', async () => {
    const s = await aStack();
    return {
      executor: s.executor,
      image: images!.ref,
      programs,
      missingImage: { ref: '127.0.0.1:9/shoal-missing/none', error: /^No such image: 127\.0\.0\.1:9\/shoal-missing\/none:latest \(pulling it failed: registry ping: .+\)$/ },
      exists: async (task) => s.inspect(task) !== undefined,
      running: async (task) => s.inspect(task)?.State.Running === true,
      settle: (p, what) => within(p, what, 30_000),
      cleanup: () => s.cleanup(),
    };
  });

  describe('worker on runc', () => {
    it('runs a task to running, stops it on desired shutdown, and fails one that exits non-zero', async () => {
      const s = await aStack();
      const updates: StatusUpdate[] = [];
      const worker = new Worker({
        executor: s.executor,
        reporter: { reportStatus: async (u) => void updates.push(...u) },
        storeDir: join(s.dir, 'worker'),
        clock: systemClock,
        logger: nullLogger,
      });
      const ac = new AbortController();
      const running = worker.run(ac.signal);
      try {
        const web = anAgentTask(images!.ref, { Args: ['sleep'], StopGracePeriod: 5_000_000_000 });
        const crash = anAgentTask(images!.ref, { Args: ['crash', '3'] });
        worker.apply({ type: 'complete', tasks: [web, crash] });
        await until(() => worker.status(web.ID)?.State === 'running', 'web running');
        assert.equal(s.inspect(web)?.State.Running, true);
        assert.equal(s.inspect(web)?.Name, `/web.1.${web.ID}`);
        await until(() => worker.status(crash.ID)?.State === 'failed', 'crash failed');
        assert.equal(worker.status(crash.ID)?.Err, 'task: non-zero exit (3)');
        worker.apply({ type: 'incremental', changes: [{ action: 'update', task: { ...web, DesiredState: 'shutdown' } }] });
        await until(() => worker.status(web.ID)?.State === 'shutdown', 'web shutdown');
        assert.equal(s.inspect(web)?.State.Running, false);
        await until(() => updates.some((u) => u.taskId === web.ID && u.status.State === 'shutdown'), 'shutdown reported');
        const states = updates.filter((u) => u.taskId === web.ID).map((u) => u.status.State);
        assert.deepEqual(states, [...states].sort((a, b) => TaskState[a] - TaskState[b]), 'reported in order');
      } finally {
        ac.abort();
        await running;
        await s.cleanup();
      }
    });
  });
}
