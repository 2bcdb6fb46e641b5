/**
 * The Controller contract against the fake executor and against the real ContainerExecutor on ContainerService over
 * the fake runtime (the runtime is the process boundary) with the real image store holding a fixture image.
 * container-executor-runc.test.ts runs it on runc.
 */
import { after, before } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { nullLogger } from '../../lib/logger.js';
import { aContainerHarness, fixtureImages, type FixtureImages } from '../../../test/builders/containers.js';
import { controllerContract, settleOnFakeClock, type ControllerPrograms } from '../../../test/contracts/controller.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { FAKE_DESCRIPTION, FakeExecutor } from '../../../test/fakes/executor.js';
import { containerName } from './container-config.js';
import { ContainerExecutor } from './container-executor.js';

/** The fake runtime's programs (and the fake executor's, which speaks the same language). */
const fakePrograms: ControllerPrograms = {
  exit: (code) => ({ Command: ['fake'], Args: ['exit', String(code)] }),
  sleep: () => ({ Command: ['fake'], Args: ['sleep'] }),
  ignoreTerm: () => ({ Command: ['fake'], Args: ['sleep', '--ignore', 'SIGTERM'] }),
  missingBinary: () => ({ Command: ['/nonexistent/binary'] }),
  check: (pass) => ({ Test: ['CMD', 'fake', 'exit', pass ? '0' : '1'], Interval: 100_000_000, Retries: 1 }),
};

controllerContract('fake executor', async () => {
  const clock = new FakeClock();
  const executor = new FakeExecutor(clock, { images: ['shoal-test/misbehave:1'] });
  return {
    executor,
    image: 'shoal-test/misbehave:1',
    programs: fakePrograms,
    missingImage: { ref: 'shoal-missing/none', error: 'No such image: shoal-missing/none:latest' },
    exists: async (task) => executor.containers.has(task.ID),
    running: async (task) => executor.containers.get(task.ID)?.state === 'running',
    settle: (p, what) => settleOnFakeClock(clock, p, what),
    cleanup: async () => undefined,
  };
});

let images: FixtureImages;
before(async () => {
  images = await fixtureImages('misbehave');
});
after(async () => {
  await images[Symbol.asyncDispose]();
});

controllerContract('container executor on the fake runtime', async () => {
  const h = await aContainerHarness(images);
  const executor = new ContainerExecutor({
    containers: h.svc,
    images: images.store,
    clock: h.clock,
    logger: nullLogger,
    describe: () => FAKE_DESCRIPTION,
  });
  const inspect = (task: Parameters<typeof containerName>[0]): ReturnType<typeof h.svc.inspect> | undefined => {
    try {
      return h.svc.inspect(containerName(task));
    } catch (e) {
      if (isShoalError(e, 'NotFound')) return undefined;
      throw e;
    }
  };
  return {
    executor,
    image: images.ref,
    programs: fakePrograms,
    // A loopback registry that refuses connections: the pull fails at once, the create then says what docker says.
    missingImage: { ref: '127.0.0.1:9/shoal-missing/none', error: /^No such image: 127\.0\.0\.1:9\/shoal-missing\/none:latest \(pulling it failed: registry ping: .+\)$/ },
    exists: async (task) => inspect(task) !== undefined,
    running: async (task) => inspect(task)?.State.Running === true,
    settle: (p, what) => settleOnFakeClock(h.clock, p, what),
    cleanup: async () => h[Symbol.asyncDispose](),
  };
});
