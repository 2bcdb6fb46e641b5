/**
 * The node ruleset in a real kernel (as root), in namespaces this test makes: a "node" netns with three bridges
 * (shl1 10.77.1.0/24 with VIP 10.77.1.3 over tasks t1..t3; shl2 10.77.2.0/24 with task t4 and an empty VIP
 * 10.77.2.3; shl3 10.77.3.0/24, internal, with task t5) and an "external" client netns on a veth. Each task runs
 * busybox httpd serving its name (and t1..t3 python UDP/TCP echo servers answering with their name).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../../src/api/errors.js';
import { applyRuleset, deleteTable, listTable } from '../../src/agent/network/nft.js';
import { renderNodeRuleset, renderSandboxDns } from '../../src/agent/network/ruleset.js';
import type { NodeRulesetInput } from '../../src/agent/network/ruleset.js';
import { CLIENT_ADDR, CLIENT_NODE_ADDR, must, NetLab } from './netlab.js';
import type { BridgeSpec, HttpCounts } from './netlab.js';

const B1: BridgeSpec = { name: 'shl1', n: 1, vips: ['10.77.1.3'] };
const B2: BridgeSpec = { name: 'shl2', n: 2, vips: ['10.77.2.3'] };
const B3: BridgeSpec = { name: 'shl3', n: 3 };
const VIP = '10.77.1.3';
const TASKS: Record<string, string> = { t1: '10.77.1.10', t2: '10.77.1.11', t3: '10.77.1.12' };
const T4 = '10.77.2.10';
const T5 = '10.77.3.10';

function input(table: string, endpoints: string[]): NodeRulesetInput {
  return {
    table,
    bridges: [
      { name: 'shl1', subnet: '10.77.1.0/24', internal: false },
      { name: 'shl2', subnet: '10.77.2.0/24', internal: false },
      { name: 'shl3', subnet: '10.77.3.0/24', internal: true },
    ],
    vips: [
      { vip: VIP, bridge: 'shl1', snat: '10.77.1.2', endpoints },
      { vip: '10.77.2.3', bridge: 'shl2', snat: '10.77.2.2', endpoints: [] },
    ],
    ingress: [{ protocol: 'tcp', port: 8080, target: 80, bridge: 'shl1', snat: '10.77.1.2', endpoints }],
    hostPorts: [{ protocol: 'tcp', port: 8081, target: 80, addr: T4 }],
  };
}

/** Every name got at least `min` of the answers, and nothing failed. */
function spread(r: HttpCounts, names: string[], min: number): void {
  assert.deepEqual(r.errors, {}, JSON.stringify(r));
  assert.deepEqual(Object.keys(r.counts).sort(), [...names].sort(), JSON.stringify(r));
  for (const n of names) assert.ok((r.counts[n] ?? 0) >= min, `${n} got ${r.counts[n] ?? 0} (< ${min}): ${JSON.stringify(r)}`);
}

describe('node ruleset in the kernel (nft)', () => {
  const lab = new NetLab('nft');
  const table = `shoal-${lab.prefix.slice(-6)}`;
  let node = '';
  let client = '';
  const ns: Record<string, string> = {};

  before(async () => {
    ({ node, client } = await lab.node());
    for (const b of [B1, B2, B3]) await lab.bridge(node, b);
    for (const [name, addr] of Object.entries(TASKS)) ns[name] = await lab.task(node, B1, name, addr);
    ns.t4 = await lab.task(node, B2, 't4', T4);
    ns.t5 = await lab.task(node, B3, 't5', T5);
    for (const name of ['t1', 't2', 't3', 't4', 't5']) lab.httpd(ns[name] ?? '', name);
    lab.httpd(client, 'client');
    for (const name of Object.keys(TASKS)) {
      await lab.pyServer(ns[name] ?? '', 'udp-echo', '0.0.0.0', 5353, name);
      await lab.pyServer(ns[name] ?? '', 'tcp-echo', '0.0.0.0', 7000, name);
    }
    await lab.waitHttp(node, [...Object.values(TASKS), T4, T5].map((a) => `http://${a}/`));
    await lab.waitHttp(client, [`http://${CLIENT_ADDR}/`]);
    await applyRuleset(renderNodeRuleset(input(table, Object.values(TASKS))), { netns: node });
  });

  after(async () => {
    await lab.cleanup();
    assert.deepEqual(await lab.leftovers(), []);
  });

  it('the applied table reads back with its chains (nft -j list table)', async () => {
    const objs = await listTable(table, 'ip', { netns: node });
    assert.ok(objs !== undefined);
    const chains = objs.filter((o) => 'chain' in o).map((o) => o.chain?.name);
    for (const c of ['prerouting', 'output', 'postrouting', 'forward', 'no_endpoints', 'vip_10_77_1_3', 'ingress_tcp_8080', 'host_tcp_8081']) {
      assert.ok(chains.includes(c), `chain ${c} in ${chains.join(',')}`);
    }
  });

  it('(a) 60 requests from a task to the VIP reach all three endpoints', async () => {
    spread(await lab.httpCount(ns.t1 ?? '', `http://${VIP}/`, 60), ['t1', 't2', 't3'], 5);
  });

  it('(b) the ingress port answers from the node itself (127.0.0.1 and its own address) and from an external client', async () => {
    spread(await lab.httpCount(node, 'http://127.0.0.1:8080/', 60), ['t1', 't2', 't3'], 5);
    spread(await lab.httpCount(client, `http://${CLIENT_NODE_ADDR}:8080/`, 60), ['t1', 't2', 't3'], 5);
    spread(await lab.httpCount(node, `http://${CLIENT_NODE_ADDR}:8080/`, 45), ['t1', 't2', 't3'], 1);
  });

  it('(c) a host-mode port maps to the one container, from outside and from the node', async () => {
    assert.deepEqual(await lab.httpCount(client, `http://${CLIENT_NODE_ADDR}:8081/`, 3), { counts: { t4: 3 }, errors: {} });
    assert.deepEqual(await lab.httpCount(node, 'http://127.0.0.1:8081/', 3), { counts: { t4: 3 }, errors: {} });
    assert.deepEqual(await lab.httpCount(node, `http://${CLIENT_NODE_ADDR}:8081/`, 3), { counts: { t4: 3 }, errors: {} });
  });

  it('(d) UDP through the VIP reaches every endpoint and the answers come from the VIP', async () => {
    const r = await lab.udpCount(ns.t2 ?? '', VIP, 5353, 60);
    spread(r, ['t1', 't2', 't3'], 5);
    assert.deepEqual(r.sources, [`${VIP}:5353`]);
  });

  it('(e) isolation: no traffic between bridges, none out of an internal bridge; egress of others is masqueraded', async () => {
    assert.deepEqual(await lab.httpCount(ns.t4 ?? '', `http://${TASKS.t1}/`, 1), { counts: {}, errors: { timeout: 1 } }, 'shl2 → shl1 task');
    assert.deepEqual((await lab.httpCount(ns.t4 ?? '', `http://${VIP}/`, 2)).counts, {}, 'a VIP answers only on its own bridge');
    assert.deepEqual(await lab.httpCount(ns.t1 ?? '', `http://${T4}/`, 1), { counts: {}, errors: { timeout: 1 } }, 'shl1 → shl2 task');
    assert.deepEqual(await lab.httpCount(ns.t4 ?? '', `http://${CLIENT_ADDR}/`, 2), { counts: { client: 2 }, errors: {} }, 'shl2 → outside (masquerade)');
    assert.deepEqual(await lab.httpCount(ns.t5 ?? '', `http://${CLIENT_ADDR}/`, 1), { counts: {}, errors: { timeout: 1 } }, 'internal shl3 → outside');
    await must('ip', ['-n', client, 'route', 'add', '10.77.0.0/16', 'via', CLIENT_NODE_ADDR]);
    assert.deepEqual(await lab.httpCount(client, `http://${T4}/`, 1), { counts: {}, errors: { timeout: 1 } }, 'outside → task without a published port');
  });

  it('a VIP with no endpoints rejects at once (tcp reset), not a timeout', async () => {
    assert.deepEqual(await lab.tcpSend(ns.t4 ?? '', '10.77.2.3', 80, 3), { error: 'refused' });
  });

  it('(f) re-applying without one endpoint: nothing new reaches it, and a connection opened before keeps working', async () => {
    const holder = lab.hold(ns.t1 ?? '', VIP, 7000);
    holder.write('first');
    const first = await holder.nextLine();
    assert.ok(first in TASKS, `held connection answered ${first}`);
    const rest = Object.entries(TASKS).filter(([n]) => n !== first);
    await applyRuleset(renderNodeRuleset(input(table, rest.map(([, a]) => a))), { netns: node });
    holder.write('again');
    assert.equal(await holder.nextLine(), first, 'the connection made before the re-apply still reaches its endpoint');
    const names = rest.map(([n]) => n);
    spread(await lab.httpCount(ns.t2 ?? '', `http://${VIP}/`, 40), names, 5);
    spread(await lab.httpCount(client, `http://${CLIENT_NODE_ADDR}:8080/`, 40), names, 5);
  });

  it('a failing ruleset reports nft\'s stderr and leaves the table as it was', async () => {
    const before = await listTable(table, 'ip', { netns: node });
    const broken = `table ip ${table} {}\ndelete table ip ${table}\ntable ip ${table} {\n\tchain c {\n\t\tthis is not nft\n\t}\n}\n`;
    await assert.rejects(applyRuleset(broken, { netns: node }), (e: unknown) => isShoalError(e, 'Internal') && /nft -f in netns .* failed .*Error: /s.test(e.message));
    assert.deepEqual(await listTable(table, 'ip', { netns: node }), before);
  });

  it('the sandbox DNS table sends 127.0.0.11:53 (udp and tcp) to the gateway; answers come from 127.0.0.11', async () => {
    await lab.sysctl(ns.t3 ?? '', { 'net.ipv4.conf.all.route_localnet': 1 });
    await applyRuleset(renderSandboxDns({ gateway: '10.77.1.1', self: TASKS.t3 ?? '' }), { netns: ns.t3 ?? '' });
    await lab.pyServer(node, 'udp-echo', '10.77.1.1', 53, 'node-dns');
    await lab.pyServer(node, 'tcp-echo', '10.77.1.1', 53, 'node-dns');
    assert.deepEqual(await lab.udpCount(ns.t3 ?? '', '127.0.0.11', 53, 3), { counts: { 'node-dns': 3 }, errors: {}, sources: ['127.0.0.11:53'] });
    assert.deepEqual(await lab.tcpSend(ns.t3 ?? '', '127.0.0.11', 53), { reply: 'node-dns' });
    await deleteTable('shoal-dns', 'ip', { netns: ns.t3 ?? '' });
  });

  it('(g) deleteTable removes all of it (and a second delete is fine); the VIP no longer balances', async () => {
    await deleteTable(table, 'ip', { netns: node });
    await deleteTable(table, 'ip', { netns: node });
    assert.equal(await listTable(table, 'ip', { netns: node }), undefined);
    const ruleset = JSON.parse(await must('ip', ['netns', 'exec', node, 'nft', '-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] };
    assert.deepEqual(ruleset.nftables.filter((o) => !('metainfo' in o)), []);
    assert.deepEqual((await lab.httpCount(ns.t1 ?? '', `http://${VIP}/`, 2)).counts, {});
  });
});
