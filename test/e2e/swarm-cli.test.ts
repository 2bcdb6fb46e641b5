/**
 * End to end: the real daemon (the bundled dist/shoal.cjs) on a temporary root and socket, driven by the real
 * docker CLI and by shoal's CLI. Both CLIs must print the same thing for the same command, and that output is
 * pinned by golden files. Then kill -9 and restart: the cluster, CA, tokens, nodes and labels survive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { assertGolden, normalize } from '../harness/golden.js';

const both = async (d: TestDaemon, args: string[]): Promise<{ docker: RunResult; shoal: RunResult }> => ({
  docker: await d.docker(...args),
  shoal: await d.shoal(...args),
});

/** The shoal CLI names itself where docker's does; everything else must be byte-identical. */
const asDocker = (s: string): string => s.replaceAll('shoal swarm join', 'docker swarm join');

function assertSame(r: { docker: RunResult; shoal: RunResult }, what: string): void {
  assert.equal(asDocker(r.shoal.stdout), r.docker.stdout, `${what}: stdout differs`);
  assert.equal(r.shoal.stderr, r.docker.stderr, `${what}: stderr differs`);
  assert.equal(r.shoal.code, r.docker.code, `${what}: exit code differs`);
}

describe('swarm and nodes through the docker CLI and the shoal CLI', () => {
  let d: TestDaemon;
  const known: Record<string, string> = {};

  before(async () => {
    d = await startDaemon({ hostname: 'shoal-e2e' });
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('reports an inactive swarm before init, and refuses manager commands with 503', async () => {
    const info = await d.docker('info', '--format', '{{.Swarm.LocalNodeState}}');
    assert.equal(info.stdout, 'inactive\n');
    const r = await both(d, ['node', 'ls']);
    assertSame(r, 'node ls before init');
    assert.equal(r.docker.code, 1);
    assert.match(r.docker.stderr, /This node is not a swarm manager/);
  });

  it('version negotiates API 1.47', async () => {
    const v = await d.docker('version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}');
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, '1.47 1.47\n');
    const s = await d.shoal('version', '--format', '{{.Server.ApiVersion}}');
    assert.equal(s.stdout, '1.47\n');
  });

  it('swarm init prints the join command; a second init is refused by both CLIs alike', async () => {
    const init = await d.shoal('swarm', 'init', '--advertise-addr', '127.0.0.1', '--task-history-limit', '3', '--dispatcher-heartbeat', '7s', '--cert-expiry', '720h');
    assert.equal(init.code, 0, init.stderr);
    const id = /current node \(([0-9a-z]{25})\)/.exec(init.stdout)?.[1];
    assert.ok(id, init.stdout);
    known[id] = '<NODE_ID>';
    const cluster = await d.docker('info', '--format', '{{.Swarm.Cluster.ID}}');
    known[cluster.stdout.trim()] = '<CLUSTER_ID>';
    assertGolden('swarm-init', normalize(asDocker(init.stdout), known));

    const again = await both(d, ['swarm', 'init']);
    assertSame(again, 'second init');
    assert.equal(again.docker.code, 1);
    assert.match(again.docker.stderr, /already part of a swarm/);
  });

  it('the flags of swarm init land in the swarm spec', async () => {
    const r = await d.docker('info', '--format', '{{json .Swarm.Cluster.Spec}}');
    const spec = JSON.parse(r.stdout) as { Orchestration: { TaskHistoryRetentionLimit: number }; Dispatcher: { HeartbeatPeriod: number }; CAConfig: { NodeCertExpiry: number } };
    assert.equal(spec.Orchestration.TaskHistoryRetentionLimit, 3);
    assert.equal(spec.Dispatcher.HeartbeatPeriod, 7e9);
    assert.equal(spec.CAConfig.NodeCertExpiry, 720 * 3600e9);
  });

  const sameCommands: [string, string[]][] = [
    ['node-ls', ['node', 'ls']],
    ['node-ls-q', ['node', 'ls', '-q']],
    ['node-ls-json', ['node', 'ls', '--format', 'json']],
    ['node-ls-template', ['node', 'ls', '--format', '{{.ID}} {{.Hostname}} {{.ManagerStatus}} {{.TLSStatus}}']],
    ['node-ls-table', ['node', 'ls', '--format', 'table {{.Hostname}}\t{{.Status}}\t{{.Availability}}']],
    ['node-ls-filter-role', ['node', 'ls', '--filter', 'role=manager', '-q']],
    ['node-ls-filter-none', ['node', 'ls', '--filter', 'role=worker']],
    ['node-ls-filter-bad', ['node', 'ls', '--filter', 'color=blue']],
    ['node-inspect-pretty', ['node', 'inspect', '--pretty', 'self']],
    ['node-inspect-format', ['node', 'inspect', '--format', '{{.Spec.Role}} {{.Status.State}} {{.ManagerStatus.Addr}}', 'self']],
    ['node-inspect-missing', ['node', 'inspect', 'no-such-node']],
    ['join-token-worker', ['swarm', 'join-token', 'worker']],
    ['join-token-manager-q', ['swarm', 'join-token', '-q', 'manager']],
    ['node-demote-last', ['node', 'demote', 'self']],
    ['node-rm-manager', ['node', 'rm', 'shoal-e2e']],
    ['node-promote-noop', ['node', 'promote', 'shoal-e2e']],
  ];
  for (const [name, args] of sameCommands) {
    it(`${args.join(' ')}: both CLIs print the same, as pinned`, async () => {
      const r = await both(d, args);
      assertSame(r, args.join(' '));
      assertGolden(name, normalize(`${r.docker.stdout}--- stderr\n${r.docker.stderr}--- exit ${r.docker.code}\n`, known));
    });
  }

  it('docker info and shoal info print the same server section', async () => {
    const r = await both(d, ['info']);
    assert.equal(r.shoal.code, 0, r.shoal.stderr);
    // Two live readings (open files, the clock) differ between the two calls; everything else must not.
    const live = (t: string): string => t.replace(/ {2}File Descriptors: \d+/, '  File Descriptors: N').replace(/ {2}System Time: .*/, '  System Time: T');
    const server = r.docker.stdout.slice(r.docker.stdout.indexOf('Server:'));
    assert.equal(live(r.shoal.stdout), live(server));
    const swarm = server.slice(server.indexOf(' Swarm:'), server.indexOf(' Runtimes:'));
    assertGolden('info-swarm', normalize(swarm, known));
  });

  it('node update through docker: labels and availability, then read back by both CLIs', async () => {
    const up = await d.docker('node', 'update', '--label-add', 'zone=a', '--label-add', 'ssd', 'self');
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, 'self\n');
    const drain = await d.shoal('node', 'update', '--availability', 'drain', 'self');
    assert.equal(drain.code, 0, drain.stderr);
    const r = await both(d, ['node', 'ls', '--filter', 'node.label=zone=a', '--format', '{{.Hostname}} {{.Availability}}']);
    assertSame(r, 'filtered ls');
    assert.equal(r.docker.stdout, 'shoal-e2e Drain\n');
    const rm = await d.docker('node', 'update', '--label-rm', 'ssd', '--availability', 'active', 'self');
    assert.equal(rm.code, 0, rm.stderr);
    const labels = await d.shoal('node', 'inspect', '--format', '{{json .Spec.Labels}} {{.Spec.Availability}}', 'self');
    assert.equal(labels.stdout, '{"zone":"a"} active\n');
  });

  it('swarm update and join-token --rotate: the old token stops matching', async () => {
    const before = (await d.docker('swarm', 'join-token', '-q', 'worker')).stdout.trim();
    const rot = await d.shoal('swarm', 'join-token', '--rotate', 'worker');
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout, /^Successfully rotated worker join token\.\n\nTo add a worker/);
    const afterTok = (await d.docker('swarm', 'join-token', '-q', 'worker')).stdout.trim();
    assert.notEqual(afterTok, before);
    // The CA digest part is unchanged; only the secret rotates.
    assert.equal(afterTok.split('-')[2], before.split('-')[2]);
    const rotd = await d.docker('swarm', 'join-token', '--rotate', '-q', 'manager');
    assert.equal(rotd.code, 0, rotd.stderr);
    const up = await d.docker('swarm', 'update', '--task-history-limit', '9');
    assert.equal(up.stdout, 'Swarm updated.\n', up.stderr);
    const v = await d.shoal('info', '--format', '{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}');
    assert.equal(v.stdout, '9\n');
  });

  it('survives kill -9: cluster, CA, tokens, nodes and labels are intact after restart', async () => {
    const snapshot = async (): Promise<string[]> => [
      (await d.shoal('swarm', 'inspect')).stdout,
      (await d.docker('node', 'inspect', 'self')).stdout.replace(/"(UpdatedAt|Index)": [^,\n]*/g, ''),
      (await d.docker('node', 'ls')).stdout,
      (await d.docker('swarm', 'join-token', 'worker')).stdout,
    ];
    const beforeKill = await snapshot();
    await d.kill9();
    await d.restart();
    const afterRestart = await snapshot();
    assert.deepEqual(afterRestart, beforeKill);
    const info = await d.docker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}');
    assert.equal(info.stdout, 'active true\n');
  });

  it('swarm leave needs --force on the last manager; after leaving, the node is inactive and can init again', async () => {
    const r = await both(d, ['swarm', 'leave']);
    assertSame(r, 'leave without force');
    assert.match(r.docker.stderr, /Removing the last manager erases all current state of the swarm/);
    const leave = await d.docker('swarm', 'leave', '--force');
    assert.equal(leave.stdout, 'Node left the swarm.\n', leave.stderr);
    const info = await d.shoal('info', '--format', '{{.Swarm.LocalNodeState}}');
    assert.equal(info.stdout, 'inactive\n');
    const again = await both(d, ['swarm', 'leave']);
    assertSame(again, 'leave when not in a swarm');
    const init = await d.docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\.\n\nTo add a worker to this swarm, run the following command:\n\n {4}docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} 127\.0\.0\.1:2377\n\n/);
  });
});
