import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { seededRandom } from '../../lib/random.js';
import { answer, buildTable, DNS_TTL, reverseName } from './zone.js';
import type { DnsAnswer, ZoneEntry } from './zone.js';

const task = (svc: string, slot: number, id: string, addr: string) => ({ id, name: `${svc}.${slot}.${id}`, addr, nodeId: 'node1' });

const entry: ZoneEntry = {
  network: { Name: 'web_net' },
  services: [
    {
      id: 's1',
      name: 'shop_web',
      aliases: ['web'],
      mode: 'vip',
      vip: '10.0.1.2',
      tasks: [task('shop_web', 1, 'aaa', '10.0.1.5'), task('shop_web', 2, 'bbb', '10.0.1.6'), task('shop_web', 3, 'ccc', '10.0.1.7')],
    },
    { id: 's2', name: 'db', aliases: ['store'], mode: 'dnsrr', tasks: [task('db', 1, 'ddd', '10.0.1.8'), task('db', 2, 'eee', '10.0.1.9')] },
    { id: 's3', name: 'idle', aliases: [], mode: 'dnsrr', tasks: [] },
    { id: 's4', name: 'pending', aliases: [], mode: 'vip', tasks: [task('pending', 1, 'fff', '10.0.1.10')] },
  ],
  containers: [{ name: 'plain', aliases: ['side'], addr: '10.0.1.20' }],
};

const table = buildTable(entry);
const ask = (name: string, type = 'A', seed = 1): DnsAnswer => answer(table, { name, type, class: 'IN' }, seededRandom(seed));
const addrsOf = (a: DnsAnswer): string[] => {
  assert.equal(a.kind, 'answer');
  return a.kind === 'answer' ? a.records.map((r) => r.data) : [];
};

describe('dns zone', () => {
  it('answers a vip service name and each alias with the VIP, TTL 600, echoing the name as asked', () => {
    for (const name of ['shop_web', 'web']) assert.deepEqual(addrsOf(ask(name)), ['10.0.1.2'], name);
    assert.deepEqual(ask('Shop_Web.'), { kind: 'answer', records: [{ name: 'Shop_Web', type: 'A', class: 'IN', ttl: DNS_TTL, data: '10.0.1.2' }] });
    assert.equal(DNS_TTL, 600);
  });

  it('answers a dnsrr service name and aliases with every task address', () => {
    assert.deepEqual(addrsOf(ask('db')).sort(), ['10.0.1.8', '10.0.1.9']);
    assert.deepEqual(addrsOf(ask('store')).sort(), ['10.0.1.8', '10.0.1.9']);
  });

  it('answers tasks.<name> and tasks.<alias> with every task address, shuffled with the injected Random', () => {
    const all = ['10.0.1.5', '10.0.1.6', '10.0.1.7'];
    assert.deepEqual(addrsOf(ask('tasks.shop_web')).sort(), all);
    assert.deepEqual(addrsOf(ask('tasks.web')).sort(), all);
    assert.deepEqual(addrsOf(ask('tasks.db')).sort(), ['10.0.1.8', '10.0.1.9']);
    assert.deepEqual(addrsOf(ask('tasks.web', 'A', 7)), addrsOf(ask('tasks.web', 'A', 7)), 'same seed, same order');
    const orders = new Set<string>();
    for (let seed = 0; seed < 40; seed++) orders.add(addrsOf(ask('tasks.web', 'A', seed)).join(','));
    assert.ok(orders.size > 1, 'different seeds give different orders');
    assert.deepEqual(addrsOf(ask('tasks.pending')), ['10.0.1.10'], 'a vip service without a VIP yet still has tasks.<name>');
  });

  it('answers a task name with its own address, and a plain container name and alias with its address', () => {
    assert.deepEqual(addrsOf(ask('shop_web.2.bbb')), ['10.0.1.6']);
    assert.deepEqual(addrsOf(ask('DB.1.DDD')), ['10.0.1.8']);
    assert.deepEqual(addrsOf(ask('plain')), ['10.0.1.20']);
    assert.deepEqual(addrsOf(ask('side.')), ['10.0.1.20']);
  });

  it('answers NODATA (not NXDOMAIN) for other types of a known name', () => {
    for (const name of ['web', 'tasks.web', 'db', 'shop_web.1.aaa', 'plain']) {
      for (const type of ['AAAA', 'MX', 'TXT', 'ANY', 'UNKNOWN_65']) assert.deepEqual(ask(name, type), { kind: 'nodata' }, `${type} ${name}`);
    }
    assert.deepEqual(ask(reverseName('10.0.1.5')), { kind: 'nodata' }, 'A for a known reverse name');
  });

  it('answers PTR for task and container addresses with <name>.<network>, and forwards other reverse lookups', () => {
    assert.equal(reverseName('10.0.1.5'), '5.1.0.10.in-addr.arpa');
    assert.deepEqual(ask('5.1.0.10.in-addr.arpa', 'PTR'), {
      kind: 'answer',
      records: [{ name: '5.1.0.10.in-addr.arpa', type: 'PTR', class: 'IN', ttl: 600, data: 'shop_web.1.aaa.web_net' }],
    });
    assert.deepEqual(addrsOf(ask('20.1.0.10.IN-ADDR.ARPA.', 'PTR')), ['plain.web_net']);
    assert.deepEqual(ask('2.1.0.10.in-addr.arpa', 'PTR'), { kind: 'forward' }, 'a VIP has no PTR (as in libnetwork)');
    assert.deepEqual(ask('8.8.8.8.in-addr.arpa', 'PTR'), { kind: 'forward' });
    assert.deepEqual(ask('web', 'PTR'), { kind: 'nodata' });
  });

  it('forwards unknown names, names with no address, and non-IN classes', () => {
    for (const name of ['example.com', 'tasks.idle', 'idle', 'pending', 'tasks.nothing', 'web.web_net', '']) {
      assert.deepEqual(ask(name), { kind: 'forward' }, name);
    }
    assert.deepEqual(answer(table, { name: 'web', type: 'A', class: 'CH' }, seededRandom(1)), { kind: 'forward' });
    assert.deepEqual(addrsOf(answer(table, { name: 'web', type: 'A' }, seededRandom(1))), ['10.0.1.2'], 'class absent means IN');
  });

  it('merges a name claimed twice without duplicates', () => {
    const t = buildTable({
      network: { Name: 'n' },
      services: [{ id: 'a', name: 'x', aliases: ['y'], mode: 'dnsrr', tasks: [task('x', 1, 'a1', '10.0.0.5')] }],
      containers: [{ name: 'y', aliases: ['x'], addr: '10.0.0.9' }, { name: 'z', aliases: ['x'], addr: '10.0.0.5' }],
    });
    assert.deepEqual([...(t.names.get('x') ?? [])].sort(), ['10.0.0.5', '10.0.0.9']);
    assert.deepEqual([...(t.names.get('y') ?? [])].sort(), ['10.0.0.5', '10.0.0.9']);
    assert.equal(t.ptr.get(reverseName('10.0.0.5')), 'x.1.a1.n', 'the first owner of an address keeps its PTR');
  });

  it('refuses a malformed address, naming the field', () => {
    const bad = (e: ZoneEntry, field: RegExp): void =>
      assert.throws(() => buildTable(e), (err: unknown) => isShoalError(err, 'InvalidArgument') && field.test(err.message));
    bad({ network: { Name: 'n' }, services: [{ id: 'a', name: 'x', aliases: [], mode: 'vip', vip: '10.0.0.300', tasks: [] }] }, /services\[0\] \(x\)\.vip/);
    bad({ network: { Name: 'n' }, services: [{ id: 'a', name: 'x', aliases: [], mode: 'vip', tasks: [task('x', 1, 't', '10.0.0.5/24')] }] }, /services\[0\] \(x\)\.tasks\[0\]\.addr/);
    bad({ network: { Name: 'n' }, services: [], containers: [{ name: 'c', aliases: [], addr: 'nope' }] }, /containers\[0\] \(c\)\.addr/);
  });
});
