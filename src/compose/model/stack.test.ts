import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { effectiveCaps, toStackPlan } from './stack.js';
import type { ComposeNetwork, ComposeProject, ComposeService } from './types.js';

function aService(name: string, o: Partial<ComposeService> = {}): ComposeService {
  return {
    name,
    image: 'shoal-test/web:1',
    environment: {},
    labels: {},
    ports: [],
    networks: { default: { aliases: [] } },
    volumes: [],
    secrets: [],
    configs: [],
    depends_on: {},
    cap_add: [],
    cap_drop: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    extra_hosts: [],
    dns: [],
    ...o,
  };
}

function aNetwork(name: string, o: Partial<ComposeNetwork> = {}): ComposeNetwork {
  return { name, external: false, driver_opts: {}, attachable: false, internal: false, labels: {}, ...o };
}

function aProject(services: ComposeService[], o: Partial<ComposeProject> = {}): ComposeProject {
  const byName: Record<string, ComposeService> = {};
  for (const s of services) byName[s.name] = s;
  return { name: 'proj', services: byName, networks: { default: aNetwork('proj_default') }, volumes: {}, secrets: {}, configs: {}, warnings: [], ...o };
}

/** The getting-started file: web ×5 on 80:80 on webnet, a monitor on a manager. */
function gettingStarted(): ComposeProject {
  return aProject(
    [
      aService('web', {
        ports: [{ target: 80, published: 80, protocol: 'tcp', mode: 'ingress' }],
        networks: { webnet: { aliases: [] } },
        deploy: {
          mode: 'replicated',
          replicas: 5,
          labels: {},
          resources: { limits: { cpus: 0.1, memory: 52428800 } },
          restart_policy: { condition: 'on-failure' },
        },
      }),
      aService('monitor', {
        image: 'shoal-test/web:1',
        networks: { webnet: { aliases: [] } },
        deploy: { mode: 'replicated', labels: {}, placement: { constraints: ['node.role == manager'], preferences: [] } },
      }),
    ],
    { networks: { webnet: aNetwork('proj_webnet') } },
  );
}

describe('toStackPlan', () => {
  it('names every object <stack>_<key> and labels it with the namespace', () => {
    const plan = toStackPlan(gettingStarted(), 'gs');
    assert.deepEqual(plan.networks.map((n) => n.name), ['gs_webnet']);
    assert.deepEqual(plan.services.map((s) => s.name), ['gs_monitor', 'gs_web']);
    const net = plan.networks[0]?.create;
    assert.equal(net?.Driver, 'overlay');
    assert.deepEqual(net?.Labels, { 'com.docker.stack.namespace': 'gs' });
    const web = plan.services.find((s) => s.key === 'web')?.spec;
    assert.equal(web?.Name, 'gs_web');
    assert.deepEqual(web?.Labels, { 'com.docker.stack.namespace': 'gs', 'com.docker.stack.image': 'shoal-test/web:1' });
    assert.deepEqual(web?.TaskTemplate.ContainerSpec?.Labels, { 'com.docker.stack.namespace': 'gs' });
  });

  it('converts the getting-started web service the way docker stack deploy does', () => {
    const web = toStackPlan(gettingStarted(), 'gs').services.find((s) => s.key === 'web')?.spec;
    assert.deepEqual(web, {
      Name: 'gs_web',
      Labels: { 'com.docker.stack.namespace': 'gs', 'com.docker.stack.image': 'shoal-test/web:1' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'shoal-test/web:1',
          Labels: { 'com.docker.stack.namespace': 'gs' },
          Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
        },
        Resources: { Limits: { NanoCPUs: 100000000, MemoryBytes: 52428800 } },
        RestartPolicy: { Condition: 'on-failure' },
        Placement: {},
        Networks: [{ Target: 'gs_webnet', Aliases: ['web'] }],
      },
      Mode: { Replicated: { Replicas: 5 } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress', PublishedPort: 80 }] },
    });
    const monitor = toStackPlan(gettingStarted(), 'gs').services.find((s) => s.key === 'monitor')?.spec;
    assert.deepEqual(monitor?.TaskTemplate.Placement, { Constraints: ['node.role == manager'] });
    assert.deepEqual(monitor?.Mode, { Replicated: {} }, 'no replicas in the file: Replicated without Replicas, as docker sends it');
    assert.equal(monitor?.TaskTemplate.RestartPolicy, undefined, 'no restart policy unless the file asks for one');
    assert.deepEqual(monitor?.EndpointSpec, {});
  });

  it('puts a service without networks on <stack>_default (overlay), with its name as an alias', () => {
    const plan = toStackPlan(aProject([aService('app')]), 'st');
    assert.deepEqual(plan.networks.map((n) => [n.name, n.create.Driver]), [['st_default', 'overlay']]);
    assert.deepEqual(plan.services[0]?.spec.TaskTemplate.Networks, [{ Target: 'st_default', Aliases: ['app'] }]);
  });

  it('creates only the networks a service uses; external ones are listed, not created', () => {
    const project = aProject([aService('app', { networks: { front: { aliases: ['www'] }, shared: { aliases: [] } } })], {
      networks: {
        front: aNetwork('proj_front', { driver_opts: { mtu: '1400' }, attachable: true, labels: { tier: 'f' }, ipam: { config: [{ subnet: '10.9.0.0/24', gateway: '10.9.0.1' }] } }),
        shared: aNetwork('corp-net', { external: true }),
        unused: aNetwork('proj_unused'),
      },
    });
    const plan = toStackPlan(project, 'st');
    assert.deepEqual(plan.networks.map((n) => n.name), ['st_front']);
    assert.deepEqual(plan.externalNetworks, ['corp-net']);
    assert.deepEqual(plan.networks[0]?.create, {
      Name: 'st_front',
      Driver: 'overlay',
      Scope: '',
      IPAM: { Driver: '', Options: {}, Config: [{ Subnet: '10.9.0.0/24' }] },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigOnly: false,
      ConfigFrom: null,
      Options: { mtu: '1400' },
      Labels: { tier: 'f', 'com.docker.stack.namespace': 'st' },
    });
    assert.deepEqual(plan.services[0]?.spec.TaskTemplate.Networks, [
      { Target: 'corp-net', Aliases: ['app'] },
      { Target: 'st_front', Aliases: ['www', 'app'] },
    ]);
  });

  it('keeps an explicit network name', () => {
    const project = aProject([aService('app', { networks: { n: { aliases: [] } } })], { networks: { n: aNetwork('custom-name') } });
    const plan = toStackPlan(project, 'st');
    assert.deepEqual(plan.networks.map((n) => n.name), ['custom-name']);
    assert.equal(plan.services[0]?.spec.TaskTemplate.Networks?.[0]?.Target, 'custom-name');
  });

  it('converts the container fields: entrypoint → Command, command → Args, env sorted, caps, ulimits, health', () => {
    const s = aService('app', {
      entrypoint: ['/bin/sh', '-c'],
      command: ['echo hi'],
      environment: { ZED: '1', ALPHA: 'a=b', BARE: null },
      labels: { 'app.tier': 'back' },
      hostname: 'h1',
      working_dir: '/srv',
      user: '1000:1000',
      init: true,
      read_only: true,
      stop_grace_period: 3_000_000_000,
      stop_signal: 'SIGINT',
      cap_add: ['net_admin', 'CAP_SYS_TIME'],
      cap_drop: ['NET_ADMIN', 'mknod'],
      sysctls: { 'net.core.somaxconn': '1024' },
      ulimits: { nproc: { soft: 10, hard: 20 }, nofile: { soft: 100, hard: 200 } },
      extra_hosts: ['db:10.0.0.5', 'cache=10.0.0.6'],
      dns: ['1.1.1.1'],
      healthcheck: { test: ['CMD', 'true'], interval: 1_000_000_000, retries: 3 },
    });
    const c = toStackPlan(aProject([s]), 'st').services[0]?.spec.TaskTemplate.ContainerSpec;
    assert.deepEqual(c?.Command, ['/bin/sh', '-c']);
    assert.deepEqual(c?.Args, ['echo hi']);
    assert.deepEqual(c?.Env, ['ALPHA=a=b', 'BARE', 'ZED=1']);
    assert.deepEqual(c?.Labels, { 'app.tier': 'back', 'com.docker.stack.namespace': 'st' });
    assert.equal(c?.Hostname, 'h1');
    assert.equal(c?.Dir, '/srv');
    assert.equal(c?.User, '1000:1000');
    assert.equal(c?.Init, true);
    assert.equal(c?.ReadOnly, true);
    assert.equal(c?.StopGracePeriod, 3_000_000_000);
    assert.equal(c?.StopSignal, 'SIGINT');
    assert.deepEqual(c?.CapabilityAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.deepEqual(c?.CapabilityDrop, ['CAP_MKNOD']);
    assert.deepEqual(c?.Sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(c?.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }, { Name: 'nproc', Soft: 10, Hard: 20 }]);
    assert.deepEqual(c?.Hosts, ['10.0.0.5 db', '10.0.0.6 cache']);
    assert.deepEqual(c?.DNSConfig, { Nameservers: ['1.1.1.1'] });
    assert.deepEqual(c?.Healthcheck, { Test: ['CMD', 'true'], Interval: 1_000_000_000, Retries: 3 });
  });

  it('disables a health check with Test NONE', () => {
    const c = toStackPlan(aProject([aService('app', { healthcheck: { test: [], disable: true } })]), 'st').services[0]?.spec.TaskTemplate.ContainerSpec;
    assert.deepEqual(c?.Healthcheck, { Test: ['NONE'] });
  });

  it('mounts named volumes as <stack>_<vol> with labels, external ones by name, binds and tmpfs as given', () => {
    const s = aService('db', {
      volumes: [
        { type: 'volume', source: 'data', target: '/data', read_only: false, volume: { nocopy: true } },
        { type: 'volume', source: 'shared', target: '/shared', read_only: true },
        { type: 'volume', target: '/anon', read_only: false },
        { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
        { type: 'tmpfs', target: '/tmp', read_only: false, tmpfs: { size: 1048576 } },
      ],
    });
    const project = aProject([s], {
      volumes: {
        data: { name: 'proj_data', external: false, driver: 'local', driver_opts: {}, labels: { backup: 'yes' } },
        shared: { name: 'shared-vol', external: true, driver_opts: {}, labels: {} },
      },
    });
    const mounts = toStackPlan(project, 'st').services[0]?.spec.TaskTemplate.ContainerSpec?.Mounts;
    assert.deepEqual(mounts, [
      { Type: 'volume', Source: 'st_data', Target: '/data', VolumeOptions: { NoCopy: true, Labels: { backup: 'yes', 'com.docker.stack.namespace': 'st' }, DriverConfig: { Name: 'local' } } },
      { Type: 'volume', Source: 'shared-vol', Target: '/shared', ReadOnly: true, VolumeOptions: {} },
      { Type: 'volume', Target: '/anon' },
      { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
      { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1048576 } },
    ]);
  });

  it('plans secrets and configs with their data source and references them by name, sorted', () => {
    const s = aService('app', {
      secrets: [
        { source: 'zz', target: 'zz', uid: '0', gid: '0', mode: 0o444 },
        { source: 'db_pass', target: '/run/secrets/pw', uid: '100', gid: '', mode: 0o400 },
      ],
      configs: [{ source: 'app_cfg', target: '', uid: '', gid: '', mode: 0o444 }],
    });
    const project = aProject([s], {
      secrets: {
        db_pass: { name: 'proj_db_pass', external: false, file: '/abs/pw.txt', labels: {} },
        zz: { name: 'zz-ext', external: true, labels: {} },
        env_s: { name: 'proj_env_s', external: false, environment: 'TOKEN', labels: { a: 'b' } },
      },
      configs: { app_cfg: { name: 'proj_app_cfg', external: false, content: 'x=1\n', labels: {} } },
    });
    const plan = toStackPlan(project, 'st');
    assert.deepEqual(plan.secrets, [
      { name: 'st_db_pass', labels: { 'com.docker.stack.namespace': 'st' }, data: { file: '/abs/pw.txt' } },
      { name: 'st_env_s', labels: { a: 'b', 'com.docker.stack.namespace': 'st' }, data: { environment: 'TOKEN' } },
    ]);
    assert.deepEqual(plan.configs, [{ name: 'st_app_cfg', labels: { 'com.docker.stack.namespace': 'st' }, data: { content: 'x=1\n' } }]);
    const c = plan.services[0]?.spec.TaskTemplate.ContainerSpec;
    assert.deepEqual(c?.Secrets, [
      { File: { Name: '/run/secrets/pw', UID: '100', GID: '0', Mode: 0o400 }, SecretID: '', SecretName: 'st_db_pass' },
      { File: { Name: 'zz', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: 'zz-ext' },
    ]);
    assert.deepEqual(c?.Configs, [{ File: { Name: 'app_cfg', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: '', ConfigName: 'st_app_cfg' }]);
  });

  it('maps deploy: modes, update/rollback config, placement, reservations, endpoint mode, ports sorted', () => {
    const s = aService('app', {
      ports: [
        { target: 53, published: 5353, protocol: 'udp', mode: 'host' },
        { target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' },
        { target: 443, published: 443, protocol: 'tcp', mode: 'ingress' },
      ],
      deploy: {
        mode: 'global',
        labels: { team: 'x' },
        endpoint_mode: 'dnsrr',
        resources: { limits: { pids: 100 }, reservations: { cpus: 0.25, memory: 1024 } },
        placement: { constraints: ['node.labels.zone==a'], preferences: [{ spread: 'node.labels.rack' }], max_replicas_per_node: 2 },
        update_config: { delay: 10_000_000_000, order: 'start-first', failure_action: 'rollback' },
        rollback_config: { parallelism: 0 },
      },
    });
    const spec = toStackPlan(aProject([s]), 'st').services[0]?.spec;
    assert.deepEqual(spec?.Mode, { Global: {} });
    assert.deepEqual(spec?.Labels, { team: 'x', 'com.docker.stack.namespace': 'st', 'com.docker.stack.image': 'shoal-test/web:1' });
    assert.deepEqual(spec?.TaskTemplate.Resources, { Limits: { Pids: 100 }, Reservations: { NanoCPUs: 250000000, MemoryBytes: 1024 } });
    assert.deepEqual(spec?.TaskTemplate.Placement, {
      Constraints: ['node.labels.zone==a'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.rack' } }],
      MaxReplicas: 2,
    });
    assert.deepEqual(spec?.UpdateConfig, { Parallelism: 1, Delay: 10_000_000_000, FailureAction: 'rollback', MaxFailureRatio: 0, Order: 'start-first' });
    assert.deepEqual(spec?.RollbackConfig, { Parallelism: 0, MaxFailureRatio: 0 });
    assert.deepEqual(spec?.EndpointSpec?.Mode, 'dnsrr');
    assert.deepEqual(spec?.EndpointSpec?.Ports?.map((p) => p.PublishedPort), [443, 5353, 8080]);
  });

  it('uses the legacy restart: when deploy.restart_policy is absent', () => {
    const policy = (restart: string): unknown => toStackPlan(aProject([aService('a', { restart })]), 'st').services[0]?.spec.TaskTemplate.RestartPolicy;
    assert.deepEqual(policy('always'), { Condition: 'any' });
    assert.deepEqual(policy('unless-stopped'), { Condition: 'any' });
    assert.deepEqual(policy('on-failure:3'), { Condition: 'on-failure', MaxAttempts: 3 });
    assert.equal(policy('no'), undefined);
    assert.throws(() => policy('sometimes'), /unknown policy 'sometimes'/);
  });

  it('rejects what cannot be deployed, naming the service and field', () => {
    const invalid = (p: ComposeProject, re: RegExp): void =>
      assert.throws(() => toStackPlan(p, 'st'), (e: unknown) => isShoalError(e, 'InvalidArgument') && re.test(e.message));
    invalid(aProject([aService('a', { networks: { nope: { aliases: [] } } })]), /service a: undefined network "nope"/);
    invalid(aProject([aService('a', { volumes: [{ type: 'volume', source: 'v', target: '/v', read_only: false }] })]), /service a: undefined volume "v"/);
    invalid(aProject([aService('a', { secrets: [{ source: 's', target: 's', uid: '0', gid: '0', mode: 292 }] })]), /service a: undefined secret "s"/);
    invalid(aProject([aService('a', { configs: [{ source: 'c', target: 'c', uid: '0', gid: '0', mode: 292 }] })]), /service a: undefined config "c"/);
    const noImage = aService('a', { build: '.' });
    delete noImage.image;
    invalid(aProject([noImage]), /service a: image: an image is required/);
    invalid(aProject([aService('a', { deploy: { mode: 'global', replicas: 2, labels: {} } })]), /service a: deploy.replicas can only be used/);
    assert.doesNotThrow(() => toStackPlan(aProject([aService('a')]), 'st'));
  });

  it('rejects a blank stack name', () => {
    assert.throws(() => toStackPlan(aProject([]), ' "" '), /invalid stack name/);
  });

  it('passes the loader warnings through and warns about keys a stack ignores', () => {
    const project = aProject([aService('a', { tmpfs: ['/run'] })], { warnings: ['service a: Ignoring unsupported options: build'] });
    assert.deepEqual(toStackPlan(project, 'st').warnings, ['service a: Ignoring unsupported options: build', 'service a: Ignoring unsupported options: tmpfs']);
  });
});

describe('effectiveCaps', () => {
  it('lets ALL win and never drops an added capability', () => {
    assert.deepEqual(effectiveCaps(['all', 'net_admin'], ['ALL']), { add: ['ALL'], drop: [] });
    assert.deepEqual(effectiveCaps([], ['chown', 'CHOWN']), { add: [], drop: ['CAP_CHOWN'] });
  });
});
