/**
 * The fake runtime (test/fakes/runtime.ts) passes the same contract as runc + conmon, and its test controls do what
 * they say. It sits beside the real adapter's test so both runs of the contract are found together.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseK8sLogLine } from './index.js';
import { aContainer, collect, runtimeContract, within } from '../../../../test/contracts/runtime.js';
import type { RuntimeHarness, RuntimePrograms } from '../../../../test/contracts/runtime.js';
import { FakeRuntimeHost } from '../../../../test/fakes/runtime.js';

const programs: RuntimePrograms = {
  exit: (code) => ['fake', 'exit', String(code)],
  sleep: () => ['fake', 'sleep'],
  ignoreTerm: () => ['fake', 'sleep', '--ignore', 'SIGTERM'],
  print: (out, err) => ['fake', 'print', `stdout:${out}`, `stderr:${err}`],
  allocate: () => ['fake', 'oom'],
  cat: () => ['fake', 'cat'],
};

interface FakeHarness extends RuntimeHarness {
  host: FakeRuntimeHost;
}

async function make(): Promise<FakeHarness> {
  const host = new FakeRuntimeHost();
  const scratchDir = mkdtempSync(join(tmpdir(), 'shoal-fake-runtime-'));
  return {
    host,
    runtime: host.runtime(),
    rootfsLayers: ['/fake/layers/0', '/fake/layers/1'],
    scratchDir,
    reopen: async () => host.runtime(),
    cleanup: async () => rmSync(scratchDir, { recursive: true, force: true }),
  };
}

runtimeContract('fake', make, {
  programs,
  oom: true,
  assertNoTraces: async (h, id) => {
    assert.deepEqual((h as FakeHarness).host.traces(id), []);
  },
});

describe('FakeRuntimeHost controls', () => {
  it('makes a container exit, get OOM-killed, and write k8s-file log lines', async () => {
    const h = await make();
    try {
      const a = aContainer(h, ['myapp', '--serve']);
      const b = aContainer(h, ['myapp']);
      for (const s of [a, b]) {
        await h.runtime.create(s);
        await h.runtime.start(s.id);
      }
      h.host.write(a.id, 'stdout', 'hello\npartial');
      h.host.write(a.id, 'stderr', 'oops\n');
      h.host.exit(a.id, 3);
      assert.deepEqual(await within(h.runtime.wait(a.id), 'exit'), { exitCode: 3, oomKilled: false, finishedAt: (await h.runtime.state(a.id))?.finishedAt });
      h.host.oomKill(b.id);
      const exit = await h.runtime.wait(b.id);
      assert.deepEqual([exit.exitCode, exit.oomKilled], [137, true]);
      const lines = readFileSync(a.logPath, 'utf8').trim().split('\n').map((l) => parseK8sLogLine(l));
      assert.deepEqual(
        lines.map((l) => [l?.stream, l?.partial, l?.message]),
        [
          ['stdout', false, 'hello'],
          ['stdout', true, 'partial'],
          ['stderr', false, 'oops'],
        ],
      );
    } finally {
      await h.cleanup();
    }
  });

  it('scripts exec output and records execs', async () => {
    const h = await make();
    try {
      const s = aContainer(h, ['fake', 'sleep']);
      await h.runtime.create(s);
      await h.runtime.start(s.id);
      h.host.onExec = (_id, spec) => (spec.args[0] === 'healthcheck' ? { stdout: 'ok\n', exitCode: 1 } : undefined);
      const p = await h.runtime.exec(s.id, { args: ['healthcheck'] });
      p.stdin.end();
      assert.deepEqual(await Promise.all([collect(p.stdout), p.exited]), ['ok\n', 1]);
      assert.deepEqual(h.host.execs.map((e) => e.spec.args), [['healthcheck']]);
    } finally {
      await h.cleanup();
    }
  });

  it('closes stdin on detach for a stdinOnce container (docker run -i)', async () => {
    const h = await make();
    try {
      const s = aContainer(h, ['fake', 'cat']);
      await h.runtime.create(s, { stdin: true, stdinOnce: true });
      const a = await h.runtime.attach(s.id);
      await h.runtime.start(s.id);
      a.stdin?.end('bye\n');
      assert.equal((await within(h.runtime.wait(s.id), 'exit on EOF')).exitCode, 0);
      a.resize(10, 20);
      assert.deepEqual(h.host.terminalSize(s.id), { rows: 10, cols: 20 });
    } finally {
      await h.cleanup();
    }
  });
});
