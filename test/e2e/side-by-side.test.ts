/** Several daemons run side by side on one machine, each with its own roots and socket, each its own cluster. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/registry.js';

describe('daemons side by side', () => {
  const daemons: TestDaemon[] = [];
  before(async () => {
    daemons.push(await startDaemon({ hostname: 'left' }), await startDaemon({ hostname: 'right' }));
  });
  after(async () => {
    for (const d of daemons) await d[Symbol.asyncDispose]();
  });

  it('each initializes its own swarm and sees only its own node', async () => {
    const [a, b] = daemons as [TestDaemon, TestDaemon];
    // Each manager listens on its own swarm port.
    const [pa, pb] = [await freePort(), await freePort()];
    assert.equal((await a.shoal('swarm', 'init', '--advertise-addr', `127.0.0.1:${pa}`, '--listen-addr', `127.0.0.1:${pa}`)).code, 0);
    assert.equal((await b.docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${pb}`, '--listen-addr', `127.0.0.1:${pb}`)).code, 0);
    const la = await a.docker('node', 'ls', '--format', '{{.Hostname}}');
    const lb = await b.shoal('node', 'ls', '--format', '{{.Hostname}}');
    assert.equal(la.stdout, 'left\n');
    assert.equal(lb.stdout, 'right\n');
    const ca = (await a.docker('info', '--format', '{{.Swarm.Cluster.ID}}')).stdout;
    const cb = (await b.docker('info', '--format', '{{.Swarm.Cluster.ID}}')).stdout;
    assert.notEqual(ca, cb);
    const ta = (await a.shoal('swarm', 'join-token', '-q', 'worker')).stdout;
    const tb = (await b.shoal('swarm', 'join-token', '-q', 'worker')).stdout;
    // Different clusters have different CAs, so even the digest part of the tokens differs.
    assert.notEqual(ta.split('-')[2], tb.split('-')[2]);
  });
});
