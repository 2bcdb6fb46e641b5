/**
 * Task files: the pure mapping from a task's references and payloads, and, on the real stack (root; runc under
 * conmon through ContainerExecutor → ContainerService), a container that sees its secret at /run/secrets/<name> with
 * the asked mode and owner and its config at its target, read-only, with nothing left mounted after removal.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../lib/clock.js';
import { nullLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import { fixtureImages, type FixtureImages } from '../../../test/builders/containers.js';
import { anAgentTask } from '../../../test/contracts/controller.js';
import { FAKE_DESCRIPTION } from '../../../test/fakes/executor.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from '../runtime/oci/index.js';
import { mountsUnder, readMountinfo } from '../runtime/rootfs/index.js';
import { createRuncRuntime, readHostInfo } from '../runtime/runc/index.js';
import { containerName } from '../worker/container-config.js';
import { ContainerExecutor } from '../worker/container-executor.js';
import { ContainerService } from './service.js';
import { TaskFiles, taskFilesFor } from './task-files.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const RUN = `shltest-taskfiles-${randomBytes(4).toString('hex')}`;
const workDir = join(tmpdir(), RUN);

describe('taskFilesFor', () => {
  it('maps secrets to /run/secrets/<name> and configs to their target, with docker defaults', () => {
    const files = taskFilesFor(
      {
        Secrets: [
          { SecretID: 's1', SecretName: 'db_pw', File: { Name: 'db_pw', UID: '1000', GID: '50', Mode: 0o400 } },
          { SecretID: 's2', SecretName: 'tls', File: { Name: '/etc/tls/key.pem', UID: '', GID: '', Mode: 0o440 } },
          { SecretID: 's3', SecretName: 'bare' },
        ],
        Configs: [
          { ConfigID: 'c1', ConfigName: 'app', File: { Name: '', UID: '0', GID: '0', Mode: 0o444 } },
          { ConfigID: 'c2', ConfigName: 'nginx', File: { Name: 'etc/nginx.conf', UID: '0', GID: '0', Mode: 0o644 } },
          { ConfigID: 'c3', ConfigName: 'cred', Runtime: {} },
        ],
      },
      { Secrets: [{ ID: 's1', Data: b64('pw') }, { ID: 's2', Data: b64('key') }, { ID: 's3', Data: b64('b') }], Configs: [{ ID: 'c1', Data: b64('a') }, { ID: 'c2', Data: b64('n') }] },
    );
    assert.deepEqual(
      files.map((f) => [f.kind, f.target, f.mode.toString(8), f.uid, f.gid]),
      [
        ['secret', '/run/secrets/db_pw', '400', 1000, 50],
        ['secret', '/etc/tls/key.pem', '440', 0, 0],
        ['secret', '/run/secrets/bare', '444', 0, 0],
        ['config', '/app', '444', 0, 0],
        ['config', '/etc/nginx.conf', '644', 0, 0],
      ],
    );
  });

  it('refuses a missing payload, a bad owner and a duplicate target, naming the secret or config', () => {
    assert.throws(() => taskFilesFor({ Secrets: [{ SecretID: 's1', SecretName: 'pw' }] }, undefined), /secret pw \(s1\) was not sent with the task/);
    assert.throws(() => taskFilesFor({ Configs: [{ ConfigID: 'c1', ConfigName: 'app', File: { Name: '/a', UID: '0', GID: '0', Mode: 0o444 } }] }, { Secrets: [], Configs: [] }), /config app \(c1\) was not sent/);
    assert.throws(
      () => taskFilesFor({ Secrets: [{ SecretID: 's1', SecretName: 'pw', File: { Name: 'pw', UID: 'root', GID: '0', Mode: 0o444 } }] }, { Secrets: [{ ID: 's1', Data: '' }], Configs: [] }),
      /secret pw File.UID: must be a numeric ID, got "root"/,
    );
    assert.throws(
      () =>
        taskFilesFor(
          { Secrets: [{ SecretID: 's1', SecretName: 'a', File: { Name: '/x', UID: '0', GID: '0', Mode: 0o444 } }], Configs: [{ ConfigID: 'c1', ConfigName: 'b', File: { Name: '/x', UID: '0', GID: '0', Mode: 0o444 } }] },
          { Secrets: [{ ID: 's1', Data: '' }], Configs: [{ ID: 'c1', Data: '' }] },
        ),
      /config b: duplicate target "\/x"/,
    );
  });
});

const isRoot = process.getuid?.() === 0;
const haveTools = ['/usr/sbin/runc', '/usr/bin/conmon', '/bin/busybox'].every((p) => existsSync(p));

describe('task files on the real runtime', () => {
  let images: FixtureImages | undefined;
  const cgroupParent = `${RUN}-cg`;
  before(async () => {
    assert.ok(isRoot && haveTools, 'needs root, runc, conmon and busybox-static');
    mkdirSync(workDir, { recursive: true });
    images = await fixtureImages('misbehave');
  });
  after(async () => {
    await images?.[Symbol.asyncDispose]();
    for (const m of mountsUnder(await readMountinfo(), workDir)) await import('../volumes/index.js').then((v) => v.unmountAll(m.mountPoint)).catch(() => undefined);
    for (const ctrl of readdirSync('/sys/fs/cgroup')) {
      const dir = join('/sys/fs/cgroup', ctrl, cgroupParent);
      if (existsSync(dir)) await rmdir(dir).catch(() => undefined);
    }
    if (mountsUnder(await readMountinfo(), workDir).length === 0) rmSync(workDir, { recursive: true, force: true });
  });

  it('a container sees its secret (mode 0400, uid 1000) and its config, read-only; removal leaves nothing mounted', async () => {
    const host = await readHostInfo();
    const runtime = await createRuncRuntime({ stateDir: join(workDir, 'runtime'), cgroupParent, host, pollIntervalMs: 250 });
    const execRoot = join(workDir, 'exec');
    const svc = new ContainerService({
      root: join(workDir, 'containers'),
      volumesRoot: join(workDir, 'volumes'),
      execRoot,
      runtime,
      images: images!.store,
      clock: systemClock,
      random: seededRandom(7),
      logger: nullLogger,
      capabilities: (add, drop, privileged) => tweakCapabilities(DEFAULT_CAPABILITIES, add, drop, privileged, host.oci.capabilities ? { available: host.oci.capabilities } : {}),
      initBinary: undefined,
      swapLimitSupported: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
      resolvConf: () => 'nameserver 192.0.2.53\n',
    });
    const executor = new ContainerExecutor({ containers: svc, images: images!.store, clock: systemClock, logger: nullLogger, describe: () => FAKE_DESCRIPTION });
    try {
      const script = [
        'stat -c "%n %a %u %g" /run/secrets/db_pw /etc/app.conf',
        'cat /run/secrets/db_pw; echo',
        'cat /etc/app.conf; echo',
        '(echo x > /run/secrets/db_pw) 2>/dev/null && echo writable || echo read-only',
      ].join('; ');
      const task = anAgentTask(
        images!.ref,
        {
          Command: ['sh', '-c', script],
          Secrets: [{ SecretID: 'sec1', SecretName: 'db_pw', File: { Name: 'db_pw', UID: '1000', GID: '1000', Mode: 0o400 } }],
          Configs: [{ ConfigID: 'cfg1', ConfigName: 'app', File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o444 } }],
        },
        { Payloads: { Secrets: [{ ID: 'sec1', Data: b64('s3cret') }], Configs: [{ ID: 'cfg1', Data: b64('mode=prod') }] } },
      );
      const ctl = executor.controller(task);
      const signal = new AbortController().signal;
      await ctl.prepare(signal);
      const c = svc.inspect(containerName(task));
      assert.ok(!JSON.stringify(c).includes(b64('s3cret')) && !readFileSync(join(workDir, 'containers', c.Id, 'config.v2.json'), 'utf8').includes('s3cret'), 'no secret data in the record');
      assert.equal((await readMountinfo()).find((m) => m.mountPoint === join(execRoot, 'secrets', c.Id))?.fsType, 'tmpfs');
      await ctl.start(signal);
      assert.deepEqual(await ctl.wait(signal), { exitCode: 0 });
      // conmon's k8s-file lines: `<time> <stream> <P|F> <text>`; P(artial) records join the next one.
      const out: string[] = [];
      let partial = '';
      for (const l of readFileSync(c.LogPath, 'utf8').split('\n').filter((x) => x !== '')) {
        const [, , tag, ...text] = l.split(' ');
        partial += text.join(' ');
        if (tag === 'F') {
          out.push(partial);
          partial = '';
        }
      }
      assert.deepEqual(out, ['/run/secrets/db_pw 400 1000 1000', '/etc/app.conf 444 0 0', 's3cret', 'mode=prod', 'read-only']);
      await ctl.remove();
      assert.deepEqual(mountsUnder(await readMountinfo(), execRoot), [], 'nothing mounted after removal');
      assert.equal(existsSync(join(execRoot, 'secrets', c.Id)), false);
    } finally {
      svc.close();
      for (const s of await runtime.list()) await runtime.delete(s.id, { force: true }).catch(() => undefined);
      runtime.close();
    }
  });

  it('cleanup after a restart removes the files of containers that are gone', async () => {
    const root = join(workDir, 'exec2', 'secrets');
    const tf = new TaskFiles({ root, logger: nullLogger });
    const files = taskFilesFor({ Secrets: [{ SecretID: 's1', SecretName: 'x' }] }, { Secrets: [{ ID: 's1', Data: b64('x') }], Configs: [] });
    await tf.write('gone', files);
    await tf.write('kept', files);
    await new TaskFiles({ root, logger: nullLogger }).cleanup(new Set(['kept']));
    assert.deepEqual(mountsUnder(await readMountinfo(), root).map((m) => m.mountPoint), [join(root, 'kept')]);
    assert.deepEqual(readdirSync(root), ['kept']);
    await tf.remove('kept');
    assert.deepEqual(mountsUnder(await readMountinfo(), root), []);
  });
});
