import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../../api/types.js';
import { aTask } from '../fixtures.testkit.js';
import { aNetwork, aNetworkedService } from './fixtures.testkit.js';
import { Ipam, holderOf } from './ipam.js';
import { loadIpam, syncNetwork, syncService, syncTask } from './sync.js';

const net = aNetwork('n1', 'web_net', '10.0.1.0/24', { gateway: '10.0.1.1', nodeAddrs: { node1: '10.0.1.2/24' } });
const ingress = aNetwork('in', 'ingress', '10.0.0.0/24', { ingress: true });

function attached(t: Task, ...addrs: [string, string][]): Task {
  return { ...t, NetworksAttachments: addrs.map(([id, a]) => ({ Network: id === 'n1' ? net : ingress, Addresses: [a] })) };
}

describe('Ipam: the books rebuilt from stored objects', () => {
  it('holds node addresses, VIPs and the addresses of live tasks; ended tasks hold nothing', () => {
    const ipam = new Ipam();
    const svc = { ...aNetworkedService('s', 'web', ['n1']), Endpoint: { Spec: { Mode: 'vip' as const }, VirtualIPs: [{ NetworkID: 'n1', Addr: '10.0.1.3/24' }] } };
    loadIpam(ipam, {
      networks: [net, ingress],
      services: [svc],
      tasks: [
        attached({ ...aTask('live', 's'), Status: { Timestamp: '', State: 'running', Message: '' } }, ['n1', '10.0.1.4/24'], ['in', '10.0.0.2/24']),
        attached({ ...aTask('done', 's'), Status: { Timestamp: '', State: 'shutdown', Message: '' } }, ['n1', '10.0.1.5/24']),
      ],
    });
    assert.equal(ipam.addressOf('n1', holderOf.node('node1')), '10.0.1.2/24');
    assert.equal(ipam.addressOf('n1', holderOf.vip('s')), '10.0.1.3/24');
    assert.deepEqual([...ipam.holdings(holderOf.task('live'))], [['n1', '10.0.1.4/24'], ['in', '10.0.0.2/24']]);
    assert.deepEqual([...ipam.holdings(holderOf.task('done'))], []);
    const next = ipam.allocate('n1', holderOf.task('new'));
    assert.deepEqual(next, { ok: true, addr: '10.0.1.5/24' }, 'the ended task’s address is the lowest free one');
    assert.equal(ipam.ingress()?.Id, 'in');
    assert.equal(ipam.find('web_net')?.Id, 'n1');
  });

  it('frees a task’s addresses when it ends, and keeps what a NEW task was given in advance until it is unwanted', () => {
    const ipam = new Ipam();
    syncNetwork(ipam, net);
    const running = attached({ ...aTask('t', 's'), Status: { Timestamp: '', State: 'running', Message: '' } }, ['n1', '10.0.1.7/24']);
    assert.equal(syncTask(ipam, running), false);
    assert.equal(syncTask(ipam, { ...running, Status: { ...running.Status, State: 'failed' } }), true);
    assert.equal(ipam.addressOf('n1', holderOf.task('t')), undefined);

    const fresh = aTask('f', 's');
    ipam.allocate('n1', holderOf.task('f'));
    assert.equal(syncTask(ipam, fresh), false, 'NEW and wanted: it keeps the address planned for it');
    assert.equal(ipam.addressOf('n1', holderOf.task('f')), '10.0.1.3/24');
    assert.equal(syncTask(ipam, { ...fresh, DesiredState: 'shutdown' }), true, 'no longer wanted');
  });

  it('settles a service to its stored VIPs and a network to its stored node addresses', () => {
    const ipam = new Ipam();
    syncNetwork(ipam, net);
    const s = aNetworkedService('s', 'web', ['n1']);
    ipam.allocate('n1', holderOf.vip('s'));
    assert.equal(syncService(ipam, s), true, 'the VIP planned but never stored is given back');
    assert.equal(syncNetwork(ipam, { ...net, NodeAddrs: {} }), true, 'node1 was removed');
    assert.deepEqual([...ipam.nodeAddrs('n1')], []);
    assert.equal(syncNetwork(ipam, { ...net, NodeAddrs: { node2: '10.0.1.9/24' } }), false);
    assert.deepEqual([...ipam.nodeAddrs('n1')], [['node2', '10.0.1.9/24']]);
  });

  it('refuses an address two stored objects claim (the first keeps it) and forgets a removed network', () => {
    const ipam = new Ipam();
    syncNetwork(ipam, net);
    assert.equal(ipam.claim('n1', holderOf.task('a'), '10.0.1.2/24'), false, 'node1 has it');
    assert.equal(ipam.claim('n1', holderOf.task('a'), '10.0.1.1/24'), false, 'the gateway');
    assert.equal(ipam.claim('n1', holderOf.task('a'), '10.0.1.8/24'), true);
    assert.equal(ipam.removeNetwork('n1'), true);
    assert.deepEqual([...ipam.holdings(holderOf.task('a'))], []);
    assert.deepEqual(ipam.allocate('n1', holderOf.task('a')), { ok: false, reason: 'network n1 not found' });
  });

  it('says why it cannot allocate: a full pool, a network without a subnet', () => {
    const ipam = new Ipam();
    syncNetwork(ipam, aNetwork('tiny', 'tiny_net', '10.9.0.0/30'));
    assert.deepEqual(ipam.allocate('tiny', 'a'), { ok: true, addr: '10.9.0.2/30' });
    assert.deepEqual(ipam.allocate('tiny', 'b'), { ok: false, reason: 'could not allocate IP from IPAM: no available addresses on network tiny_net' });
    const bare = aNetwork('bare', 'bare_net', '10.9.1.0/24');
    bare.IPAM.Config = [];
    syncNetwork(ipam, bare);
    assert.deepEqual(ipam.allocate('bare', 'a'), { ok: false, reason: 'could not allocate IP from IPAM: network bare_net has no IPv4 subnet' });
  });
});
