import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import type { SandboxRequest } from '../exec/network.js';
import { nodeRulesetInput } from './host-network.js';
import { renderSandboxDns } from './ruleset.js';
import { connectScript, disconnectScript, freeIface, ifacesOf, resolvConfFor, unwireScript, validateSandboxRequest, wireScript } from './sandbox.js';
import type { SandboxRecord } from './sandbox.js';

const net = (n: number, internal = false) => ({ id: `${n}bcdefghixxxxxxxxxxxxxxxx`, name: `n${n}`, subnet: `10.0.${n}.0/24`, gateway: `10.0.${n}.1`, internal, ingress: false });
const req = (over: Partial<SandboxRequest> = {}): SandboxRequest => ({
  containerId: 'a'.repeat(64),
  hostname: 'web',
  endpoints: [
    { network: net(1, true), address: '10.0.1.5/24', aliases: [] },
    { network: net(2), address: '10.0.2.5/24', aliases: [] },
  ],
  hostPorts: [],
  ...over,
});

describe('sandbox plans', () => {
  it('resolv.conf: the embedded DNS, the host search line (docker keeps it), never the host nameservers', () => {
    assert.equal(resolvConfFor('nameserver 1.1.1.1\n'), 'nameserver 127.0.0.11\noptions ndots:0\n');
    assert.equal(resolvConfFor('search a.example b.example\nnameserver 1.1.1.1\noptions rotate\n'), 'search a.example b.example\nnameserver 127.0.0.11\noptions ndots:0\n');
  });

  it('wires in one script: netns, veths into bridges, MACs, default route via the first non-internal network, DNS table', () => {
    const s = wireScript(req(), { netns: 'pfx-aaaaaaaaaaaa', hostNetns: undefined, owner: 'shoal pfx-', dnsTable: renderSandboxDns, prelude: [] });
    assert.match(s, /^set -e\nip netns add 'pfx-aaaaaaaaaaaa'\n/);
    assert.match(s, /link add vaaaaaaaaaaaa0 type veth peer name eth0 netns pfx-aaaaaaaaaaaa\nlink set vaaaaaaaaaaaa0 alias 'shoal pfx-' master shl1bcdefghi up\n/);
    assert.match(s, /link set eth1 address 02:42:0a:00:02:05\naddr add 10\.0\.2\.5\/24 dev eth1/);
    assert.match(s, /route add default via 10\.0\.2\.1\n/);
    assert.match(s, /dnat to 10\.0\.1\.1:53/);
    assert.match(s, /snat to 10\.0\.1\.5/);
    assert.match(wireScript(req(), { netns: 'p-x', hostNetns: 'node', owner: 'o', dnsTable: renderSandboxDns, prelude: [] }), /^ip -n 'node' -batch -/m);
    assert.match(unwireScript('p-x', undefined, ['vaaaaaaaaaaaa0']), /link del vaaaaaaaaaaaa0[\s\S]*ip netns del 'p-x'/);
  });

  it('refuses bad requests naming the field', () => {
    const cases: [Partial<SandboxRequest>, RegExp][] = [
      [{ containerId: 'XYZ' }, /^containerId:/],
      [{ hostname: 'a b' }, /^hostname:/],
      [{ endpoints: [] }, /^endpoints:/],
      [{ endpoints: [{ network: net(1), address: '10.0.1.1/24', aliases: [] }] }, /^endpoints\[0\]\.address: 10\.0\.1\.1\/24 is the gateway/],
      [{ endpoints: [{ network: { ...net(1), subnet: '10.0.1.0/33' }, address: '10.0.1.5/24', aliases: [] }] }, /^endpoints\[0\]\.network\.subnet/],
      [{ endpoints: [{ network: net(1), address: '10.0.1.5/24', aliases: [] }, { network: net(1), address: '10.0.1.6/24', aliases: [] }] }, /^endpoints\[1\]\.network\.id/],
      [{ hostPorts: [{ protocol: 'sctp' as 'tcp', published: 1, target: 1 }] }, /^hostPorts\[0\]\.protocol/],
      [{ hostPorts: [{ protocol: 'tcp', published: 80, target: 0 }] }, /^hostPorts\[0\]\.target/],
      [{ hostPorts: [{ protocol: 'tcp', published: 80, target: 1 }, { protocol: 'tcp', published: 80, target: 2 }] }, /^hostPorts\[1\]\.published: port 80\/tcp is published twice/],
    ];
    for (const [over, re] of cases) {
      assert.throws(() => validateSandboxRequest(req(over)), (e: unknown) => isShoalError(e, 'InvalidArgument') && re.test(e.message), JSON.stringify(over));
    }
  });

  it('node ruleset input: bridges of the view and of sandboxes, VIPs and ingress only with a node address, host ports', () => {
    const stored = (n: number, ingress = false) => ({
      Name: `n${n}`, Id: net(n).id, Created: '', Scope: 'swarm' as const, Driver: 'overlay', EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: `10.0.${n}.0/24`, Gateway: `10.0.${n}.1` }] },
      Internal: false, Attachable: false, Ingress: ingress, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
    });
    const task = { id: 't', name: 'w.1.t', addr: '10.0.3.7', nodeId: 'n' };
    const input = nodeRulesetInput(
      't',
      {
        networks: [
          { network: stored(3, true), nodeAddr: '10.0.3.3/24', services: [{ id: 's', name: 'w', aliases: [], mode: 'vip', vip: '10.0.3.2', ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 8081, PublishMode: 'host' }], tasks: [task] }] },
          { network: stored(4), services: [{ id: 's', name: 'w', aliases: [], mode: 'vip', vip: '10.0.4.2', ports: [], tasks: [] }] },
        ],
      },
      [req({ hostPorts: [{ protocol: 'udp', published: 53, target: 5353 }] })],
    );
    assert.deepEqual(input, {
      table: 't',
      bridges: [
        { name: 'shl3bcdefghi', subnet: '10.0.3.0/24', internal: false },
        { name: 'shl4bcdefghi', subnet: '10.0.4.0/24', internal: false },
        { name: 'shl1bcdefghi', subnet: '10.0.1.0/24', internal: true },
        { name: 'shl2bcdefghi', subnet: '10.0.2.0/24', internal: false },
      ],
      vips: [{ vip: '10.0.3.2', bridge: 'shl3bcdefghi', snat: '10.0.3.3', endpoints: ['10.0.3.7'] }],
      ingress: [{ protocol: 'tcp', port: 8080, target: 80, bridge: 'shl3bcdefghi', snat: '10.0.3.3', endpoints: ['10.0.3.7'] }],
      hostPorts: [{ protocol: 'udp', port: 53, target: 5353, addr: '10.0.1.5' }],
    });
  });
  it('connect and disconnect scripts: the lowest free interface, the route and DNS table only when they move', () => {
    const o = { netns: 'pfx-aaaaaaaaaaaa', hostNetns: undefined, owner: 'shoal pfx-', dnsTable: renderSandboxDns, prelude: [] };
    const two: SandboxRecord = req();
    assert.deepEqual(ifacesOf(two), [0, 1]);
    const gap: SandboxRecord = { ...two, endpoints: [two.endpoints[1]!], ifaces: [1] };
    assert.equal(freeIface(gap), 0);
    const third = { network: net(3), address: '10.0.3.5/24', aliases: [] };
    const added: SandboxRecord = { ...gap, endpoints: [...gap.endpoints, third], ifaces: [1, 0] };
    const c = connectScript(gap, added, o);
    assert.match(c, /link add vaaaaaaaaaaaa0 type veth peer name eth0 netns pfx-aaaaaaaaaaaa/);
    assert.match(c, /addr add 10\.0\.3\.5\/24 dev eth0/);
    assert.doesNotMatch(c, /route replace/, 'the default route stays with the first routed network');
    assert.doesNotMatch(c, /nft -f/, 'the first endpoint did not change');
    assert.doesNotMatch(c, /ip netns (add|attach)/);
    // An adopted netns: attached, loopback up, the route and the DNS table for its first endpoint.
    const adopted = connectScript({ ...two, endpoints: [], ifaces: [] }, { ...two, endpoints: [third], ifaces: [0] }, { ...o, adoptPid: 4242 });
    assert.match(adopted, /ip netns attach 'pfx-aaaaaaaaaaaa' 4242\n/);
    assert.match(adopted, /link set lo up/);
    assert.match(adopted, /route replace default via 10\.0\.3\.1/);
    assert.match(adopted, /dnat to 10\.0\.3\.1:53/);
    // Removing the first (internal) endpoint: the DNS table follows; the route already went through n2.
    const d = disconnectScript(two, { ...two, endpoints: [two.endpoints[1]!], ifaces: [1] }, net(1).id, o);
    assert.match(d, /link del vaaaaaaaaaaaa0/);
    assert.doesNotMatch(d, /route replace/);
    assert.match(d, /dnat to 10\.0\.2\.1:53/);
    // Removing the routed one moves the route; the last one drops the DNS table; keepVeth leaves the link alone.
    const last = disconnectScript(gap, { ...gap, endpoints: [], ifaces: [] }, net(2).id, { ...o, keepVeth: true });
    assert.doesNotMatch(last, /link del/);
    assert.match(last, /nft delete table ip shoal-dns/);
    assert.equal(disconnectScript(two, two, 'nope', o), ':', 'not on that network: nothing to do');
  });
});
