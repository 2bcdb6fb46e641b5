/**
 * `service create` flags → the request body, byte for byte as the docker CLI 28 sends it (derived from docker/cli's
 * opts.go ToService and moby's swarm types; the first row is docs/docker-engine-api.md §9's probed body).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeServiceSpec, goJSON } from '../../../client/services.js';
import { CliError } from '../../errors.js';
import { captureContext } from '../container/engine-stub.testkit.js';
import { addCreateFlags } from './flags.js';
import type { ServiceFlags } from './flags.js';
import { imageWithTag } from './image.js';
import { ServiceCommand } from './index.js';
import { buildServiceSpec } from './spec.js';

function parse(argv: string[]): { f: ServiceFlags; image: string; args: string[] } {
  const { ctx } = captureContext('unix:///nowhere', { FROM_ENV: 'yes' });
  const cmd = new ServiceCommand('create').exitOverride().configureOutput({ writeErr: () => undefined }).argument('<image>').argument('[command...]').passThroughOptions();
  addCreateFlags(cmd, ctx, () => '/home/me');
  let out: { f: ServiceFlags; image: string; args: string[] } | undefined;
  cmd.action((image: string, args: string[], f: ServiceFlags) => {
    out = { f, image, args };
  });
  cmd.parse(argv, { from: 'user' });
  if (out === undefined) throw new Error('no action');
  return out;
}

/** The body for these flags, networks resolved to "id-<name>", the image tagged (no registry). */
function body(...argv: string[]): string {
  const { f, image, args } = parse(argv);
  const networks = (f.network ?? []).map((n) => ({ ...n, Target: `id-${n.Target ?? ''}` }));
  const files: Record<string, string> = { '/env.list': '# comment\nFILE_A=1\nFROM_ENV\n' };
  const spec = buildServiceSpec(f, image, args, networks, { readFile: (p) => files[p] ?? '', env: { FROM_ENV: 'yes' } });
  const cs = spec.TaskTemplate.ContainerSpec;
  if (cs) cs.Image = imageWithTag(cs.Image ?? '') || (cs.Image ?? '');
  return goJSON(encodeServiceSpec(spec));
}

const BASE_TASK = '"Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0';

describe('service create flags → request body', () => {
  it('the probed body of docs/docker-engine-api.md §9 (digest and platforms added later by the distribution lookup)', () => {
    assert.equal(
      body('--name', 'web', '--replicas', '5', '-p', '80:80', '--limit-cpu', '0.1', '--limit-memory', '50M', '--restart-condition', 'on-failure', '--constraint', 'node.role==manager', '--network', 'webnet', 'img'),
      '{"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"img:latest","Init":false,"DNSConfig":{}},' +
        '"Resources":{"Limits":{"NanoCPUs":100000000,"MemoryBytes":52428800},"Reservations":{}},' +
        '"RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0},' +
        '"Placement":{"Constraints":["node.role==manager"]},"Networks":[{"Target":"id-webnet"}],"ForceUpdate":0},' +
        '"Mode":{"Replicated":{"Replicas":5}},' +
        '"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":80,"PublishMode":"ingress"}]}}',
    );
  });

  const rows: [string, string[], string | string[]][] = [
    ['no flags: Replicated without Replicas, Init false, empty DNSConfig, vip', ['busybox'], `{"Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:latest","Init":false,"DNSConfig":{}},${BASE_TASK}},"Mode":{"Replicated":{}},"EndpointSpec":{"Mode":"vip"}}`],
    ['--mode global', ['--mode', 'global', 'img'], '"Mode":{"Global":{}}'],
    ['--mode replicated-job --replicas 10 --max-concurrent 2', ['--mode', 'replicated-job', '--replicas', '10', '--max-concurrent', '2', 'img'], '"Mode":{"ReplicatedJob":{"MaxConcurrent":2,"TotalCompletions":10}}'],
    ['--mode replicated-job --replicas 3: MaxConcurrent defaults to the replicas', ['--mode', 'replicated-job', '--replicas', '3', 'img'], '"Mode":{"ReplicatedJob":{"MaxConcurrent":3,"TotalCompletions":3}}'],
    ['--mode replicated-job --total-completions 4 (Shoal)', ['--mode', 'replicated-job', '--total-completions', '4', '--max-concurrent', '1', 'img'], '"Mode":{"ReplicatedJob":{"MaxConcurrent":1,"TotalCompletions":4}}'],
    ['--mode global-job', ['--mode', 'global-job', 'img'], '"Mode":{"GlobalJob":{}}'],
    ['-e (later value wins), --env-file (bare names from the environment)', ['--env-file', '/env.list', '-e', 'A=1', '-e', 'B=2', '-e', 'A=3', 'img'], '"Env":["FILE_A=1","FROM_ENV=yes","B=2","A=3"]'],
    ['-e NAME takes the CLI environment', ['-e', 'FROM_ENV', '-e', 'UNSET', 'img'], '"Env":["FROM_ENV=yes","UNSET"]'],
    ['--label / --container-label', ['--label', 'a=b', '-l', 'c', '--container-label', 'x=y', 'img'], '{"Labels":{"a":"b","c":""},"TaskTemplate":{"ContainerSpec":{"Image":"img:latest","Labels":{"x":"y"},'],
    ['--constraint --placement-pref --replicas-max-per-node', ['--constraint', 'node.labels.zone==a', '--constraint', 'node.role!=manager', '--placement-pref', 'spread=node.labels.rack', '--replicas-max-per-node', '2', 'img'], '"Placement":{"Constraints":["node.labels.zone==a","node.role!=manager"],"Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.rack"}}],"MaxReplicas":2}'],
    ['--limit-pids --reserve-cpu --reserve-memory', ['--limit-pids', '100', '--reserve-cpu', '0.5', '--reserve-memory', '1g', 'img'], '"Resources":{"Limits":{"Pids":100},"Reservations":{"NanoCPUs":500000000,"MemoryBytes":1073741824}}'],
    ['--restart-*', ['--restart-condition', 'none', '--restart-delay', '10s', '--restart-max-attempts', '3', '--restart-window', '1m', 'img'], '"RestartPolicy":{"Condition":"none","Delay":10000000000,"MaxAttempts":3,"Window":60000000000}'],
    ['--restart-max-attempts alone: the default any/5s policy', ['--restart-max-attempts', '2', 'img'], '"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":2}'],
    ['any --update-* flag: a full UpdateConfig from swarmkit defaults', ['--update-parallelism', '2', 'img'], '"UpdateConfig":{"Parallelism":2,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"}'],
    [
      'every --update-* and --rollback-* flag',
      ['--update-delay', '10s', '--update-failure-action', 'rollback', '--update-monitor', '20s', '--update-max-failure-ratio', '0.2', '--update-order', 'start-first', '--rollback-parallelism', '0', '--rollback-failure-action', 'continue', '--rollback-order', 'start-first', 'img'],
      '"UpdateConfig":{"Parallelism":1,"Delay":10000000000,"FailureAction":"rollback","Monitor":20000000000,"MaxFailureRatio":0.2,"Order":"start-first"},"RollbackConfig":{"Parallelism":0,"FailureAction":"continue","Monitor":5000000000,"MaxFailureRatio":0,"Order":"start-first"}',
    ],
    ['--health-cmd --health-interval (zero durations left out)', ['--health-cmd', 'curl -f http://localhost/', '--health-interval', '5s', '--health-retries', '3', 'img'], '"Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/"],"Interval":5000000000,"Retries":3},"DNSConfig":{}'],
    ['--health-timeout --health-start-period --health-start-interval without a command', ['--health-timeout', '2s', '--health-start-period', '1m', '--health-start-interval', '1s', 'img'], '"Healthcheck":{"Timeout":2000000000,"StartPeriod":60000000000,"StartInterval":1000000000}'],
    ['--no-healthcheck', ['--no-healthcheck', 'img'], '"Healthcheck":{"Test":["NONE"]}'],
    ['--mount (volume, bind, tmpfs)', ['--mount', 'type=volume,source=data,target=/data', '--mount', 'type=bind,src=/srv,dst=/srv,readonly', '--mount', 'type=tmpfs,target=/tmp,tmpfs-size=64m', 'img'], '"Mounts":[{"Type":"volume","Source":"data","Target":"/data"},{"Type":"bind","Source":"/srv","Target":"/srv","ReadOnly":true},{"Type":"tmpfs","Target":"/tmp","TmpfsOptions":{"SizeBytes":67108864}}]'],
    ['--publish mode=host and -p', ['--publish', 'published=8080,target=80,mode=host', '-p', '53:53/udp', 'img'], '"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"host"},{"Protocol":"udp","TargetPort":53,"PublishedPort":53,"PublishMode":"ingress"}]}'],
    ['--endpoint-mode dnsrr', ['--endpoint-mode', 'dnsrr', 'img'], '"EndpointSpec":{"Mode":"dnsrr"}'],
    [
      'container flags: -u -w --hostname --init --stop-signal --stop-grace-period --cap-add/--cap-drop --sysctl --ulimit',
      ['-u', 'nobody', '-w', '/srv', '--hostname', 'h1', '--init', '--stop-signal', 'SIGINT', '--stop-grace-period', '30s', '--cap-add', 'net_admin', '--cap-drop', 'ALL', '--sysctl', 'net.core.somaxconn=1024', '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=64', 'img'],
      '"ContainerSpec":{"Image":"img:latest","Hostname":"h1","Dir":"/srv","User":"nobody","Init":true,"StopSignal":"SIGINT","StopGracePeriod":30000000000,"DNSConfig":{},"Sysctls":{"net.core.somaxconn":"1024"},"CapabilityAdd":["CAP_NET_ADMIN"],"CapabilityDrop":["ALL"],"Ulimits":[{"Name":"nofile","Hard":2048,"Soft":1024},{"Name":"nproc","Hard":64,"Soft":64}]}',
    ],
    ['IMAGE COMMAND ARGS and --entrypoint; flags after the image belong to the command', ['--entrypoint', '/bin/sh -c', 'img', 'echo $HOME', '--detach=false'], '"ContainerSpec":{"Image":"img:latest","Command":["/bin/sh","-c"],"Args":["echo $HOME","--detach=false"],"Init":false,"DNSConfig":{}}'],
    ['--group --dns --dns-search --dns-option --host', ['--group', 'wheel', '--dns', '8.8.8.8', '--dns-search', 'example.org', '--dns-option', 'ndots:2', '--host', 'db:10.0.0.2', 'img'], '"Groups":["wheel"],"Init":false,"Hosts":["10.0.0.2 db"],"DNSConfig":{"Nameservers":["8.8.8.8"],"Search":["example.org"],"Options":["ndots:2"]}'],
    ['--log-driver --log-opt, -t, --read-only', ['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '-t', '--read-only', 'img'], ['"Init":false,"TTY":true,"ReadOnly":true,"DNSConfig":{}', '"LogDriver":{"Name":"json-file","Options":{"max-size":"10m"}},"ForceUpdate":0']],
    ['--network with aliases, sorted by ID', ['--network', 'name=zeta,alias=z', '--network', 'alpha', 'img'], '"Networks":[{"Target":"id-alpha"},{"Target":"id-zeta","Aliases":["z"]}]'],
    ['HTML characters are escaped as Go does', ['-e', 'Q=a<b&c>d', 'img'], '"Env":["Q=a\\u003cb\\u0026c\\u003ed"]'],
  ];
  for (const [name, argv, expected] of rows) {
    it(name, () => {
      const got = body(...argv);
      for (const part of Array.isArray(expected) ? expected : [expected]) assert.ok(got.includes(part), `body:\n${got}\nmissing:\n${part}`);
    });
  }

  it('--detach=false and --detach=true before the image are read as docker reads them', () => {
    assert.equal(parse(['--detach=false', 'img']).f.detach, undefined);
    assert.equal(parse(['--detach=true', 'img']).f.detach, true);
    assert.equal(parse(['-d', 'img']).f.detach, true);
    assert.equal(parse(['--init=false', 'img']).f.init, false);
    assert.equal(parse(['--name', 'x', '--init=true', 'img']).f.init, true);
  });

  const errors: [string[], string][] = [
    [['--mode', 'global', '--replicas', '2', 'img'], 'replicas can only be used with replicated or replicated-job mode'],
    [['--mode', 'global', '--replicas-max-per-node', '2', 'img'], 'replicas-max-per-node can only be used with replicated or replicated-job mode'],
    [['--max-concurrent', '2', 'img'], 'max-concurrent can only be used with replicated-job mode'],
    [['--mode', 'daemonset', 'img'], 'Unknown mode: daemonset, only replicated and global supported'],
    [['--mode', 'replicated-job', '--update-delay', '1s', 'img'], 'update and rollback configuration is not supported for jobs'],
    [['--no-healthcheck', '--health-cmd', 'true', 'img'], '--no-healthcheck conflicts with --health-* options'],
    [['--total-completions', '2', 'img'], 'total-completions can only be used with replicated-job mode'],
  ];
  for (const [argv, message] of errors) {
    it(`refuses ${argv.slice(0, -1).join(' ')}: ${message}`, () => {
      assert.throws(() => body(...argv), (e: unknown) => e instanceof CliError && e.message === message);
    });
  }

  it('bad flag values are flag errors, with docker’s reason', () => {
    assert.throws(() => parse(['--replicas', 'x', 'img']), /strconv\.ParseUint: parsing "x": invalid syntax/);
    assert.throws(() => parse(['--restart-delay', '5', 'img']), /time: missing unit in duration "5"/);
    assert.throws(() => parse(['--limit-memory', 'lots', 'img']), /invalid size: 'lots'/);
    assert.throws(() => parse(['--publish', 'target=80,mode=x', 'img']), /invalid publish mode value/);
  });
});
