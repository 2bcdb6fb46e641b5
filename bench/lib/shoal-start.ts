/**
 * One container start through the Engine API, as `docker run -d IMAGE` drives it: `POST /containers/create` with
 * the body the CLI builds for no flags, `POST /containers/{id}/start`, then `GET /containers/{id}/json` until
 * `State.Running` (normally true on the first read). Each segment is timed; `total` is create → running.
 */
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { cleanupHostState } from '../../test/harness/daemon.js';
import type { TestDaemon } from '../../test/harness/daemon.js';
import { processesMentioning } from './dockerd.js';
import { buildCreateBody, detachBody } from '../../src/cli/commands/container/create-body.js';
import type { ContainerCreateBody } from '../../src/client/container-types.js';
import { containerCreate, containerInspect, containerRemove, containerStart } from '../../src/client/containers.js';
import type { EngineClient } from '../../src/client/index.js';
import { cgroupMembers, descendants, memoryOf, rssOf, statusOf } from './proc.js';
import type { MemorySample } from './proc.js';

/** The body `docker run -d IMAGE` sends (no flags, no command). */
export function runDetachedBody(image: string): ContainerCreateBody {
  return detachBody(
    buildCreateBody({}, image, [], {
      env: {},
      readFile: () => {
        throw new Error('no files in the benchmark');
      },
      cwd: process.cwd(),
      consoleSize: [0, 0],
    }),
  );
}

export interface StartTiming {
  id: string;
  /** create → running, ms. */
  total: number;
  create: number;
  start: number;
  /** inspect(s) until State.Running. */
  confirm: number;
}

/** Rejects with the signal's reason once it aborts. */
export function bounded<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
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

export class ShoalStarter {
  /** Containers created and not yet removed (what cleanup must remove). */
  readonly live = new Set<string>();

  constructor(
    private readonly client: EngineClient,
    private readonly body: ContainerCreateBody,
    private readonly signal: AbortSignal,
  ) {}

  async start(name: string): Promise<StartTiming> {
    const t0 = performance.now();
    const { Id } = await bounded(containerCreate(this.client, this.body, { name }), this.signal);
    this.live.add(Id);
    const t1 = performance.now();
    await bounded(containerStart(this.client, Id), this.signal);
    const t2 = performance.now();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ins = await bounded(containerInspect(this.client, Id), this.signal);
      if (ins.State.Running) break;
      if (ins.State.Status === 'exited' || ins.State.Status === 'dead') throw new Error(`container ${name} is ${ins.State.Status} (exit ${ins.State.ExitCode}) right after start`);
      if (Date.now() > deadline) throw new Error(`container ${name} is not running 10 s after start (${ins.State.Status})`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const t3 = performance.now();
    return { id: Id, total: t3 - t0, create: t1 - t0, start: t2 - t1, confirm: t3 - t2 };
  }

  /** `DELETE /containers/{id}?force=1`; resolves with its wall time in ms. */
  async remove(id: string): Promise<number> {
    const t0 = performance.now();
    await bounded(containerRemove(this.client, id, { force: true }), this.signal);
    this.live.delete(id);
    return performance.now() - t0;
  }

  /** Best-effort removal of every live container, each bounded by `timeoutMs`. */
  async removeAll(timeoutMs: number): Promise<string[]> {
    const failed: string[] = [];
    for (const id of [...this.live]) {
      const t = AbortSignal.timeout(timeoutMs);
      try {
        await bounded(containerRemove(this.client, id, { force: true }), t);
        this.live.delete(id);
      } catch {
        failed.push(id);
      }
    }
    return failed;
  }

  /** The container's init PID from inspect. */
  async pid(id: string): Promise<number> {
    const ins = await bounded(containerInspect(this.client, id), this.signal);
    const pid = ins.State.Pid;
    if (typeof pid !== 'number' || pid <= 0) throw new Error(`container ${id} has no PID in inspect (${String(pid)})`);
    return pid;
  }
}

export interface ContainerMemory {
  conmonPid: number | undefined;
  conmon: MemorySample | undefined;
  /** PIDs of the container's own processes (its cgroup, or init and its descendants). */
  pids: number[];
  container: MemorySample;
  /** RSS of conmon and the container's processes together (bytes), for comparison with PSS. */
  rssBytes: number;
}

/** conmon of a container: its init's parent, else a `conmon` whose command line names the container ID. */
function findConmon(initPid: number, id: string, pgrep: (id: string) => number[]): number | undefined {
  const ppid = statusOf(initPid)?.ppid;
  if (ppid !== undefined && statusOf(ppid)?.comm === 'conmon') return ppid;
  return pgrep(id).find((p) => statusOf(p)?.comm === 'conmon');
}

/** Memory of one running container: its conmon, and the sum over its own processes. */
export function containerMemory(initPid: number, id: string, pgrep: (id: string) => number[]): ContainerMemory {
  const conmonPid = findConmon(initPid, id, pgrep);
  const pids = (cgroupMembers(initPid) ?? descendants(initPid)).filter((p) => p !== conmonPid);
  let bytes = 0;
  let kind: MemorySample['kind'] = 'pss';
  for (const p of pids) {
    const m = memoryOf(p);
    if (m === undefined) continue;
    bytes += m.bytes;
    if (m.kind === 'rss') kind = 'rss';
  }
  const rssBytes = [...pids, ...(conmonPid === undefined ? [] : [conmonPid])].reduce((sum, p) => sum + (rssOf(p) ?? 0), 0);
  return { conmonPid, conmon: conmonPid === undefined ? undefined : memoryOf(conmonPid), pids, container: { bytes, kind }, rssBytes };
}

/**
 * The lifecycle parts every benchmark's Shoal engine shares: its processes (the daemon and the conmons of its
 * containers), its log, a clean stop, and a last-resort stop that kills by PID and removes host state.
 */
export function shoalDaemonParts(d: TestDaemon): {
  pids: () => { daemon: number[]; conmon: number[] };
  log: () => string;
  stop: () => Promise<string[]>;
  emergencyStop: () => void;
} {
  return {
    pids: () => ({
      daemon: d.pid > 0 && statusOf(d.pid) !== undefined ? [d.pid] : [],
      conmon: processesMentioning(d.dir).filter((p) => statusOf(p)?.comm === 'conmon'),
    }),
    log: () => d.log(),
    stop: async () => {
      await d[Symbol.asyncDispose]();
      return existsSync(d.dir) ? [`daemon dir left: ${d.dir}`] : [];
    },
    emergencyStop: () => {
      try {
        process.kill(-d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (const p of processesMentioning(d.dir)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      cleanupHostState(d.dir, `shoal-e2e-${d.dir.slice(-6).toLowerCase()}`);
    },
  };
}
