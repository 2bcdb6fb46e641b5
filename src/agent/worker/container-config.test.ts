import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSpec } from '../../api/types.js';
import { anAgentTask } from '../../../test/contracts/controller.js';
import { containerLabels, containerName, createBody, serviceName, stopGraceSeconds, taskDisplayName } from './container-config.js';

describe('container config: names and labels', () => {
  it('names replicated task containers <service>.<slot>.<taskID> and global ones <service>.<nodeID>.<taskID>', () => {
    const t = anAgentTask('busybox', {}, { ID: 'abcdefghijklmnopqrstuvwxy', Slot: 3, NodeID: 'node7', ServiceAnnotations: { Name: 'web' } });
    assert.equal(taskDisplayName(t), 'web.3');
    assert.equal(containerName(t), 'web.3.abcdefghijklmnopqrstuvwxy');
    const { Slot: _slot, ...global } = t;
    assert.equal(containerName(global), 'web.node7.abcdefghijklmnopqrstuvwxy');
    assert.equal(containerName({ ...t, Slot: 0 }), 'web.node7.abcdefghijklmnopqrstuvwxy', 'global tasks may carry slot 0');
  });

  it('falls back to the service ID when the dispatcher sent no service name', () => {
    const { ServiceAnnotations: _a, ...t } = anAgentTask('busybox', {}, { ServiceID: 'svc123' });
    assert.equal(serviceName(t), 'svc123');
    assert.match(containerName(t), /^svc123\.1\./);
  });

  it('labels the container like docker: container labels, the stack namespace, then the swarm labels over them', () => {
    const t = anAgentTask(
      'busybox',
      { Labels: { app: 'shop', 'com.docker.swarm.task.id': 'spoofed' } },
      { ID: 'abcdefghijklmnopqrstuvwxy', ServiceID: 'svc1', NodeID: 'node1', Labels: { 'com.docker.stack.namespace': 'prod', 'service-only': 'x' } },
    );
    assert.deepEqual(containerLabels(t), {
      app: 'shop',
      'com.docker.stack.namespace': 'prod',
      'com.docker.swarm.node.id': 'node1',
      'com.docker.swarm.service.id': 'svc1',
      'com.docker.swarm.service.name': 'web',
      'com.docker.swarm.task': '',
      'com.docker.swarm.task.id': 'abcdefghijklmnopqrstuvwxy',
      'com.docker.swarm.task.name': 'web.1.abcdefghijklmnopqrstuvwxy',
    });
  });
});

describe('container config: the create body', () => {
  it('maps the TaskSpec and ContainerSpec to a docker create body', () => {
    const container: ContainerSpec = {
      Image: 'shoal-test/web:1',
      Command: ['/bin/app'],
      Args: ['--port', '80'],
      Env: ['A=1'],
      Dir: '/srv',
      User: 'nobody',
      Hostname: 'web-host',
      Init: true,
      TTY: true,
      ReadOnly: true,
      StopSignal: 'SIGINT',
      StopGracePeriod: 2_500_000_000,
      Groups: ['wheel'],
      Hosts: ['10.0.0.1 db db.local'],
      DNSConfig: { Nameservers: ['192.0.2.53'], Search: ['example.com'], Options: ['ndots:2'] },
      CapabilityAdd: ['CAP_NET_ADMIN'],
      CapabilityDrop: ['CAP_MKNOD'],
      Sysctls: { 'net.core.somaxconn': '1024' },
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      OomScoreAdj: 100,
      Healthcheck: { Test: ['CMD', '/healthcheck'], Interval: 1e9, Timeout: 2e9, Retries: 3, StartPeriod: 5e9 },
      Mounts: [
        { Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { NoCopy: true } },
        { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
        { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1777 } },
      ],
    };
    const t = anAgentTask('unused', {}, {
      Spec: {
        ContainerSpec: container,
        Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 500_000_000, Pids: 100 }, Reservations: { MemoryBytes: 32 * 1024 * 1024, NanoCPUs: 1e8 } },
      },
    });
    const body = createBody(t);
    assert.deepEqual({ ...body, Labels: undefined }, {
      Image: 'shoal-test/web:1',
      Labels: undefined,
      Entrypoint: ['/bin/app'],
      Cmd: ['--port', '80'],
      Env: ['A=1'],
      WorkingDir: '/srv',
      User: 'nobody',
      Hostname: 'web-host',
      Tty: true,
      StopSignal: 'SIGINT',
      Healthcheck: { Test: ['CMD', '/healthcheck'], Interval: 1e9, Timeout: 2e9, Retries: 3, StartPeriod: 5e9 },
      HostConfig: {
        Mounts: [
          { Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { NoCopy: true } },
          { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
          { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1777 } },
        ],
        ReadonlyRootfs: true,
        Init: true,
        CapAdd: ['CAP_NET_ADMIN'],
        CapDrop: ['CAP_MKNOD'],
        Sysctls: { 'net.core.somaxconn': '1024' },
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        GroupAdd: ['wheel'],
        OomScoreAdj: 100,
        ExtraHosts: ['db:10.0.0.1', 'db.local:10.0.0.1'],
        Dns: ['192.0.2.53'],
        DnsSearch: ['example.com'],
        DnsOptions: ['ndots:2'],
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 100,
        MemoryReservation: 32 * 1024 * 1024,
      },
    });
    assert.equal(body.Labels?.['com.docker.swarm.task.name'], containerName(t));
    assert.equal(stopGraceSeconds(t), 2.5);
  });

  it('leaves out what the spec does not set: the image decides command, user, workdir and healthcheck', () => {
    const t = anAgentTask('busybox');
    const body = createBody(t);
    assert.deepEqual(Object.keys(body).sort(), ['HostConfig', 'Image', 'Labels']);
    assert.deepEqual(body.HostConfig, {});
    assert.equal(stopGraceSeconds(t), 10, "swarm's default grace period");
  });

  it('passes --no-healthcheck through as Test NONE', () => {
    assert.deepEqual(createBody(anAgentTask('busybox', { Healthcheck: { Test: ['NONE'] } })).Healthcheck, { Test: ['NONE'] });
  });

  it('refuses a task without a container spec and mount types docker cannot run here', () => {
    assert.throws(() => createBody(anAgentTask('busybox', {}, { Spec: {} })), /no container spec/);
    assert.throws(() => createBody(anAgentTask('busybox', { Mounts: [{ Type: 'npipe', Source: 'x', Target: '/x' }] })), /mount type "npipe" is not supported/);
  });
});
