/**
 * Bad input over the real Engine API socket: each gets docker's status and a clear message, the daemon keeps
 * serving, and nothing half-written is left behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';

interface Reply {
  status: number;
  contentType: string | undefined;
  body: string;
}

function call(socket: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const message = (r: Reply): string => (JSON.parse(r.body) as { message: string }).message;

describe('Engine API: bad input', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ hostname: 'bad-input' });
  });
  after(async () => {
    await d?.[Symbol.asyncDispose]();
  });

  it('refuses API versions outside 1.24..1.47 with docker wording', async () => {
    const hi = await call(d.socket, 'GET', '/v1.99/info');
    assert.equal(hi.status, 400);
    assert.equal(hi.contentType, 'application/json');
    assert.equal(message(hi), 'client version 1.99 is too new. Maximum supported API version is 1.47');
    const lo = await call(d.socket, 'GET', '/v1.12/info');
    assert.equal(lo.status, 400);
    assert.match(message(lo), /^client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
    assert.equal((await call(d.socket, 'GET', '/v1.24/info')).status, 200);
    assert.equal((await call(d.socket, 'GET', '/info')).status, 200);
  });

  it('a swarm init with malformed JSON, wrong types or a bad spec is refused and leaves no swarm state', async () => {
    const cases: [string, RegExp][] = [
      ['{"ListenAddr": ', /JSON|json|unexpected/i],
      ['[1,2]', /expected a JSON object/],
      ['{"ListenAddr": 7}', /ListenAddr: expected a string/],
      ['{"Spec": {"Orchestration": {"TaskHistoryRetentionLimit": -1}}}', /TaskHistoryRetentionLimit: must be at least 0/],
      ['{"Spec": {"CAConfig": {"NodeCertExpiry": 1000000000}}}', /minimum certificate expiry time is 1h0m0s/],
      ['{"Availability": "sometimes"}', /Availability: invalid value/],
      ['{"DefaultAddrPool": ["10.0.0.0/99"]}', /DefaultAddrPool\[0\]: invalid CIDR/],
      ['{"AdvertiseAddr": "not an address!"}', /advertise address must be a non-zero IP address or network interface/],
    ];
    for (const [body, re] of cases) {
      const r = await call(d.socket, 'POST', '/v1.47/swarm/init', body);
      assert.equal(r.status, 400, `${body} → ${r.status} ${r.body}`);
      assert.equal(r.contentType, 'application/json');
      assert.match(message(r), re, body);
    }
    assert.equal(existsSync(join(d.dataRoot, 'swarm')), false, 'a refused init must leave no swarm directory');
    const info = await call(d.socket, 'GET', '/info');
    assert.equal((JSON.parse(info.body) as { Swarm: { LocalNodeState: string } }).Swarm.LocalNodeState, 'inactive');
  });

  it('after init: unknown nodes 404, stale versions conflict, wrong types 400, unknown filters 400', async () => {
    const init = await call(d.socket, 'POST', '/v1.47/swarm/init', '{"AdvertiseAddr":"127.0.0.1"}');
    assert.equal(init.status, 200, init.body);
    const nodeId = JSON.parse(init.body) as string;
    assert.match(nodeId, /^[0-9a-z]{25}$/);

    const missing = await call(d.socket, 'GET', '/v1.47/nodes/zzzz');
    assert.equal(missing.status, 404);
    assert.equal(message(missing), 'node zzzz not found');

    const node = JSON.parse((await call(d.socket, 'GET', `/v1.47/nodes/${nodeId}`)).body) as { Version: { Index: number }; Spec: unknown };
    const ok = await call(d.socket, 'POST', `/v1.47/nodes/${nodeId}/update?version=${node.Version.Index}`, JSON.stringify(node.Spec));
    assert.equal(ok.status, 200, ok.body);
    const stale = await call(d.socket, 'POST', `/v1.47/nodes/${nodeId}/update?version=${node.Version.Index}`, JSON.stringify(node.Spec));
    assert.ok(stale.status === 409 || stale.status === 500, `stale version → ${stale.status}`);
    assert.match(message(stale), /update out of sequence/);

    const noVersion = await call(d.socket, 'POST', `/v1.47/nodes/${nodeId}/update`, JSON.stringify(node.Spec));
    assert.equal(noVersion.status, 400);
    assert.match(message(noVersion), /invalid value for version/);

    const fresh = JSON.parse((await call(d.socket, 'GET', `/v1.47/nodes/${nodeId}`)).body) as { Version: { Index: number } };
    const badType = await call(d.socket, 'POST', `/v1.47/nodes/${nodeId}/update?version=${fresh.Version.Index}`, '{"Role":"manager","Availability":"active","Labels":{"a":1}}');
    assert.equal(badType.status, 400);
    assert.equal(message(badType), 'Labels.a: expected a string');

    const badFilter = await call(d.socket, 'GET', '/v1.47/nodes?filters=' + encodeURIComponent('{"colour":{"x":true}}'));
    assert.equal(badFilter.status, 400);
    assert.equal(message(badFilter), "invalid filter 'colour'");

    const badSwarm = await call(d.socket, 'POST', '/v1.47/swarm/update?version=abc', '{}');
    assert.equal(badSwarm.status, 400);

    const rm = await call(d.socket, 'DELETE', `/v1.47/nodes/${nodeId}`);
    assert.equal(rm.status, 400);
    assert.match(message(rm), /must be demoted to worker before removal/);

    const page = await call(d.socket, 'GET', '/v1.47/no/such/thing');
    assert.equal(page.status, 404);
    assert.equal(message(page), 'page not found');

    // Still serving, and the node is unchanged by the refused calls.
    const after = JSON.parse((await call(d.socket, 'GET', `/v1.47/nodes/${nodeId}`)).body) as { Version: { Index: number } };
    assert.equal(after.Version.Index, fresh.Version.Index);
  });
});
