import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import {
  formatGoFloat,
  insertServiceDefaults,
  isJobMode,
  isValidImageReference,
  parseServiceSpec,
  sameJson,
  serviceModeName,
  tasksOutOfDate,
} from './service-spec.js';
import type { ServiceSpec } from './types.js';

// Request bodies are untrusted JSON, built here by mutation: deliberately untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A minimal valid body, as `docker service create --name web img` would send it (trimmed). */
function body(patch: (s: Json) => void = () => undefined): Json {
  const s: Json = {
    Name: 'web',
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'img:latest', Init: false, DNSConfig: {} }, ForceUpdate: 0 },
    Mode: { Replicated: { Replicas: 2 } },
  };
  patch(s);
  return s;
}

const rpc = (desc: string): string => `rpc error: code = InvalidArgument desc = ${desc}`;

function refuses(input: unknown, message: string): void {
  assert.throws(
    () => parseServiceSpec(input),
    (e) => {
      assert.ok(isShoalError(e, 'InvalidArgument'), `expected InvalidArgument, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe('parseServiceSpec: what the docker CLI and stack deploy send', () => {
  it('normalises the CLI body of `service create` (docs/docker-engine-api.md §9)', () => {
    const spec = parseServiceSpec({
      Name: 'web',
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'img:latest@sha256:' + 'a'.repeat(64), Init: false, DNSConfig: {} },
        Resources: { Limits: { NanoCPUs: 100000000, MemoryBytes: 52428800 }, Reservations: {} },
        RestartPolicy: { Condition: 'on-failure', Delay: 5000000000, MaxAttempts: 0 },
        Placement: { Constraints: ['node.role==manager'], Platforms: [{ Architecture: 'amd64', OS: 'linux' }] },
        ForceUpdate: 0,
      },
      Mode: { Replicated: { Replicas: 5 } },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' }] },
    });
    assert.deepEqual(spec, {
      Name: 'web',
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'img:latest@sha256:' + 'a'.repeat(64), Init: false, DNSConfig: {}, Isolation: 'default' },
        Resources: { Limits: { NanoCPUs: 100000000, MemoryBytes: 52428800 }, Reservations: {} },
        RestartPolicy: { Condition: 'on-failure', Delay: 5000000000, MaxAttempts: 0 },
        Placement: { Constraints: ['node.role==manager'], Platforms: [{ Architecture: 'amd64', OS: 'linux' }] },
        ForceUpdate: 0,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 5 } },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' }] },
    });
    assert.deepEqual(Object.keys(spec.TaskTemplate), ['ContainerSpec', 'Resources', 'RestartPolicy', 'Placement', 'ForceUpdate', 'Runtime']);
  });

  it('fills the stack deploy quirks: {"Replicated":{}}, EndpointSpec {}, Privileges, ns durations (§8)', () => {
    const spec = parseServiceSpec({
      Name: 'lab_web',
      Labels: { 'com.docker.stack.namespace': 'lab', 'com.docker.stack.image': 'nginx' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx',
          Labels: { 'com.docker.stack.namespace': 'lab' },
          Args: ['-g', 'daemon off;'],
          Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
          Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 10000000000, Timeout: 0, Retries: 3 },
          StopGracePeriod: 20000000000,
          Env: [],
          Mounts: [{ Type: 'volume', Source: 'lab_data', Target: '/data', VolumeOptions: { Labels: { 'com.docker.stack.namespace': 'lab' } } }],
        },
        Networks: [{ Target: 'lab_default', Aliases: ['web'] }],
      },
      Mode: { Replicated: {} },
      EndpointSpec: {},
    });
    assert.deepEqual(spec.Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(spec.EndpointSpec, { Mode: 'vip' });
    const c = spec.TaskTemplate.ContainerSpec as Json;
    assert.deepEqual(c.Privileges, { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false });
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 10000000000, Retries: 3 }, 'dockerd’s key is read');
    assert.equal(c.StopGracePeriod, 20000000000);
    assert.equal(c.Env, undefined, 'an empty list is dropped, as omitempty drops it');
    assert.deepEqual(c.Mounts, [{ Type: 'volume', Source: 'lab_data', Target: '/data', VolumeOptions: { Labels: { 'com.docker.stack.namespace': 'lab' } } }]);
    assert.deepEqual(spec.TaskTemplate.Networks, [{ Target: 'lab_default', Aliases: ['web'] }], 'names are resolved by the control API');
  });

  it('defaults a missing or empty mode to one replica', () => {
    assert.deepEqual(parseServiceSpec(body((s) => delete s.Mode)).Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = {}))).Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { Replicated: { Replicas: null } }))).Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { Replicated: { Replicas: 0 } }))).Mode, { Replicated: { Replicas: 0 } });
  });

  it('global, global-job and replicated-job (MaxConcurrent defaults to 1, TotalCompletions to MaxConcurrent)', () => {
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { Global: {} }))).Mode, { Global: {} });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { GlobalJob: {}, Replicated: null }))).Mode, { GlobalJob: {} });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { ReplicatedJob: {} }))).Mode, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: 3 } }))).Mode, { ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } });
    assert.deepEqual(parseServiceSpec(body((s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 10 } }))).Mode, {
      ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 10 },
    });
  });

  it('fills restart policy, update config and port defaults the way dockerd reads them back', () => {
    const spec = parseServiceSpec(
      body((s) => {
        s.TaskTemplate.RestartPolicy = {};
        s.UpdateConfig = { Parallelism: 2, Monitor: 0 };
        s.RollbackConfig = { Parallelism: 1, FailureAction: 'continue', Order: 'start-first', Delay: 1e9 };
        s.EndpointSpec = { Ports: [{ TargetPort: 53, Protocol: 'UDP' }, { TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] };
      }),
    );
    assert.deepEqual(spec.TaskTemplate.RestartPolicy, { Condition: 'any', MaxAttempts: 0 });
    assert.deepEqual(spec.UpdateConfig, { Parallelism: 2, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' });
    assert.deepEqual(spec.RollbackConfig, { Parallelism: 1, Delay: 1e9, FailureAction: 'continue', MaxFailureRatio: 0, Order: 'start-first' });
    assert.deepEqual(spec.EndpointSpec, {
      Mode: 'vip',
      Ports: [
        { Protocol: 'udp', TargetPort: 53, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
      ],
    });
  });

  it('lower-cases mount types and propagation, stores the health check as `Healthcheck`, keeps Init true', () => {
    const spec = parseServiceSpec(
      body((s) => {
        Object.assign(s.TaskTemplate.ContainerSpec, {
          Init: true,
          HealthCheck: { Test: ['CMD', 'true'], Interval: 2e9 },
          Mounts: [
            { Type: 'BIND', Source: '/srv', Target: '/srv', ReadOnly: true, BindOptions: { Propagation: 'RSHARED' } },
            { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1048576 } },
          ],
          Isolation: 'PROCESS',
        });
      }),
    );
    const c = spec.TaskTemplate.ContainerSpec as Json;
    assert.equal(c.Init, true);
    assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 2e9 });
    assert.equal(c.HealthCheck, undefined);
    assert.equal(c.Isolation, 'process');
    assert.deepEqual(c.Mounts, [
      { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true, BindOptions: { Propagation: 'rshared' } },
      { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1048576 } },
    ]);
  });

  it('accepts ports that differ only by protocol, and host-mode ports with dnsrr', () => {
    parseServiceSpec(body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 53, PublishedPort: 53 }, { TargetPort: 53, PublishedPort: 53, Protocol: 'udp' }] })));
    parseServiceSpec(body((s) => (s.EndpointSpec = { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 80, PublishMode: 'host' }] })));
  });

  it('keeps secret and config references, checking their targets', () => {
    const spec = parseServiceSpec(
      body((s) => {
        s.TaskTemplate.ContainerSpec.Secrets = [{ File: { Name: 'pw', UID: '0', GID: '0', Mode: 292 }, SecretID: 'sid', SecretName: 'pw' }];
        s.TaskTemplate.ContainerSpec.Configs = [{ Runtime: {}, ConfigID: 'cid', ConfigName: 'cfg' }];
      }),
    );
    const c = spec.TaskTemplate.ContainerSpec as Json;
    assert.deepEqual(c.Secrets, [{ File: { Name: 'pw', UID: '0', GID: '0', Mode: 292 }, SecretID: 'sid', SecretName: 'pw' }]);
    assert.deepEqual(c.Configs, [{ Runtime: {}, ConfigID: 'cid', ConfigName: 'cfg' }]);
  });
});

describe('parseServiceSpec: bad specs, refused with the field named or swarmkit quoted', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', [1], 'service spec: expected a JSON object, got [1]'],
    ['no name', body((s) => (s.Name = '')), rpc('meta: name must be provided')],
    ['a bad name', body((s) => (s.Name = 'web!')), rpc('name must be valid as a DNS name component')],
    ['a name ending in a dash', body((s) => (s.Name = 'web-')), rpc('name must be valid as a DNS name component')],
    ['a long name', body((s) => (s.Name = 'a'.repeat(64))), rpc('name must be 63 characters or fewer')],
    ['labels that are not strings', body((s) => (s.Labels = { a: 1 })), 'Labels.a: expected a string, got 1'],
    ['no container spec', body((s) => delete s.TaskTemplate.ContainerSpec), 'mismatched Runtime and *Spec fields'],
    ['the plugin runtime', body((s) => (s.TaskTemplate.Runtime = 'plugin')), 'runtime type "plugin" only supported in experimental'],
    ['an unknown runtime', body((s) => (s.TaskTemplate.Runtime = 'vm')), 'unsupported runtime'],
    ['no image', body((s) => delete s.TaskTemplate.ContainerSpec.Image), rpc('ContainerSpec: image reference must be provided')],
    ['an upper-case image', body((s) => (s.TaskTemplate.ContainerSpec.Image = 'Nginx')), rpc('ContainerSpec: "Nginx" is not a valid repository/tag')],
    ['an image with a space', body((s) => (s.TaskTemplate.ContainerSpec.Image = 'my image')), rpc('ContainerSpec: "my image" is not a valid repository/tag')],
    ['an image ID', body((s) => (s.TaskTemplate.ContainerSpec.Image = 'f'.repeat(64))), rpc(`ContainerSpec: "${'f'.repeat(64)}" is not a valid repository/tag`)],
    ['Env not a list', body((s) => (s.TaskTemplate.ContainerSpec.Env = 'A=1')), 'TaskTemplate.ContainerSpec.Env: expected a list of strings, got "A=1"'],
    ['two modes', body((s) => (s.Mode = { Replicated: { Replicas: 3 }, Global: {} })), 'must specify only one service mode'],
    ['negative replicas', body((s) => (s.Mode = { Replicated: { Replicas: -1 } })), 'Mode.Replicated.Replicas: expected a non-negative integer, got -1'],
    ['fractional replicas', body((s) => (s.Mode = { Replicated: { Replicas: 1.5 } })), 'Mode.Replicated.Replicas: expected a non-negative integer, got 1.5'],
    ['replicas as a string', body((s) => (s.Mode = { Replicated: { Replicas: '3' } })), 'Mode.Replicated.Replicas: expected a non-negative integer, got "3"'],
    ['negative MaxConcurrent', body((s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: -2 } })), 'Mode.ReplicatedJob.MaxConcurrent: expected a non-negative integer, got -2'],
    [
      'MaxConcurrent above TotalCompletions',
      body((s) => (s.Mode = { ReplicatedJob: { MaxConcurrent: 5, TotalCompletions: 3 } })),
      'Mode.ReplicatedJob: MaxConcurrent (5) cannot be greater than TotalCompletions (3)',
    ],
    ['a job with an update config', body((s) => ((s.Mode = { GlobalJob: {} }), (s.UpdateConfig = { Parallelism: 1 }))), rpc('Jobs may not have an update config')],
    ['an unknown restart condition', body((s) => (s.TaskTemplate.RestartPolicy = { Condition: 'always' })), 'invalid RestartCondition: "always"'],
    ['a negative restart delay', body((s) => (s.TaskTemplate.RestartPolicy = { Delay: -1 })), rpc('TaskSpec: restart-delay cannot be negative')],
    ['a negative restart window', body((s) => (s.TaskTemplate.RestartPolicy = { Window: -1 })), rpc('TaskSpec: restart-window cannot be negative')],
    ['negative max attempts', body((s) => (s.TaskTemplate.RestartPolicy = { MaxAttempts: -1 })), 'TaskTemplate.RestartPolicy.MaxAttempts: expected a non-negative integer, got -1'],
    ['an unknown failure action', body((s) => (s.UpdateConfig = { FailureAction: 'explode' })), 'unrecognized update failure action explode'],
    ['an unknown update order', body((s) => (s.UpdateConfig = { Order: 'middle-first' })), 'unrecognized update order middle-first'],
    ['a negative update delay', body((s) => (s.UpdateConfig = { Delay: -5 })), rpc('TaskSpec: update-delay cannot be negative')],
    ['a negative update monitor', body((s) => (s.UpdateConfig = { Monitor: -5 })), rpc('TaskSpec: update-monitor cannot be negative')],
    ['a failure ratio above 1', body((s) => (s.UpdateConfig = { MaxFailureRatio: 1.5 })), rpc('TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1')],
    ['a negative rollback delay', body((s) => (s.RollbackConfig = { Delay: -5 })), rpc('TaskSpec: rollback-delay cannot be negative')],
    ['an upper-case resolution mode', body((s) => (s.EndpointSpec = { Mode: 'VIP' })), 'invalid resolution mode: "VIP"'],
    ['an unknown protocol', body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, Protocol: 'icmp' }] })), 'EndpointSpec.Ports[0].Protocol: invalid protocol "icmp" (tcp, udp or sctp)'],
    ['an unknown publish mode', body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishMode: 'bridge' }] })), 'EndpointSpec.Ports[0].PublishMode: invalid publish mode "bridge" (ingress or host)'],
    ['no target port', body((s) => (s.EndpointSpec = { Ports: [{ PublishedPort: 80 }] })), 'EndpointSpec.Ports[0].TargetPort: must be a port number from 1 to 65535, got 0'],
    ['a target port too high', body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 70000 }] })), 'EndpointSpec.Ports[0].TargetPort: must be a port number from 1 to 65535, got 70000'],
    [
      'a published port too high',
      body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 65536 }] })),
      'EndpointSpec.Ports[0].PublishedPort: must be a port number from 1 to 65535 (or 0 to pick one), got 65536',
    ],
    [
      'one published port twice',
      body((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 8080, PublishMode: 'host' }] })),
      rpc('EndpointSpec: duplicate published ports provided'),
    ],
    [
      'an ingress port with dnsrr',
      body((s) => (s.EndpointSpec = { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 80 }] })),
      rpc("EndpointSpec: port published with ingress mode can't be used with dnsrr mode"),
    ],
    [
      'a constraint without an operator',
      body((s) => (s.TaskTemplate.Placement = { Constraints: ['node.role==manager', 'node.role=worker'] })),
      'invalid constraint expression "node.role=worker": constraint expected one operator from ==, !=',
    ],
    ['too little CPU', body((s) => (s.TaskTemplate.Resources = { Limits: { NanoCPUs: 100 } })), rpc('invalid cpu value 1e-07: Must be at least 0.001')],
    ['too little memory', body((s) => (s.TaskTemplate.Resources = { Limits: { MemoryBytes: 1024 } })), rpc('invalid memory value 1024: Must be at least 4MiB')],
    ['a negative reservation', body((s) => (s.TaskTemplate.Resources = { Reservations: { MemoryBytes: -1 } })), rpc('invalid memory value -1: Must be at least 4MiB')],
    ['negative pids', body((s) => (s.TaskTemplate.Resources = { Limits: { Pids: -1 } })), 'TaskTemplate.Resources.Limits.Pids: cannot be negative, got -1'],
    ['a health interval under 1ms', body((s) => (s.TaskTemplate.ContainerSpec.Healthcheck = { Interval: 1000 })), rpc('ContainerSpec: Interval in HealthConfig cannot be less than 1ms')],
    ['a negative health timeout', body((s) => (s.TaskTemplate.ContainerSpec.Healthcheck = { Timeout: -1 })), rpc('ContainerSpec: Timeout in HealthConfig cannot be less than 1ms')],
    ['negative health retries', body((s) => (s.TaskTemplate.ContainerSpec.Healthcheck = { Retries: -1 })), rpc('ContainerSpec: Retries in HealthConfig cannot be negative')],
    [
      'an unknown health test kind',
      body((s) => (s.TaskTemplate.ContainerSpec.Healthcheck = { Test: ['SHELL', 'true'] })),
      'TaskTemplate.ContainerSpec.Healthcheck.Test: the first element must be NONE, CMD or CMD-SHELL, got "SHELL"',
    ],
    ['a negative stop grace period', body((s) => (s.TaskTemplate.ContainerSpec.StopGracePeriod = -1)), 'TaskTemplate.ContainerSpec.StopGracePeriod: cannot be negative'],
    ['an unknown mount type', body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'nfs', Target: '/x' }])), 'invalid MountType: "nfs"'],
    [
      'an unknown propagation',
      body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Source: '/a', Target: '/x', BindOptions: { Propagation: 'weird' } }])),
      'invalid MountPropagation: "weird"',
    ],
    ['a mount without target', body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'volume', Source: 'v' }])), 'invalid mount config for type "volume": field Target must not be empty'],
    [
      'a relative mount target',
      body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'volume', Target: 'data' }])),
      "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute",
    ],
    ['a bind without source', body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Target: '/x' }])), 'invalid mount config for type "bind": field Source must not be empty'],
    ['a tmpfs with a source', body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'tmpfs', Source: '/a', Target: '/x' }])), 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [
      'bind options on a volume',
      body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'volume', Target: '/x', BindOptions: { Propagation: 'rprivate' } }])),
      'invalid mount config for type "volume": field BindOptions must not be specified',
    ],
    [
      'two mounts on one target',
      body((s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'volume', Target: '/data' }, { Type: 'tmpfs', Target: '/data' }])),
      rpc('ContainerSpec: duplicate mount point: /data'),
    ],
    ['a secret without ID', body((s) => (s.TaskTemplate.ContainerSpec.Secrets = [{ SecretName: 'pw', File: { Name: 'pw' } }])), rpc('malformed secret reference')],
    ['a secret without target', body((s) => (s.TaskTemplate.ContainerSpec.Secrets = [{ SecretID: 'a', SecretName: 'pw' }])), rpc('malformed secret reference, no target provided')],
    [
      'two secrets on one file',
      body(
        (s) =>
          (s.TaskTemplate.ContainerSpec.Secrets = [
            { SecretID: 'a', SecretName: 'one', File: { Name: 'pw' } },
            { SecretID: 'b', SecretName: 'two', File: { Name: 'pw' } },
          ]),
      ),
      rpc("secret references 'one' and 'two' have a conflicting target: 'pw'"),
    ],
    ['a config without target', body((s) => (s.TaskTemplate.ContainerSpec.Configs = [{ ConfigID: 'a', ConfigName: 'c' }])), 'invalid Config: either File or Runtime should be set'],
    [
      'an empty credential spec',
      body((s) => (s.TaskTemplate.ContainerSpec.Privileges = { CredentialSpec: {} })),
      'invalid CredentialSpec: must either provide "file", "registry", or "config" for credential spec',
    ],
    [
      'two credential spec sources',
      body((s) => (s.TaskTemplate.ContainerSpec.Privileges = { CredentialSpec: { File: 'a', Registry: 'b' } })),
      'invalid CredentialSpec: cannot specify both "file" and "registry" credential specs',
    ],
    [
      'an unknown seccomp mode',
      body((s) => (s.TaskTemplate.ContainerSpec.Privileges = { Seccomp: { Mode: 'strict' } })),
      'TaskTemplate.ContainerSpec.Privileges.Seccomp.Mode: unknown mode "strict" (default, unconfined or custom)',
    ],
  ];
  for (const [what, input, message] of cases) {
    it(`refuses ${what}`, () => refuses(input, message));
  }
});

describe('image references', () => {
  it('accepts what ParseNormalizedNamed accepts', () => {
    for (const ref of [
      'nginx',
      'nginx:1.25-alpine',
      'library/nginx',
      'localhost/app',
      'localhost:5000/a/b:tag',
      'Registry.Example.com/team/app',
      'registry.example.com/x@sha256:' + 'a'.repeat(64),
      'img:latest@sha256:' + 'b'.repeat(64),
      '[::1]:5000/foo',
      'a__b/c-d.e',
    ]) {
      assert.ok(isValidImageReference(ref), ref);
    }
  });
  it('refuses the rest', () => {
    for (const ref of ['', 'Nginx', 'nginx:', 'nginx@sha256:abc', 'a/', '/a', 'a//b', 'a:b:c', '-a', 'a'.repeat(64), 'img:' + 'x'.repeat(129)]) {
      assert.ok(!isValidImageReference(ref), ref);
    }
  });
});

describe('insertServiceDefaults', () => {
  it('adds what swarmkit interpolates, in docker key order', () => {
    const spec = parseServiceSpec(body());
    const full = insertServiceDefaults(spec);
    assert.deepEqual(full, {
      Name: 'web',
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'img:latest', Init: false, StopGracePeriod: 10e9, DNSConfig: {}, Isolation: 'default' },
        Resources: {},
        RestartPolicy: { Condition: 'any', Delay: 5e9, MaxAttempts: 0 },
        Placement: {},
        ForceUpdate: 0,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' },
      RollbackConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' },
    });
    assert.deepEqual(Object.keys(full.TaskTemplate.ContainerSpec ?? {}), ['Image', 'Init', 'StopGracePeriod', 'DNSConfig', 'Isolation']);
    assert.deepEqual(spec.UpdateConfig, undefined, 'the stored spec is not changed');
  });

  it('keeps what is set and fills only the missing monitor and delay', () => {
    const full = insertServiceDefaults(
      parseServiceSpec(
        body((s) => {
          s.TaskTemplate.ContainerSpec.StopGracePeriod = 1e9;
          s.TaskTemplate.RestartPolicy = { Condition: 'none', Window: 3e9 };
          s.UpdateConfig = { Parallelism: 3, Order: 'start-first' };
        }),
      ),
    );
    assert.equal(full.TaskTemplate.ContainerSpec?.StopGracePeriod, 1e9);
    assert.deepEqual(full.TaskTemplate.RestartPolicy, { Condition: 'none', Delay: 5e9, MaxAttempts: 0, Window: 3e9 });
    assert.deepEqual(full.UpdateConfig, { Parallelism: 3, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'start-first' });
  });
});

describe('modes and comparisons', () => {
  it('names modes as the mode filter does', () => {
    assert.equal(serviceModeName({ Replicated: { Replicas: 1 } }), 'replicated');
    assert.equal(serviceModeName({ Global: {} }), 'global');
    assert.equal(serviceModeName({ ReplicatedJob: {} }), 'replicated-job');
    assert.equal(serviceModeName({ GlobalJob: {} }), 'global-job');
    assert.equal(isJobMode({ GlobalJob: {} }), true);
    assert.equal(isJobMode({ Global: {} }), false);
  });

  it('sameJson ignores key order only', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.ok(!sameJson({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
  });

  it('tasks are out of date when the task template or endpoint changes, not when scaling or relabelling', () => {
    const a = parseServiceSpec(body());
    const scaled: ServiceSpec = { ...a, Mode: { Replicated: { Replicas: 9 } }, Labels: { x: 'y' }, UpdateConfig: { Parallelism: 4 } };
    assert.equal(tasksOutOfDate(a, scaled), false);
    assert.equal(tasksOutOfDate(a, { ...a, TaskTemplate: { ...a.TaskTemplate, ForceUpdate: 1 } }), true);
    assert.equal(tasksOutOfDate(a, { ...a, EndpointSpec: { Mode: 'dnsrr' } }), true);
  });

  it('formats floats as Go %g does', () => {
    assert.equal(formatGoFloat(0.001), '0.001');
    assert.equal(formatGoFloat(1e-7), '1e-07');
    assert.equal(formatGoFloat(0.0001), '0.0001');
    assert.equal(formatGoFloat(0.00001), '1e-05');
    assert.equal(formatGoFloat(-1e-9), '-1e-09');
    assert.equal(formatGoFloat(2.5), '2.5');
  });
});
