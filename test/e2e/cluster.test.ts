/**
 * End to end on a real 3-node lab (docs/design/cluster.md): network namespaces on a private bridge, a `shoal daemon`
 * each, node 1 the manager and nodes 2–3 joined as workers, driven with the unmodified docker CLI.
 *
 * Placement across nodes (spread, label constraints, spread preferences, global, drain), the overlay across nodes (ping, DNS, the VIP),
 * the routing mesh on every node's address, and failover: a partitioned node's tasks come back on the others, and
 * once it heals no duplicate is left. Timings are printed, not asserted (bench/cluster.ts measures them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { run } from '../harness/daemon.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { startLab, type LabNode, type TestLab } from '../harness/lab.js';

const until = untilWithin(60_000);
const HEARTBEAT_MS = 1000;
const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter((l) => l !== '');

describe('a 3-node cluster in a lab', { timeout: 600_000 }, () => {
  let lab: TestLab | undefined;
  const node = (i: number): LabNode => {
    assert.ok(lab);
    return lab.node(i);
  };
  const manager = (): LabNode => node(1);

  /** Running tasks of a service (desired running), as `hostname` per task, from the manager. */
  const runningOn = async (service: string): Promise<string[]> =>
    lines(ok(await manager().docker('service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'), `ps ${service}`))
      .filter((l) => / Running /.test(` ${l} `))
      .map((l) => l.split(' ')[0] ?? '');
  const countBy = (hosts: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const h of hosts) m.set(h, (m.get(h) ?? 0) + 1);
    return m;
  };
  const converged = (service: string, n: number): Promise<string[]> =>
    until(`${service}: ${n} tasks running`, async () => {
      const on = await runningOn(service);
      return on.length === n ? on : undefined;
    });
  const hostname = (i: number): string => node(i).hostname;

  before(async () => {
    // The embedded DNS forwards to an upstream that does not answer: no query leaves the machine.
    lab = await startLab({ nodes: 3, heartbeatMs: HEARTBEAT_MS, daemonArgs: ['--log-level', 'debug', '--dns-upstream', '127.0.0.1:9'] });
    const tars = [(await buildImageTar('web')).path, (await buildImageTar('misbehave')).path];
    for (const n of lab.nodes) for (const tar of tars) ok(await n.docker('load', '-i', tar), `load ${tar} on ${n.name}`);
    const ls = ok(await manager().docker('node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'), 'node ls');
    assert.deepEqual(lines(ls).sort(), [`${hostname(1)} Ready Leader`, `${hostname(2)} Ready`, `${hostname(3)} Ready`].sort());
  });

  after(async () => {
    await lab?.down();
  });

  it('a worker refuses manager calls with docker’s message', async () => {
    const r = await node(2).docker('service', 'create', '--name', 'nope', 'shoal-test/misbehave:1', 'sleep', '60');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /This node is not a swarm manager\. Worker nodes can't be used to view or modify cluster state\./);
  });

  it('9 replicas spread 3/3/3', async () => {
    ok(await manager().docker('service', 'create', '-d', '--name', 'spread', '--replicas', '9', 'shoal-test/misbehave:1', 'sleep', '3600'), 'create spread');
    const on = await converged('spread', 9);
    assert.deepEqual([...countBy(on).values()], [3, 3, 3], JSON.stringify([...countBy(on)]));
    // Each node really runs its three containers.
    for (const n of lab?.nodes ?? []) {
      const ps = ok(await n.docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=spread'), `ps on ${n.name}`);
      assert.equal(lines(ps).length, 3, `${n.name} runs 3 spread containers`);
    }
  });

  it('a label constraint lands tasks only on the labelled node', async () => {
    ok(await manager().docker('node', 'update', '--label-add', 'zone=blue', hostname(2)), 'label node 2');
    ok(await manager().docker('service', 'create', '-d', '--name', 'pinned', '--replicas', '3', '--constraint', 'node.labels.zone==blue', 'shoal-test/misbehave:1', 'sleep', '3600'), 'create pinned');
    assert.deepEqual(await converged('pinned', 3), [hostname(2), hostname(2), hostname(2)]);
  });

  it('a spread preference over a node label splits the tasks evenly between the label values', async () => {
    ok(await manager().docker('node', 'update', '--label-add', 'rack=r1', hostname(1)), 'rack node 1');
    ok(await manager().docker('node', 'update', '--label-add', 'rack=r1', hostname(2)), 'rack node 2');
    ok(await manager().docker('node', 'update', '--label-add', 'rack=r2', hostname(3)), 'rack node 3');
    ok(await manager().docker('service', 'create', '-d', '--name', 'racked', '--replicas', '4', '--placement-pref', 'spread=node.labels.rack', 'shoal-test/misbehave:1', 'sleep', '3600'), 'create racked');
    const by = countBy(await converged('racked', 4));
    assert.equal(by.get(hostname(3)), 2, `rack r2 (node 3 alone) gets half: ${JSON.stringify([...by])}`);
    assert.equal((by.get(hostname(1)) ?? 0) + (by.get(hostname(2)) ?? 0), 2, 'rack r1 gets the other half');
    ok(await manager().docker('service', 'rm', 'racked'), 'rm racked');
  });

  it('a global service runs one task on every node', async () => {
    ok(await manager().docker('service', 'create', '-d', '--name', 'everywhere', '--mode', 'global', 'shoal-test/misbehave:1', 'sleep', '3600'), 'create global');
    assert.deepEqual((await converged('everywhere', 3)).sort(), [hostname(1), hostname(2), hostname(3)].sort());
  });

  it('drain moves the tasks off a node; active lets it take new ones again', async () => {
    ok(await manager().docker('node', 'update', '--availability', 'drain', hostname(3)), 'drain node 3');
    const on = await until('spread off node 3', async () => {
      const r = await runningOn('spread');
      return r.length === 9 && !r.includes(hostname(3)) ? r : undefined;
    });
    assert.ok(on.every((h) => h === hostname(1) || h === hostname(2)));
    const left = await until('no spread container left on node 3', async () => {
      const ps = ok(await node(3).docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=spread'), 'ps node 3');
      return lines(ps).length === 0 ? true : undefined;
    });
    assert.ok(left);
    // The global service's task leaves a drained node too.
    assert.deepEqual((await converged('everywhere', 2)).sort(), [hostname(1), hostname(2)].sort());
    ok(await manager().docker('node', 'update', '--availability', 'active', hostname(3)), 'activate node 3');
    assert.equal((await converged('everywhere', 3)).length, 3);
    ok(await manager().docker('service', 'rm', 'spread', 'pinned', 'everywhere'), 'rm');
  });

  it('the overlay spans nodes: ping, tasks.web and the VIP reach tasks on every node', async () => {
    ok(await manager().docker('network', 'create', '-d', 'overlay', 'appnet'), 'network create');
    ok(await manager().docker('service', 'create', '-d', '--name', 'web', '--replicas', '3', '--network', 'appnet', '-p', '8080:80', 'shoal-test/web:1'), 'create web');
    const on = await converged('web', 3);
    assert.deepEqual(on.sort(), [hostname(1), hostname(2), hostname(3)].sort(), 'one web task per node');
    ok(await manager().docker('service', 'create', '-d', '--name', 'client', '--network', 'appnet', '--constraint', `node.hostname==${hostname(1)}`, 'shoal-test/misbehave:1', 'sleep', '3600'), 'create client');
    await converged('client', 1);
    const client = lines(ok(await manager().docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=client'), 'client container'))[0];
    assert.ok(client);
    const exec = (...argv: string[]): Promise<string> => manager().docker('exec', client, ...argv).then((r) => ok(r, argv.join(' ')));

    const tasks = await until('tasks.web lists 3 addresses', async () => {
      const r = await manager().docker('exec', client, 'nslookup', 'tasks.web');
      const addrs = [...(r.stdout.split('Name:').slice(1).join('').matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)/g))].map((m) => m[1] ?? '');
      return r.code === 0 && addrs.length === 3 ? addrs : undefined;
    });
    // The task addresses of the web tasks on nodes 2 and 3, from their own daemons.
    for (const i of [2, 3]) {
      const id = lines(ok(await node(i).docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=web'), `web on node ${i}`))[0] ?? '';
      const addr = ok(await node(i).docker('inspect', '-f', '{{(index .NetworkSettings.Networks "appnet").IPAddress}}', id), `address on node ${i}`).trim();
      assert.ok(tasks.includes(addr), `tasks.web (${tasks.join(' ')}) lists node ${i}'s task ${addr}`);
      assert.match(await exec('ping', '-c', '1', '-W', '3', addr), /1 packets received/, `ping node ${i}'s task over the overlay`);
    }
    const seen = new Set<string>();
    for (let k = 0; k < 30 && seen.size < 3; k++) {
      const body = await exec('wget', '-qO-', 'http://web/');
      seen.add(/hostname=(\S+)/.exec(body)?.[1] ?? body);
    }
    assert.equal(seen.size, 3, `the VIP reached ${seen.size} tasks: ${[...seen].join(' ')}`);
  });

  it('the published port answers on all 3 nodes and reaches tasks on every node', async () => {
    assert.ok(lab);
    const all = new Set<string>();
    for (const n of lab.nodes) {
      const here = new Set<string>();
      for (let k = 0; k < 30 && here.size < 3; k++) {
        const r = await run('busybox', ['wget', '-qO-', `http://${n.addr}:8080/`], { timeoutMs: 10_000 });
        assert.equal(r.code, 0, `GET ${n.addr}:8080: ${r.stderr}`);
        here.add(/hostname=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout);
      }
      assert.equal(here.size, 3, `${n.name} (${n.addr}) reached ${here.size} tasks: ${[...here].join(' ')}`);
      for (const h of here) all.add(h);
    }
    assert.equal(all.size, 3);
    ok(await manager().docker('service', 'rm', 'web', 'client'), 'rm web client');
  });

  it('a partitioned node’s tasks come back on the others; after it heals no duplicate is left', async () => {
    assert.ok(lab);
    ok(await manager().docker('service', 'create', '-d', '--name', 'survivor', '--replicas', '6', 'shoal-test/misbehave:1', 'sleep', '3600'), 'create survivor');
    assert.deepEqual([...countBy(await converged('survivor', 6)).values()], [2, 2, 2]);
    const t0 = Date.now();
    await lab.partition(3);
    try {
      const moved = await until('6 survivor tasks running on nodes 1 and 2', async () => {
        const on = await runningOn('survivor');
        return on.length === 6 && !on.includes(hostname(3)) ? on : undefined;
      });
      console.log(`node 3 partitioned: its tasks were running on the others after ${Date.now() - t0} ms (heartbeat ${HEARTBEAT_MS} ms)`);
      assert.equal(moved.length, 6);
      const down = ok(await manager().docker('node', 'inspect', '-f', '{{.Status.State}}', hostname(3)), 'node 3 state').trim();
      assert.equal(down, 'down');
    } finally {
      await lab.heal(3);
    }
    await until('node 3 Ready again', async () => {
      const s = ok(await manager().docker('node', 'inspect', '-f', '{{.Status.State}}', hostname(3)), 'node 3 state').trim();
      return s === 'ready' ? true : undefined;
    });
    await until('node 3 stopped its stale survivor containers', async () => {
      const ps = ok(await node(3).docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=survivor'), 'ps node 3');
      return lines(ps).length === 0 ? true : undefined;
    });
    const running = lab.nodes.map(async (n) => lines(ok(await n.docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=survivor'), `ps ${n.name}`)).length);
    const total = (await Promise.all(running)).reduce((a, b) => a + b, 0);
    assert.equal(total, 6, 'exactly 6 survivor containers run across the nodes');
    assert.equal((await runningOn('survivor')).length, 6);
  });
});
