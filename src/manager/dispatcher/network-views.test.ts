import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, Network, Node, Service, Task } from '../../api/types.js';
import type { TaskStateName } from '../../api/task-state.js';
import { dataPathAddrOf, NetworkViews } from './network-views.js';

const T0 = '2026-01-01T00:00:00Z';
const net = (id: string, name: string, subnet: string, ingress = false): Network => ({
  Id: id, Name: name, Created: T0, Scope: 'swarm', Driver: 'overlay', EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: subnet.replace(/0\/24$/, '1') }] },
  Internal: false, Attachable: false, Ingress: ingress, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
  Version: { Index: 1 }, NodeAddrs: { n1: subnet.replace(/0\/24$/, '250/24') },
});
const svc = (id: string, name: string, networks: string[], opts: { ports?: number[]; mode?: 'vip' | 'dnsrr'; vips?: Record<string, string> } = {}): Service => ({
  ID: id, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
  Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'x' }, Networks: networks.map((n) => ({ Target: n, Aliases: [`${name}-alias`] })) }, EndpointSpec: { Mode: opts.mode ?? 'vip' } },
  Endpoint: {
    Spec: {},
    Ports: (opts.ports ?? []).map((p) => ({ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: p, PublishMode: 'ingress' as const })),
    VirtualIPs: Object.entries(opts.vips ?? {}).map(([NetworkID, Addr]) => ({ NetworkID, Addr })),
  },
});
const task = (id: string, service: string, node: string, state: TaskStateName, desired: TaskStateName, addrs: [Network, string][], slot = 1): Task => ({
  ID: id, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0, Labels: {}, Spec: {}, ServiceID: service, Slot: slot, NodeID: node,
  Status: { Timestamp: T0, State: state, Message: '' }, DesiredState: desired,
  NetworksAttachments: addrs.map(([n, a]) => ({ Network: n, Addresses: [a] })),
});

describe('NetworkViews', () => {
  const front = net('netfront', 'front', '10.0.1.0/24');
  const back = net('netback', 'back', '10.0.2.0/24');
  const ingress = net('netingress', 'ingress', '10.0.0.0/24', true);

  it('gives a node the networks of its live tasks plus ingress, with running tasks only', () => {
    const v = new NetworkViews();
    v.load(
      [svc('s1', 'web', ['netfront'], { ports: [8080], vips: { netfront: '10.0.1.2/24', netingress: '10.0.0.2/24' } }), svc('s2', 'db', ['netback'], { mode: 'dnsrr' })],
      [front, back, ingress],
      [
        task('t1', 's1', 'n1', 'running', 'running', [[front, '10.0.1.5/24'], [ingress, '10.0.0.5/24']], 1),
        task('t2', 's1', 'n2', 'running', 'running', [[front, '10.0.1.6/24'], [ingress, '10.0.0.6/24']], 2),
        task('t3', 's1', 'n1', 'running', 'shutdown', [[front, '10.0.1.7/24'], [ingress, '10.0.0.7/24']], 3),
        task('t4', 's1', 'n1', 'starting', 'running', [[front, '10.0.1.8/24'], [ingress, '10.0.0.8/24']], 4),
        task('t5', 's2', 'n2', 'running', 'running', [[back, '10.0.2.5/24']], 1),
      ],
    );
    const n1 = v.viewFor('n1');
    assert.deepEqual(n1.networks.map((e) => e.network.Name), ['front', 'ingress']);
    const [f, i] = n1.networks;
    assert.equal(f?.nodeAddr, '10.0.1.250/24');
    assert.deepEqual(f?.services, [
      { id: 's1', name: 'web', aliases: ['web-alias'], mode: 'vip', vip: '10.0.1.2', ports: [], tasks: [
        { id: 't1', name: 'web.1.t1', addr: '10.0.1.5', nodeId: 'n1' },
        { id: 't2', name: 'web.2.t2', addr: '10.0.1.6', nodeId: 'n2' },
      ] },
    ]);
    assert.equal(i?.services[0]?.vip, '10.0.0.2');
    assert.deepEqual(i?.services[0]?.ports.map((p) => p.PublishedPort), [8080]);
    assert.deepEqual(i?.services[0]?.tasks.map((t) => t.addr), ['10.0.0.5', '10.0.0.6']);

    const n2 = v.viewFor('n2');
    assert.deepEqual(n2.networks.map((e) => e.network.Name), ['back', 'front', 'ingress']);
    const db = n2.networks[0]?.services[0];
    assert.equal(db?.mode, 'dnsrr');
    assert.equal(db?.vip, undefined);
    assert.equal(n2.networks[0]?.nodeAddr, undefined, 'no LB address allocated for n2 on back');

    assert.deepEqual(v.viewFor('n3').networks.map((e) => e.network.Name), ['ingress'], 'every node gets ingress');
  });

  it('follows events: newer versions only, removals', () => {
    const v = new NetworkViews();
    v.load([svc('s1', 'web', ['netfront'])], [front], []);
    const t = task('t1', 's1', 'n1', 'running', 'running', [[front, '10.0.1.5/24']]);
    assert.equal(v.apply('tasks', 'create', { ...t, Version: { Index: 5 } }), true);
    assert.equal(v.apply('tasks', 'update', { ...t, Version: { Index: 4 }, DesiredState: 'shutdown' }), false, 'a replayed older event is ignored');
    assert.equal(v.viewFor('n1').networks[0]?.services[0]?.tasks.length, 1);
    assert.equal(v.apply('tasks', 'update', { ...t, Version: { Index: 6 }, DesiredState: 'shutdown' }), true);
    assert.deepEqual(v.viewFor('n1').networks[0]?.services[0]?.tasks, [], 'a draining task is no longer served');
    assert.equal(v.apply('tasks', 'update', { ...t, Version: { Index: 7 }, DesiredState: 'shutdown', Status: { ...t.Status, State: 'shutdown' } }), true);
    assert.equal(v.viewFor('n1').networks.length, 0, 'a task that stopped no longer holds its network on the node');
    assert.equal(v.apply('nodes', 'update', {}), false);
    assert.equal(v.apply('services', 'remove', svc('s1', 'web', [])), true);
  });

  const node = (id: string, addr: string, state: Node['Status']['State'] = 'ready', dataPathAddr?: string): Node =>
    ({
      ID: id, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
      Spec: { Role: 'worker', Availability: 'active', Labels: {} },
      Description: { Hostname: id },
      Status: { State: state, Addr: addr },
      ...(dataPathAddr !== undefined ? { DataPathAddr: dataPathAddr } : {}),
    }) as unknown as Node;
  const withAddrs = (n: Network, addrs: Record<string, string>): Network => ({ ...n, NodeAddrs: addrs });

  it('lists peers: the other nodes that have the network (ingress: every node not down), at their data path address', () => {
    const f = withAddrs(front, { n1: '10.0.1.250/24', n2: '10.0.1.251/24' });
    const i = withAddrs(ingress, { n1: '10.0.0.250/24', n2: '10.0.0.251/24', n3: '10.0.0.252/24' });
    const v = new NetworkViews();
    v.load(
      [svc('s1', 'web', ['netfront'], { vips: { netfront: '10.0.1.2/24' } }), svc('s2', 'db', ['netback'])],
      [f, back, i],
      [
        task('t1', 's1', 'n1', 'running', 'running', [[f, '10.0.1.5/24']], 1),
        task('t2', 's1', 'n2', 'running', 'running', [[f, '10.0.1.6/24']], 2),
        task('t3', 's2', 'n2', 'running', 'running', [[back, '10.0.2.5/24']], 1),
        // A task that has ended does not hold its network on n3.
        task('t4', 's1', 'n3', 'complete', 'shutdown', [[f, '10.0.1.7/24']], 3),
        task('t5', 's1', 'n4', 'running', 'running', [[f, '10.0.1.8/24']], 4),
      ],
      [node('n1', '192.0.2.1'), node('n2', '::ffff:192.0.2.2', 'ready', '198.51.100.2'), node('n3', '192.0.2.3', 'unknown'), node('n4', '192.0.2.4', 'down'), node('n5', '')],
      [{ DataPathPort: 4800 } as Cluster],
    );
    const n1 = v.viewFor('n1');
    assert.equal(n1.dataPathPort, 4800);
    assert.equal(n1.nodeAddr, '192.0.2.1');
    const byName = new Map(n1.networks.map((e) => [e.network.Name, e.peers]));
    assert.deepEqual(byName.get('front'), [{ nodeId: 'n2', addr: '198.51.100.2', lbAddr: '10.0.1.251/24' }], 'n4 is down; n3 has no live task on front');
    assert.deepEqual(byName.get('ingress'), [
      { nodeId: 'n2', addr: '198.51.100.2', lbAddr: '10.0.0.251/24' },
      { nodeId: 'n3', addr: '192.0.2.3', lbAddr: '10.0.0.252/24' },
    ], 'every node not down (n5 has no address)');
    assert.equal(byName.has('back'), false);
    const n2 = v.viewFor('n2');
    assert.equal(n2.nodeAddr, '198.51.100.2');
    assert.deepEqual(n2.networks.find((e) => e.network.Name === 'back')?.peers, [], 'only n2 has back');
    assert.deepEqual(n2.networks.find((e) => e.network.Name === 'front')?.peers, [{ nodeId: 'n1', addr: '192.0.2.1', lbAddr: '10.0.1.250/24' }]);
    assert.equal(v.viewFor('n5').nodeAddr, undefined);
  });

  it('attached containers make their node a peer and carry their node ID', () => {
    const f: Network = { ...withAddrs(front, {}), Attachable: true, Attachments: { c1: { NodeID: 'n2', Name: 'box', Addr: '10.0.1.9/24' } } };
    const v = new NetworkViews();
    v.load([], [f], [task('t1', 's1', 'n1', 'running', 'running', [[f, '10.0.1.5/24']])], [node('n1', '192.0.2.1'), node('n2', '192.0.2.2')]);
    const e = v.viewFor('n1').networks.find((x) => x.network.Name === 'front');
    assert.deepEqual(e?.peers, [{ nodeId: 'n2', addr: '192.0.2.2' }]);
    assert.deepEqual(e?.containers, [{ name: 'box', aliases: [], addr: '10.0.1.9', nodeId: 'n2' }]);
  });

  it('node and cluster events change views only when what they carry does', () => {
    const v = new NetworkViews();
    v.load([], [ingress], [], [node('n1', '192.0.2.1')]);
    assert.equal(v.viewFor('n1').dataPathPort, 4789, 'the default without a cluster object');
    assert.equal(v.apply('nodes', 'create', { ...node('n2', '192.0.2.2'), Version: { Index: 2 } }), true);
    assert.deepEqual(v.viewFor('n1').networks[0]?.peers?.map((p) => p.nodeId), ['n2']);
    assert.equal(v.apply('nodes', 'update', { ...node('n2', '192.0.2.2'), Version: { Index: 3 }, Description: { Hostname: 'other' } }), false, 'a description change is no view change');
    assert.equal(v.apply('nodes', 'update', { ...node('n2', '192.0.2.2', 'down'), Version: { Index: 4 } }), true);
    assert.deepEqual(v.viewFor('n1').networks[0]?.peers, []);
    assert.equal(v.apply('nodes', 'update', { ...node('n2', '192.0.2.9'), Version: { Index: 3 } }), false, 'an older version is ignored');
    assert.equal(v.apply('nodes', 'update', { ...node('n2', '192.0.2.9'), Version: { Index: 5 } }), true);
    assert.deepEqual(v.viewFor('n1').networks[0]?.peers, [{ nodeId: 'n2', addr: '192.0.2.9' }]);
    assert.equal(v.apply('nodes', 'remove', node('n2', '192.0.2.9')), true);
    assert.deepEqual(v.viewFor('n1').networks[0]?.peers, []);
    assert.equal(v.apply('cluster', 'update', { DataPathPort: 4789 }), false);
    assert.equal(v.apply('cluster', 'update', { DataPathPort: 5000 }), true);
    assert.equal(v.viewFor('n1').dataPathPort, 5000);
  });

  it('a draining task is out of services[].tasks but reachable (unserved) until it stops; its node stays a peer', () => {
    const f = withAddrs(front, { n1: '10.0.1.250/24', n2: '10.0.1.251/24' });
    const web = svc('s1', 'web', ['netfront'], { vips: { netfront: '10.0.1.2/24' } });
    const t1 = task('t1', 's1', 'n1', 'running', 'running', [[f, '10.0.1.5/24']], 1);
    const t2 = task('t2', 's1', 'n2', 'running', 'running', [[f, '10.0.1.6/24']], 2);
    const v = new NetworkViews();
    v.load([web], [f], [t1, t2], [node('n1', '192.0.2.1'), node('n2', '192.0.2.2')]);
    const frontOf = (n: string) => v.viewFor(n).networks.find((e) => e.network.Name === 'front');
    assert.deepEqual(frontOf('n1')?.services[0]?.tasks.map((t) => t.id), ['t1', 't2']);
    assert.equal(frontOf('n1')?.unserved, undefined, 'every live task is served: no unserved list');

    // t2 starts draining: out of DNS and the load balancers at once, still reachable over the overlay.
    assert.equal(v.apply('tasks', 'update', { ...t2, Version: { Index: 2 }, DesiredState: 'shutdown' }), true);
    assert.deepEqual(frontOf('n1')?.services[0]?.tasks.map((t) => t.id), ['t1']);
    assert.deepEqual(frontOf('n1')?.unserved, [{ addr: '10.0.1.6', nodeId: 'n2' }]);
    assert.deepEqual(frontOf('n1')?.peers, [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.0.1.251/24' }], 'n2 stays a peer while its task drains');
    assert.ok(frontOf('n2'), 'n2 keeps the network while its task drains');
    assert.deepEqual(frontOf('n2')?.unserved, [{ addr: '10.0.1.6', nodeId: 'n2' }]);
    assert.deepEqual(frontOf('n2')?.peers?.map((p) => p.nodeId), ['n1']);
    // Desired `remove` (service removed) drains the same way.
    assert.equal(v.apply('tasks', 'update', { ...t2, Version: { Index: 3 }, DesiredState: 'remove' }), true);
    assert.deepEqual(frontOf('n1')?.unserved, [{ addr: '10.0.1.6', nodeId: 'n2' }]);

    // Once it stopped (whichever way), it is out of both, and n2 has the network no more.
    for (const [i, state] of (['shutdown', 'complete', 'failed'] as const).entries()) {
      const w = new NetworkViews();
      w.load([web], [f], [t1, { ...t2, DesiredState: 'shutdown' }], [node('n1', '192.0.2.1'), node('n2', '192.0.2.2')]);
      assert.equal(w.apply('tasks', 'update', { ...t2, Version: { Index: 10 + i }, DesiredState: 'shutdown', Status: { ...t2.Status, State: state } }), true);
      const e = w.viewFor('n1').networks.find((x) => x.network.Name === 'front');
      assert.deepEqual(e?.services[0]?.tasks.map((t) => t.id), ['t1'], state);
      assert.equal(e?.unserved, undefined, state);
      assert.deepEqual(e?.peers, [], `${state}: n2 is no peer`);
      assert.equal(w.viewFor('n2').networks.find((x) => x.network.Name === 'front'), undefined, `${state}: n2 has no front`);
    }
  });

  it('unserved lists starting tasks and tasks no service entry holds, sorted by address; only on networks in the view', () => {
    const f = withAddrs(front, { n1: '10.0.1.250/24' });
    const v = new NetworkViews();
    v.load(
      [svc('s1', 'web', ['netfront'])],
      [f, back],
      [
        task('t1', 's1', 'n1', 'running', 'running', [[f, '10.0.1.5/24']], 1),
        task('t2', 's1', 'n2', 'starting', 'running', [[f, '10.0.1.20/24']], 2),
        // A task of a service that is gone (service rm), still stopping, on two networks.
        task('t3', 'gone', 'n2', 'running', 'remove', [[f, '10.0.1.9/24'], [back, '10.0.2.9/24']], 1),
        // Not bound to a node yet: nowhere to reach it.
        { ...task('t4', 's1', 'n1', 'pending', 'running', [[f, '10.0.1.30/24']], 3), NodeID: undefined } as unknown as Task,
        task('t5', 's1', 'n2', 'rejected', 'running', [[f, '10.0.1.31/24']], 4),
      ],
      [node('n1', '192.0.2.1'), node('n2', '192.0.2.2')],
    );
    const n1 = v.viewFor('n1');
    assert.deepEqual(n1.networks.map((e) => e.network.Name), ['front'], 'not back: n1 has no task on it');
    assert.deepEqual(n1.networks[0]?.unserved, [{ addr: '10.0.1.9', nodeId: 'n2' }, { addr: '10.0.1.20', nodeId: 'n2' }]);
    assert.deepEqual(n1.networks[0]?.services[0]?.tasks.map((t) => t.id), ['t1']);
    assert.deepEqual(v.viewFor('n2').networks.map((e) => [e.network.Name, e.unserved?.map((u) => u.addr)]), [
      ['back', ['10.0.2.9']],
      ['front', ['10.0.1.9', '10.0.1.20']],
    ]);
  });

  it('dataPathAddrOf: DataPathAddr first, IPv4-mapped unwrapped, nothing for a non-IPv4 address', () => {
    assert.equal(dataPathAddrOf(node('a', '192.0.2.1', 'ready', '198.51.100.1')), '198.51.100.1');
    assert.equal(dataPathAddrOf(node('a', '::ffff:192.0.2.1')), '192.0.2.1');
    assert.equal(dataPathAddrOf(node('a', 'fe80::1')), undefined);
    assert.equal(dataPathAddrOf(node('a', '')), undefined);
    assert.equal(dataPathAddrOf(node('a', '0.0.0.0')), undefined);
    assert.equal(dataPathAddrOf(node('a', '300.1.1.1')), undefined);
  });
});
