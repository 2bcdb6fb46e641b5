import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { renderNodeRuleset, renderSandboxDns } from './ruleset.js';
import type { NodeRulesetInput } from './ruleset.js';

const input = (): NodeRulesetInput => ({
  table: 'shoal-t1',
  bridges: [
    { name: 'shl2', subnet: '10.77.2.0/24', internal: false },
    { name: 'shl1', subnet: '10.77.1.0/24', internal: false },
    { name: 'shl3', subnet: '10.77.3.0/24', internal: true },
  ],
  vips: [
    { vip: '10.77.2.3', bridge: 'shl2', snat: '10.77.2.2', endpoints: [] },
    { vip: '10.77.1.3', bridge: 'shl1', snat: '10.77.1.2', endpoints: ['10.77.1.12', '10.77.1.10', '10.77.1.11'] },
  ],
  ingress: [
    { protocol: 'udp', port: 8080, target: 53, bridge: 'shl1', snat: '10.77.1.2', endpoints: ['10.77.1.10'] },
    { protocol: 'tcp', port: 8080, target: 80, bridge: 'shl1', snat: '10.77.1.2', endpoints: ['10.77.1.10', '10.77.1.11', '10.77.1.12'] },
  ],
  hostPorts: [{ protocol: 'tcp', port: 8081, target: 80, addr: '10.77.2.10' }],
});

// The whole text for input(): read it like code when it changes.
const GOLDEN = `# Shoal node ruleset: generated, replaced as a whole by one nft -f.
table ip shoal-t1 {}
delete table ip shoal-t1
table ip shoal-t1 {
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		iifname . ip daddr vmap { "shl1" . 10.77.1.3 : goto vip_10_77_1_3, "shl2" . 10.77.2.3 : goto no_endpoints }
		fib daddr type local meta l4proto . th dport vmap { tcp . 8080 : goto ingress_tcp_8080, tcp . 8081 : goto host_tcp_8081, udp . 8080 : goto ingress_udp_8080 }
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr vmap { 10.77.1.3 : goto vip_10_77_1_3, 10.77.2.3 : goto no_endpoints }
		fib daddr type local meta l4proto . th dport vmap { tcp . 8080 : goto ingress_tcp_8080, tcp . 8081 : goto host_tcp_8081_local, udp . 8080 : goto ingress_udp_8080 }
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		oifname "shl1" ct mark 0x53480001 snat to 10.77.1.2
		oifname "shl2" ct mark 0x53480001 snat to 10.77.2.2
		ct mark 0x53480002 masquerade
		ip saddr { 10.77.1.0/24, 10.77.2.0/24 } oifname != { "shl1", "shl2", "shl3" } masquerade
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established,related accept
		iifname "shl1" oifname "shl1" accept
		iifname "shl2" oifname "shl2" accept
		iifname "shl3" oifname "shl3" accept
		iifname "shl3" drop
		oifname "shl3" drop
		ct status dnat oifname { "shl1", "shl2", "shl3" } accept
		oifname { "shl1", "shl2", "shl3" } drop
	}
	chain no_endpoints {
		meta l4proto tcp reject with tcp reset
		reject
	}
	chain vip_10_77_1_3 {
		ct mark set 0x53480001
		dnat to numgen random mod 3 map { 0 : 10.77.1.10, 1 : 10.77.1.11, 2 : 10.77.1.12 }
	}
	chain ingress_tcp_8080 {
		ct mark set 0x53480001
		meta l4proto tcp dnat to numgen random mod 3 map { 0 : 10.77.1.10, 1 : 10.77.1.11, 2 : 10.77.1.12 }:80
	}
	chain ingress_udp_8080 {
		ct mark set 0x53480001
		meta l4proto udp dnat to 10.77.1.10:53
	}
	chain host_tcp_8081 {
		meta l4proto tcp dnat to 10.77.2.10:80
	}
	chain host_tcp_8081_local {
		ct mark set 0x53480002
		meta l4proto tcp dnat to 10.77.2.10:80
	}
}
`;

function rejects(mutate: (i: NodeRulesetInput) => void, field: string, fragment: string): void {
  const i = input();
  mutate(i);
  assert.throws(
    () => renderNodeRuleset(i),
    (e: unknown) => {
      assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
      assert.ok(e.message.startsWith(`${field}: `), `${e.message} should name ${field}`);
      assert.ok(e.message.includes(fragment), `${e.message} should include ${fragment}`);
      return true;
    },
  );
}

describe('renderNodeRuleset', () => {
  it('renders the whole table: VIP and ingress numgen maps, host ports, SNAT by bridge, isolation', () => {
    assert.equal(renderNodeRuleset(input()), GOLDEN);
  });

  it('is deterministic: the order of bridges, VIPs, ports and endpoints does not matter', () => {
    const i = input();
    i.bridges.reverse();
    i.vips.reverse();
    i.ingress.reverse();
    for (const v of i.vips) v.endpoints.reverse();
    for (const e of i.ingress) e.endpoints.reverse();
    assert.equal(renderNodeRuleset(i), GOLDEN);
    const dup = input();
    dup.vips[1]?.endpoints.push('10.77.1.10');
    assert.equal(renderNodeRuleset(dup), GOLDEN, 'a repeated endpoint is counted once');
  });

  it('starts with create + delete of the table so one nft -f replaces it atomically', () => {
    const lines = renderNodeRuleset(input()).split('\n');
    assert.deepEqual(lines.slice(1, 4), ['table ip shoal-t1 {}', 'delete table ip shoal-t1', 'table ip shoal-t1 {']);
    assert.equal(lines.filter((l) => l.startsWith('table ')).length, 2);
  });

  it('renders a node with nothing on it as empty base chains and no empty sets or maps', () => {
    const text = renderNodeRuleset({ table: 'empty', bridges: [], vips: [], ingress: [], hostPorts: [] });
    assert.ok(!/\{ \}/.test(text), text);
    assert.ok(!text.includes('vmap'), text);
    assert.match(text, /chain forward \{\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tct state established,related accept\n\t\}/);
    assert.match(text, /chain postrouting \{\n\t\ttype nat hook postrouting priority 100; policy accept;\n\t\tct mark 0x53480002 masquerade\n\t\}/);
  });

  it('sends VIPs and ingress ports with no endpoints to the reject chain, and renders no balancing chain for them', () => {
    const i = input();
    for (const v of i.vips) v.endpoints = [];
    for (const e of i.ingress) e.endpoints = [];
    const text = renderNodeRuleset(i);
    assert.ok(text.includes('"shl1" . 10.77.1.3 : goto no_endpoints'));
    assert.ok(text.includes('tcp . 8080 : goto no_endpoints'));
    assert.ok(!text.includes('chain vip_'));
    assert.ok(!text.includes('chain ingress_'));
    assert.ok(!text.includes('numgen'));
  });

  it('masquerades only non-internal subnets, and only towards non-Shoal interfaces', () => {
    const i = input();
    for (const b of i.bridges) b.internal = true;
    i.vips = [];
    i.ingress = [];
    const text = renderNodeRuleset(i);
    assert.ok(!text.includes('ip saddr'), text);
    assert.ok(text.includes('iifname { "shl1", "shl2", "shl3" } drop'));
  });

  it('refuses bad input naming the field, before rendering anything', () => {
    rejects((i) => (i.table = 'bad name'), 'table', 'not a valid nft table name');
    rejects((i) => (i.table = '1abc'), 'table', 'not a valid nft table name');
    rejects((i) => ((i.bridges[0] as { name: string }).name = 'a"b'), 'bridges[0].name', 'not an interface name');
    rejects((i) => ((i.bridges[0] as { name: string }).name = 'x'.repeat(16)), 'bridges[0].name', 'not an interface name');
    rejects((i) => i.bridges.push({ name: 'shl1', subnet: '10.9.0.0/24', internal: false }), 'bridges[3].name', 'listed twice');
    rejects((i) => ((i.bridges[0] as { subnet: string }).subnet = '10.77.2.1/24'), 'bridges[0].subnet', 'not a subnet');
    rejects((i) => i.bridges.push({ name: 'shl9', subnet: '10.77.0.0/16', internal: false }), 'bridges[3].subnet', 'overlaps');
    rejects((i) => ((i.vips[0] as { vip: string }).vip = '10.77.2.300'), 'vips[0].vip', 'not an IPv4 address');
    rejects((i) => ((i.vips[0] as { vip: string }).vip = '10.77.1.3'), 'vips[0].vip', 'not within the bridge subnet 10.77.2.0/24');
    rejects((i) => ((i.vips[0] as { bridge: string }).bridge = 'nope'), 'vips[0].bridge', 'not one of the bridges');
    rejects((i) => i.vips.push({ vip: '10.77.1.3', bridge: 'shl1', snat: '10.77.1.2', endpoints: [] }), 'vips[2].vip', 'listed twice');
    rejects((i) => (i.vips[1]?.endpoints.push('10.77.2.10')), 'vips[1].endpoints[3]', 'not within the bridge subnet');
    rejects((i) => (i.vips[1]?.endpoints.push('x')), 'vips[1].endpoints[3]', 'not an IPv4 address');
    rejects((i) => ((i.ingress[0] as { snat: string }).snat = '10.77.1.4'), 'ingress[0].snat', 'differs from 10.77.1.2');
    rejects((i) => ((i.ingress[0] as { port: number }).port = 0), 'ingress[0].port', 'not a port');
    rejects((i) => ((i.ingress[0] as { target: number }).target = 65536), 'ingress[0].target', 'not a port');
    rejects((i) => ((i.ingress[0] as { protocol: string }).protocol = 'sctp'), 'ingress[0].protocol', 'not tcp or udp');
    rejects((i) => i.hostPorts.push({ protocol: 'tcp', port: 8080, target: 80, addr: '10.77.2.10' }), 'hostPorts[1]', 'port 8080/tcp is already published by ingress[1]');
    rejects((i) => ((i.hostPorts[0] as { addr: string }).addr = '10.77.2'), 'hostPorts[0].addr', 'not an IPv4 address');
    rejects((i) => ((i as { vips: unknown }).vips = undefined), 'vips', 'must be a list');
  });
});

describe('renderSandboxDns', () => {
  it('DNATs 127.0.0.11:53 udp and tcp to the gateway and SNATs those connections to the container address', () => {
    assert.equal(
      renderSandboxDns({ gateway: '10.0.1.1', self: '10.0.1.5' }),
      `table ip shoal-dns {}
delete table ip shoal-dns
table ip shoal-dns {
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr 127.0.0.11 udp dport 53 dnat to 10.0.1.1:53
		ip daddr 127.0.0.11 tcp dport 53 dnat to 10.0.1.1:53
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		ct status dnat ct original ip daddr 127.0.0.11 snat to 10.0.1.5
	}
}
`,
    );
    assert.ok(renderSandboxDns({ gateway: '10.0.1.1', self: '10.0.1.5', table: 'other' }).startsWith('table ip other {}\ndelete table ip other\n'));
  });

  it('refuses bad addresses and table names, naming the field', () => {
    assert.throws(() => renderSandboxDns({ gateway: '10.0.1', self: '10.0.1.5' }), /^ShoalError: gateway: "10.0.1" is not an IPv4 address/);
    assert.throws(() => renderSandboxDns({ gateway: '10.0.1.1', self: '' }), /^ShoalError: self: /);
    assert.throws(() => renderSandboxDns({ gateway: '10.0.1.1', self: '10.0.1.5', table: 'a;b' }), /^ShoalError: table: /);
  });
});
