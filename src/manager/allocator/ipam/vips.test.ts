import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../api/types.js';
import { allocateEndpoints } from '../allocate.js';
import { ingress as ingressPort } from '../fixtures.testkit.js';
import { PortSpace } from '../ports/index.js';
import { aNetwork, aNetworkedService } from './fixtures.testkit.js';
import { Ipam, holderOf } from './ipam.js';
import { planNodeAddrs } from './node-addrs.js';
import { syncNetwork } from './sync.js';
import { planVips } from './vips.js';

const front = aNetwork('nf', 'front', '10.0.1.0/24');
const back = aNetwork('nb', 'back', '10.0.2.0/24', { created: '2024-01-02T00:00:00Z' });
const ing = aNetwork('in', 'ingress', '10.0.0.0/24', { ingress: true });
function ipamWith(...nets: ReturnType<typeof aNetwork>[]): Ipam {
  const ipam = new Ipam();
  for (const n of nets) syncNetwork(ipam, n);
  return ipam;
}

describe('planVips', () => {
  it('gives a vip-mode service one VIP on ingress (when it publishes ports) and on each network, and keeps them', () => {
    const ipam = ipamWith(front, back, ing);
    const svc = aNetworkedService('s', 'web', ['nf', 'nb'], { ports: [ingressPort(80)] });
    const plan = planVips(ipam, svc);
    const want = [
      { NetworkID: 'in', Addr: '10.0.0.2/24' },
      { NetworkID: 'nf', Addr: '10.0.1.2/24' },
      { NetworkID: 'nb', Addr: '10.0.2.2/24' },
    ];
    assert.deepEqual(plan, { ok: true, vips: want });
    ipam.allocate('nf', holderOf.task('t'));
    assert.deepEqual(planVips(ipam, svc), { ok: true, vips: want }, 'the same VIPs on the next pass');
    assert.deepEqual(planVips(ipam, aNetworkedService('s', 'web', ['nb'])), { ok: true, vips: [{ NetworkID: 'nb', Addr: '10.0.2.2/24' }] });
  });

  it('gives none in dnsrr mode, skips a missing network, and refuses when a pool is full', () => {
    const tiny = aNetwork('nt', 'web_net', '10.0.3.0/30');
    const ipam = ipamWith(front, tiny);
    assert.deepEqual(planVips(ipam, aNetworkedService('d', 'rr', ['nf'], { mode: 'dnsrr' })), { ok: true, vips: [] });
    assert.deepEqual(planVips(ipam, aNetworkedService('a', 'a', ['gone', 'nt'])), { ok: true, vips: [{ NetworkID: 'nt', Addr: '10.0.3.2/30' }] });
    assert.deepEqual(planVips(ipam, aNetworkedService('b', 'b', ['nt'])), { ok: false, reason: 'could not allocate IP from IPAM: no available addresses on network web_net' });
  });
});

describe('allocateEndpoints with VIPs', () => {
  it('writes ports and VIPs in one Endpoint; a service without networks is planned as before', () => {
    const ipam = ipamWith(front, ing);
    const web = aNetworkedService('s', 'web', ['nf'], { ports: [ingressPort(80)] });
    const plain = aNetworkedService('p', 'plain', []);
    const pass = allocateEndpoints(new PortSpace(), new Map<string, Service>([['s', web], ['p', plain]]), (s) => planVips(ipam, s));
    assert.deepEqual(
      pass.updates.map((u) => [u.service.ID, u.endpoint]),
      [
        [
          's',
          {
            Spec: { Mode: 'vip', Ports: [ingressPort(80)] },
            Ports: [{ ...ingressPort(80), PublishedPort: 30000 }],
            VirtualIPs: [
              { NetworkID: 'in', Addr: '10.0.0.2/24' },
              { NetworkID: 'nf', Addr: '10.0.1.2/24' },
            ],
          },
        ],
      ],
    );
    assert.deepEqual([...pass.allocated.keys()], ['p'], 'plain keeps `{"Spec":{}}`');
    const noPorts = allocateEndpoints(new PortSpace(), new Map([['q', aNetworkedService('q', 'q', ['nf'])]]), (s) => planVips(ipam, s));
    assert.deepEqual(noPorts.updates[0]?.endpoint, { Spec: {}, VirtualIPs: [{ NetworkID: 'nf', Addr: '10.0.1.3/24' }] });
  });

  it('refuses a service whose VIP cannot be had, with the reason', () => {
    const ipam = ipamWith(aNetwork('nt', 'web_net', '10.0.3.0/30'));
    ipam.allocate('nt', 'someone');
    const pass = allocateEndpoints(new PortSpace(), new Map([['s', aNetworkedService('s', 'web', ['nt'])]]), (s) => planVips(ipam, s));
    assert.deepEqual([...pass.refused], [['s', 'could not allocate IP from IPAM: no available addresses on network web_net']]);
  });
});

describe('planNodeAddrs', () => {
  it('gives every node an address on every network, and drops removed nodes', () => {
    const ipam = ipamWith(back, front);
    const plan = planNodeAddrs(ipam, ['n2', 'n1']);
    assert.deepEqual(
      plan.map((u) => [u.network.Id, u.nodeAddrs]),
      [
        ['nf', { n1: '10.0.1.2/24', n2: '10.0.1.3/24' }],
        ['nb', { n1: '10.0.2.2/24', n2: '10.0.2.3/24' }],
      ],
    );
    syncNetwork(ipam, { ...front, Version: { Index: 2 }, NodeAddrs: { n1: '10.0.1.2/24', n2: '10.0.1.3/24' } });
    const again = planNodeAddrs(ipam, ['n1', 'n2']);
    assert.deepEqual(again.map((u) => u.network.Id), ['nb'], 'front is already as planned');
    assert.deepEqual(planNodeAddrs(ipam, ['n2']).find((u) => u.network.Id === 'nf')?.nodeAddrs, { n2: '10.0.1.3/24' });
  });

  it('leaves a node without an address where the pool is full', () => {
    const ipam = ipamWith(aNetwork('nt', 'tiny', '10.0.3.0/30'));
    assert.deepEqual(planNodeAddrs(ipam, ['a', 'b'])[0]?.nodeAddrs, { a: '10.0.3.2/30' });
  });
});
