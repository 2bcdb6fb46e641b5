/** The lab's /24: the first free one from 10.213.0.0 up, reading the host's routes and addresses from `ip -j`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCidr, parseCidr, type Cidr } from '../lib/cidr.js';
import { chooseSubnet, gatewayAddr, nodeAddr, takenFromIp } from './subnet.js';

const c = (s: string): Cidr => {
  const r = parseCidr(s);
  assert.ok(r, s);
  return r;
};
const pick = (taken: string[]): string | undefined => {
  const s = chooseSubnet(taken.map(c));
  return s === undefined ? undefined : formatCidr(s);
};

describe('lab subnet', () => {
  it('starts at 10.213.0.0/24 and skips what is taken', () => {
    assert.equal(pick([]), '10.213.0.0/24');
    assert.equal(pick(['10.213.0.0/24']), '10.213.1.0/24');
    assert.equal(pick(['10.213.0.7/32', '10.213.1.0/25']), '10.213.2.0/24');
    assert.equal(pick(['10.213.0.0/16']), '10.214.0.0/24');
    assert.equal(pick(['10.213.0.0/16', '10.214.0.0/15']), '10.216.0.0/24');
  });

  it('ignores a default route but not a covering /8', () => {
    assert.equal(pick(['0.0.0.0/0']), '10.213.0.0/24');
    assert.equal(pick(['10.0.0.0/8']), undefined);
    assert.equal(pick(['10.192.0.0/10']), undefined);
  });

  it('gives node i the address .i and the bridge .254', () => {
    const s = c('10.213.4.0/24');
    assert.equal(nodeAddr(s, 1), '10.213.4.1');
    assert.equal(nodeAddr(s, 9), '10.213.4.9');
    assert.equal(gatewayAddr(s), '10.213.4.254');
  });

  it('reads routes (default skipped, bare addresses as /32) and interface addresses from ip -j', () => {
    const routes = [
      { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: '10.213.0.0/24', dev: 'shlab-lab' },
      { type: 'local', dst: '10.213.1.5', dev: 'x', table: 'local' },
      { dst: 'garbage' },
      {},
    ];
    const links = [
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'eth1', addr_info: [{ family: 'inet', local: '10.213.2.9', prefixlen: 23 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      { ifname: 'eth2' },
    ];
    assert.deepEqual(takenFromIp(routes, links).map(formatCidr), ['10.213.0.0/24', '10.213.1.5/32', '127.0.0.0/8', '10.213.2.0/23']);
    assert.equal(formatCidr(chooseSubnet(takenFromIp(routes, links)) ?? c('0.0.0.0/0')), '10.213.4.0/24');
  });
});
