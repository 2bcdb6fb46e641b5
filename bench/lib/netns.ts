/**
 * Network namespaces a benchmark makes for its engines, so that nothing an engine does to networking (bridges,
 * veths, vxlans, nft tables, docker_gwbridge, published ports) happens in the machine's root namespace: deleting
 * the namespace takes it all away. A Shoal daemon enters one with `startDaemon({ netns })`
 * (test/harness/daemon.ts); a private dockerd (bench/lib/dockerd.ts) with `startDockerdIn`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDockerd } from './dockerd.js';
import type { DockerdOptions } from './dockerd.js';

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, err: (r.stderr ?? '').trim() };
}

export class BenchNetns {
  private deleted = false;

  private constructor(readonly name: string) {}

  /** `ip netns add <prefix>-<random>` with its loopback up. */
  static create(prefix: string): BenchNetns {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    const add = ip(['netns', 'add', name]);
    if (!add.ok) throw new Error(`ip netns add ${name} failed: ${add.err}`);
    const ns = new BenchNetns(name);
    const lo = ip(['-n', name, 'link', 'set', 'lo', 'up']);
    if (!lo.ok) {
      ns.delete();
      throw new Error(`ip -n ${name} link set lo up failed: ${lo.err}`);
    }
    return ns;
  }

  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Deletes the namespace (idempotent); what could not be done. */
  delete(): string[] {
    if (this.deleted) return [];
    this.deleted = true;
    if (!existsSync(this.path)) return [];
    const del = ip(['netns', 'del', this.name]);
    return del.ok && !existsSync(this.path) ? [] : [`ip netns del ${this.name} failed: ${del.err}`];
  }
}

/** Namespaces under /run/netns whose name starts with `prefix` (what a run left, if anything). */
export function netnsWithPrefix(prefix: string): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
}

function which(cmd: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', timeout: 5000 });
  const path = (r.stdout ?? '').trim();
  if (r.status !== 0 || path === '') throw new Error(`${cmd} is not on PATH`);
  return path;
}

/**
 * A `TestDockerd` whose dockerd (and so its containerd, shims and containers' host side) runs in `ns`.
 * `TestDockerd` spawns `dockerd` from PATH synchronously inside `start()`; for that one call PATH begins with a
 * directory holding a `dockerd` script that `exec`s `nsenter --net=<ns> <real dockerd>`, so the PID `TestDockerd`
 * keeps is dockerd's own and its cleanup works unchanged. PATH is restored before `start()` is awaited.
 */
export async function startDockerdIn(ns: BenchNetns, o: DockerdOptions = {}): Promise<TestDockerd> {
  const real = which('dockerd');
  const nsenter = which('nsenter');
  const shimDir = mkdtempSync(join(tmpdir(), 'shoal-bench-nsenter-'));
  try {
    const shim = join(shimDir, 'dockerd');
    writeFileSync(shim, `#!/bin/sh\nexec ${nsenter} --net=${ns.path} ${real} "$@"\n`);
    chmodSync(shim, 0o755);
    const saved = process.env.PATH;
    let started: Promise<TestDockerd>;
    process.env.PATH = `${shimDir}:${saved ?? ''}`;
    try {
      started = TestDockerd.start(o);
    } finally {
      process.env.PATH = saved;
    }
    const d = await started;
    // The shim must have been used: dockerd's network namespace is ns's.
    if (!sameNetns(d.pid, ns)) {
      const problems = await d.stop();
      throw new Error(`dockerd (pid ${d.pid}) is not in network namespace ${ns.name}${problems.length > 0 ? `; cleanup: ${problems.join('; ')}` : ''}`);
    }
    return d;
  } finally {
    rmSync(shimDir, { recursive: true, force: true });
  }
}

/** Whether process `pid` is in namespace `ns` (compares the namespace inodes). */
export function sameNetns(pid: number, ns: BenchNetns): boolean {
  const a = spawnSync('stat', ['-L', '-c', '%i', `/proc/${pid}/ns/net`], { encoding: 'utf8', timeout: 5000 });
  const b = spawnSync('stat', ['-L', '-c', '%i', ns.path], { encoding: 'utf8', timeout: 5000 });
  return a.status === 0 && b.status === 0 && a.stdout.trim() !== '' && a.stdout.trim() === b.stdout.trim();
}
