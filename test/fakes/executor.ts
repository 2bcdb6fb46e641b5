/**
 * An in-memory Executor (the container runtime is a process boundary, DESIGN §4.3) that passes the same contract
 * as the real ContainerExecutor (test/contracts/controller.ts). One simulated container per task, on a Clock.
 *
 * The container's program is its command line (ContainerSpec Command + Args), the fake runtime's language:
 *   fake exit N                      exit N once started
 *   fake sleep [--ignore SIGNAL]...  run until a signal it does not ignore (exit 128+n); anything else runs like it
 * A command containing "nonexistent" fails to start, as runc does. An image not in `images` cannot be pulled.
 * A healthcheck's test is a program too: `CMD fake exit 0` passes, `CMD fake exit N` fails; the verdict follows
 * docker's rules (healthy after the first passing probe, unhealthy after `Retries` failing ones, one probe per
 * `Interval`, default 30 s and 3 retries).
 *
 * Tests drive the rest from outside: `exit(taskId, code)`, `failNext(op, message)`, `gate(op)` (the next call waits
 * until released), and read `containers` and `calls`.
 */
import type { Clock } from '../../src/lib/clock.js';
import type { AgentTask, ContainerStatus, Controller, EngineDescription, ExitResult, Executor, HealthVerdict } from '../../src/agent/exec/controller.js';
import { containerName, stopGraceSeconds } from '../../src/agent/worker/container-config.js';

export type FakeOp = 'prepare' | 'start' | 'health' | 'wait' | 'shutdown' | 'remove';

export interface FakeContainer {
  id: string;
  name: string;
  taskId: string;
  image: string;
  args: string[];
  state: 'created' | 'running' | 'exited';
  pid: number;
  exitCode: number;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  /** How many times it was started (a task's container runs once). */
  starts: number;
  exited: Promise<ExitResult>;
  resolveExit: (e: ExitResult) => void;
  /** Stops the healthcheck loop. */
  probes?: AbortController;
}

export const FAKE_DESCRIPTION: EngineDescription = {
  Hostname: 'fake-node',
  Platform: { Architecture: 'x86_64', OS: 'linux' },
  Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 },
  Engine: { EngineVersion: '0.0.0-fake', Labels: {}, Plugins: [{ Type: 'Volume', Name: 'local' }] },
};

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

function signalNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const n = SIGNALS[name];
  if (n === undefined) throw new Error(`invalid signal: ${s}`);
  return n;
}

/** `x` → `x:latest`, as docker's "No such image" names it. */
function withTag(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  return ref.includes('@') || ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export class FakeExecutor implements Executor {
  /** Containers by task ID. */
  readonly containers = new Map<string, FakeContainer>();
  /** Every operation called, in order. */
  readonly calls: { taskId: string; op: FakeOp }[] = [];
  readonly images: Set<string>;
  private readonly failures: { op: FakeOp; message: string; taskId?: string }[] = [];
  private readonly gates: { op: FakeOp; taskId?: string; opened: Promise<void>; open: () => void }[] = [];
  private nextId = 1;

  constructor(
    readonly clock: Clock,
    opts: { images?: string[]; description?: EngineDescription } = {},
  ) {
    this.images = new Set((opts.images ?? ['busybox:latest']).map(withTag));
    this.description = opts.description ?? FAKE_DESCRIPTION;
  }

  private readonly description: EngineDescription;

  async describe(): Promise<EngineDescription> {
    return structuredClone(this.description);
  }

  controller(task: AgentTask): Controller {
    return new FakeController(this, task);
  }

  /** The next call of `op` (for `taskId`, or any task) throws `message`. */
  failNext(op: FakeOp, message: string, taskId?: string): void {
    this.failures.push({ op, message, ...(taskId !== undefined ? { taskId } : {}) });
  }

  /**
   * The next call of `op` (for `taskId`, or any task) waits until the returned function is called (or its signal
   * aborts), as a slow pull or stop would.
   */
  gate(op: FakeOp, taskId?: string): () => void {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    this.gates.push({ op, opened, open, ...(taskId !== undefined ? { taskId } : {}) });
    return open;
  }

  /** @internal */
  async pass(taskId: string, op: FakeOp, signal: AbortSignal | undefined): Promise<void> {
    const i = this.gates.findIndex((g) => g.op === op && (g.taskId === undefined || g.taskId === taskId));
    if (i < 0) return;
    const [g] = this.gates.splice(i, 1);
    await (signal ? abortable(g!.opened, signal) : g!.opened);
  }

  /** The task's container exits with `code` (as if its process ended). */
  exit(taskId: string, code: number): void {
    const c = this.containers.get(taskId);
    if (!c) throw new Error(`no container for task ${taskId}`);
    this.finish(c, code);
  }

  /** @internal */
  record(taskId: string, op: FakeOp): void {
    this.calls.push({ taskId, op });
    const i = this.failures.findIndex((f) => f.op === op && (f.taskId === undefined || f.taskId === taskId));
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new Error(f!.message);
    }
  }

  /** @internal */
  create(task: AgentTask): FakeContainer {
    const spec = task.Spec.ContainerSpec;
    const image = spec?.Image ?? '';
    if (!this.images.has(withTag(image))) throw new Error(`No such image: ${withTag(image)}`);
    let resolveExit!: (e: ExitResult) => void;
    const exited = new Promise<ExitResult>((r) => (resolveExit = r));
    const n = this.nextId++;
    const c: FakeContainer = {
      id: n.toString(16).padStart(64, '0'),
      name: containerName(task),
      taskId: task.ID,
      image,
      args: [...(spec?.Command ?? []), ...(spec?.Args ?? [])],
      state: 'created',
      pid: 0,
      exitCode: 0,
      health: spec?.Healthcheck?.Test && spec.Healthcheck.Test.length > 0 && spec.Healthcheck.Test[0] !== 'NONE' ? 'starting' : 'none',
      starts: 0,
      exited,
      resolveExit,
    };
    this.containers.set(task.ID, c);
    return c;
  }

  /** @internal */
  start(c: FakeContainer, task: AgentTask): void {
    if (c.args.some((a) => a.includes('nonexistent'))) {
      throw new Error(`OCI runtime create failed: exec: "${c.args[0] ?? ''}": stat ${c.args[0] ?? ''}: no such file or directory`);
    }
    c.state = 'running';
    c.pid = 4200 + this.nextId++;
    c.starts++;
    if (c.args[0] === 'fake' && c.args[1] === 'exit') {
      const code = Number(c.args[2] ?? 0);
      queueMicrotask(() => this.finish(c, code));
    }
    if (c.health === 'starting') this.probe(c, task);
  }

  private probe(c: FakeContainer, task: AgentTask): void {
    const h = task.Spec.ContainerSpec?.Healthcheck ?? {};
    const test = h.Test ?? [];
    const args = test[0] === 'CMD' || test[0] === 'CMD-SHELL' ? test.slice(1) : test;
    const passes = args[0] === 'fake' && args[1] === 'exit' && Number(args[2] ?? 0) === 0;
    const intervalMs = (h.Interval || 30e9) / 1e6;
    const retries = h.Retries || 3;
    const ac = new AbortController();
    c.probes = ac;
    void (async () => {
      let failing = 0;
      for (;;) {
        await this.clock.sleep(intervalMs, ac.signal);
        if (c.state !== 'running') return;
        if (passes) {
          failing = 0;
          c.health = 'healthy';
        } else if (++failing >= retries) c.health = 'unhealthy';
      }
    })().catch(() => undefined);
  }

  /** @internal */
  signal(c: FakeContainer, sig: string): void {
    if (c.state !== 'running') return;
    const n = signalNumber(sig);
    if (n !== 9 && this.ignores(c, n)) return;
    this.finish(c, 128 + n);
  }

  private ignores(c: FakeContainer, n: number): boolean {
    for (let i = 0; i < c.args.length; i++) if (c.args[i] === '--ignore' && signalNumber(c.args[i + 1] ?? '') === n) return true;
    return false;
  }

  private finish(c: FakeContainer, code: number): void {
    if (c.state === 'exited') return;
    c.state = 'exited';
    c.exitCode = code;
    c.pid = 0;
    c.probes?.abort();
    if (c.health !== 'none') c.health = 'unhealthy';
    c.resolveExit({ exitCode: code });
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

class FakeController implements Controller {
  constructor(
    private readonly x: FakeExecutor,
    private readonly task: AgentTask,
  ) {}

  private get c(): FakeContainer | undefined {
    return this.x.containers.get(this.task.ID);
  }

  async prepare(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.x.record(this.task.ID, 'prepare');
    await this.x.pass(this.task.ID, 'prepare', signal);
    if (!this.c) this.x.create(this.task);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.x.record(this.task.ID, 'start');
    await this.x.pass(this.task.ID, 'start', signal);
    const c = this.c;
    if (!c) throw new Error(`starting container failed: No such container: ${containerName(this.task)}`);
    if (c.state !== 'created') return;
    try {
      this.x.start(c, this.task);
    } catch (e) {
      throw new Error(`starting container failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async health(signal: AbortSignal, known?: HealthVerdict): Promise<HealthVerdict> {
    this.x.record(this.task.ID, 'health');
    for (;;) {
      signal.throwIfAborted();
      const c = this.c;
      if (!c) throw new Error(`No such container: ${containerName(this.task)}`);
      const verdict = c.health === 'none' ? 'none' : c.state === 'running' && c.health !== 'starting' ? c.health : undefined;
      if (verdict !== undefined && verdict !== known) return verdict;
      await this.x.clock.sleep(100, signal);
    }
  }

  async wait(signal: AbortSignal): Promise<ExitResult> {
    this.x.record(this.task.ID, 'wait');
    const c = this.c;
    if (!c) throw new Error(`No such container: ${containerName(this.task)}`);
    if (c.state === 'exited' || c.state === 'created') return { exitCode: c.exitCode };
    return abortable(c.exited, signal);
  }

  async shutdown(signal: AbortSignal): Promise<ExitResult | undefined> {
    signal.throwIfAborted();
    this.x.record(this.task.ID, 'shutdown');
    await this.x.pass(this.task.ID, 'shutdown', signal);
    const c = this.c;
    if (!c || c.state === 'created') return undefined;
    if (c.state === 'running') {
      this.x.signal(c, this.task.Spec.ContainerSpec?.StopSignal || 'SIGTERM');
      if (c.state === 'running') {
        const timer = new AbortController();
        const graceOver = this.x.clock.sleep(stopGraceSeconds(this.task) * 1000, timer.signal).then(
          () => true,
          () => false,
        );
        const timedOut = await Promise.race([c.exited.then(() => false), graceOver]);
        timer.abort();
        if (timedOut) this.x.signal(c, 'SIGKILL');
      }
    }
    return { exitCode: c.exitCode };
  }

  async remove(): Promise<void> {
    this.x.record(this.task.ID, 'remove');
    await this.x.pass(this.task.ID, 'remove', undefined);
    const c = this.c;
    if (!c) return;
    if (c.state === 'running') this.x.signal(c, 'SIGKILL');
    this.x.containers.delete(this.task.ID);
  }

  async status(): Promise<ContainerStatus | undefined> {
    const c = this.c;
    return c ? { ContainerID: c.id, PID: c.pid, ExitCode: c.exitCode } : undefined;
  }
}
