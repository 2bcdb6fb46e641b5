import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import type { ContainerSpec } from '../../exec/runtime.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { execProcessSpec, generateOciSpec, serializeOciSpec } from './generate.js';
import type { GenerateOptions } from './generate.js';
import { mergeMounts } from './mounts.js';
import { UNLIMITED } from './rlimits.js';

function aSpec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: 'a'.repeat(64),
    rootfs: { layers: ['/l/1', '/l/2'] },
    process: { args: ['sh', '-c', 'true'], env: ['A=1'], cwd: '/', uid: 0, gid: 0, terminal: false, capabilities: [...DEFAULT_CAPABILITIES] },
    hostname: 'web',
    mounts: [],
    resources: {},
    logPath: '/var/log/x.log',
    ...over,
  };
}

const opts: GenerateOptions = {
  rootfsPath: '/run/shoal/c/rootfs',
  cgroupsPath: '/shoal/' + 'a'.repeat(64),
  host: { limits: { RLIMIT_NOFILE: { soft: 20000, hard: 20000 } }, oomScoreAdjFloor: 0 },
};

const invalid = (message: string) => (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === message;

describe('generateOciSpec', () => {
  it("writes docker's defaults", () => {
    const c = generateOciSpec(aSpec(), opts);
    assert.equal(c.ociVersion, '1.0.2');
    assert.deepEqual(c.root, { path: '/run/shoal/c/rootfs', readonly: false });
    assert.equal(c.hostname, 'web');
    assert.deepEqual(
      c.mounts.map((m) => `${m.type}:${m.destination}`),
      ['proc:/proc', 'tmpfs:/dev', 'devpts:/dev/pts', 'sysfs:/sys', 'cgroup:/sys/fs/cgroup', 'mqueue:/dev/mqueue', 'tmpfs:/dev/shm'],
    );
    assert.ok(c.mounts.find((m) => m.destination === '/dev/shm')?.options.includes('size=67108864'));
    assert.ok(c.mounts.find((m) => m.destination === '/sys')?.options.includes('ro'));
    assert.deepEqual(
      c.linux.namespaces.map((n) => n.type),
      ['mount', 'network', 'uts', 'pid', 'ipc'],
    );
    assert.equal(c.linux.cgroupsPath, '/shoal/' + 'a'.repeat(64));
    assert.ok(c.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(c.linux.readonlyPaths.includes('/proc/sys'));
    assert.deepEqual(c.linux.resources.devices[0], { allow: false, access: 'rwm' });
    assert.equal(c.linux.sysctl, undefined);
    assert.deepEqual(c.process.capabilities.bounding, DEFAULT_CAPABILITIES);
    assert.deepEqual(c.process.capabilities.effective, DEFAULT_CAPABILITIES);
    assert.deepEqual(c.process.capabilities.permitted, DEFAULT_CAPABILITIES);
    assert.equal('inheritable' in c.process.capabilities, false);
    assert.deepEqual(c.process.env, ['A=1', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.deepEqual(c.process.user, { uid: 0, gid: 0 });
  });

  it('gives a non-root user the set as bounding only (moby SetCapabilities)', () => {
    const c = generateOciSpec(aSpec({ process: { ...aSpec().process, uid: 1000, gid: 1000, additionalGids: [10, 20] } }), opts);
    assert.deepEqual(c.process.capabilities, { bounding: DEFAULT_CAPABILITIES });
    assert.deepEqual(c.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 20] });
  });

  it('sets cgroup v1 resources', () => {
    const c = generateOciSpec(
      aSpec({ resources: { memoryBytes: 64 << 20, memorySwapBytes: 128 << 20, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512, pidsLimit: 64 } }),
      opts,
    );
    assert.deepEqual(c.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
    assert.deepEqual(c.linux.resources.cpu, { period: 100000, quota: 50000, shares: 512 });
    assert.deepEqual(c.linux.resources.pids, { limit: 64 });
  });

  it("refuses resources docker refuses, with docker's words", () => {
    assert.throws(() => generateOciSpec(aSpec({ resources: { memoryBytes: 4 << 20 } }), opts), invalid('Minimum memory limit allowed is 6MB'));
    assert.throws(
      () => generateOciSpec(aSpec({ resources: { memoryBytes: 64 << 20, memorySwapBytes: 32 << 20 } }), opts),
      invalid('Minimum memoryswap limit should be larger than memory limit, see usage'),
    );
    assert.throws(() => generateOciSpec(aSpec({ resources: { cpuQuota: 10 } }), opts), invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)'));
    assert.throws(
      () => generateOciSpec(aSpec({ resources: { cpuPeriod: 10 } }), opts),
      invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'),
    );
  });

  it('clamps rlimits and oom_score_adj to what the host allows', () => {
    const c = generateOciSpec(
      aSpec({ process: { ...aSpec().process, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], oomScoreAdj: -500 } }),
      opts,
    );
    assert.deepEqual(c.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.equal(c.process.oomScoreAdj, 0);
    const up = generateOciSpec(aSpec({ process: { ...aSpec().process, oomScoreAdj: 500 } }), opts);
    assert.equal(up.process.oomScoreAdj, 500);
    assert.throws(
      () => generateOciSpec(aSpec({ process: { ...aSpec().process, oomScoreAdj: 1001 } }), opts),
      invalid('Invalid value 1001, range for oom score adj is [-1000, 1000]'),
    );
  });

  it('validates sysctls against the namespaces', () => {
    const c = generateOciSpec(aSpec({ sysctls: { 'net.ipv4.ip_forward': '1' } }), opts);
    assert.deepEqual(c.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.throws(() => generateOciSpec(aSpec({ sysctls: { 'vm.swappiness': '1' } }), opts), invalid('sysctl "vm.swappiness" is not in a separate kernel namespace'));
  });

  it('joins namespaces by path and leaves the hostname out without a private uts namespace', () => {
    const c = generateOciSpec(aSpec({ namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts', path: '/proc/9/ns/uts' }] }), opts);
    assert.deepEqual(c.linux.namespaces, [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts', path: '/proc/9/ns/uts' }]);
    assert.equal(c.hostname, undefined);
  });

  it('checks the command, the working dir, the id and capabilities', () => {
    assert.throws(() => generateOciSpec(aSpec({ process: { ...aSpec().process, args: [] } }), opts), invalid('No command specified'));
    assert.throws(
      () => generateOciSpec(aSpec({ process: { ...aSpec().process, cwd: 'app' } }), opts),
      invalid("the working directory 'app' is invalid, it needs to be an absolute path"),
    );
    assert.throws(() => generateOciSpec(aSpec({ id: '../x' }), opts), (e: unknown) => isShoalError(e, 'InvalidArgument'));
    assert.throws(
      () => generateOciSpec(aSpec({ process: { ...aSpec().process, capabilities: ['CAP_FOO'] } }), opts),
      invalid('unknown capability: "CAP_FOO"'),
    );
  });

  it('sets the initial console size for a terminal only', () => {
    const tty = generateOciSpec(aSpec({ process: { ...aSpec().process, terminal: true, consoleSize: { rows: 40, cols: 120 } } }), opts);
    assert.deepEqual(tty.process.consoleSize, { height: 40, width: 120 });
    const plain = generateOciSpec(aSpec({ process: { ...aSpec().process, consoleSize: { rows: 40, cols: 120 } } }), opts);
    assert.equal(plain.process.consoleSize, undefined);
    assert.deepEqual(execProcessSpec(aSpec(), { args: ['sh'], terminal: true, consoleSize: { rows: 5, cols: 6 } }, opts.host).consoleSize, { height: 5, width: 6 });
  });

  it('makes the rootfs read-only on request', () => {
    assert.equal(generateOciSpec(aSpec({ rootfs: { layers: ['/l'], readonly: true } }), opts).root.readonly, true);
  });

  it('serializes RLIM_INFINITY as 2^64-1', () => {
    const c = generateOciSpec(aSpec({ process: { ...aSpec().process, rlimits: [{ type: 'RLIMIT_CORE', soft: -1, hard: -1 }] } }), opts);
    assert.equal(c.process.rlimits?.[0]?.hard, UNLIMITED);
    const text = serializeOciSpec(c);
    assert.match(text, /"hard": 18446744073709551615/);
    assert.match(text, /"soft": 18446744073709551615/);
  });
});

describe('mounts', () => {
  it('puts caller mounts after the defaults, parents first, replacing a default at the same place', () => {
    const c = generateOciSpec(
      aSpec({
        mounts: [
          { destination: '/data/cache', type: 'tmpfs', source: '', options: ['size=1m'] },
          { destination: '/data', type: 'bind', source: '/srv/data', options: ['ro'] },
          { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['size=1m'] },
        ],
      }),
      opts,
    );
    const dests = c.mounts.map((m) => m.destination);
    assert.deepEqual(dests.slice(-3), ['/data', '/data/cache', '/dev/shm']);
    assert.equal(dests.filter((d) => d === '/dev/shm').length, 1);
    assert.deepEqual(c.mounts.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'rprivate'] });
    assert.deepEqual(c.mounts.find((m) => m.destination === '/data/cache')?.source, 'tmpfs');
  });

  it("refuses what docker refuses", () => {
    assert.throws(
      () => mergeMounts([], [{ destination: '/a', type: 'bind', source: '/x', options: [] }, { destination: '/a/', type: 'tmpfs', source: '', options: [] }]),
      invalid('Duplicate mount point: /a'),
    );
    assert.throws(
      () => mergeMounts([], [{ destination: 'rel', type: 'tmpfs', source: '', options: [] }]),
      invalid(`invalid mount config for type "tmpfs": invalid mount path: 'rel' mount path must be absolute`),
    );
    assert.throws(() => mergeMounts([], [{ destination: '/', type: 'tmpfs', source: '', options: [] }]), invalid(`invalid specification: destination can't be '/'`));
  });
});

describe('execProcessSpec', () => {
  it("inherits the container's capabilities and env, overriding by key", () => {
    const p = execProcessSpec(aSpec(), { args: ['ls'], env: ['A=2', 'B=3'], terminal: true }, opts.host);
    assert.deepEqual(p.args, ['ls']);
    assert.deepEqual(p.env, ['A=2', 'B=3', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(p.terminal, true);
    assert.deepEqual(p.capabilities.effective, DEFAULT_CAPABILITIES);
    assert.equal(p.cwd, '/');
    const u = execProcessSpec(aSpec(), { args: ['id'], uid: 33, cwd: '/tmp' }, opts.host);
    assert.deepEqual(u.user, { uid: 33, gid: 33 });
    assert.deepEqual(u.capabilities, { bounding: DEFAULT_CAPABILITIES });
    assert.equal(u.cwd, '/tmp');
  });
});
