/**
 * `run`/`create` flags → the `POST /containers/create` body. The expected bodies are what docker CLI 28's `parse`
 * (cli/command/container/opts.go) builds for the same flags: every Config and HostConfig field in Go's order, zero
 * values included, `omitempty` fields left out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type { ContainerCreateBody } from '../../../client/container-types.js';
import type { CliContext } from '../../context.js';
import { buildCreateBody, CreateOptionsError, detachBody } from './create-body.js';
import type { BuildEnvironment } from './create-body.js';
import type { CreateFlags } from './create-flags.js';
import { addCreateFlags } from './create-flags.js';

const ctx: CliContext = {
  out: { write: () => undefined },
  err: { write: () => undefined },
  env: { HOME: '/root', FROM_ENV: 'yes' },
  binName: 'shoal',
  host: () => 'unix:///nonexistent.sock',
  client: () => Promise.reject(new Error('no daemon in this test')),
};

const files: Record<string, string> = {
  '/tmp/app.env': '# comment\n\nA=1\n  B=two words\nFROM_ENV\nMISSING\n',
  '/tmp/labels': 'team=core\nflag\n',
};

const build: BuildEnvironment = {
  env: ctx.env,
  readFile: (p) => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return f;
  },
  cwd: '/work/dir',
  consoleSize: [0, 0],
};

function parse(argv: string[]): { image: string; args: string[]; flags: CreateFlags } {
  let result: { image: string; args: string[]; flags: CreateFlags } | undefined;
  const cmd = new Command('run').exitOverride().configureOutput({ writeErr: () => undefined }).argument('<image>').argument('[command...]').passThroughOptions();
  addCreateFlags(cmd, ctx, () => '/work/dir');
  cmd.action((image: string, args: string[], flags: CreateFlags) => {
    result = { image, args, flags };
  });
  cmd.parse(argv, { from: 'user' });
  if (result === undefined) throw new Error('not parsed');
  return result;
}

function body(argv: string[]): ContainerCreateBody {
  const p = parse(argv);
  return buildCreateBody(p.flags, p.image, p.args, build);
}

/** What docker 28 sends for `docker create busybox` (before any flag). */
function dockerDefault(): ContainerCreateBody {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: 'busybox',
    Volumes: {},
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: {},
    HostConfig: {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: { Type: '', Config: {} },
      NetworkMode: 'default',
      PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumeDriver: '',
      VolumesFrom: null,
      ConsoleSize: [0, 0],
      CapAdd: null,
      CapDrop: null,
      CgroupnsMode: '',
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      IpcMode: '',
      Cgroup: '',
      Links: null,
      OomScoreAdj: 0,
      PidMode: '',
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: '',
      UsernsMode: '',
      ShmSize: 0,
      Isolation: '',
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      BlkioWeightDevice: [],
      BlkioDeviceReadBps: [],
      BlkioDeviceWriteBps: [],
      BlkioDeviceReadIOps: [],
      BlkioDeviceWriteIOps: [],
      CpuPeriod: 0,
      CpuQuota: 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: '',
      CpusetMems: '',
      Devices: [],
      DeviceCgroupRules: null,
      DeviceRequests: null,
      MemoryReservation: 0,
      MemorySwap: 0,
      MemorySwappiness: -1,
      OomKillDisable: false,
      PidsLimit: 0,
      Ulimits: [],
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      MaskedPaths: null,
      ReadonlyPaths: null,
    },
    NetworkingConfig: { EndpointsConfig: {} },
  };
}

type Patch = { config?: Partial<ContainerCreateBody>; host?: Partial<ContainerCreateBody['HostConfig']> };

/** Go's field order of container.Config (with CreateRequest's HostConfig/NetworkingConfig) and of HostConfig. */
const CONFIG_ORDER = [
  'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce',
  'Env', 'Cmd', 'Healthcheck', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout',
  'HostConfig', 'NetworkingConfig',
];
const HOST_ORDER = [
  'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver', 'VolumesFrom',
  'ConsoleSize', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup',
  'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'Tmpfs', 'UTSMode', 'UsernsMode',
  'ShmSize', 'Sysctls', 'Isolation', 'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice',
  'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota',
  'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests',
  'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent',
  'IOMaximumIOps', 'IOMaximumBandwidth', 'Mounts', 'MaskedPaths', 'ReadonlyPaths', 'Init',
];

function ordered<T extends object>(o: T, order: readonly string[]): T {
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) assert.ok(order.includes(k), `unexpected field ${k}`);
  return Object.fromEntries(order.filter((k) => k in rec).map((k) => [k, rec[k]])) as T;
}

function expected(p: Patch): ContainerCreateBody {
  const d = dockerDefault();
  return ordered({ ...d, ...p.config, HostConfig: ordered({ ...d.HostConfig, ...p.host }, HOST_ORDER) }, CONFIG_ORDER);
}

describe('run/create flags → POST /containers/create body (as docker CLI 28 builds it)', () => {
  const table: [string, string[], Patch][] = [
    ['no flags', ['busybox'], {}],
    ['command and args after the image are the container’s, flags included', ['busybox', 'sh', '-c', 'echo -e hi'], { config: { Cmd: ['sh', '-c', 'echo -e hi'] } }],
    ['-it', ['-it', 'busybox', 'sh'], { config: { AttachStdin: true, Tty: true, OpenStdin: true, StdinOnce: true, Cmd: ['sh'] } }],
    ['-i only', ['-i', 'busybox'], { config: { AttachStdin: true, OpenStdin: true, StdinOnce: true } }],
    ['-a stdout', ['-a', 'stdout', 'busybox'], { config: { AttachStderr: false } }],
    ['-a STDIN -a stderr', ['-a', 'STDIN', '-a', 'stderr', 'busybox'], { config: { AttachStdin: true, AttachStdout: false } }],
    [
      'identity and environment',
      ['--name', 'web', '-e', 'A=1', '-e', 'FROM_ENV', '-e', 'UNSET', '-w', '/srv', '-u', '1000:1000', '-h', 'box', '--domainname', 'lan', '-l', 'a=b', '-l', 'c', 'busybox'],
      { config: { Env: ['A=1', 'FROM_ENV=yes', 'UNSET'], WorkingDir: '/srv', User: '1000:1000', Hostname: 'box', Domainname: 'lan', Labels: { a: 'b', c: '' } } },
    ],
    [
      '--env-file before -e, --label-file',
      ['--env-file', '/tmp/app.env', '-e', 'C=3', '--label-file', '/tmp/labels', '-l', 'x=y', 'busybox'],
      { config: { Env: ['A=1', 'B=two words', 'FROM_ENV=yes', 'MISSING', 'C=3'], Labels: { team: 'core', flag: '', x: 'y' } } },
    ],
    [
      'resources: sizes in binary units, --cpus as NanoCpus',
      ['-m', '64m', '--memory-reservation', '32MB', '--memory-swap', '-1', '--shm-size', '1g', '--cpus', '0.5', '-c', '512', '--pids-limit', '-1', '--oom-score-adj', '-500', 'busybox'],
      {
        host: {
          Memory: 67108864,
          MemoryReservation: 33554432,
          MemorySwap: -1,
          ShmSize: 1073741824,
          NanoCpus: 500000000,
          CpuShares: 512,
          PidsLimit: -1,
          OomScoreAdj: -500,
        },
      },
    ],
    ['--pids-limit 100', ['--pids-limit', '100', 'busybox'], { host: { PidsLimit: 100 } }],
    [
      'volumes: binds (relative made absolute), named volumes, anonymous volumes',
      ['-v', '/data:/data:ro', '-v', './conf:/etc/app', '-v', 'cache:/cache', '-v', '/anon', 'busybox'],
      { config: { Volumes: { '/anon': {} } }, host: { Binds: ['/data:/data:ro', '/work/dir/conf:/etc/app', 'cache:/cache'] } },
    ],
    [
      '--mount bind, volume and tmpfs',
      [
        '--mount',
        'type=bind,src=./site,dst=/usr/share/www,readonly',
        '--mount',
        'type=volume,source=db,target=/var/lib/db,volume-label=a=b,volume-nocopy',
        '--mount',
        'type=tmpfs,dst=/run/x,tmpfs-size=64m,tmpfs-mode=1770',
        'busybox',
      ],
      {
        host: {
          Mounts: [
            { Type: 'bind', Source: '/work/dir/site', Target: '/usr/share/www', ReadOnly: true },
            { Type: 'volume', Source: 'db', Target: '/var/lib/db', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: {} } },
            { Type: 'tmpfs', Target: '/run/x', TmpfsOptions: { SizeBytes: 67108864, Mode: 0o1770 } },
          ],
        },
      },
    ],
    ['--tmpfs', ['--tmpfs', '/run', '--tmpfs', '/tmp:rw,size=64m', 'busybox'], { host: { Tmpfs: { '/run': '', '/tmp': 'rw,size=64m' } } }],
    [
      'security and kernel knobs',
      ['--read-only', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1024', '--privileged', 'busybox'],
      { host: { ReadonlyRootfs: true, CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1024' }, Privileged: true } },
    ],
    [
      '--ulimit: last per name wins, sorted by name, hard defaults to soft',
      ['--ulimit', 'nproc=100:200', '--ulimit', 'nofile=1024', '--ulimit', 'core=infinity', '--ulimit', 'nofile=2048:4096', 'busybox'],
      {
        host: {
          Ulimits: [
            { Name: 'core', Hard: -1, Soft: -1 },
            { Name: 'nofile', Hard: 4096, Soft: 2048 },
            { Name: 'nproc', Hard: 200, Soft: 100 },
          ],
        },
      },
    ],
    [
      'healthcheck durations in ns, CMD-SHELL',
      ['--health-cmd', 'wget -qO- localhost', '--health-interval', '5s', '--health-timeout', '1s', '--health-retries', '3', '--health-start-period', '1m', '--health-start-interval', '500ms', 'busybox'],
      { config: { Healthcheck: { Test: ['CMD-SHELL', 'wget -qO- localhost'], Interval: 5e9, Timeout: 1e9, StartPeriod: 60e9, StartInterval: 5e8, Retries: 3 } } },
    ],
    ['--health-interval alone', ['--health-interval', '2s', 'busybox'], { config: { Healthcheck: { Interval: 2e9 } } }],
    ['--no-healthcheck', ['--no-healthcheck', 'busybox'], { config: { Healthcheck: { Test: ['NONE'] } } }],
    ['--init, --rm, stop signal and timeout', ['--init', '--rm', '--stop-signal', 'SIGUSR1', '--stop-timeout', '30', 'busybox'], { config: { StopSignal: 'SIGUSR1', StopTimeout: 30 }, host: { Init: true, AutoRemove: true } }],
    ['--entrypoint', ['--entrypoint', '/bin/sh', 'busybox', '-c', 'true'], { config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'true'] } }],
    ['--entrypoint ""', ['--entrypoint', '', 'busybox'], { config: { Entrypoint: [''] } }],
    ['--restart on-failure:3', ['--restart', 'on-failure:3', 'busybox'], { host: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } } }],
    [
      'dns and hosts',
      ['--dns', '1.1.1.1', '--dns-search', 'lan', '--dns-option', 'ndots:2', '--add-host', 'db:10.0.0.2', '--group-add', 'audio', 'busybox'],
      { host: { Dns: ['1.1.1.1'], DnsSearch: ['lan'], DnsOptions: ['ndots:2'], ExtraHosts: ['db:10.0.0.2'], GroupAdd: ['audio'] } },
    ],
  ];
  for (const [name, argv, patch] of table) {
    it(name, () => {
      const got = body(argv);
      assert.deepEqual(got, expected(patch));
      // The JSON keeps Go's field order: the daemon sees the same bytes from both CLIs.
      assert.equal(JSON.stringify(got), JSON.stringify(expected(patch)));
    });
  }

  it('sends the terminal size as ConsoleSize', () => {
    const p = parse(['-t', 'busybox']);
    assert.deepEqual(buildCreateBody(p.flags, p.image, p.args, { ...build, consoleSize: [40, 120] }).HostConfig.ConsoleSize, [40, 120]);
  });

  it('-d attaches nothing', () => {
    const b = detachBody(body(['-it', 'busybox']));
    assert.deepEqual([b.AttachStdin, b.AttachStdout, b.AttachStderr, b.StdinOnce, b.OpenStdin, b.Tty], [false, false, false, false, true, true]);
  });

  it('refuses bad values as flag errors, with docker’s messages', () => {
    const bad: [string[], RegExp][] = [
      [['-m', '4x', 'busybox'], /invalid size: '4x'/],
      [['--cpus', 'lots', 'busybox'], /failed to parse lots as a rational number/],
      [['--sysctl', 'kernel.pid_max=10', 'busybox'], /sysctl 'kernel.pid_max=10' is not allowed/],
      [['--ulimit', 'nofile=10:5', 'busybox'], /ulimit soft limit must be less than or equal to hard limit: 10 > 5/],
      [['--ulimit', 'bogus=1', 'busybox'], /invalid ulimit type: bogus/],
      [['--mount', 'type=bind,src=/x', 'busybox'], /target is required/],
      [['--mount', 'type=tmpfs,dst=/x,bind-propagation=shared', 'busybox'], /cannot mix 'bind-\*' options with mount type 'tmpfs'/],
      [['-e', '=x', 'busybox'], /invalid environment variable: =x/],
      [['-l', '=x', 'busybox'], /invalid label '=x': empty name/],
      [['-a', 'stdweird', 'busybox'], /valid streams are STDIN, STDOUT and STDERR/],
      [['--health-interval', 'soon', 'busybox'], /invalid duration "soon"/],
      [['--stop-timeout', 'ten', 'busybox'], /invalid syntax/],
    ];
    for (const [argv, re] of bad) assert.throws(() => parse(argv), re, argv.join(' '));
  });

  it('refuses conflicting options when building the body', () => {
    const conflicts: [string[], string][] = [
      [['--no-healthcheck', '--health-cmd', 'true', 'busybox'], '--no-healthcheck conflicts with --health-* options'],
      [['--health-retries', '-1', 'busybox'], '--health-retries cannot be negative'],
      [['--rm', '--restart', 'always', 'busybox'], 'conflicting options: cannot specify both --restart and --rm'],
      [['--restart', ':3', 'busybox'], 'invalid restart policy format: no policy provided before colon'],
      [['-v', '/a::/b', 'busybox'], 'invalid spec: /a::/b: empty section between colons'],
      [['-v', '/a:/b:ro:x', 'busybox'], 'invalid spec: /a:/b:ro:x: too many colons'],
      [['--env-file', '/tmp/none', 'busybox'], 'open /tmp/none: no such file or directory'],
    ];
    for (const [argv, message] of conflicts) {
      assert.throws(() => body(argv), (e: unknown) => e instanceof CreateOptionsError && e.message === message, argv.join(' '));
    }
  });
});
