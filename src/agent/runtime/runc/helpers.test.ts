/** The adapter's pure helpers: signals, conmon's command lines and sync messages, /proc and cgroup parsing, errors. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { parseMountinfo } from '../rootfs/index.js';
import { cgroupDirs, cgroupMounts, memoryCgroupDir } from './cgroups.js';
import { runcErrorMessage } from './command.js';
import { SyncReader, conmonCreateArgs, conmonExecArgs } from './conmon.js';
import { execStartFailure, startFailureCode } from './exec.js';
import { parseProcStat } from './proc.js';
import { parseSignal, signalName } from './signals.js';

describe('signals', () => {
  it('parses names and numbers the way docker does', () => {
    assert.equal(parseSignal('SIGTERM'), 15);
    assert.equal(parseSignal('term'), 15);
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('9'), 9);
    assert.equal(parseSignal('SIGRTMIN+3'), 37);
    assert.equal(parseSignal('RTMAX-1'), 63);
    assert.equal(parseSignal('sigusr1'), 10);
    for (const bad of ['0', '65', 'SIGFOO', '', 'RTMIN+40', '-1']) {
      assert.throws(() => parseSignal(bad), (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === `Invalid signal: ${bad}`);
    }
    assert.equal(signalName(15), 'SIGTERM');
    assert.equal(signalName(36), 'SIGRTMIN+2');
  });
});

describe('conmon command lines', () => {
  const base = {
    id: 'abc',
    runtimePath: '/usr/sbin/runc',
    runcRoot: '/s/runc',
    bundle: '/s/containers/abc',
    pidFile: '/s/containers/abc/pid',
    conmonPidFile: '/s/containers/abc/conmon.pid',
    logPath: '/logs/abc.log',
    exitDir: '/s/exits',
    socketDir: '/s/sockets',
    terminal: false,
    stdin: false,
    leaveStdinOpen: true,
  };

  it('creates with an exit dir, a k8s-file log, its own runc root and the attach socket dir', () => {
    const a = conmonCreateArgs(base);
    const pair = (flag: string): string | undefined => a[a.indexOf(flag) + 1];
    assert.equal(pair('-c'), 'abc');
    assert.equal(pair('-u'), 'abc');
    assert.equal(pair('-r'), '/usr/sbin/runc');
    assert.equal(pair('-b'), '/s/containers/abc');
    assert.equal(pair('-l'), 'k8s-file:/logs/abc.log');
    assert.equal(pair('--exit-dir'), '/s/exits');
    assert.equal(pair('--socket-dir-path'), '/s/sockets');
    assert.equal(pair('--runtime-arg'), '--root=/s/runc');
    assert.equal(pair('-P'), '/s/containers/abc/conmon.pid');
    assert.ok(!a.includes('-t') && !a.includes('-i'));
  });

  it('adds a terminal and stdin, leaving stdin open unless StdinOnce', () => {
    assert.deepEqual(conmonCreateArgs({ ...base, terminal: true, stdin: true }).slice(-3), ['-t', '-i', '--leave-stdin-open']);
    assert.deepEqual(conmonCreateArgs({ ...base, stdin: true, leaveStdinOpen: false }).slice(-1), ['-i']);
  });

  it('execs with --exec-attach and the session as bundle and socket dir', () => {
    const a = conmonExecArgs({
      containerId: 'abc',
      sessionId: 's1',
      runtimePath: '/usr/sbin/runc',
      runcRoot: '/s/runc',
      dir: '/s/containers/abc/exec/s1',
      pidFile: '/s/containers/abc/exec/s1/pid',
      exitDir: '/s/containers/abc/exec/s1/exit',
      processSpec: '/s/containers/abc/exec/s1/process.json',
      terminal: true,
    });
    for (const f of ['-e', '--exec-attach', '-t']) assert.ok(a.includes(f), f);
    assert.equal(a[a.indexOf('--exec-process-spec') + 1], '/s/containers/abc/exec/s1/process.json');
    assert.equal(a[a.indexOf('--socket-dir-path') + 1], '/s/containers/abc/exec/s1');
    assert.equal(a[a.indexOf('-u') + 1], 's1');
  });

  it('reads sync-pipe messages in order, split anywhere, and reports EOF', async () => {
    const s = new PassThrough();
    const r = new SyncReader(s);
    s.write('{"data": 12');
    s.write('34}\n{"data": -1, "message": "boom"}\n');
    assert.deepEqual(await r.next(), { data: 1234 });
    assert.deepEqual(await r.next(), { data: -1, message: 'boom' });
    const pending = r.next();
    s.end('{"data": 5}\n');
    assert.deepEqual(await pending, { data: 5 });
    assert.equal(await r.next(), undefined);
  });
});

describe('runtime error texts', () => {
  const runc = 'time="2026-11-27T08:40:00Z" level=error msg="exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"\n';

  it("extracts runc's message", () => {
    assert.equal(runcErrorMessage(runc), 'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH');
    assert.equal(runcErrorMessage('plain text\n'), 'plain text');
  });

  it("tells a runtime's start failure from the process's own output", () => {
    assert.match(execStartFailure(runc) ?? '', /executable file not found/);
    assert.equal(execStartFailure('executable file `/x` not found in $PATH: No such file or directory\n'), 'executable file `/x` not found in $PATH: No such file or directory');
    assert.equal(execStartFailure('my app failed\n'), undefined);
    assert.equal(execStartFailure('time="x" level=error msg="something else"\n'), undefined);
    assert.equal(startFailureCode('exec: "x": executable file not found in $PATH'), 127);
    assert.equal(startFailureCode('stat /x: no such file or directory'), 127);
    assert.equal(startFailureCode('exec: "/etc": permission denied'), 126);
  });
});

describe('/proc and cgroups', () => {
  it('parses /proc/<pid>/stat with spaces and parentheses in the name', () => {
    const text = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 18446744073709551615\n';
    assert.deepEqual(parseProcStat(text), { state: 'S', startTime: '987654', comm: 'my (odd) name' });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('finds every hierarchy of a hybrid host', () => {
    const mounts = cgroupMounts(
      parseMountinfo(
        [
          '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
          '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
          '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
          '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
          '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      mounts.map((m) => [m.path, m.version, m.controllers.join(',')]),
      [
        ['/sys/fs/cgroup/cpu', 1, 'cpu'],
        ['/sys/fs/cgroup/memory', 1, 'memory'],
        ['/sys/fs/cgroup/systemd', 1, 'name=systemd'],
        ['/sys/fs/cgroup/unified', 2, ''],
      ],
    );
    assert.deepEqual(cgroupDirs(mounts, '/shoal/abc'), [
      '/sys/fs/cgroup/cpu/shoal/abc',
      '/sys/fs/cgroup/memory/shoal/abc',
      '/sys/fs/cgroup/systemd/shoal/abc',
      '/sys/fs/cgroup/unified/shoal/abc',
    ]);
    assert.equal(memoryCgroupDir(mounts, '/shoal/abc'), '/sys/fs/cgroup/memory/shoal/abc');
  });
});
