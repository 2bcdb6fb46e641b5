/**
 * End to end: `docker service logs` on a 3-node lab (network namespaces, a `shoal daemon` each; node 1 the manager)
 * gathers the lines of tasks on every node through the manager's log broker. With node 3 partitioned, the others'
 * lines still come, and the stream ends with docker's warning naming node 3.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildImageTar } from '../fixtures/images/build.js';
import { ok, untilWithin } from '../harness/e2e.js';
import { startLab, type TestLab } from '../harness/lab.js';

const until = untilWithin(60_000);

describe('service logs across the nodes of a lab', { timeout: 300_000 }, () => {
  let lab: TestLab | undefined;
  const manager = (): NonNullable<TestLab>['nodes'][number] => {
    assert.ok(lab);
    return lab.node(1);
  };

  before(async () => {
    lab = await startLab({ nodes: 3, heartbeatMs: 1000 });
    const tar = (await buildImageTar('misbehave')).path;
    for (const n of lab.nodes) ok(await n.docker('load', '-i', tar), `load misbehave on ${n.name}`);
  });

  after(async () => {
    await lab?.down();
  });

  it('lines from tasks on all 3 nodes; with one partitioned, the others stream and the missing node is named', async () => {
    assert.ok(lab);
    const ids = new Map<string, string>();
    for (const n of lab.nodes) ids.set(n.hostname, ok(await n.docker('info', '--format', '{{.Swarm.NodeID}}'), 'info').trim());
    ok(
      await manager().docker('service', 'create', '-d', '--name', 'talker', '--mode', 'global', 'shoal-test/misbehave:1', 'echo-stdout-stderr', 'stay'),
      'create talker',
    );
    const hosts = lab.nodes.map((n) => n.hostname);
    const all = await until('lines from every node', async () => {
      const r = await manager().docker('service', 'logs', 'talker');
      return hosts.every((h) => new RegExp(`@${h} +\\| misbehave stdout line 2$`, 'm').test(r.stdout)) &&
        hosts.every((h) => new RegExp(`@${h} +\\| misbehave stderr line 2$`, 'm').test(r.stderr))
        ? r
        : undefined;
    });
    assert.equal(all.code, 0, all.stderr);
    // A global task has slot 0: the docker CLI prints `<service>.0.<task>` for it.
    for (const h of hosts) assert.match(all.stdout, new RegExp(`^talker\\.0\\.[0-9a-z]{12}@${h} +\\| misbehave stdout line 1$`, 'm'));
    assert.doesNotMatch(all.stderr, /incomplete log stream/);

    const cut = lab.node(3);
    const cutId = ids.get(cut.hostname) ?? '';
    await lab.partition(3);
    try {
      const t0 = Date.now();
      const partial = await until('the warning for the partitioned node', async () => {
        const r = await manager().docker('service', 'logs', 'talker');
        return /incomplete log stream/.test(r.stderr) ? r : undefined;
      });
      console.log(`service logs with node 3 partitioned: the warning after ${Date.now() - t0} ms`);
      assert.match(
        partial.stderr,
        new RegExp(`warning: incomplete log stream\\. some logs could not be retrieved for the following reasons: node ${cutId} is not available`),
      );
      assert.notEqual(partial.code, 0);
      for (const n of [lab.node(1), lab.node(2)]) assert.match(partial.stdout, new RegExp(`@${n.hostname} +\\| misbehave stdout line 2$`, 'm'));
      assert.doesNotMatch(partial.stdout, new RegExp(`@${cut.hostname} `));
    } finally {
      await lab.heal(3);
    }
  });
});
