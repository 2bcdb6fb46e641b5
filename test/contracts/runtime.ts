/**
 * The Runtime contract (DESIGN §4.3): the fake (test/fakes/runtime.ts) and the real runc+conmon adapter must both
 * pass it. Register it from a runtime's test file with `runtimeContract(name, make, hooks)`; `make` gives a fresh
 * harness per test (a runtime on its own state, the layers of a busybox-like rootfs, a scratch dir, a way to open
 * a second runtime on the same state, and cleanup). `hooks.programs` spells the behaviours the cases need as a
 * command line the runtime under test can run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isShoalError } from '../../src/api/errors.js';
import type { ErrorKind } from '../../src/api/errors.js';
import type { ContainerSpec, ExecProcess, Runtime } from '../../src/agent/exec/runtime.js';
import { DEFAULT_CAPABILITIES } from '../../src/agent/runtime/oci/index.js';
import { parseK8sLogLine } from '../../src/agent/runtime/runc/index.js';

export interface RuntimeHarness {
  runtime: Runtime;
  /** Layer directories of a rootfs with busybox (or what the runtime under test needs), lowest first. */
  rootfsLayers: string[];
  /** A scratch directory for log files and bind-mount sources. */
  scratchDir: string;
  /** A second Runtime on the same state, as a restarted agent would open it. */
  reopen(): Promise<Runtime>;
  cleanup(): Promise<void>;
}

/** Command lines for the behaviours the contract needs. */
export interface RuntimePrograms {
  /** Exits with `code` at once. */
  exit(code: number): string[];
  /** Runs until signalled; SIGTERM ends it promptly (exit 143). */
  sleep(): string[];
  /** Runs until SIGKILL; SIGTERM is ignored. */
  ignoreTerm(): string[];
  /** Writes `out` + newline to stdout and `err` + newline to stderr, then exits 0. */
  print(out: string, err: string): string[];
  /** Uses far more than 8 MiB of memory. */
  allocate(): string[];
  /** Copies stdin to stdout until EOF, then exits 0. */
  cat(): string[];
}

export interface RuntimeContractHooks {
  programs: RuntimePrograms;
  /** Asserts nothing of the container is left on the host: no mount, no cgroup directory, no runtime state. */
  assertNoTraces(h: RuntimeHarness, id: string): Promise<void>;
  /** Whether the kernel's OOM killer can be exercised (skipped otherwise). */
  oom?: boolean;
}

/** A command that does not exist in any rootfs. */
export const MISSING_BINARY = '/nonexistent/binary';

const DEADLINE_MS = 10_000;

export function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer | string) => (text += d.toString()));
    stream.on('end', () => resolve(text));
    stream.on('close', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Resolves once `stream` has produced output containing `text`; rejects after the deadline. */
export function readUntil(stream: NodeJS.ReadableStream, text: string, ms = DEADLINE_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out after ${ms} ms waiting for ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`));
    }, ms);
    const onData = (d: Buffer | string): void => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}

/** Awaits a promise with a deadline, so a broken runtime fails the test instead of hanging it. */
export async function within<T>(p: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/** A container spec with docker's defaults around `args`. */
export function aContainer(h: RuntimeHarness, args: string[], over: Partial<ContainerSpec> = {}): ContainerSpec {
  const id = over.id ?? newContainerId();
  return {
    id,
    rootfs: { layers: h.rootfsLayers },
    process: {
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      uid: 0,
      gid: 0,
      terminal: false,
      capabilities: [...DEFAULT_CAPABILITIES],
    },
    hostname: id.slice(0, 12),
    mounts: [],
    resources: {},
    logPath: join(h.scratchDir, 'logs', `${id}.log`),
    annotations: { 'test.contract': 'yes' },
    ...over,
  };
}

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isShoalError(e, kind), `expected a ${kind} ShoalError, got ${String(e)}`);
    return true;
  });
}

async function execOutput(p: ExecProcess): Promise<{ out: string; err: string; code: number }> {
  p.stdin.end();
  const [out, err, code] = await within(Promise.all([collect(p.stdout), collect(p.stderr), p.exited]), 'exec to finish');
  return { out, err, code };
}

export function runtimeContract(name: string, make: () => Promise<RuntimeHarness>, hooks: RuntimeContractHooks): void {
  const P = hooks.programs;
  const test =
    (fn: (h: RuntimeHarness) => Promise<void>) =>
    async (): Promise<void> => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

  const run = async (h: RuntimeHarness, spec: ContainerSpec): Promise<void> => {
    await h.runtime.create(spec);
    await h.runtime.start(spec.id);
  };

  describe(`Runtime contract: ${name}`, () => {
    it(
      'creates a container, then starts it: created → running with a pid',
      test(async (h) => {
        const spec = aContainer(h, P.sleep());
        await h.runtime.create(spec);
        const created = await h.runtime.state(spec.id);
        assert.equal(created?.status, 'created');
        assert.equal(created?.id, spec.id);
        assert.deepEqual(created?.annotations, { 'test.contract': 'yes' });
        assert.ok(typeof created?.createdAt === 'number' && created.createdAt > 0);
        await h.runtime.start(spec.id);
        const running = await h.runtime.state(spec.id);
        assert.equal(running?.status, 'running');
        assert.ok(typeof running?.pid === 'number' && running.pid > 0);
        assert.ok(typeof running?.startedAt === 'number');
        await rejectsWith(h.runtime.start(spec.id), 'Conflict');
        await h.runtime.delete(spec.id, { force: true });
      }),
    );

    it(
      'propagates the exit code (42) to wait and state',
      test(async (h) => {
        const spec = aContainer(h, P.exit(42));
        await run(h, spec);
        const exit = await within(h.runtime.wait(spec.id), 'wait');
        assert.equal(exit.exitCode, 42);
        assert.equal(exit.oomKilled, false);
        assert.ok(exit.finishedAt > 0);
        const st = await h.runtime.state(spec.id);
        assert.equal(st?.status, 'stopped');
        assert.equal(st?.exitCode, 42);
        assert.equal(st?.pid, undefined);
        const again = await within(h.runtime.wait(spec.id), 'wait on an exited container returns at once', 2000);
        assert.deepEqual(again, exit);
        await h.runtime.delete(spec.id);
      }),
    );

    it(
      'stops a container with SIGTERM (143), and one that ignores SIGTERM with SIGKILL (137)',
      test(async (h) => {
        const polite = aContainer(h, P.sleep());
        const stubborn = aContainer(h, P.ignoreTerm());
        await run(h, polite);
        await run(h, stubborn);
        await h.runtime.kill(polite.id, 'SIGTERM');
        const politeExit = await within(h.runtime.wait(polite.id), 'SIGTERM to stop the polite container');
        assert.equal(politeExit.exitCode, 143);
        await h.runtime.kill(stubborn.id, 'TERM');
        assert.equal((await h.runtime.state(stubborn.id))?.status, 'running');
        await h.runtime.kill(stubborn.id, '9');
        const stubbornExit = await within(h.runtime.wait(stubborn.id), 'SIGKILL');
        assert.deepEqual([stubbornExit.exitCode, stubbornExit.oomKilled], [137, false]);
        await rejectsWith(h.runtime.kill(stubborn.id, 'SIGKILL'), 'Conflict');
        await rejectsWith(h.runtime.kill(polite.id, 'SIGNOPE'), 'InvalidArgument');
        await h.runtime.delete(polite.id);
        await h.runtime.delete(stubborn.id);
      }),
    );

    it(
      'reports an OOM kill as 137 with oomKilled',
      { skip: hooks.oom === false ? 'the OOM killer cannot be exercised here' : false },
      test(async (h) => {
        const spec = aContainer(h, P.allocate(), { resources: { memoryBytes: 8 * 1024 * 1024, memorySwapBytes: 8 * 1024 * 1024 } });
        await run(h, spec);
        const exit = await within(h.runtime.wait(spec.id), 'the OOM kill', 30_000);
        assert.deepEqual([exit.exitCode, exit.oomKilled], [137, true]);
        assert.equal((await h.runtime.state(spec.id))?.oomKilled, true);
        await h.runtime.delete(spec.id);
      }),
    );

    it(
      'writes stdout and stderr to logPath in k8s-file format',
      test(async (h) => {
        const spec = aContainer(h, P.print('to stdout', 'to stderr'));
        await run(h, spec);
        assert.equal((await within(h.runtime.wait(spec.id), 'exit')).exitCode, 0);
        const lines = readFileSync(spec.logPath, 'utf8').split('\n').filter((l) => l !== '');
        const parsed = lines.map((l) => parseK8sLogLine(l));
        assert.ok(parsed.every((p) => p !== undefined), `every line parses: ${JSON.stringify(lines)}`);
        const records = parsed.filter((p) => p !== undefined);
        assert.ok(records.some((r) => r.stream === 'stdout' && !r.partial && r.message === 'to stdout'), JSON.stringify(lines));
        assert.ok(records.some((r) => r.stream === 'stderr' && !r.partial && r.message === 'to stderr'), JSON.stringify(lines));
        for (const r of records) assert.ok(Math.abs(r.epochMs - Date.now()) < 60_000, 'timestamps are now-ish');
        await h.runtime.delete(spec.id);
      }),
    );

    it(
      'lists every container it made',
      test(async (h) => {
        const specs = [aContainer(h, P.sleep()), aContainer(h, P.exit(3)), aContainer(h, P.sleep())];
        await h.runtime.create(specs[0]!);
        await run(h, specs[1]!);
        await run(h, specs[2]!);
        await within(h.runtime.wait(specs[1]!.id), 'exit');
        const list = await h.runtime.list();
        const byId = new Map(list.map((s) => [s.id, s]));
        assert.deepEqual(
          specs.map((s) => byId.get(s.id)?.status),
          ['created', 'stopped', 'running'],
        );
        assert.equal(byId.get(specs[1]!.id)?.exitCode, 3);
        for (const s of specs) await h.runtime.delete(s.id, { force: true });
        assert.deepEqual(
          (await h.runtime.list()).filter((s) => specs.some((x) => x.id === s.id)),
          [],
        );
      }),
    );

    it(
      'execs: output, exit code, stdin, a terminal, and a missing binary',
      test(async (h) => {
        const spec = aContainer(h, P.sleep());
        await run(h, spec);
        const printed = await execOutput(await h.runtime.exec(spec.id, { args: P.print('exec out', 'exec err') }));
        assert.deepEqual(printed, { out: 'exec out\n', err: 'exec err\n', code: 0 });
        assert.equal((await execOutput(await h.runtime.exec(spec.id, { args: P.exit(3) }))).code, 3);
        const cat = await h.runtime.exec(spec.id, { args: P.cat() });
        const catOut = collect(cat.stdout);
        cat.stdin.write('through stdin\n');
        cat.stdin.end();
        assert.equal(await within(catOut, 'cat output'), 'through stdin\n');
        assert.equal(await within(cat.exited, 'cat exit'), 0);
        const tty = await h.runtime.exec(spec.id, { args: P.print('on a tty', 'also on the tty'), terminal: true });
        tty.resize(30, 100);
        const ttyOut = await execOutput(tty);
        assert.equal(ttyOut.code, 0);
        assert.match(ttyOut.out.replaceAll('\r', ''), /on a tty\n/);
        assert.match(ttyOut.out.replaceAll('\r', ''), /also on the tty\n/);
        const missing = await execOutput(await h.runtime.exec(spec.id, { args: [MISSING_BINARY] }));
        assert.equal(missing.code, 127);
        assert.match(missing.err, /not found|no such file/i);
        await h.runtime.delete(spec.id, { force: true });
        await rejectsWith(h.runtime.exec(spec.id, { args: P.exit(0) }), 'NotFound');
      }),
    );

    it(
      'refuses exec, kill and attach on a stopped container, and plain delete of a running one',
      test(async (h) => {
        const done = aContainer(h, P.exit(0));
        await run(h, done);
        await within(h.runtime.wait(done.id), 'exit');
        await rejectsWith(h.runtime.exec(done.id, { args: P.exit(0) }), 'Conflict');
        await rejectsWith(h.runtime.kill(done.id, 'SIGTERM'), 'Conflict');
        await rejectsWith(h.runtime.attach(done.id), 'Conflict');
        const live = aContainer(h, P.sleep());
        await run(h, live);
        await rejectsWith(h.runtime.delete(live.id), 'Conflict');
        assert.equal((await h.runtime.state(live.id))?.status, 'running');
        await h.runtime.delete(live.id, { force: true });
        await h.runtime.delete(done.id);
        await rejectsWith(h.runtime.wait('0'.repeat(64)), 'NotFound');
        await rejectsWith(h.runtime.kill('0'.repeat(64), 'SIGKILL'), 'NotFound');
        assert.equal(await h.runtime.state('0'.repeat(64)), undefined);
      }),
    );

    it(
      'attaches to the main process: stdin in, stdout out, before and after start',
      test(async (h) => {
        const spec = aContainer(h, P.cat());
        await h.runtime.create(spec, { stdin: true });
        const a = await h.runtime.attach(spec.id);
        assert.ok(a.stdin, 'stdin is attached when the container has one');
        await h.runtime.start(spec.id);
        const echoed = readUntil(a.stdout, 'hello attach');
        a.stdin.write('hello attach\n');
        await echoed;
        a.detach();
        const b = await h.runtime.attach(spec.id);
        const again = readUntil(b.stdout, 'second client');
        b.stdin?.write('second client\n');
        await again;
        b.detach();
        assert.equal((await h.runtime.state(spec.id))?.status, 'running', 'detaching leaves the container running');
        await h.runtime.delete(spec.id, { force: true });
      }),
    );

    it(
      'aborts a wait with the signal, leaving the container running',
      test(async (h) => {
        const spec = aContainer(h, P.sleep());
        await run(h, spec);
        const ac = new AbortController();
        const waiting = h.runtime.wait(spec.id, ac.signal);
        ac.abort();
        await rejectsWith(waiting, 'Canceled');
        assert.equal((await h.runtime.state(spec.id))?.status, 'running');
        await h.runtime.delete(spec.id, { force: true });
      }),
    );

    it(
      'deletes idempotently and leaves nothing behind',
      test(async (h) => {
        const spec = aContainer(h, P.sleep());
        await run(h, spec);
        const waiting = h.runtime.wait(spec.id);
        await h.runtime.delete(spec.id, { force: true });
        await h.runtime.delete(spec.id, { force: true });
        await h.runtime.delete(spec.id);
        assert.equal(await h.runtime.state(spec.id), undefined);
        assert.ok(!(await h.runtime.list()).some((s) => s.id === spec.id));
        await hooks.assertNoTraces(h, spec.id);
        await within(
          waiting.then(
            () => undefined,
            () => undefined,
          ),
          'a wait pending at delete settles',
        );
        await h.runtime.delete(newContainerId());
      }),
    );

    it(
      'leaves nothing behind when create fails (missing binary, missing bind source, bad spec)',
      test(async (h) => {
        const missing = aContainer(h, [MISSING_BINARY]);
        await rejectsWith(h.runtime.create(missing), 'InvalidArgument');
        assert.equal(await h.runtime.state(missing.id), undefined);
        await hooks.assertNoTraces(h, missing.id);
        assert.ok(!existsSync(missing.logPath), 'no log file is left');

        const badMount = aContainer(h, P.sleep(), {
          mounts: [{ destination: '/data', type: 'bind', source: join(h.scratchDir, 'does-not-exist'), options: ['rbind'] }],
        });
        await rejectsWith(h.runtime.create(badMount), 'InvalidArgument');
        await hooks.assertNoTraces(h, badMount.id);

        const badCap = aContainer(h, P.sleep(), { process: { ...aContainer(h, []).process, args: P.sleep(), capabilities: ['CAP_FOO'] } });
        await rejectsWith(h.runtime.create(badCap), 'InvalidArgument');
        await hooks.assertNoTraces(h, badCap.id);

        const ok = aContainer(h, P.exit(0), { id: missing.id });
        await run(h, ok);
        assert.equal((await within(h.runtime.wait(ok.id), 'exit')).exitCode, 0, 'the id is free again');
        await h.runtime.delete(ok.id);
        await rejectsWith(h.runtime.create(aContainer(h, P.sleep(), { id: '../escape' })), 'InvalidArgument');
      }),
    );

    it(
      'refuses a second create with the same id',
      test(async (h) => {
        const spec = aContainer(h, P.sleep());
        await h.runtime.create(spec);
        await assert.rejects(h.runtime.create(spec), (e: unknown) => isShoalError(e, 'Conflict') || isShoalError(e, 'AlreadyExists'));
        assert.equal((await h.runtime.state(spec.id))?.status, 'created');
        await h.runtime.delete(spec.id, { force: true });
      }),
    );

    it(
      'is adopted by a new runtime on the same state: list, wait, kill, logs and delete',
      test(async (h) => {
        const exited = aContainer(h, P.exit(7));
        const running = aContainer(h, P.sleep());
        await run(h, exited);
        await run(h, running);
        await within(h.runtime.wait(exited.id), 'exit');
        const second = await h.reopen();
        const list = await second.list();
        const byId = new Map(list.map((s) => [s.id, s]));
        assert.equal(byId.get(exited.id)?.status, 'stopped');
        assert.equal(byId.get(exited.id)?.exitCode, 7);
        assert.equal(byId.get(running.id)?.status, 'running');
        assert.equal(byId.get(running.id)?.pid, (await h.runtime.state(running.id))?.pid);
        assert.equal((await within(second.wait(exited.id), 'adopted wait, exited')).exitCode, 7);
        const printed = await execOutput(await second.exec(running.id, { args: P.print('adopted', 'still') }));
        assert.deepEqual(printed, { out: 'adopted\n', err: 'still\n', code: 0 });
        const waiting = second.wait(running.id);
        await second.kill(running.id, 'SIGKILL');
        assert.equal((await within(waiting, 'adopted wait, running')).exitCode, 137);
        await second.delete(exited.id);
        await second.delete(running.id);
        await hooks.assertNoTraces(h, exited.id);
        await hooks.assertNoTraces(h, running.id);
      }),
    );
  });
}
