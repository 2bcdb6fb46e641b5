import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import { allocateAddress, isLocalCreate, LOCAL_POOLS, newLocalNetwork, parseLocalNetworkCreate, planLocalIpam, subnetsOf } from './local-network.js';
import { formatCidr, overlaps, parseCidr, type Cidr } from '../lib/cidr.js';

const cidr = (s: string): Cidr => parseCidr(s) ?? assert.fail(s);
const net = (subnet: string, extra: { Gateway?: string; IPRange?: string } = {}) =>
  newLocalNetwork({ id: 'a'.repeat(64), created: '', spec: parseLocalNetworkCreate({ Name: 'n' }), ipam: { Subnet: subnet, Gateway: extra.Gateway ?? subnet.replace(/0\/\d+$/, '1'), ...(extra.IPRange ? { IPRange: extra.IPRange } : {}) } });

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

describe('local networks: the create request', () => {
  it('takes bridge or no driver as local, anything else not', () => {
    assert.equal(isLocalCreate({ Name: 'a' }), true);
    assert.equal(isLocalCreate({ Name: 'a', Driver: '' }), true);
    assert.equal(isLocalCreate({ Name: 'a', Driver: 'bridge' }), true);
    assert.equal(isLocalCreate({ Name: 'a', Driver: 'overlay' }), false);
    assert.equal(isLocalCreate({ Name: 'a', Driver: 'weave' }), false);
  });

  it('parses what docker compose sends', () => {
    const spec = parseLocalNetworkCreate({
      Name: 'proj_default',
      Driver: 'bridge',
      Scope: 'local',
      Internal: false,
      Attachable: false,
      Labels: { 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'proj' },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.254' }] },
    });
    assert.deepEqual(spec, {
      Name: 'proj_default',
      Internal: false,
      Attachable: false,
      Labels: { 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'proj' },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      IpamOptions: null,
      Ipam: { Subnet: '10.5.0.0/24', Gateway: '10.5.0.254' },
    });
  });

  it('refuses bad input naming the field', () => {
    rejects(() => parseLocalNetworkCreate({ Name: 'x', Scope: 'swarm' }), 'network.scope_invalid', /^Scope: a bridge network is local/);
    rejects(() => parseLocalNetworkCreate({ Name: 'x', Ingress: true }), 'network.ingress_bridge', /^Ingress:/);
    rejects(() => parseLocalNetworkCreate({ Name: 'bridge' }), 'network.predefined', /bridge is a pre-defined network/);
    rejects(() => parseLocalNetworkCreate({ Name: 'x', Labels: { a: 1 } }), 'network.spec_invalid', /^Labels\.a:/);
    rejects(() => parseLocalNetworkCreate({ Name: 'x', IPAM: { Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.1.0.1' }] } }), 'network.gateway_outside', /not within subnet 10\.0\.0\.0\/24/);
    rejects(() => parseLocalNetworkCreate('nope'), 'network.spec_invalid', /expected a JSON object/);
  });
});

describe('local networks: subnets', () => {
  it('hands out docker\'s local pools in order: 172.17–172.31 /16, then 192.168.0.0/16 in /20s', () => {
    const taken: Cidr[] = [];
    const got: string[] = [];
    for (let i = 0; i < 15 + 16; i++) {
      const ipam = planLocalIpam(undefined, taken);
      got.push(`${ipam.Subnet ?? ''} ${ipam.Gateway ?? ''}`);
      taken.push(cidr(ipam.Subnet ?? ''));
    }
    assert.equal(got[0], '172.17.0.0/16 172.17.0.1');
    assert.equal(got[14], '172.31.0.0/16 172.31.0.1');
    assert.equal(got[15], '192.168.0.0/20 192.168.0.1');
    assert.equal(got[30], '192.168.240.0/20 192.168.240.1');
    rejects(() => planLocalIpam(undefined, taken), 'network.pool_exhausted', /could not find an available, non-overlapping IPv4 address pool/);
    assert.equal(LOCAL_POOLS.length, 16);
  });

  it('never overlaps a taken subnet (a swarm network in the pools, a smaller explicit one), and frees reuse', () => {
    const taken = [cidr('172.17.5.0/24'), cidr('172.18.0.0/16')];
    const a = planLocalIpam(undefined, taken);
    assert.equal(a.Subnet, '172.19.0.0/16');
    for (const t of taken) assert.equal(overlaps(t, cidr(a.Subnet ?? '')), false);
    assert.equal(planLocalIpam(undefined, []).Subnet, '172.17.0.0/16');
  });

  it('takes an explicit subnet, gateway and range; refuses an overlap with docker\'s message', () => {
    assert.deepEqual(planLocalIpam({ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254', IPRange: '10.9.0.128/25' }, [cidr('172.17.0.0/16')]), {
      Subnet: '10.9.0.0/24',
      IPRange: '10.9.0.128/25',
      Gateway: '10.9.0.254',
    });
    rejects(() => planLocalIpam({ Subnet: '172.17.3.0/24' }, [cidr('172.17.0.0/16')]), 'network.overlap', /^invalid pool request: Pool overlaps with other one on this address space$/);
  });

  it('subnetsOf reads every network\'s IPAM config', () => {
    assert.deepEqual(subnetsOf([net('10.1.0.0/24'), net('10.2.0.0/16')]).map(formatCidr), ['10.1.0.0/24', '10.2.0.0/16']);
  });
});

describe('local networks: container addresses', () => {
  it('gives the lowest free address, never the network, gateway or broadcast address', () => {
    const n = net('10.1.0.0/29');
    const used: string[] = [];
    for (let i = 0; i < 5; i++) used.push(allocateAddress(n, used));
    assert.deepEqual(used, ['10.1.0.2/29', '10.1.0.3/29', '10.1.0.4/29', '10.1.0.5/29', '10.1.0.6/29']);
    rejects(() => allocateAddress(n, used), 'network.addresses_exhausted', /no available IPv4 addresses on this network's address pools: n/);
    // A freed address is handed out again, lowest first.
    assert.equal(allocateAddress(n, used.filter((u) => u !== '10.1.0.3/29')), '10.1.0.3/29');
  });

  it('stays inside IPRange, and around a gateway that is not .1', () => {
    assert.equal(allocateAddress(net('10.1.0.0/24', { IPRange: '10.1.0.128/25' }), []), '10.1.0.128/24');
    assert.equal(allocateAddress(net('10.1.0.0/24', { Gateway: '10.1.0.2' }), []), '10.1.0.1/24');
  });

  it('gives the address asked for when it is free, and refuses it otherwise', () => {
    const n = net('10.1.0.0/24');
    assert.equal(allocateAddress(n, ['10.1.0.2'], '10.1.0.9'), '10.1.0.9/24');
    rejects(() => allocateAddress(n, ['10.1.0.9/24'], '10.1.0.9'), 'network.address_in_use', /^Address already in use$/);
    rejects(() => allocateAddress(n, [], '10.1.0.1'), 'network.address_in_use', /^Address already in use$/);
    rejects(() => allocateAddress(n, [], '10.2.0.9'), 'network.address_outside', /^IPAMConfig\.IPv4Address: 10\.2\.0\.9 is not a usable address/);
    rejects(() => allocateAddress(n, [], '10.1.0.255'), 'network.address_outside', /not a usable address/);
    rejects(() => allocateAddress(n, [], 'ten'), 'network.address_invalid', /IPAMConfig\.IPv4Address: invalid address/);
  });
});
