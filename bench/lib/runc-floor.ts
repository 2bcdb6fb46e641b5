/**
 * The floor under a container start, on the same image layers Shoal runs: one overlayfs mount of the layers (lowest
 * first), one OCI bundle from `runc spec` with `/bin/true` as the process, and runc state under its own `--root`,
 * all in one temp dir. Two measurements:
 * - `runTrue()`: `runc run` in the foreground (create, start, the process exits, runc deletes it);
 * - `conmonStart()`: what Shoal's runtime does, minus Shoal: conmon runs `runc create` and reports the PID on its
 *   sync pipe, then `runc start` (conmon's arguments come from src/agent/runtime/runc/conmon.ts, so they match).
 * Cgroups go under one parent (`/<tag>/<id>`) so cleanup can find them. `cleanup()` is synchronous, so an
 * emergency exit can call it too: it deletes every runc container under the state root, kills conmons it started,
 * unmounts and removes the temp dir and the cgroup directories.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { conmonCreateArgs, launchConmon } from '../../src/agent/runtime/runc/conmon.js';
import { run } from '../../test/harness/daemon.js';
import { statusOf } from './proc.js';

export interface FloorOptions {
  /** Image layer directories, lowest first. */
  layers: readonly string[];
  /** Unique prefix for container IDs and the cgroup parent. */
  tag: string;
  runc?: string;
  conmon?: string;
  /** Per-command bound. */
  timeoutMs?: number;
}

interface OciConfig {
  process: { args: string[]; terminal: boolean; [k: string]: unknown };
  root: { path: string; readonly: boolean };
  linux: { cgroupsPath?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const sh = (cmd: string, args: string[]): { code: number; out: string } => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
};

export class RuncFloor {
  readonly dir: string;
  readonly merged: string;
  readonly bundle: string;
  readonly state: string;
  private readonly runc: string;
  private readonly conmon: string;
  private readonly timeoutMs: number;
  private readonly tag: string;
  private mounted = false;
  private cleaned = false;

  private constructor(o: FloorOptions) {
    this.tag = o.tag;
    this.runc = o.runc ?? '/usr/sbin/runc';
    this.conmon = o.conmon ?? '/usr/bin/conmon';
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.dir = mkdtempSync(join(tmpdir(), 'shoal-bench-floor-'));
    this.merged = join(this.dir, 'merged');
    this.bundle = join(this.dir, 'bundle');
    this.state = join(this.dir, 'runc');
    for (const d of ['upper', 'work', 'merged', 'bundle', 'runc', 'exits', 'logs', 'pids', 'sock']) mkdirSync(join(this.dir, d));
  }

  static create(o: FloorOptions): RuncFloor {
    const f = new RuncFloor(o);
    try {
      f.setup(o.layers);
    } catch (e) {
      f.cleanup();
      throw e;
    }
    return f;
  }

  private setup(layers: readonly string[]): void {
    if (layers.length === 0) throw new Error('no image layers for the floor rootfs');
    const lower = [...layers].reverse().join(':');
    const m = sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(this.dir, 'upper')},workdir=${join(this.dir, 'work')}`, this.merged]);
    if (m.code !== 0) throw new Error(`mounting the floor overlay failed: ${m.out}`);
    this.mounted = true;
    const s = sh(this.runc, ['spec', '--bundle', this.bundle]);
    if (s.code !== 0) throw new Error(`runc spec failed: ${s.out}`);
    const path = join(this.bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(path, 'utf8')) as OciConfig;
    cfg.process.args = ['/bin/true'];
    cfg.process.terminal = false;
    cfg.root = { path: this.merged, readonly: false };
    writeFileSync(path, JSON.stringify(cfg, null, 2));
  }

  /** Writes the bundle's cgroupsPath for one container (runc reads config.json at create). */
  private setCgroup(id: string): void {
    const path = join(this.bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(path, 'utf8')) as OciConfig;
    cfg.linux.cgroupsPath = `/${this.tag}/${id}`;
    writeFileSync(path, JSON.stringify(cfg, null, 2));
  }

  /** `runc run` of /bin/true in the foreground; resolves with the wall time in ms. */
  async runTrue(id: string): Promise<number> {
    this.setCgroup(id);
    const t0 = performance.now();
    const r = await run(this.runc, ['--root', this.state, 'run', '--bundle', this.bundle, id], { timeoutMs: this.timeoutMs });
    const t = performance.now() - t0;
    if (r.code !== 0) throw new Error(`runc run ${id} exited ${r.code}: ${r.stderr.trim()}`);
    return t;
  }

  /**
   * conmon → `runc create`, the PID on the sync pipe, then `runc start`: the wall time in ms up to `runc start`
   * returning. The exit and `runc delete` that follow are not timed.
   */
  async conmonStart(id: string): Promise<number> {
    this.setCgroup(id);
    const exitFile = join(this.dir, 'exits', id);
    const t0 = performance.now();
    const conmon = launchConmon(
      this.conmon,
      conmonCreateArgs({
        id,
        runtimePath: this.runc,
        runcRoot: this.state,
        bundle: this.bundle,
        pidFile: join(this.dir, 'pids', `${id}.pid`),
        conmonPidFile: join(this.dir, 'pids', `${id}.conmon.pid`),
        logPath: join(this.dir, 'logs', `${id}.log`),
        exitDir: join(this.dir, 'exits'),
        socketDir: join(this.dir, 'sock'),
        terminal: false,
        stdin: false,
        leaveStdinOpen: false,
      }),
      { cwd: this.dir },
    );
    let timer: NodeJS.Timeout | undefined;
    const msg = await Promise.race([
      conmon.sync.next(),
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), this.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (msg === undefined || msg.data <= 0) {
      conmon.release();
      throw new Error(`conmon create ${id} failed: ${msg?.message ?? (conmon.stderr() || 'no message on the sync pipe')}`);
    }
    conmon.release();
    const r = await run(this.runc, ['--root', this.state, 'start', id], { timeoutMs: this.timeoutMs });
    const t = performance.now() - t0;
    if (r.code !== 0) throw new Error(`runc start ${id} exited ${r.code}: ${r.stderr.trim()}`);
    // Untimed: conmon writes the exit file once /bin/true has exited, then the container is deleted.
    const deadline = Date.now() + this.timeoutMs;
    while (!existsSync(exitFile) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
    const del = await run(this.runc, ['--root', this.state, 'delete', '--force', id], { timeoutMs: this.timeoutMs });
    if (del.code !== 0) throw new Error(`runc delete ${id} exited ${del.code}: ${del.stderr.trim()}`);
    return t;
  }

  /** Removes everything: runc containers, conmons, the mount, the temp dir, the cgroups. Idempotent, synchronous. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    if (existsSync(this.state)) {
      const list = sh(this.runc, ['--root', this.state, 'list', '-q']);
      for (const id of list.out.split('\n').filter((x) => x !== '' && x.startsWith(this.tag))) sh(this.runc, ['--root', this.state, 'delete', '--force', id]);
    }
    const pids = join(this.dir, 'pids');
    for (const f of existsSync(pids) ? readdirSync(pids).filter((n) => n.endsWith('.conmon.pid')) : []) {
      const pid = Number(readFileSync(join(pids, f), 'utf8').trim());
      if (pid > 0 && statusOf(pid)?.comm === 'conmon') {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (this.mounted) {
      if (sh('umount', [this.merged]).code !== 0) sh('umount', ['-l', this.merged]);
      this.mounted = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
    for (const ctl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const parent = join('/sys/fs/cgroup', ctl, this.tag);
      if (!existsSync(parent)) continue;
      for (const c of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        try {
          rmdirSync(join(parent, c.name));
        } catch {
          // busy for a moment after its last process
        }
      }
      try {
        rmdirSync(parent);
      } catch {
        // left behind; reported by the caller's leak check
      }
    }
  }

  /** Anything this floor left on the host (for the final leak check). */
  leftovers(): string[] {
    const out: string[] = [];
    if (existsSync(this.dir)) out.push(this.dir);
    for (const ctl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const parent = join('/sys/fs/cgroup', ctl, this.tag);
      if (existsSync(parent)) out.push(parent);
    }
    if (readFileSync('/proc/self/mountinfo', 'utf8').includes(this.merged)) out.push(`mount ${this.merged}`);
    return out;
  }
}
