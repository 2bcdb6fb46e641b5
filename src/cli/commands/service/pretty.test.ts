/** `service inspect --pretty`: docker 28's human format, golden strings (the first one is docker/cli's own fixture). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../client/service-types.js';
import { renderServicePretty } from './pretty.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('service inspect --pretty', () => {
  it('docker’s fixture: labels, replicas, configs, secrets, log driver, limits, networks by name, ports, healthcheck', () => {
    const s: Service = {
      ID: 'de179gar9d0o7ltdybungplod',
      Version: { Index: 315 },
      CreatedAt: '2026-03-01T11:00:00Z',
      UpdatedAt: '2026-03-01T11:00:00Z',
      Spec: {
        Name: 'my_service',
        Labels: { 'com.label': 'foo' },
        TaskTemplate: {
          LogDriver: { Name: 'driver', Options: { 'max-file': '5' } },
          ContainerSpec: {
            Image: 'foo/bar@sha256:this_is_a_test',
            Configs: [{ ConfigID: 'mtc3i44r1awdoziy2iceg73z8', ConfigName: 'configtest.conf', File: { Name: '/configtest.conf', UID: '', GID: '', Mode: 0 } }],
            Secrets: [{ SecretID: '3hv39ehbbb4hdozo7spod9ftn', SecretName: 'secrettest.conf', File: { Name: '/secrettest.conf', UID: '', GID: '', Mode: 0 } }],
            Healthcheck: { Test: ['CMD-SHELL', 'curl'], Interval: 4, Retries: 3, StartPeriod: 2, Timeout: 1 },
          },
          Resources: { Limits: { NanoCPUs: 100000000000, MemoryBytes: 10490000, Pids: 20 } },
          Networks: [{ Target: '5vpyomhb6ievnk0i0o60gcnei', Aliases: ['web'] }],
        },
        Mode: { Replicated: { Replicas: 2 } },
        EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 5000 }] },
      },
      Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishedPort: 30000 }] },
      UpdateStatus: { StartedAt: '2026-03-01T11:00:00Z', CompletedAt: '2026-03-01T11:00:00Z' },
    };
    assert.equal(
      renderServicePretty(s, new Map([['5vpyomhb6ievnk0i0o60gcnei', 'mynetwork']]), NOW),
      '\nID:\t\tde179gar9d0o7ltdybungplod\nName:\t\tmy_service\nLabels:\n com.label=foo\nService Mode:\tReplicated\n Replicas:\t2\nPlacement:\nContainerSpec:\n' +
        ' Image:\t\tfoo/bar@sha256:this_is_a_test\nConfigs:\n Target:\t/configtest.conf\n  Source:\tconfigtest.conf\nSecrets:\n Target:\t/secrettest.conf\n' +
        '  Source:\tsecrettest.conf\nLog Driver:\n Name:\t\tdriver\n LogOpts:\n  max-file:       5\n\nResources:\n Limits:\n  CPU:\t\t100\n  Memory:\t10MiB\n' +
        '  PIDs:\t\t20\nNetworks: mynetwork \nEndpoint Mode:\tvip\nPorts:\n PublishedPort = 30000\n  Protocol = tcp\n  TargetPort = 5000\n  PublishMode =  \n' +
        ' Healthcheck:\n  Interval = 4ns\n  Retries = 3\n  StartPeriod =\t2ns\n  Timeout =\t1ns\n  Tests:\n\t Test = CMD-SHELL\n\t Test = curl \n\n',
    );
  });

  it('a service made by `service create` with update/rollback config, placement, capabilities, mounts and an update status', () => {
    const s: Service = {
      ID: 'abc',
      Version: { Index: 9 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: {
        Name: 'web',
        Labels: {},
        TaskTemplate: {
          ContainerSpec: {
            Image: 'nginx:alpine@sha256:ff',
            Args: ['nginx', '-g', 'daemon off;'],
            Env: ['A=1', 'B=2'],
            Dir: '/srv',
            Init: false,
            User: 'nobody',
            CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'],
            CapabilityDrop: ['ALL'],
            Sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.x': '' },
            Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
            Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }, { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true }],
            DNSConfig: {},
          },
          Resources: { Limits: {}, Reservations: { NanoCPUs: 500000000, MemoryBytes: 64 * 1024 * 1024 } },
          Placement: { Constraints: ['node.role==manager', 'node.labels.zone==a'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.rack' } }], MaxReplicas: 2 },
          ForceUpdate: 0,
        },
        Mode: { Global: {} },
        UpdateConfig: { Parallelism: 2, Delay: 10e9, FailureAction: 'rollback', Monitor: 5e9, MaxFailureRatio: 0.2, Order: 'start-first' },
        RollbackConfig: { Parallelism: 1, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' },
        EndpointSpec: { Mode: 'vip' },
      },
      UpdateStatus: { State: 'completed', StartedAt: '2026-03-01T11:58:00Z', CompletedAt: '2026-03-01T11:59:30Z', Message: 'update completed' },
    };
    assert.equal(
      renderServicePretty(s, new Map(), NOW),
      [
        '',
        'ID:\t\tabc',
        'Name:\t\tweb',
        'Service Mode:\tGlobal',
        'UpdateStatus:',
        ' State:\t\tcompleted',
        ' Started:\t2 minutes ago',
        ' Completed:\t30 seconds ago',
        ' Message:\tupdate completed',
        'Placement:',
        ' Constraints:\t[node.role==manager node.labels.zone==a]',
        ' Preferences:   [spread=node.labels.rack]',
        ' Max Replicas Per Node:   2',
        'UpdateConfig:',
        ' Parallelism:\t2',
        ' Delay:\t\t10s',
        ' On failure:\trollback',
        ' Monitoring Period: 5s',
        ' Max failure ratio: 0.2',
        ' Update order:      start-first',
        'RollbackConfig:',
        ' Parallelism:\t1',
        ' On failure:\tpause',
        ' Max failure ratio: 0',
        ' Rollback order:    stop-first',
        'ContainerSpec:',
        ' Image:\t\tnginx:alpine@sha256:ff',
        ' Args:\t\tnginx -g daemon off; ',
        ' Env:\t\tA=1 B=2 ',
        ' Dir:\t\t/srv',
        ' Init:\t\tfalse',
        ' User: nobody',
        'Capabilities:',
        ' Add: CAP_NET_ADMIN, CAP_SYS_TIME',
        ' Drop: ALL',
        'SysCtls:',
        ' net.core.somaxconn: 1024',
        ' net.ipv4.x',
        'Ulimits:',
        ' nofile: 1024:2048',
        'Mounts:',
        ' Target:\t/data',
        '  Source:\tdata',
        '  ReadOnly:\tfalse',
        '  Type:\t\tvolume',
        ' Target:\t/srv',
        '  Source:\t/srv',
        '  ReadOnly:\ttrue',
        '  Type:\t\tbind',
        'Resources:',
        ' Reservations:',
        '  CPU:\t\t0.5',
        '  Memory:\t64MiB',
        'Endpoint Mode:\tvip',
        '',
        '',
      ].join('\n'),
    );
  });
});
