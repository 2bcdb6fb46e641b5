/**
 * Builders for the container service's tests (src/agent/containers): a harness with the FAKE runtime (a process
 * boundary, DESIGN §4.3), the REAL image store holding a fixture image (not a boundary: never faked), a fake clock,
 * seeded randomness and a capturing logger, all in a temp dir removed on dispose.
 *
 *   const images = await fixtureImages();                 // once per file (before), disposed in after
 *   await using h = await aContainerHarness(images);
 *   const id = await h.create(fakeProgram('exit', '3'));  // Entrypoint ["fake"], Cmd ["exit","3"] on the fixture image
 *   await h.svc.start(id);
 *   await eventually(() => h.state(id).Status === 'exited', 'exit');
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerCreateRequest, ContainerInspect } from '../../src/api/container.js';
import { ExecRegistry } from '../../src/agent/containers/execs.js';
import { ContainerService, type ContainerServiceOptions } from '../../src/agent/containers/service.js';
import type { NetworkHost } from '../../src/agent/exec/network.js';
import type { ContainerSpec } from '../../src/agent/exec/runtime.js';
import { openImageStore, type LocalImageStore } from '../../src/agent/runtime/images/index.js';
import type { ImageRecord } from '../../src/agent/runtime/images/store-port.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from '../../src/agent/runtime/oci/index.js';
import { captureLogger, nullLogger, type LogRecord } from '../../src/lib/logger.js';
import { seededRandom } from '../../src/lib/random.js';
import { FakeClock } from '../fakes/clock.js';
import { FakeRuntimeHost, type FakeRuntime } from '../fakes/runtime.js';
import { buildImageTar, type BuiltImageTar, type ImageKind } from '../fixtures/images/build.js';

/** Awaits a condition with a deadline (real time; no fixed sleeps): polls every few ms, fails after `ms`. */
export async function eventually(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** True once `p` has settled (for asserting that something has NOT happened yet, after letting work run). */
export function settled(p: Promise<unknown>): () => boolean {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

/** Lets every queued microtask and I/O callback run (not a sleep: nothing waits on time). */
export async function drain(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A real image store in a temp dir, holding one fixture image (built from the host's busybox; cached). */
export interface FixtureImages extends AsyncDisposable {
  dir: string;
  store: LocalImageStore;
  image: BuiltImageTar;
  /** The image's reference as users type it (`shoal-test/misbehave:1`). */
  ref: string;
  record: ImageRecord;
}

export async function fixtureImages(kind: ImageKind = 'misbehave'): Promise<FixtureImages> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-containers-images-'));
  try {
    const image = await buildImageTar(kind);
    const store = await openImageStore({ root: join(dir, 'images'), logger: nullLogger });
    await store.load(image.path);
    const record = await store.resolve(image.repoTag);
    if (!record) throw new Error(`fixture image ${image.repoTag} did not load`);
    return {
      dir,
      store,
      image,
      ref: image.repoTag,
      record,
      [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A create body running one of the fake runtime's programs on the fixture image: `fake <args...>`. */
export function fakeProgram(...args: string[]): Pick<ContainerCreateRequest, 'Entrypoint' | 'Cmd'> {
  return { Entrypoint: ['fake'], Cmd: args };
}

export interface HarnessOptions {
  seed?: number;
  /** A host shared with another harness (adoption: a restarted agent on the same machine). */
  host?: FakeRuntimeHost;
  clock?: FakeClock;
  /** Reuse another harness's data dirs (root, volumes). */
  root?: string;
  withInit?: boolean;
  swapLimitSupported?: boolean;
  /** The node's networking (containers with networks get sandboxes from it). */
  network?: NetworkHost;
}

export interface ContainerHarness extends AsyncDisposable {
  dir: string;
  root: string;
  clock: FakeClock;
  host: FakeRuntimeHost;
  runtime: FakeRuntime;
  images: FixtureImages;
  svc: ContainerService;
  execs: ExecRegistry;
  logs: LogRecord[];
  /** The init binary's host path when `withInit`. */
  initBinary: string | undefined;
  /** Creates a container from the fixture image (Image defaulted) and returns its ID. */
  create(body?: Partial<ContainerCreateRequest>, name?: string): Promise<string>;
  /** Creates and starts. */
  run(body?: Partial<ContainerCreateRequest>, name?: string): Promise<string>;
  inspect(ref: string): ContainerInspect;
  state(ref: string): ContainerInspect['State'];
  /** The spec the runtime received for the container's current run. */
  spec(id: string): ContainerSpec;
  /** Container directories present under the records root. */
  recordDirs(): string[];
  /** Error-level log records (a monitor that failed, a refused auto-remove...). */
  errors(): LogRecord[];
  /** Waits until the service has armed at least `n` timers on the fake clock. */
  armed(n?: number): Promise<void>;
}

export async function aContainerHarness(images: FixtureImages, o: HarnessOptions = {}): Promise<ContainerHarness> {
  const dir = o.root ? join(o.root, '..') : mkdtempSync(join(tmpdir(), 'shoal-containers-'));
  const ownsDir = o.root === undefined;
  const root = o.root ?? join(dir, 'containers');
  const clock = o.clock ?? new FakeClock();
  const host = o.host ?? new FakeRuntimeHost({ clock });
  const runtime = host.runtime();
  let initBinary: string | undefined;
  if (o.withInit === true) {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    initBinary = join(dir, 'bin', 'tini-static');
    writeFileSync(initBinary, '#!/bin/true\n', { mode: 0o755 });
  }
  const logs: LogRecord[] = [];
  const options: ContainerServiceOptions = {
    root,
    volumesRoot: join(dir, 'volumes'),
    runtime,
    images: images.store,
    clock,
    random: seededRandom(o.seed ?? 1),
    logger: captureLogger(logs),
    capabilities: (add, drop, privileged) => tweakCapabilities(DEFAULT_CAPABILITIES, add, drop, privileged),
    initBinary,
    swapLimitSupported: o.swapLimitSupported ?? true,
    resolvConf: () => 'nameserver 192.0.2.53\n',
    ...(o.network !== undefined ? { network: o.network } : {}),
  };
  const svc = new ContainerService(options);
  const execs = new ExecRegistry(svc, runtime, seededRandom((o.seed ?? 1) + 1000), async (ref) => {
    const img = await images.store.resolve(svc.inspect(ref).Image);
    return img ? images.store.layerDirs(img) : [];
  });
  const h: ContainerHarness = {
    dir,
    root,
    clock,
    host,
    runtime,
    images,
    svc,
    execs,
    logs,
    initBinary,
    create: async (body = {}, name) => (await svc.create({ Image: images.ref, ...fakeProgram('sleep'), ...body }, name)).Id,
    run: async (body = {}, name) => {
      const id = await h.create(body, name);
      await svc.start(id);
      return id;
    },
    inspect: (ref) => svc.inspect(ref),
    state: (ref) => svc.inspect(ref).State,
    spec: (id) => {
      const c = host.containers.get(id);
      if (!c) throw new Error(`no runtime container ${id}`);
      return c.spec;
    },
    recordDirs: () => readdirSync(root),
    errors: () => logs.filter((r) => r.level === 'error'),
    armed: (n = 1) => eventually(() => clock.pendingSleeps >= n, `${n} timer(s) armed on the fake clock`),
    [Symbol.asyncDispose]: async () => {
      svc.close();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
