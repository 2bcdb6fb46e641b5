/**
 * End to end, on the real kernel and without a swarm: `POST /networks/{id}/connect` and `/disconnect` driven by the
 * unmodified docker CLI (`docker network connect/disconnect`, `docker inspect`) against a daemon in a network
 * namespace this test makes, then `shoal compose up` of an app whose `api` is on two networks (`front` and `back`):
 * web (front) resolves and reaches api, api reaches db (back), web cannot resolve db. A running container gets the
 * interface live (one that ran with no network has its own netns taken over), a created one keeps it at start, a
 * disconnected one loses it at once; docker's refusals; the same on an attachable overlay of a swarm; and removing
 * everything leaves a clean kernel.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { netnsPrefixFor } from '../../src/agent/network/names.js';
import { buildImageTar } from '../fixtures/images/build.js';
import { startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { freePort } from '../harness/registry.js';

const until = untilWithin(20000);

const NS = `shltest-ncon-${process.pid.toString(36)}`;
const PROJECT = 'shlnc';
const nsLines = (...args: string[]): string[] =>
  spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() !== '');

const COMPOSE = `services:
  api:
    image: shoal-test/web:1
    networks:
      front: {}
      back:
        aliases: [backend-api]
  web:
    image: shoal-test/misbehave:1
    networks: [front]
    stop_grace_period: 1s
  db:
    image: shoal-test/web:1
    networks: [back]
networks:
  front: {}
  back: {}
`;

describe('network connect and disconnect, and compose services on several networks, on the real kernel', () => {
  let d: TestDaemon;
  let dir: string;
  const inspect = async (ref: string, format: string): Promise<string> => ok(await d.docker('inspect', ref, '--format', format), `inspect ${ref}`).trim();
  /** `NETWORK=IP` for each network of a container, sorted by network name (Go templates range maps in key order). */
  const networksOf = (ref: string): Promise<string> => inspect(ref, '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}');
  const exec = (ref: string, ...cmd: string[]): Promise<RunResult> => d.docker('exec', ref, ...cmd);
  // busybox's `wget -T` crashes (1.35, static): `timeout` bounds it instead.
  const get = async (ref: string, url: string): Promise<string> => ok(await exec(ref, 'timeout', '5', 'wget', '-qO-', url), `GET ${url} from ${ref}`).trim();
  const members = async (network: string): Promise<string[]> =>
    ok(await d.docker('network', 'inspect', network, '-f', '{{range .Containers}}{{.Name}} {{end}}'), `inspect ${network}`).trim().split(/\s+/).filter((x) => x !== '').sort();
  const refused = async (r: Promise<RunResult>, message: RegExp): Promise<void> => {
    const res = await r;
    assert.notEqual(res.code, 0, `expected a refusal, got: ${res.stdout}`);
    assert.match(res.stderr, message);
  };

  before(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0);
    // The embedded DNS forwards to an upstream that does not answer: no test query may leave the machine.
    d = await startDaemon({ hostname: 'ncon-e2e', netns: NS, daemonArgs: ['--dns-upstream', '127.0.0.1:9'] });
    ok(await d.docker('load', '-i', (await buildImageTar('web')).path), 'load web');
    ok(await d.docker('load', '-i', (await buildImageTar('misbehave')).path), 'load misbehave');
    dir = mkdtempSync(join(tmpdir(), 'shoal-ncon-e2e-'));
    ok(await d.docker('network', 'create', 'front'), 'network create front');
    ok(await d.docker('network', 'create', 'back'), 'network create back');
    ok(await d.docker('run', '-d', '--name', 'srv', '--network', 'back', '--network-alias', 'db', 'shoal-test/web:1'), 'run srv');
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('docker network connect gives a running container a second interface at once, with its name and aliases in DNS', async () => {
    ok(await d.docker('run', '-d', '--name', 'cli', '--network', 'front', 'shoal-test/misbehave:1'), 'run cli');
    assert.equal(await networksOf('cli'), 'front=172.17.0.2');
    assert.notEqual((await exec('cli', 'nslookup', 'db')).code, 0, 'db is on another network');
    const connected = ok(await d.docker('network', 'connect', '--alias', 'extra', 'back', 'cli'), 'network connect');
    assert.equal(connected, '');
    assert.equal(await networksOf('cli'), 'back=172.18.0.3 front=172.17.0.2');
    assert.equal(await inspect('cli', '{{json (index .NetworkSettings.Networks "back").Aliases}}'), '["extra"]');
    assert.match(ok(await exec('cli', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth1'), 'ip addr eth1'), /inet 172\.18\.0\.3\/16/);
    // Its first network's DNS answers the names of the second too; the server answers on back.
    const srvHost = await inspect('srv', '{{.Config.Hostname}}');
    assert.equal(await until('cli to reach db', async () => get('cli', 'http://db/')), `hostname=${srvHost} version=1`);
    // On back, the connected container answers to its name and its alias.
    const ns = ok(await d.docker('run', '--rm', '--network', 'back', 'shoal-test/misbehave:1', 'nslookup', 'extra'), 'nslookup extra from back');
    assert.match(ns, /Address:\s*172\.18\.0\.3/);
    assert.deepEqual(await members('back'), ['cli', 'srv']);
  });

  it('refuses what docker refuses, with its messages', async () => {
    await refused(d.docker('network', 'connect', 'back', 'cli'), /Error response from daemon: endpoint with name cli already exists in network back/);
    await refused(d.docker('network', 'connect', 'back', 'nope'), /Error response from daemon: No such container: nope/);
    await refused(d.docker('network', 'connect', 'nonet', 'cli'), /Error response from daemon: network nonet not found/);
    await refused(d.docker('network', 'connect', '--ip', '10.99.0.5', 'front', 'srv'), /IPv4Address: 10\.99\.0\.5 is not a usable address of network front/);
    await refused(d.docker('network', 'rm', 'back'), /has active endpoints/);
  });

  it('after a daemon restart the connection still works; disconnect takes the interface away at once and gives the address back', async () => {
    await d.restart();
    assert.match(await until('cli to reach db after the restart', async () => get('cli', 'http://db/')), /^hostname=\S+ version=1$/);
    ok(await d.docker('network', 'disconnect', 'back', 'cli'), 'network disconnect');
    assert.equal(await networksOf('cli'), 'front=172.17.0.2');
    assert.notEqual((await exec('cli', 'ip', 'link', 'show', 'eth1')).code, 0, 'eth1 is gone');
    assert.notEqual((await exec('cli', 'timeout', '3', 'wget', '-qO-', 'http://db/')).code, 0, 'db is out of reach again');
    assert.deepEqual(await members('back'), ['srv']);
    await refused(d.docker('network', 'disconnect', 'back', 'cli'), /is not connected to network back/);
    // The address is free again: the next container on back gets it.
    ok(await d.docker('create', '--name', 'later', '--network', 'front', 'shoal-test/misbehave:1'), 'create later');
    ok(await d.docker('network', 'connect', 'back', 'later'), 'connect a created container');
    assert.equal(await networksOf('later'), 'back=172.18.0.3 front=172.17.0.3');
  });

  it('a created container keeps its networks at start; one that ran on none has its own netns taken over', async () => {
    ok(await d.docker('start', 'later'), 'start later');
    assert.equal(await until('later to reach db', async () => get('later', 'http://db/')), `hostname=${await inspect('srv', '{{.Config.Hostname}}')} version=1`);
    ok(await d.docker('run', '-d', '--name', 'solo', 'shoal-test/misbehave:1'), 'run solo');
    assert.equal(await networksOf('solo'), '');
    ok(await d.docker('network', 'connect', 'back', 'solo'), 'connect solo');
    assert.equal(await networksOf('solo'), 'back=172.18.0.4');
    assert.match(ok(await exec('solo', 'cat', '/etc/resolv.conf'), 'resolv.conf'), /^nameserver 127\.0\.0\.11$/m);
    assert.match(await until('solo to reach db', async () => get('solo', 'http://db/')), /^hostname=\S+ version=1$/);
    // The shoal CLI's verbs say the same as docker's.
    assert.equal(ok(await d.shoal('network', 'disconnect', 'back', 'solo'), 'shoal network disconnect'), '');
    assert.equal(await networksOf('solo'), '');
    assert.equal(ok(await d.shoal('network', 'connect', '--alias', 'lone', 'back', 'solo'), 'shoal network connect'), '');
    assert.equal(await inspect('solo', '{{json (index .NetworkSettings.Networks "back").Aliases}}'), '["lone"]');
    await refused(d.shoal('network', 'connect', 'back', 'solo'), /Error response from daemon: endpoint with name solo already exists in network back/);
    ok(await d.docker('rm', '-f', 'cli', 'later', 'solo'), 'rm');
  });

  it('compose: api on front and back is reached from web and reaches db; web cannot resolve db', async () => {
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, COMPOSE);
    const up = await d.shoal('compose', '-f', file, '-p', PROJECT, 'up', '-d');
    ok(up, 'compose up -d');
    assert.match(up.stderr, new RegExp(`Network ${PROJECT}_front {2}Created`));
    assert.match(up.stderr, new RegExp(`Network ${PROJECT}_back {2}Created`));
    assert.match(up.stderr, new RegExp(`Container ${PROJECT}-api-1 {2}Started`));
    const api = `${PROJECT}-api-1`;
    assert.equal(await inspect(api, '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}'), `${PROJECT}_back ${PROJECT}_front`);
    assert.deepEqual(await members(`${PROJECT}_back`), [api, `${PROJECT}-db-1`]);
    const apiHost = await inspect(api, '{{.Config.Hostname}}');
    const dbHost = await inspect(`${PROJECT}-db-1`, '{{.Config.Hostname}}');
    assert.equal(await until('web to reach api', async () => get(`${PROJECT}-web-1`, 'http://api/')), `hostname=${apiHost} version=1`);
    assert.equal(await until('api to reach db', async () => get(api, 'http://db/')), `hostname=${dbHost} version=1`);
    assert.notEqual((await exec(`${PROJECT}-web-1`, 'nslookup', 'db')).code, 0, 'web cannot resolve db');
    // db sees api on back under its service name and its alias there, and does not see web.
    assert.equal(await get(`${PROJECT}-db-1`, 'http://backend-api/'), `hostname=${apiHost} version=1`);
    assert.notEqual((await exec(`${PROJECT}-db-1`, 'nslookup', 'web')).code, 0, 'db cannot resolve web');
    const down = await d.shoal('compose', '-f', file, '-p', PROJECT, 'down');
    ok(down, 'compose down');
    assert.match(down.stderr, new RegExp(`Network ${PROJECT}_back {2}Removed`));
  });

  it('local networks go once nothing is on them any more', async () => {
    ok(await d.docker('rm', '-f', 'srv'), 'rm srv');
    ok(await d.docker('network', 'rm', 'front', 'back'), 'network rm');
    assert.equal(ok(await d.docker('network', 'ls', '-q'), 'ls'), '');
  });

  it('on a swarm, an attachable overlay network is connected and disconnected the same way', async () => {
    const port = await freePort();
    ok(await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`), 'swarm init');
    ok(await d.docker('network', 'create', '-d', 'overlay', '--attachable', 'ov'), 'network create ov');
    ok(await d.docker('run', '-d', '--name', 'o1', 'shoal-test/misbehave:1'), 'run o1 on no network');
    ok(await d.docker('run', '-d', '--name', 'o2', '--network', 'ov', 'shoal-test/web:1'), 'run o2 on ov');
    ok(await d.docker('network', 'connect', '--alias', 'ovalias', 'ov', 'o1'), 'connect o1 to ov');
    const ip = await inspect('o1', '{{(index .NetworkSettings.Networks "ov").IPAddress}}');
    assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
    assert.equal(await networksOf('o1'), `ov=${ip}`);
    const o2Host = await inspect('o2', '{{.Config.Hostname}}');
    assert.equal(await until('o1 to reach o2 over ov', async () => get('o1', 'http://o2/')), `hostname=${o2Host} version=1`);
    assert.match(await until('o2 to resolve o1 by its alias', async () => ok(await exec('o2', 'nslookup', 'ovalias'), 'nslookup ovalias')), new RegExp(`Address:\\s*${ip.replace(/\./g, '\\.')}`));
    ok(await d.docker('network', 'disconnect', 'ov', 'o1'), 'disconnect o1 from ov');
    assert.equal(await networksOf('o1'), '');
    assert.notEqual((await exec('o1', 'timeout', '3', 'wget', '-qO-', 'http://o2/')).code, 0, 'o2 is out of reach again');
    await refused(d.docker('network', 'connect', '--ip', '10.0.9.9', 'ov', 'o1'), /a chosen address is supported on local \(bridge\) networks only/);
    ok(await d.docker('rm', '-f', 'o1', 'o2'), 'rm o1 o2');
    await until('ov to be removable', async () => ((await d.docker('network', 'rm', 'ov')).code === 0 ? true : undefined));
    ok(await d.docker('swarm', 'leave', '--force'), 'swarm leave');
  });

  it('in the end no veth, bridge, nft table, netns or mount is left behind', async () => {
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
