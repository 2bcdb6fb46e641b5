import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { configHash, sha256Hex } from './compose-hash.js';
import {
  containerBody,
  containerName,
  dependencyOrder,
  extraNetworks,
  networkCreateBody,
  replicasOf,
  volumeCreateBody,
} from './compose-plan.js';
import type { ComposeProject, ComposeService } from './types.js';

function svc(name: string, over: Partial<ComposeService> = {}): ComposeService {
  return {
    name,
    image: 'busybox:1',
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
    ...over,
  };
}

function project(services: ComposeService[], over: Partial<ComposeProject> = {}): ComposeProject {
  return {
    name: 'app',
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: { default: { name: 'app_default', external: false, driver_opts: {}, attachable: false, internal: false, labels: {} } },
    volumes: {},
    secrets: {},
    configs: {},
    warnings: [],
    ...over,
  };
}

describe('compose-plan: container bodies', () => {
  it('names containers <project>-<service>-<n> and labels them as docker compose does', () => {
    const s = svc('web');
    const p = project([s]);
    const b = containerBody(p, s, 2, { workingDir: '/srv/app', configFiles: ['/srv/app/compose.yaml'] });
    assert.equal(containerName('app', 'web', 2), 'app-web-2');
    assert.equal(b.Image, 'busybox:1');
    assert.equal(b.Labels['com.docker.compose.project'], 'app');
    assert.equal(b.Labels['com.docker.compose.service'], 'web');
    assert.equal(b.Labels['com.docker.compose.container-number'], '2');
    assert.equal(b.Labels['com.docker.compose.oneoff'], 'False');
    assert.equal(b.Labels['com.docker.compose.project.working_dir'], '/srv/app');
    assert.equal(b.Labels['com.docker.compose.project.config_files'], '/srv/app/compose.yaml');
    assert.match(b.Labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(b.HostConfig.NetworkMode, 'app_default');
    assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: { app_default: { Aliases: ['web'] } } });
    assert.equal(b.Cmd, null);
    assert.equal(b.Entrypoint, null);
    assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  });

  it('maps the service fields onto Config and HostConfig', () => {
    const s = svc('db', {
      command: ['sh', '-c', 'sleep 3'],
      entrypoint: ['/init'],
      environment: { B: '2', A: '1', UNSET: null },
      labels: { 'x.y': 'z' },
      user: '1000:1000',
      working_dir: '/work',
      hostname: 'dbhost',
      healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 1e9, timeout: 2e9, retries: 3, start_period: 5e8 },
      stop_signal: 'SIGINT',
      stop_grace_period: 1.5e9,
      ports: [
        { target: 80, published: 8086, protocol: 'tcp', mode: 'ingress' },
        { target: 53, protocol: 'udp', mode: 'host', host_ip: '127.0.0.1' },
      ],
      restart: 'on-failure:3',
      deploy: { mode: 'replicated', replicas: 3, labels: {}, resources: { limits: { cpus: 0.5, memory: 64 * 1024 * 1024, pids: 100 }, reservations: { memory: 1024 } } },
      cap_add: ['NET_ADMIN'],
      cap_drop: ['MKNOD'],
      sysctls: { 'net.core.somaxconn': '1024' },
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
      read_only: true,
      init: true,
      tmpfs: ['/run:size=64k', '/cache'],
      extra_hosts: ['gw=10.0.0.1', 'other:10.0.0.2'],
      volumes: [
        { type: 'volume', source: 'data', target: '/data', read_only: false, volume: { nocopy: true } },
        { type: 'volume', target: '/anon', read_only: false },
        { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
        { type: 'tmpfs', target: '/scratch', read_only: false, tmpfs: { size: 1000 } },
      ],
    });
    const p = project([s], { volumes: { data: { name: 'app_data', external: false, driver_opts: {}, labels: {} } } });
    const b = containerBody(p, s, 1);
    assert.deepEqual(b.Cmd, ['sh', '-c', 'sleep 3']);
    assert.deepEqual(b.Entrypoint, ['/init']);
    assert.deepEqual(b.Env, ['A=1', 'B=2']);
    assert.equal(b.Labels['x.y'], 'z');
    assert.equal(b.User, '1000:1000');
    assert.equal(b.WorkingDir, '/work');
    assert.equal(b.Hostname, 'dbhost');
    assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'test -f /tmp/ready'], Interval: 1e9, Timeout: 2e9, Retries: 3, StartPeriod: 5e8 });
    assert.equal(b.StopSignal, 'SIGINT');
    assert.equal(b.StopTimeout, 2);
    assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    const h = b.HostConfig;
    assert.deepEqual(h.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8086' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(h.NanoCpus, 500_000_000);
    assert.equal(h.Memory, 64 * 1024 * 1024);
    assert.equal(h.MemoryReservation, 1024);
    assert.equal(h.PidsLimit, 100);
    assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(h.CapDrop, ['MKNOD']);
    assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.equal(h.ReadonlyRootfs, true);
    assert.equal(h.Init, true);
    assert.deepEqual(h.Tmpfs, { '/run': 'size=64k', '/cache': '' });
    assert.deepEqual(h.ExtraHosts, ['gw:10.0.0.1', 'other:10.0.0.2']);
    assert.deepEqual(h.Binds, ['/srv/conf:/conf:ro']);
    assert.deepEqual(h.Mounts, [
      { Type: 'volume', Source: 'app_data', Target: '/data', VolumeOptions: { NoCopy: true } },
      { Type: 'volume', Target: '/anon' },
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1000 } },
    ]);
    assert.equal(replicasOf(s), 3);
  });

  it('takes the restart policy from deploy.restart_policy when `restart` is absent, and refuses a bad one', () => {
    const any = svc('a', { deploy: { mode: 'replicated', labels: {}, restart_policy: { condition: 'any' } } });
    assert.deepEqual(containerBody(project([any]), any, 1).HostConfig.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
    const onf = svc('a', { deploy: { mode: 'replicated', labels: {}, restart_policy: { condition: 'on-failure', max_attempts: 5 } } });
    assert.deepEqual(containerBody(project([onf]), onf, 1).HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 });
    const bad = svc('a', { restart: 'sometimes' });
    assert.throws(() => containerBody(project([bad]), bad, 1), /services\.a\.restart: invalid restart policy "sometimes"/);
  });

  it('disables the image healthcheck with NONE and runs one container for global services', () => {
    const s = svc('a', { healthcheck: { test: [], disable: true }, deploy: { mode: 'global', replicas: 5, labels: {} } });
    assert.deepEqual(containerBody(project([s]), s, 1).Healthcheck, { Test: ['NONE'] });
    assert.equal(replicasOf(s), 1);
    assert.equal(replicasOf(svc('b')), 1);
  });

  it('creates on the first network (by name) with aliases, and leaves the others to connect', () => {
    const s = svc('api', { networks: { front: { aliases: ['api.local'] }, back: { aliases: [] } } });
    const nets = {
      front: { name: 'app_front', external: false, driver_opts: {}, attachable: false, internal: false, labels: {} },
      back: { name: 'shared', external: true, driver_opts: {}, attachable: false, internal: false, labels: {} },
    };
    const p = project([s], { networks: nets });
    const b = containerBody(p, s, 1);
    assert.equal(b.HostConfig.NetworkMode, 'shared');
    assert.deepEqual(b.NetworkingConfig.EndpointsConfig, { shared: { Aliases: ['api'] } });
    assert.deepEqual(extraNetworks(p, s), [{ key: 'front', name: 'app_front', aliases: ['api', 'api.local'] }]);
  });

  it('bind-mounts file secrets and configs read-only at their targets and refuses the others', () => {
    const s = svc('a', {
      secrets: [{ source: 'pw', target: 'pw', uid: '0', gid: '0', mode: 0o444 }],
      configs: [
        { source: 'cfg', target: '/etc/app.conf', uid: '0', gid: '0', mode: 0o444 },
        { source: 'cfg', target: 'rel.conf', uid: '0', gid: '0', mode: 0o444 },
      ],
    });
    const p = project([s], {
      secrets: { pw: { name: 'app_pw', external: false, file: '/srv/pw.txt', labels: {} } },
      configs: { cfg: { name: 'app_cfg', external: false, file: '/srv/app.conf', labels: {} } },
    });
    assert.deepEqual(containerBody(p, s, 1).HostConfig.Mounts, [
      { Type: 'bind', Source: '/srv/pw.txt', Target: '/run/secrets/pw', ReadOnly: true },
      { Type: 'bind', Source: '/srv/app.conf', Target: '/etc/app.conf', ReadOnly: true },
      { Type: 'bind', Source: '/srv/app.conf', Target: '/rel.conf', ReadOnly: true },
    ]);
    const ext = project([s], { ...p, secrets: { pw: { name: 'pw', external: true, labels: {} } } });
    assert.throws(() => containerBody(ext, s, 1), /secrets\.pw: external secrets are swarm objects/);
    const env = project([s], { ...p, secrets: { pw: { name: 'app_pw', external: false, environment: 'PW', labels: {} } } });
    assert.throws(() => containerBody(env, s, 1), /secrets\.pw: only `file:` secrets can be mounted/);
  });

  it('refuses a service without an image, naming the field', () => {
    const s = svc('b', { build: '.' });
    delete s.image;
    assert.throws(() => containerBody(project([s]), s, 1), /services\.b\.image: build is not supported by shoal compose/);
    const v = svc('c', { volumes: [{ type: 'volume', source: 'nope', target: '/x', read_only: false }] });
    assert.throws(() => containerBody(project([v]), v, 1), /services\.c\.volumes\[0\]: volume "nope" is not declared/);
  });
});

describe('compose-plan: networks, volumes, order, hash', () => {
  it('creates bridge networks and volumes with the project labels', () => {
    const p = project([svc('a')], {
      networks: { default: { name: 'app_default', external: false, driver_opts: { mtu: '1400' }, attachable: false, internal: true, labels: { team: 'x' }, ipam: { config: [{ subnet: '10.9.0.0/24' }] } } },
      volumes: { data: { name: 'app_data', external: false, driver_opts: {}, labels: {} } },
    });
    assert.deepEqual(networkCreateBody(p, 'default'), {
      Name: 'app_default',
      Driver: 'bridge',
      Internal: true,
      Attachable: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24' }] },
      Options: { mtu: '1400' },
      Labels: { team: 'x', 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'app', 'com.docker.compose.version': '2.0.0-shoal' },
    });
    assert.deepEqual(volumeCreateBody(p, 'data'), {
      Name: 'app_data',
      Driver: 'local',
      DriverOpts: {},
      Labels: { 'com.docker.compose.project': 'app', 'com.docker.compose.volume': 'data', 'com.docker.compose.version': '2.0.0-shoal' },
    });
  });

  it('orders services after their dependencies and refuses cycles and unknown required ones', () => {
    const dep = (c: 'service_started' | 'service_healthy', required = true) => ({ condition: c, restart: false, required });
    const p = project([svc('client', { depends_on: { web: dep('service_started') } }), svc('web', { depends_on: { db: dep('service_healthy') } }), svc('db'), svc('aaa')]);
    assert.deepEqual(dependencyOrder(p), ['aaa', 'db', 'web', 'client']);
    const cyc = project([svc('a', { depends_on: { b: dep('service_started') } }), svc('b', { depends_on: { a: dep('service_started') } })]);
    assert.throws(() => dependencyOrder(cyc), /dependency cycle: a -> b -> a/);
    const missing = project([svc('a', { depends_on: { ghost: dep('service_started') } })]);
    assert.throws(() => dependencyOrder(missing), /services\.a\.depends_on: service "ghost" is not defined/);
    const optional = project([svc('a', { depends_on: { ghost: dep('service_started', false) } })]);
    assert.deepEqual(dependencyOrder(optional), ['a']);
  });

  it('hashes the config: changes with the environment, not with replicas or key order', () => {
    const base = svc('web', { environment: { A: '1', B: '2' } });
    assert.equal(configHash(base), configHash(svc('web', { environment: { B: '2', A: '1' } })));
    assert.notEqual(configHash(base), configHash(svc('web', { environment: { A: '1', B: '3' } })));
    const r1 = svc('web', { deploy: { mode: 'replicated', replicas: 1, labels: {} } });
    const r3 = svc('web', { deploy: { mode: 'replicated', replicas: 3, labels: {} } });
    assert.equal(configHash(r1), configHash(r3));
  });

  it('computes SHA-256 like node:crypto', () => {
    for (const text of ['', 'abc', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'héllo ✔ wörld'.repeat(20)]) {
      assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `sha256 of ${JSON.stringify(text.slice(0, 10))}…`);
    }
  });
});
