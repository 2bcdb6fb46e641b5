/** `service update` flags merged into a current spec, as docker's update.go merges them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpec } from '../../../client/service-types.js';
import { CliError } from '../../errors.js';
import { captureContext } from '../container/engine-stub.testkit.js';
import { addUpdateFlags } from './flags.js';
import type { ServiceFlags } from './flags.js';
import { ServiceCommand } from './index.js';
import { flagsBesidesRollback, updateService } from './update-spec.js';

function flags(argv: string[]): ServiceFlags {
  const { ctx } = captureContext('unix:///nowhere');
  const cmd = new ServiceCommand('update').exitOverride().configureOutput({ writeErr: () => undefined }).argument('<service>');
  addUpdateFlags(cmd, ctx, () => '/home/me');
  let out: ServiceFlags | undefined;
  cmd.action((_ref: string, f: ServiceFlags) => {
    out = f;
  });
  cmd.parse([...argv, 'web'], { from: 'user' });
  if (out === undefined) throw new Error('no action');
  return out;
}

const base = (): ServiceSpec => ({
  Name: 'web',
  Labels: {},
  TaskTemplate: {
    ContainerSpec: {
      Image: 'img',
      Mounts: [{ Type: 'volume', Source: 'b', Target: '/b' }, { Type: 'volume', Source: 'a', Target: '/a' }],
      DNSConfig: { Nameservers: ['9.9.9.9'] },
      Hosts: ['10.0.0.1 db db-alias', '10.0.0.2 cache'],
      CapabilityAdd: ['CAP_NET_ADMIN'],
      CapabilityDrop: ['CAP_KILL'],
      Healthcheck: { Test: ['NONE'] },
      Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }],
      Sysctls: { 'net.a': '1' },
      Groups: ['b'],
    },
    Networks: [{ Target: 'net-b' }],
  },
  Mode: { Global: {} },
  EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }, { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' }] },
});

async function apply(argv: string[], spec = base()): Promise<ServiceSpec> {
  await updateService(spec, flags(argv), (n) => Promise.resolve(`net-${n}`));
  return spec;
}

describe('service update merges', () => {
  it('mounts by target (sorted by source), ports by target port, DNS and groups sorted, hosts edited in place', async () => {
    const s = await apply([
      '--mount-add', 'type=volume,source=c,target=/a', '--mount-rm', '/b',
      '--publish-rm', '80', '--publish-add', '9000:90',
      '--dns-add', '1.1.1.1', '--dns-rm', '9.9.9.9', '--dns-search-add', 'x.org',
      '--group-add', 'a', '--host-rm', 'db-alias', '--host-rm', 'cache:10.0.0.9', '--host-add', 'web:10.0.0.3',
    ]);
    const cs = s.TaskTemplate.ContainerSpec ?? {};
    assert.deepEqual(cs.Mounts, [{ Type: 'volume', Source: 'c', Target: '/a' }]);
    assert.deepEqual(s.EndpointSpec?.Ports, [
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 90, PublishedPort: 9000, PublishMode: 'ingress' },
    ]);
    assert.deepEqual(cs.DNSConfig, { Nameservers: ['1.1.1.1'], Search: ['x.org'] });
    assert.deepEqual(cs.Groups, ['a', 'b']);
    assert.deepEqual(cs.Hosts, ['10.0.0.1 db', '10.0.0.2 cache', '10.0.0.3 web']);
  });

  it('capabilities: adding a dropped one only un-drops it, dropping an added one only un-adds it; RESET clears', async () => {
    let s = await apply(['--cap-add', 'kill', '--cap-drop', 'net_admin']);
    assert.equal(s.TaskTemplate.ContainerSpec?.CapabilityAdd, null);
    assert.equal(s.TaskTemplate.ContainerSpec?.CapabilityDrop, null);
    s = await apply(['--cap-add', 'sys_time', '--cap-drop', 'RESET']);
    assert.deepEqual(s.TaskTemplate.ContainerSpec?.CapabilityAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.equal(s.TaskTemplate.ContainerSpec?.CapabilityDrop, null);
  });

  it('health: --health-cmd replaces NONE; --no-healthcheck with --health-* is refused', async () => {
    const s = await apply(['--health-cmd', 'true', '--health-retries', '2']);
    assert.deepEqual(s.TaskTemplate.ContainerSpec?.Healthcheck, { Test: ['CMD-SHELL', 'true'], Retries: 2 });
    await assert.rejects(apply(['--no-healthcheck', '--health-interval', '1s']), (e: unknown) => e instanceof CliError && e.message === '--no-healthcheck conflicts with --health-* options');
    const none = await apply(['--no-healthcheck']);
    assert.deepEqual(none.TaskTemplate.ContainerSpec?.Healthcheck, { Test: ['NONE'] });
  });

  it('networks by ID, sorted; one already attached is an error; --replicas on a global service is refused', async () => {
    const s = await apply(['--network-add', 'a', '--network-rm', 'b']);
    assert.deepEqual(s.TaskTemplate.Networks, [{ Target: 'net-a' }]);
    await assert.rejects(apply(['--network-add', 'b']), /service is already attached to network b/);
    await assert.rejects(apply(['--replicas', '2']), /replicas can only be used with replicated mode/);
  });

  it('ulimits, sysctls, restart policy and resources change only where a flag says so', async () => {
    const s = await apply(['--ulimit-add', 'nproc=5', '--ulimit-rm', 'nofile', '--sysctl-add', 'net.b=2', '--sysctl-rm', 'net.a', '--restart-delay', '1s', '--limit-memory', '1m']);
    const cs = s.TaskTemplate.ContainerSpec ?? {};
    assert.deepEqual(cs.Ulimits, [{ Name: 'nproc', Hard: 5, Soft: 5 }]);
    assert.deepEqual(cs.Sysctls, { 'net.b': '2' });
    assert.deepEqual(s.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 1e9, MaxAttempts: 0 });
    assert.deepEqual(s.TaskTemplate.Resources, { Limits: { MemoryBytes: 1048576 }, Reservations: {} });
    const untouched = await apply([]);
    assert.deepEqual(untouched.TaskTemplate.RestartPolicy, undefined);
    assert.deepEqual(untouched.TaskTemplate.Resources, undefined);
  });

  it('--rollback combined with another flag is detected (detach and quiet aside)', () => {
    assert.deepEqual(flagsBesidesRollback(flags(['--rollback', '-d', '-q'])), []);
    assert.deepEqual(flagsBesidesRollback(flags(['--rollback', '--force'])), ['force']);
  });
});
