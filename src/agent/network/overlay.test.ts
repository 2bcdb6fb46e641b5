import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Network } from '../../api/types.js';
import type { NodeNetworkView } from '../exec/network.js';
import type { LinkState } from './bridges.js';
import { bridgeMacLines, mtuArg, overlayWants, parseFdb, parseNeigh, planOverlays, vniOf } from './overlay.js';
import type { FdbState, NeighState } from './overlay.js';

const owner = 'shoal p-';
const net = (id: string, vni?: number): Network =>
  ({
    Id: id,
    Name: id,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] },
    Options: vni === undefined ? {} : { 'com.docker.network.driver.overlay.vxlanid_list': String(vni) },
  }) as unknown as Network;

const view = (over: Partial<NodeNetworkView['networks'][number]> = {}, network = net('aaaaaaaaa111', 4097)): NodeNetworkView => ({
  dataPathPort: 4789,
  nodeAddr: '192.0.2.1',
  networks: [
    {
      network,
      nodeAddr: '10.0.1.250/24',
      services: [
        {
          id: 's',
          name: 'web',
          aliases: [],
          mode: 'vip',
          vip: '10.0.1.2',
          ports: [],
          tasks: [
            { id: 't1', name: 'web.1.t1', addr: '10.0.1.5', nodeId: 'n1' },
            { id: 't2', name: 'web.2.t2', addr: '10.0.1.6', nodeId: 'n2' },
            { id: 't3', name: 'web.3.t3', addr: '10.0.1.7', nodeId: 'n9' },
          ],
        },
      ],
      peers: [{ nodeId: 'n2', addr: '192.0.2.2', lbAddr: '10.0.1.251/24' }],
      ...over,
    },
  ],
});

describe('overlay planning', () => {
  it('wants a device per network with a VNI and a peer: remote tasks and peers\' LB addresses only', () => {
    assert.deepEqual(overlayWants(view(), 'n1'), [
      {
        networkId: 'aaaaaaaaa111',
        bridge: 'shlaaaaaaaaa',
        vxlan: 'shvaaaaaaaaa',
        vni: 4097,
        port: 4789,
        local: '192.0.2.1',
        bridgeMac: '02:42:0a:00:01:fa',
        entries: [
          { ip: '10.0.1.6', mac: '02:42:0a:00:01:06', dst: '192.0.2.2' },
          { ip: '10.0.1.251', mac: '02:42:0a:00:01:fb', dst: '192.0.2.2' },
        ],
      },
    ]);
    assert.deepEqual(overlayWants(view({ peers: [] }), 'n1'), [], 'no peer: no device');
    const local = view();
    for (const e of local.networks) delete e.peers;
    assert.deepEqual(overlayWants(local, 'n1'), [], 'a local entry has no peers');
    assert.deepEqual(overlayWants(view({}, net('bbbbbbbbb', undefined)), 'n1'), [], 'no VNI: no device');
    const { dataPathPort: _unused, ...noPort } = { ...view(), dataPathPort: 4800 };
    assert.equal(overlayWants(noPort, 'n1')[0]?.port, 4789, 'no port in the view: 4789');
  });

  it('entries come from the reachable endpoints: served tasks, unserved (draining, starting) ones, containers, LB addresses', () => {
    const draining = view({
      services: [{ id: 's', name: 'web', aliases: [], mode: 'vip', vip: '10.0.1.2', ports: [], tasks: [{ id: 't1', name: 'web.1.t1', addr: '10.0.1.5', nodeId: 'n1' }] }],
      // 10.0.1.6 drains on n2; 10.0.1.8 is local (n1); 10.0.1.7 is on n9, no peer; 10.0.1.5 (served on n1) is also
      // claimed by a stale endpoint on n2; 10.0.1.9 by one on n9 (no peer) before a container on n2.
      unserved: [
        { addr: '10.0.1.5', nodeId: 'n2' },
        { addr: '10.0.1.6', nodeId: 'n2' },
        { addr: '10.0.1.7', nodeId: 'n9' },
        { addr: '10.0.1.8', nodeId: 'n1' },
        { addr: '10.0.1.9', nodeId: 'n9' },
      ],
      containers: [{ name: 'box', aliases: [], addr: '10.0.1.9', nodeId: 'n2' }],
    });
    assert.deepEqual(overlayWants(draining, 'n1')[0]?.entries, [
      { ip: '10.0.1.6', mac: '02:42:0a:00:01:06', dst: '192.0.2.2' },
      { ip: '10.0.1.9', mac: '02:42:0a:00:01:09', dst: '192.0.2.2' },
      { ip: '10.0.1.251', mac: '02:42:0a:00:01:fb', dst: '192.0.2.2' },
    ], 'a served local address is not re-pointed at a peer by a stale unserved one; a node that is no peer claims nothing');
    // The same task served or draining gives the same entries: the drain changes nothing on the data path.
    const served = overlayWants(view(), 'n1')[0]?.entries;
    const asUnserved = view({
      services: [{ id: 's', name: 'web', aliases: [], mode: 'vip', vip: '10.0.1.2', ports: [], tasks: [] }],
      unserved: [
        { addr: '10.0.1.5', nodeId: 'n1' },
        { addr: '10.0.1.6', nodeId: 'n2' },
        { addr: '10.0.1.7', nodeId: 'n9' },
      ],
    });
    assert.deepEqual(overlayWants(asUnserved, 'n1')[0]?.entries, served);
    const plan = planOverlays(overlayWants(asUnserved, 'n1'), [bridgeLink, vxlanLink()], [...fdbOf('02:42:0a:00:01:06', '192.0.2.2'), ...fdbOf('02:42:0a:00:01:fb', '192.0.2.2')], [...neighOf('10.0.1.6', '02:42:0a:00:01:06'), ...neighOf('10.0.1.251', '02:42:0a:00:01:fb')], owner);
    assert.deepEqual(plan, { before: [], after: [], fdb: [], deleted: [], created: [] }, 'a task starting to drain costs no kernel write');
    // Once it is gone from the view (stopped), its entries go.
    const gone = planOverlays(overlayWants(view({ services: [], unserved: [] }), 'n1'), [bridgeLink, vxlanLink()], [...fdbOf('02:42:0a:00:01:06', '192.0.2.2'), ...fdbOf('02:42:0a:00:01:fb', '192.0.2.2')], [...neighOf('10.0.1.6', '02:42:0a:00:01:06'), ...neighOf('10.0.1.251', '02:42:0a:00:01:fb')], owner);
    assert.deepEqual(gone.fdb, ['fdb del 02:42:0a:00:01:06 dev shvaaaaaaaaa self', 'fdb del 02:42:0a:00:01:06 dev shvaaaaaaaaa master']);
    assert.deepEqual(gone.after, ['neigh del 10.0.1.6 dev shvaaaaaaaaa', 'neigh del 10.0.1.6 dev shlaaaaaaaaa']);
  });

  it('reads VNIs and MTUs', () => {
    assert.equal(vniOf({ 'com.docker.network.driver.overlay.vxlanid_list': '4097,4098' }), 4097);
    assert.equal(vniOf({ 'com.docker.network.driver.overlay.vxlanid_list': 'x' }), undefined);
    assert.equal(vniOf({ 'com.docker.network.driver.overlay.vxlanid_list': String(1 << 24) }), undefined);
    assert.equal(vniOf(undefined), undefined);
    assert.equal(mtuArg({ vxlanId: 4097 }), ' mtu 1450');
    assert.equal(mtuArg({}), '');
  });

  it('parses bridge -j fdb show and ip -j neigh show', () => {
    assert.deepEqual(
      parseFdb([
        { mac: '02:42:0a:00:01:06', ifname: 'shvA', master: 'shlA', flags: [], state: 'static' },
        { mac: '02:42:0a:00:01:06', ifname: 'shvA', dst: '192.0.2.2', flags: ['self'], state: 'permanent' },
        { ifname: 'x' },
      ]),
      [
        { mac: '02:42:0a:00:01:06', dev: 'shvA', dst: undefined, master: 'shlA', state: 'static' },
        { mac: '02:42:0a:00:01:06', dev: 'shvA', dst: '192.0.2.2', master: undefined, state: 'permanent' },
      ],
    );
    assert.deepEqual(parseNeigh([{ dst: '10.0.1.6', dev: 'shvA', lladdr: '02:42:0a:00:01:06', state: ['PERMANENT'] }, { dst: '10.0.1.9', dev: 'shlA', state: ['STALE'] }]), [
      { ip: '10.0.1.6', dev: 'shvA', lladdr: '02:42:0a:00:01:06', permanent: true },
      { ip: '10.0.1.9', dev: 'shlA', lladdr: undefined, permanent: false },
    ]);
  });

  it('makes a new device: ip lines after the bridge plan, FDB lines for bridge -batch', () => {
    const plan = planOverlays(overlayWants(view(), 'n1'), [{ name: 'shlaaaaaaaaa', kind: 'bridge', master: undefined, alias: owner, addrs: [] }], [], [], owner);
    assert.deepEqual(plan.before, []);
    assert.deepEqual(plan.after, [
      'link add shvaaaaaaaaa type vxlan id 4097 dstport 4789 local 192.0.2.1 nolearning proxy',
      "link set shvaaaaaaaaa alias 'shoal p-' mtu 1450 master shlaaaaaaaaa up",
      'link set dev shvaaaaaaaaa type bridge_slave learning off flood off mcast_flood off',
      'neigh replace 10.0.1.6 lladdr 02:42:0a:00:01:06 dev shvaaaaaaaaa nud permanent',
      'neigh replace 10.0.1.251 lladdr 02:42:0a:00:01:fb dev shvaaaaaaaaa nud permanent',
      'neigh replace 10.0.1.6 lladdr 02:42:0a:00:01:06 dev shlaaaaaaaaa nud permanent',
      'neigh replace 10.0.1.251 lladdr 02:42:0a:00:01:fb dev shlaaaaaaaaa nud permanent',
    ]);
    assert.deepEqual(plan.fdb, [
      'fdb replace 02:42:0a:00:01:06 dev shvaaaaaaaaa dst 192.0.2.2 self permanent',
      'fdb replace 02:42:0a:00:01:06 dev shvaaaaaaaaa master static',
      'fdb replace 02:42:0a:00:01:fb dev shvaaaaaaaaa dst 192.0.2.2 self permanent',
      'fdb replace 02:42:0a:00:01:fb dev shvaaaaaaaaa master static',
    ]);
    assert.deepEqual(plan.created, ['shvaaaaaaaaa']);
  });

  const vxlanLink = (over: Partial<LinkState> = {}): LinkState => ({
    name: 'shvaaaaaaaaa',
    kind: 'vxlan',
    master: 'shlaaaaaaaaa',
    alias: owner,
    addrs: [],
    mac: '6e:00:00:00:00:01',
    vxlan: { id: 4097, port: 4789, local: '192.0.2.1' },
    ...over,
  });
  const bridgeLink: LinkState = { name: 'shlaaaaaaaaa', kind: 'bridge', master: undefined, alias: owner, addrs: [], mac: '02:42:0a:00:01:fa' };
  const fdbOf = (mac: string, dst: string): FdbState[] => [
    { mac, dev: 'shvaaaaaaaaa', dst, master: undefined, state: 'permanent' },
    { mac, dev: 'shvaaaaaaaaa', dst: undefined, master: 'shlaaaaaaaaa', state: 'static' },
  ];
  const neighOf = (ip: string, mac: string): NeighState[] => [
    { ip, dev: 'shvaaaaaaaaa', lladdr: mac, permanent: true },
    { ip, dev: 'shlaaaaaaaaa', lladdr: mac, permanent: true },
  ];

  it('writes nothing when the kernel already has it all', () => {
    const plan = planOverlays(
      overlayWants(view(), 'n1'),
      [bridgeLink, vxlanLink()],
      [...fdbOf('02:42:0a:00:01:06', '192.0.2.2'), ...fdbOf('02:42:0a:00:01:fb', '192.0.2.2'), { mac: '6e:00:00:00:00:01', dev: 'shvaaaaaaaaa', dst: undefined, master: 'shlaaaaaaaaa', state: 'permanent' }],
      [...neighOf('10.0.1.6', '02:42:0a:00:01:06'), ...neighOf('10.0.1.251', '02:42:0a:00:01:fb'), { ip: '10.0.1.5', dev: 'shlaaaaaaaaa', lladdr: '02:42:0a:00:01:05', permanent: false }],
      owner,
    );
    assert.deepEqual(plan, { before: [], after: [], fdb: [], deleted: [], created: [] });
  });

  it('removes stale entries and rewrites moved ones; leaves learned local neighbours alone', () => {
    const plan = planOverlays(
      overlayWants(view(), 'n1'),
      [bridgeLink, vxlanLink()],
      [...fdbOf('02:42:0a:00:01:06', '192.0.2.3'), ...fdbOf('02:42:0a:00:01:09', '192.0.2.2'), ...fdbOf('02:42:0a:00:01:fb', '192.0.2.2')],
      [...neighOf('10.0.1.9', '02:42:0a:00:01:09'), ...neighOf('10.0.1.6', '02:42:0a:00:01:06'), ...neighOf('10.0.1.251', '02:42:0a:00:01:fb'), { ip: '10.0.1.5', dev: 'shlaaaaaaaaa', lladdr: '02:42:0a:00:01:05', permanent: false }],
      owner,
    );
    assert.deepEqual(plan.after, ['neigh del 10.0.1.9 dev shvaaaaaaaaa', 'neigh del 10.0.1.9 dev shlaaaaaaaaa']);
    assert.deepEqual(plan.fdb, [
      'fdb del 02:42:0a:00:01:09 dev shvaaaaaaaaa self',
      'fdb del 02:42:0a:00:01:09 dev shvaaaaaaaaa master',
      'fdb replace 02:42:0a:00:01:06 dev shvaaaaaaaaa dst 192.0.2.2 self permanent',
    ]);
  });

  it('deletes a device whose network lost its last peer (and its bridge neighbours first), or re-makes one that changed', () => {
    const gone = planOverlays(overlayWants(view({ peers: [] }), 'n1'), [bridgeLink, vxlanLink(), vxlanLink({ name: 'shvother', alias: 'shoal q-' })], [], neighOf('10.0.1.6', '02:42:0a:00:01:06'), owner);
    assert.deepEqual(gone.before, ['link del shvaaaaaaaaa', 'neigh del 10.0.1.6 dev shlaaaaaaaaa']);
    assert.deepEqual(gone.deleted, ['shvaaaaaaaaa'], "another daemon's device is not touched");
    assert.deepEqual([...gone.after, ...gone.fdb], []);

    const moved = planOverlays(overlayWants({ ...view(), dataPathPort: 4800 }, 'n1'), [bridgeLink, vxlanLink()], fdbOf('02:42:0a:00:01:06', '192.0.2.2'), neighOf('10.0.1.6', '02:42:0a:00:01:06'), owner);
    assert.deepEqual(moved.before, ['link del shvaaaaaaaaa']);
    assert.equal(moved.after[0], 'link add shvaaaaaaaaa type vxlan id 4097 dstport 4800 local 192.0.2.1 nolearning proxy');
    assert.ok(moved.after.includes('neigh replace 10.0.1.6 lladdr 02:42:0a:00:01:06 dev shvaaaaaaaaa nud permanent'), 'a re-made device gets its entries again');
    assert.ok(!moved.after.includes('neigh replace 10.0.1.6 lladdr 02:42:0a:00:01:06 dev shlaaaaaaaaa nud permanent'), 'the bridge kept its own');
    assert.ok(moved.fdb.includes('fdb replace 02:42:0a:00:01:06 dev shvaaaaaaaaa dst 192.0.2.2 self permanent'));
  });

  it('sets the MAC of every swarm overlay bridge with an LB address (peers or not), only when it differs', () => {
    const lonely = view({ peers: [] });
    assert.deepEqual(bridgeMacLines(lonely, []), ['link set shlaaaaaaaaa address 02:42:0a:00:01:fa'], 'a bridge the batch makes');
    assert.deepEqual(bridgeMacLines(lonely, [{ ...bridgeLink, mac: '02:42:0a:00:01:fa' }]), []);
    assert.deepEqual(bridgeMacLines(lonely, [{ ...bridgeLink, mac: 'aa:bb:cc:dd:ee:ff' }]), ['link set shlaaaaaaaaa address 02:42:0a:00:01:fa']);
    assert.deepEqual(bridgeMacLines(view({}, net('bbbbbbbbb', undefined)), []), [], 'not a local (bridge driver) network');
    for (const e of lonely.networks) delete e.nodeAddr;
    assert.deepEqual(bridgeMacLines(lonely, []), [], 'no LB address yet');
  });
});
