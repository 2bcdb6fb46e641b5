/**
 * End to end: swarm networks on a real daemon, driven by the unmodified docker CLI and by shoal's CLI, which must
 * print the same. `ls` and `inspect` output is pinned by golden files; the bad-input cases check docker's messages.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { assertGolden, normalize } from '../harness/golden.js';
import { startDaemon, type RunResult, type TestDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/registry.js';

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** One Engine-API call on the daemon's socket: the status and the parsed JSON body. */
function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath: socket, method, path: `/v1.47${path}`, headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const transcript = (r: RunResult): string => `${r.stdout}--- stderr\n${r.stderr}--- exit ${r.code}\n`;

describe('swarm networks through the docker CLI and shoal', () => {
  let d: TestDaemon;
  const known: Record<string, string> = {};
  const ids = async (): Promise<void> => {
    for (const line of ok(await d.docker('network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}'), 'ls ids').trim().split('\n')) {
      const [id, name] = line.split(' ');
      if (id !== undefined && name !== undefined) {
        known[id] = `<${name.toUpperCase()}_ID>`;
        known[id.slice(0, 12)] = `<${name.toUpperCase()}_ID12>`;
      }
    }
  };
  const same = async (args: string[]): Promise<RunResult> => {
    const dk = await d.docker(...args);
    const sh = await d.shoal(...args);
    assert.equal(sh.stdout, dk.stdout, `stdout of ${args.join(' ')}`);
    assert.equal(sh.stderr, dk.stderr, `stderr of ${args.join(' ')}`);
    assert.equal(sh.code, dk.code, `exit status of ${args.join(' ')}`);
    return dk;
  };
  const normalized = (r: RunResult): string => normalize(transcript(r), known).replace(/"Created": "[^"]+"/g, '"Created": "<TIME>"');

  before(async () => {
    d = await startDaemon({ hostname: 'net-e2e' });
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('before swarm init there are no networks (no local bridge/host/none) and an overlay needs a swarm', async () => {
    assert.equal(ok(await d.docker('network', 'ls', '-q'), 'ls'), '');
    const r = await d.docker('network', 'create', '-d', 'overlay', 'early');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /This node is not a swarm manager/);
    const missing = await d.docker('network', 'inspect', 'early');
    assert.equal(missing.stderr, 'Error response from daemon: network early not found\n');
  });

  it('swarm init with --default-addr-pool makes ingress from the first block of the pool', async () => {
    const port = await freePort();
    ok(
      await d.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`, '--default-addr-pool', '10.77.0.0/16', '--default-addr-pool-mask-length', '24'),
      'swarm init',
    );
    const ingress = ok(await d.docker('network', 'inspect', '-f', '{{.Name}} {{.Scope}} {{.Driver}} {{.Ingress}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}', 'ingress'), 'inspect ingress');
    assert.equal(ingress, 'ingress swarm overlay true 10.77.0.0/24 10.77.0.1 4097\n');
  });

  it('creates overlays (attachable, internal, labels, explicit subnet and gateway) and prints the ID', async () => {
    const a = ok(await d.docker('network', 'create', '-d', 'overlay', '--attachable', '--label', 'tier=front', 'web_net'), 'create web_net').trim();
    assert.match(a, /^[0-9a-z]{25}$/);
    ok(await d.docker('network', 'create', '-d', 'overlay', '--internal', '--subnet', '10.99.5.0/24', '--gateway', '10.99.5.254', 'db_net'), 'create db_net');
    const b = ok(await d.shoal('network', 'create', '--label', 'tier=back', 'cache_net'), 'shoal create cache_net').trim();
    assert.match(b, /^[0-9a-z]{25}$/);
    const shown = ok(await d.docker('network', 'inspect', '-f', '{{.Attachable}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels}}', 'web_net', 'db_net', 'cache_net'), 'inspect');
    assert.equal(shown, 'true false 10.77.1.0/24 10.77.1.1 map[tier:front]\nfalse true 10.99.5.0/24 10.99.5.254 map[]\nfalse false 10.77.2.0/24 10.77.2.1 map[tier:back]\n');
    await ids();
  });

  it('ls and inspect print what docker prints, pinned by golden files', async () => {
    assertGolden('network-ls', normalized(await same(['network', 'ls'])));
    assertGolden('network-ls-q-filter', normalized(await same(['network', 'ls', '-q', '--filter', 'label=tier'])));
    assertGolden('network-ls-format', normalized(await same(['network', 'ls', '--filter', 'name=web', '--format', '{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Internal}}\t{{.Labels}}\t{{.Label "tier"}}'])));
    assertGolden('network-inspect', normalized(await same(['network', 'inspect', 'web_net'])));
    assertGolden('network-inspect-missing', normalized(await same(['network', 'inspect', 'web_net', 'nope'])));
    await same(['network', 'ls', '--format', 'json']);
    await same(['network', 'ls', '--no-trunc', '--filter', 'driver=overlay', '--filter', 'scope=swarm']);
    await same(['network', 'ls', '--filter', 'colour=blue']);
  });

  it('refuses bad input with docker\'s messages, leaving nothing behind', async () => {
    const cases: [string[], RegExp][] = [
      [['network', 'create', '-d', 'overlay', '--subnet', '10.99.5.128/25', 'clash'], /^Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n$/],
      [['network', 'create', '-d', 'overlay', 'web_net'], /^Error response from daemon: network with name web_net already exists\n$/],
      [['network', 'create', '--subnet', '10.99.5.0/26', 'plain'], /^Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n$/],
      [['network', 'create', '-d', 'weave', 'woven'], /^Error response from daemon: plugin "weave" not found\n$/],
      [['network', 'create', '-d', 'overlay', 'host'], /^Error response from daemon: host is a pre-defined network and cannot be created\n$/],
      [['network', 'create', '-d', 'overlay', '--subnet', '10.98.0.0/24', '--gateway', '10.97.0.1', 'gw'], /^no matching subnet for gateway 10\.97\.0\.1\n$/],
      [['network', 'rm', 'nope'], /^Error response from daemon: network nope not found\nexit status 1\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await d.docker(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    // Both CLIs refuse a gateway outside its subnet before sending; the API answers in the contract's words.
    const gw = await d.shoal('network', 'create', '--subnet', '10.98.0.0/24', '--gateway', '10.98.1.1', 'gw');
    assert.equal(gw.stderr, 'no matching subnet for gateway 10.98.1.1\n');
    const raw = await api(d.socket, 'POST', '/networks/create', { Name: 'gw', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.98.0.0/24', Gateway: '10.98.1.1' }] } });
    assert.deepEqual(raw, { status: 400, body: { message: 'invalid gateway 10.98.1.1: not within subnet 10.98.0.0/24' } });
    const v = await api(d.socket, 'GET', '/networks/web_net?verbose=true');
    assert.deepEqual((v.body as { Peers?: unknown }).Peers, []);
    assert.equal((await api(d.socket, 'GET', '/networks/web_net?scope=local')).status, 404);
    const names = ok(await d.docker('network', 'ls', '--format', '{{.Name}}'), 'ls').trim().split('\n');
    assert.deepEqual(names, ['cache_net', 'db_net', 'ingress', 'web_net']);
  });

  it('service create --network: an unknown network is docker\'s "network foo not found"; a used network cannot go', async () => {
    const unknown = await d.docker('service', 'create', '-d', '--network', 'foo', '--name', 'x', 'busybox');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Error response from daemon: network foo not found/);
    // No image is needed for the control plane to record the reference.
    ok(await d.docker('service', 'create', '-d', '--no-resolve-image', '--network', 'web_net', '--name', 'web', 'shoal-test/none:1'), 'service create');
    const inUse = await same(['network', 'rm', 'web_net']);
    assert.equal(inUse.code, 1);
    assert.equal(inUse.stderr, 'Error response from daemon: rpc error: code = FailedPrecondition desc = network web_net is in use by service web\nexit status 1\n');
    const ingress = await d.docker('network', 'rm', 'ingress');
    assert.match(ingress.stdout, /WARNING! Before removing the routing-mesh network/);
    const yes = await d.shoal('network', 'rm', 'ingress');
    assert.equal(yes.code, 0, 'declining the prompt (no input) removes nothing');
    assert.equal(ok(await d.docker('network', 'ls', '-q', '--filter', 'name=ingress'), 'ls').trim().length, 12);
    ok(await d.docker('service', 'rm', 'web'), 'service rm');
    // Its tasks (the image does not exist) must end before the network counts as unused.
    const deadline = Date.now() + 30000;
    for (;;) {
      const tasks = (await api(d.socket, 'GET', '/tasks')).body as { Status: { State: string } }[];
      if (tasks.every((t) => ['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'].includes(t.Status.State))) break;
      assert.ok(Date.now() < deadline, `tasks still live: ${JSON.stringify(tasks.map((t) => t.Status.State))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('prune removes the unused networks but ingress; rm removes by name and by ID prefix', async () => {
    const r = await d.docker('network', 'prune', '-f', '--filter', 'label=tier=back');
    assert.equal(r.stdout, 'Deleted Networks:\ncache_net\n\n');
    const id = ok(await d.docker('network', 'ls', '-q', '--filter', 'name=db_net'), 'ls db').trim();
    assert.equal(ok(await d.docker('network', 'rm', id.slice(0, 6)), 'rm by prefix'), `${id.slice(0, 6)}\n`);
    ok(await d.shoal('network', 'create', 'spare'), 'create spare');
    const pruned = await d.shoal('network', 'prune', '-f');
    const [head, ...gone] = pruned.stdout.split('\n');
    assert.equal(head, 'Deleted Networks:');
    assert.deepEqual(gone.sort(), ['', '', 'spare', 'web_net'], pruned.stdout);
    assert.equal(ok(await d.docker('network', 'prune', '-f'), 'prune nothing'), '');
    assert.equal(ok(await d.docker('network', 'ls', '--format', '{{.Name}}'), 'ls'), 'ingress\n');
  });
});
