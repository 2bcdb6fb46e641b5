/**
 * End to end, on the real kernel, with NO swarm: local bridge networks as `docker compose` uses them on one host,
 * driven by the unmodified docker CLI against a daemon in a network namespace this test makes. Containers find each
 * other by name and network alias through 127.0.0.11, `-p` publishes on the node, a network in use is not removed,
 * the networks come back after a daemon restart, and removing everything leaves a clean kernel.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { netnsPrefixFor } from '../../src/agent/network/names.js';
import { buildImageTar } from '../fixtures/images/build.js';
import { run, startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';

const until = untilWithin(20000);

const NS = `shltest-lnet-${process.pid.toString(36)}`;
const inNs = (...args: string[]): Promise<RunResult> => run('ip', ['netns', 'exec', NS, ...args], { timeoutMs: 15000 });
const nsLines = (...args: string[]): string[] =>
  spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() !== '');

describe('local bridge networks without a swarm, on the real kernel', () => {
  let d: TestDaemon;
  /** A one-off container on a network, as `docker compose run` would make it. */
  const oneOff = (network: string, ...cmd: string[]): Promise<RunResult> => d.docker('run', '--rm', '--network', network, 'shoal-test/misbehave:1', ...cmd);
  const web = async (network: string, url: string): Promise<string> => ok(await oneOff(network, 'wget', '-qO-', url), `GET ${url} from ${network}`);

  before(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0);
    // The embedded DNS forwards to an upstream that does not answer: no test query may leave the machine.
    d = await startDaemon({ hostname: 'lnet-e2e', netns: NS, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    ok(await d.docker('load', '-i', (await buildImageTar('web')).path), 'load web');
    ok(await d.docker('load', '-i', (await buildImageTar('misbehave')).path), 'load misbehave');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('docker network create makes a local bridge network (DRIVER bridge, SCOPE local) from docker\'s pools', async () => {
    const id = ok(await d.docker('network', 'create', '--label', 'com.docker.compose.project=proj', 'appnet'), 'network create').trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(ok(await d.docker('network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'), 'ls'), 'appnet bridge local\n');
    assert.equal(ok(await d.docker('network', 'ls', '-q', '--filter', 'label=com.docker.compose.project=proj'), 'ls -q'), `${id.slice(0, 12)}\n`);
    const shown = ok(await d.docker('network', 'inspect', '-f', '{{.Scope}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'appnet'), 'inspect');
    assert.equal(shown, 'local bridge 172.17.0.0/16 172.17.0.1\n');
    const swarmOnly = await d.docker('network', 'create', '-d', 'overlay', 'ov');
    assert.notEqual(swarmOnly.code, 0);
    assert.match(swarmOnly.stderr, /This node is not a swarm manager/);
    const addrs = nsLines('ip', '-4', '-o', 'addr', 'show').join('\n');
    assert.match(addrs, /inet 172\.17\.0\.1\/16/, 'the bridge holds the gateway');
  });

  it('containers find each other by container name and network alias through 127.0.0.11', async () => {
    ok(await d.docker('run', '-d', '--name', 'web', '--network', 'appnet', '--network-alias', 'www', 'shoal-test/web:1'), 'run web');
    const ip = ok(await d.docker('inspect', 'web', '--format', '{{(index .NetworkSettings.Networks "appnet").IPAddress}}'), 'inspect web').trim();
    assert.equal(ip, '172.17.0.2');
    assert.match(await until('web to answer by its alias', async () => web('appnet', 'http://www/')), /^hostname=\S+ version=1/);
    assert.match(await web('appnet', 'http://web/'), /^hostname=\S+ version=1/);
    const ns = ok(await oneOff('appnet', 'nslookup', 'www'), 'nslookup www');
    assert.match(ns, /Server:\s+127\.0\.0\.11/);
    assert.match(ns, /Address:\s*172\.17\.0\.2/);
    const members = ok(await d.docker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'appnet'), 'inspect containers');
    assert.equal(members, 'web 172.17.0.2/16\n');
  });

  it('-p publishes on the node; a taken port is refused with docker\'s message and gives its address back', async () => {
    ok(await d.docker('run', '-d', '--name', 'pub', '-p', '8085:80', '--network', 'appnet', 'shoal-test/web:1'), 'run -p');
    const host = ok(await d.docker('inspect', 'pub', '--format', '{{.Config.Hostname}}'), 'inspect pub').trim();
    const body = await until('8085 to answer', async () => ok(await inNs('busybox', 'wget', '-qO-', 'http://127.0.0.1:8085/'), 'GET 8085'));
    assert.equal(body.trim(), `hostname=${host} version=1`);
    const taken = await d.docker('run', '-d', '--name', 'pub2', '-p', '8085:80', '--network', 'appnet', 'shoal-test/web:1');
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /Bind for 0\.0\.0\.0:8085 failed: port is already allocated/);
    const members = ok(await d.docker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'appnet'), 'inspect containers').trim().split(' ').sort();
    assert.deepEqual(members, ['pub', 'web']);
  });

  it('names on another local network are invisible, and a network in use is not removed', async () => {
    ok(await d.docker('network', 'create', 'other'), 'network create other');
    assert.equal(ok(await d.docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'other'), 'inspect other'), '172.18.0.0/16\n');
    assert.notEqual((await oneOff('other', 'nslookup', 'www')).code, 0, 'www is not visible from other');
    const refused = await d.docker('network', 'rm', 'appnet');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /error while removing network: network appnet id [0-9a-f]{64} has active endpoints/);
  });

  it('after a daemon restart the networks, DNS and published ports still work', async () => {
    await d.restart();
    assert.match(await until('web to answer by its alias after the restart', async () => web('appnet', 'http://www/')), /^hostname=\S+ version=1/);
    assert.match(ok(await inNs('busybox', 'wget', '-qO-', 'http://127.0.0.1:8085/'), 'GET 8085 after restart'), /^hostname=\S+ version=1/);
    assert.equal(ok(await d.docker('network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'), 'ls'), 'appnet bridge local\nother bridge local\n');
  });

  it('removing everything leaves no veth, bridge, nft table, netns or mount behind', async () => {
    ok(await d.docker('rm', '-f', 'web', 'pub'), 'rm containers');
    ok(await d.docker('network', 'rm', 'appnet', 'other'), 'network rm');
    assert.equal(ok(await d.docker('network', 'ls', '-q'), 'ls'), '');
    await until('only lo left', async () => {
      const l = nsLines('ip', '-o', 'link').map((x) => x.split(':')[1]?.trim().split('@')[0] ?? '');
      if (l.join(' ') !== 'lo') throw new Error(`links: ${l.join(' ')}`);
      return true;
    });
    assert.deepEqual(nsLines('nft', 'list', 'tables'), [], 'no nft table left');
    const prefix = netnsPrefixFor(join(d.dir, 'exec'));
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(prefix)), [], 'no container netns left');
    const mounts = spawnSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(d.dir));
    assert.deepEqual(mounts, [], 'no mount left under the daemon roots');
  });
});
