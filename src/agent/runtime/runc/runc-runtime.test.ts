/**
 * The real runtime (root only): the Runtime contract on runc + conmon, then what only a kernel can show — cgroup
 * limits, capabilities, sysctls, rlimits, mounts, hostname, a terminal, deep images, an agent killed with
 * SIGKILL, and create+start timing. Every container, cgroup and mount carries a unique prefix and is removed in
 * cleanup even when a test fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aContainer, collect, readUntil, runtimeContract, within } from '../../../../test/contracts/runtime.js';
import type { RuntimeHarness, RuntimePrograms } from '../../../../test/contracts/runtime.js';
import { addLayers, buildBusyboxRootfs } from '../../../../test/fixtures/rootfs/busybox-rootfs.js';
import type { BusyboxRootfs } from '../../../../test/fixtures/rootfs/busybox-rootfs.js';
import type { ContainerSpec, ExecProcess } from '../../exec/runtime.js';
import { DEFAULT_CAPABILITIES, capabilityMask } from '../oci/index.js';
import { readMountinfo } from '../rootfs/index.js';
import { createRuncRuntime } from './runc-runtime.js';
import type { RuncRuntime } from './runc-runtime.js';

const isRoot = process.getuid?.() === 0;
const haveTools = ['/usr/sbin/runc', '/usr/bin/conmon', '/usr/bin/perl', '/bin/busybox'].every((p) => existsSync(p));
const skip = !isRoot ? 'needs root' : !haveTools ? 'needs runc, conmon, perl and busybox-static' : false;

const RUN = `shoal-rt-${randomBytes(4).toString('hex')}`;
let workDir = '';
let rootfs: BusyboxRootfs | undefined;
const cgroupParents = new Set<string>();
let harnessCount = 0;

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

const programs: RuntimePrograms = {
  exit: (code) => ['sh', '-c', `exit ${code}`],
  sleep: () => ['sh', '-c', 'trap "exit 143" TERM; sleep 3600 & wait'],
  ignoreTerm: () => ['sleep', '3600'],
  print: (out, err) => ['sh', '-c', `echo ${q(out)}; echo ${q(err)} >&2`],
  allocate: () => ['sh', '-c', 'x=a; while true; do x=$x$x; done'],
  cat: () => ['cat'],
};

interface RealHarness extends RuntimeHarness {
  runtime: RuncRuntime;
  stateDir: string;
  cgroupParent: string;
}

async function removeCgroupParent(parent: string): Promise<void> {
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctrl, parent);
    if (existsSync(dir)) await rmdir(dir).catch(() => undefined);
  }
}

async function makeHarness(runtimeKind: 'runc' | 'crun' = 'runc'): Promise<RealHarness> {
  if (!rootfs) throw new Error('rootfs not built');
  const n = ++harnessCount;
  const stateDir = join(workDir, `state-${n}`);
  const scratchDir = join(workDir, `scratch-${n}`);
  mkdirSync(scratchDir, { recursive: true });
  const cgroupParent = `${RUN}-${n}`;
  cgroupParents.add(cgroupParent);
  const opts = { stateDir, cgroupParent, pollIntervalMs: 250, runtime: runtimeKind };
  const runtime = await createRuncRuntime(opts);
  const opened: RuncRuntime[] = [runtime];
  return {
    runtime,
    stateDir,
    cgroupParent,
    rootfsLayers: rootfs.layers,
    scratchDir,
    reopen: async () => {
      const r = await createRuncRuntime(opts);
      opened.push(r);
      return r;
    },
    cleanup: async () => {
      for (const s of await runtime.list()) await runtime.delete(s.id, { force: true }).catch(() => undefined);
      for (const r of opened) r.close();
      await removeCgroupParent(cgroupParent);
      const mounts = (await readMountinfo()).filter((m) => m.mountPoint.startsWith(stateDir));
      if (mounts.length === 0) {
        rmSync(stateDir, { recursive: true, force: true });
        rmSync(scratchDir, { recursive: true, force: true });
      }
    },
  };
}

async function assertNoTraces(h: RuntimeHarness, id: string): Promise<void> {
  const r = h as RealHarness;
  const mounts = (await readMountinfo()).filter((m) => m.mountPoint.includes(id) || m.superOptions.includes(id));
  assert.deepEqual(mounts, [], 'no mount of the container is left');
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    assert.ok(!existsSync(join('/sys/fs/cgroup', ctrl, r.cgroupParent, id)), `no cgroup directory left in ${ctrl}`);
  }
  for (const sub of ['containers', 'runc', 'exits', 'sockets']) assert.ok(!existsSync(join(r.stateDir, sub, id)), `nothing left in ${sub}/`);
  const conmons = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(id);
      } catch {
        return false;
      }
    });
  assert.deepEqual(conmons, [], 'no process mentions the container');
}

before(() => {
  if (skip) return;
  workDir = join(tmpdir(), RUN);
  mkdirSync(workDir, { recursive: true });
  rootfs = buildBusyboxRootfs(workDir);
});

after(async () => {
  for (const p of cgroupParents) await removeCgroupParent(p);
  if (workDir === '') return;
  const mounts = (await readMountinfo()).filter((m) => m.mountPoint.startsWith(workDir));
  if (mounts.length === 0) rmSync(workDir, { recursive: true, force: true });
});

if (skip) {
  describe('runc runtime', () => {
    it('runs only as root with runc, conmon, perl and busybox', () => assert.fail(String(skip)));
  });
} else {
  runtimeContract('runc + conmon', () => makeHarness('runc'), { programs, assertNoTraces, oom: true });
  if (existsSync('/usr/bin/crun')) runtimeContract('crun + conmon', () => makeHarness('crun'), { programs, assertNoTraces, oom: true });

  describe('runc runtime on the kernel', () => {
    const withHarness =
      (fn: (h: RealHarness) => Promise<void>) =>
      async (): Promise<void> => {
        const h = await makeHarness();
        try {
          await fn(h);
        } finally {
          await h.cleanup();
        }
      };

    async function sh(h: RealHarness, id: string, script: string, spec: Partial<Parameters<RuncRuntime['exec']>[1]> = {}): Promise<{ out: string; err: string; code: number }> {
      const p: ExecProcess = await h.runtime.exec(id, { args: ['sh', '-c', script], ...spec });
      p.stdin.end();
      const [out, err, code] = await within(Promise.all([collect(p.stdout), collect(p.stderr), p.exited]), `exec ${script}`);
      return { out, err, code };
    }

    async function started(h: RealHarness, over: Partial<ContainerSpec> = {}, args = programs.sleep()): Promise<ContainerSpec> {
      const spec = aContainer(h, args, over);
      await h.runtime.create(spec);
      await h.runtime.start(spec.id);
      return spec;
    }

    it(
      'applies memory, CPU, shares and pids limits in the cgroup v1 files',
      withHarness(async (h) => {
        const spec = await started(h, {
          resources: { memoryBytes: 64 * 1024 * 1024, memorySwapBytes: 128 * 1024 * 1024, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512, pidsLimit: 64 },
        });
        const dir = (ctrl: string, file: string): string => readFileSync(join('/sys/fs/cgroup', ctrl, h.cgroupParent, spec.id, file), 'utf8').trim();
        assert.equal(dir('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
        assert.equal(dir('memory', 'memory.memsw.limit_in_bytes'), String(128 * 1024 * 1024));
        assert.equal(dir('cpu', 'cpu.cfs_quota_us'), '50000');
        assert.equal(dir('cpu', 'cpu.cfs_period_us'), '100000');
        assert.equal(dir('cpu', 'cpu.shares'), '512');
        assert.equal(dir('pids', 'pids.max'), '64');
        const pid = (await h.runtime.state(spec.id))?.pid;
        assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`memory:/${h.cgroupParent}/${spec.id}`));
      }),
    );

    it(
      'gives exactly the capabilities asked for (NET_RAW dropped), none to a non-root user',
      withHarness(async (h) => {
        const caps = DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW');
        const spec = await started(h, { process: { ...aContainer(h, []).process, args: programs.sleep(), capabilities: caps } });
        const status = (await sh(h, spec.id, 'cat /proc/self/status')).out;
        assert.equal(/^CapEff:\s*(\w+)$/m.exec(status)?.[1], capabilityMask(caps));
        assert.equal(/^CapBnd:\s*(\w+)$/m.exec(status)?.[1], capabilityMask(caps));
        assert.equal(capabilityMask(caps), '00000000a80405fb');
        const asUser = (await sh(h, spec.id, 'id -u; grep CapEff /proc/self/status', { uid: 1000, gid: 1000 })).out;
        assert.match(asUser, /^1000\nCapEff:\s*0000000000000000\n$/);
      }),
    );

    it(
      'applies sysctls, clamped rlimits, oom_score_adj and the hostname',
      withHarness(async (h) => {
        const base = aContainer(h, []).process;
        const spec = await started(h, {
          hostname: 'shoal-host-1',
          sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234' },
          process: {
            ...base,
            args: programs.sleep(),
            oomScoreAdj: 500,
            rlimits: [
              { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
              { type: 'RLIMIT_NPROC', soft: 1234, hard: 2345 },
            ],
          },
        });
        const hostHard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
        const r = await sh(h, spec.id, 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni; ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; cat /proc/self/oom_score_adj; hostname');
        assert.equal(r.out, `1\n1234\n${hostHard}\n${hostHard}\n1234\n2345\n500\nshoal-host-1\n`);
      }),
    );

    it(
      'mounts binds and tmpfs, keeps a read-only rootfs read-only, and shows the top layer',
      withHarness(async (h) => {
        const src = join(h.scratchDir, 'data');
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, 'hello.txt'), 'from the host\n');
        const spec = await started(h, {
          rootfs: { layers: h.rootfsLayers, readonly: true },
          mounts: [
            { destination: '/data', type: 'bind', source: src, options: ['rbind', 'ro'] },
            { destination: '/rw', type: 'bind', source: src, options: ['rbind', 'rw'] },
            { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] },
          ],
        });
        const r = await sh(h, spec.id, [
          'cat /data/hello.txt /etc/shoal-layer',
          'touch /data/x 2>/dev/null && echo data-writable || echo data-ro',
          'echo from-container > /rw/out.txt && echo rw-ok',
          'touch /root-file 2>/dev/null && echo root-writable || echo root-ro',
          'echo t > /scratch/t && echo tmpfs-ok',
          'grep " /scratch " /proc/mounts | cut -d" " -f3',
        ].join('; '));
        assert.equal(r.out, 'from the host\ntop layer\ndata-ro\nrw-ok\nroot-ro\ntmpfs-ok\ntmpfs\n');
        assert.equal(readFileSync(join(src, 'out.txt'), 'utf8'), 'from-container\n');
        assert.equal((await sh(h, spec.id, 'cat /proc/kcore 2>/dev/null | head -c 1 | wc -c; ls /sys/firmware | wc -l')).out, '0\n0\n', 'masked paths');
      }),
    );

    it(
      'runs a 45-layer image (overlay options beyond one page)',
      withHarness(async (h) => {
        if (!rootfs) throw new Error('no rootfs');
        const layers = addLayers(rootfs, 43);
        assert.equal(layers.length, 45);
        const spec = aContainer(h, ['sh', '-c', 'cat /etc/shoal-layer; ls /etc/extra | wc -l'], { rootfs: { layers } });
        await h.runtime.create(spec);
        await h.runtime.start(spec.id);
        assert.equal((await within(h.runtime.wait(spec.id), 'exit')).exitCode, 0);
        const lines = readFileSync(spec.logPath, 'utf8').trim().split('\n');
        assert.match(lines[0] ?? '', / stdout F extra 42$/);
        assert.match(lines[1] ?? '', / stdout F 43$/);
      }),
    );

    it(
      'attaches to a terminal: input, output and resize',
      withHarness(async (h) => {
        const spec = aContainer(h, ['sh'], {
          process: { ...aContainer(h, []).process, args: ['sh', '-c', 'stty size; exec sh'], terminal: true, consoleSize: { rows: 40, cols: 120 }, env: ['PATH=/bin', 'TERM=xterm'] },
        });
        await h.runtime.create(spec, { stdin: true });
        const a = await h.runtime.attach(spec.id);
        assert.equal(a.stderr, undefined, 'a terminal has one output stream');
        const initial = readUntil(a.stdout, '40 120');
        await h.runtime.start(spec.id);
        await initial;
        a.resize(33, 77);
        const seen = readUntil(a.stdout, '33 77');
        a.stdin?.write('stty size\n');
        await seen;
        const bye = h.runtime.wait(spec.id);
        a.stdin?.write('exit 5\n');
        assert.equal((await within(bye, 'the shell to exit')).exitCode, 5);
        a.detach();
      }),
    );

    it(
      'keeps containers, exit codes and logs when the agent process is killed with SIGKILL',
      withHarness(async (h) => {
        const ids = { running: randomBytes(32).toString('hex'), exiting: randomBytes(32).toString('hex') };
        const agent = join(h.scratchDir, 'agent.mts');
        const src = join(import.meta.dirname, 'runc-runtime.ts');
        const template = aContainer(h, []);
        writeFileSync(
          agent,
          [
            `import { createRuncRuntime } from ${JSON.stringify(src)};`,
            `const rt = await createRuncRuntime(${JSON.stringify({ stateDir: h.stateDir, cgroupParent: h.cgroupParent })});`,
            `const template = ${JSON.stringify(template)};`,
            `const spec = (id, args) => ({ ...template, id, logPath: ${JSON.stringify(h.scratchDir)} + '/' + id + '.log', process: { ...template.process, args } });`,
            `await rt.create(spec(${JSON.stringify(ids.running)}, ${JSON.stringify(programs.sleep())}));`,
            `await rt.start(${JSON.stringify(ids.running)});`,
            `await rt.create(spec(${JSON.stringify(ids.exiting)}, ['sh', '-c', 'read x; echo bye; exit 9']), { stdin: true });`,
            `await rt.start(${JSON.stringify(ids.exiting)});`,
            `process.stdout.write('ready\\n');`,
            `setInterval(() => undefined, 1000);`,
          ].join('\n'),
        );
        const child = spawn(process.execPath, ['--import', 'tsx', agent], { stdio: ['ignore', 'pipe', 'inherit'], detached: true, cwd: join(import.meta.dirname, '../../../..') });
        try {
          await readUntil(child.stdout, 'ready', 30_000);
          process.kill(-(child.pid ?? 0), 'SIGKILL');
          await new Promise((resolve) => child.on('close', resolve));
          const list = await h.runtime.list();
          assert.deepEqual(
            list.map((s) => [s.id, s.status]).sort(),
            [
              [ids.exiting, 'running'],
              [ids.running, 'running'],
            ].sort(),
          );
          const a = await h.runtime.attach(ids.exiting);
          const out = readUntil(a.stdout, 'bye');
          a.stdin?.write('go\n');
          await out;
          assert.equal((await within(h.runtime.wait(ids.exiting), 'adopted exit')).exitCode, 9);
          assert.match(readFileSync(join(h.scratchDir, `${ids.exiting}.log`), 'utf8'), / stdout F bye\n$/);
          await h.runtime.kill(ids.running, 'SIGTERM');
          assert.equal((await within(h.runtime.wait(ids.running), 'adopted stop')).exitCode, 143);
        } finally {
          if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL');
        }
      }),
    );

    it(
      'measures create+start (p50/p90) and memory per container',
      withHarness(async (h) => {
        const n = 20;
        const times: number[] = [];
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const spec = aContainer(h, programs.ignoreTerm());
          const t0 = performance.now();
          await h.runtime.create(spec);
          await h.runtime.start(spec.id);
          times.push(performance.now() - t0);
          ids.push(spec.id);
        }
        const sorted = [...times].sort((a, b) => a - b);
        const pct = (p: number): number => sorted[Math.min(n - 1, Math.floor((p / 100) * n))] ?? NaN;
        const rss = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
        const conmonRss: number[] = [];
        const ctrRss: number[] = [];
        for (const id of ids) {
          const conmonPid = Number(readFileSync(join(h.stateDir, 'containers', id, 'conmon.pid'), 'utf8'));
          conmonRss.push(rss(conmonPid));
          ctrRss.push(rss((await h.runtime.state(id))?.pid ?? 0));
        }
        const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
        const t0 = performance.now();
        for (const id of ids) await h.runtime.delete(id, { force: true });
        const deleteMs = (performance.now() - t0) / n;
        const line = `create+start n=${n}: p50 ${pct(50).toFixed(1)} ms, p90 ${pct(90).toFixed(1)} ms, max ${sorted[n - 1]?.toFixed(1)} ms; conmon RSS ${(avg(conmonRss) / 1024).toFixed(2)} MiB; container (sleep) RSS ${(avg(ctrRss) / 1024).toFixed(2)} MiB; force delete ${deleteMs.toFixed(1)} ms each`;
        console.log(`# ${line}`);
        assert.ok(pct(50) < 1000, line);
      }),
    );
  });
}
