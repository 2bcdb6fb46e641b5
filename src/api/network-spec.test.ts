import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import { parseNetworkCreate, VXLAN_OPTION } from './network-spec.js';

/** What `docker network create -d overlay NAME` sends (API 1.47), with `extra` merged in. */
const body = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Name: 'web_net',
  Driver: 'overlay',
  Scope: '',
  IPAM: { Driver: 'default', Options: {}, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigOnly: false,
  ConfigFrom: null,
  Options: {},
  Labels: {},
  ...extra,
});

const rejects = (input: unknown, kind: string, message: RegExp | string): void => {
  assert.throws(
    () => parseNetworkCreate(input),
    (e) => isShoalError(e) && e.kind === kind && (typeof message === 'string' ? e.message === message : message.test(e.message)),
  );
};

describe('network create request', () => {
  it('parses what the docker CLI sends, with flags, labels, options and an IPAM config', () => {
    const s = parseNetworkCreate(
      body({
        Attachable: true,
        Internal: true,
        Labels: { team: 'a' },
        Options: { mtu: '1400' },
        IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254', IPRange: '10.9.0.128/25' }] },
      }),
    );
    assert.deepEqual(s, {
      Name: 'web_net',
      Internal: true,
      Attachable: true,
      Ingress: false,
      Labels: { team: 'a' },
      Options: { mtu: '1400' },
      IpamOptions: null,
      Ipam: { Subnet: '10.9.0.0/24', IPRange: '10.9.0.128/25', Gateway: '10.9.0.254' },
    });
    assert.equal(parseNetworkCreate(body({ Driver: '' })).Ipam, undefined);
    assert.equal(parseNetworkCreate({ Name: 'x', Driver: 'overlay', Scope: 'swarm' }).Name, 'x');
  });

  it('refuses drivers other than overlay, with docker\'s message for unknown plugins', () => {
    rejects(body({ Driver: 'bridge' }), 'InvalidArgument', /Driver: the bridge driver is not supported: this daemon has no local networks/);
    rejects(body({ Driver: 'macvlan' }), 'InvalidArgument', /macvlan driver is not supported/);
    rejects(body({ Driver: 'weave' }), 'NotFound', 'plugin "weave" not found');
    rejects(body({ IPAM: { Driver: 'infoblox' } }), 'NotFound', 'plugin "infoblox" not found');
    rejects(body({ Scope: 'local' }), 'InvalidArgument', /^Scope: this daemon has no local networks/);
    rejects(body({ Scope: 'galaxy' }), 'InvalidArgument', 'Scope: invalid value "galaxy" (swarm)');
  });

  it('refuses bad names, predefined names and the reserved label', () => {
    rejects(body({ Name: '' }), 'InvalidArgument', 'Name: a network name is required');
    rejects(body({ Name: 'host' }), 'FailedPrecondition', 'host is a pre-defined network and cannot be created');
    rejects(body({ Name: 'a b' }), 'InvalidArgument', /^Name: invalid network name "a b"/);
    rejects(body({ Name: 7 }), 'InvalidArgument', 'Name: expected a string, got 7');
    rejects(body({ Labels: { 'com.docker.swarm.internal': 'x' } }), 'FailedPrecondition', /^label com.docker.swarm.internal is for predefined internal networks/);
    rejects(body({ Labels: { a: 1 } }), 'InvalidArgument', 'Labels.a: expected a string, got 1');
    rejects('nope', 'InvalidArgument', /expected a JSON object/);
  });

  it('checks the subnet, gateway and range, naming each', () => {
    const ipam = (c: Record<string, unknown>): Record<string, unknown> => body({ IPAM: { Driver: 'default', Config: [c] } });
    rejects(ipam({ Subnet: '10.0.9.0/24', Gateway: '10.1.0.1' }), 'InvalidArgument', 'invalid gateway 10.1.0.1: not within subnet 10.0.9.0/24');
    rejects(ipam({ Subnet: '10.0.9.0/24', Gateway: 'ten' }), 'InvalidArgument', 'ipam configuration: invalid gateway ten');
    rejects(ipam({ Subnet: '10.0.9.0/24', Gateway: '10.0.9.255' }), 'InvalidArgument', /broadcast address/);
    rejects(ipam({ Subnet: '10.0.9.0/24', Gateway: '10.0.9.0' }), 'InvalidArgument', /network address/);
    rejects(ipam({ Subnet: '10.0.9.5/24' }), 'InvalidArgument', 'invalid subnet 10.0.9.5/24: it should be 10.0.9.0/24');
    rejects(ipam({ Subnet: '10.0.9.0/33' }), 'InvalidArgument', 'ipam configuration: invalid subnet 10.0.9.0/33');
    rejects(ipam({ Subnet: '10.0.9.0/31' }), 'InvalidArgument', /a \/31 has no room/);
    rejects(ipam({ Subnet: 'fd00::/64' }), 'InvalidArgument', /IPv6 subnets are not supported/);
    rejects(ipam({ Subnet: '10.0.9.0/24', IPRange: '10.0.10.0/25' }), 'InvalidArgument', 'ipam configuration: subnet 10.0.9.0/24 does not contain range 10.0.10.0/25');
    rejects(ipam({ Gateway: '10.0.9.1' }), 'InvalidArgument', /a gateway or IP range needs a subnet/);
    rejects(ipam({ Subnet: '10.0.9.0/24', AuxiliaryAddresses: { a: '10.0.9.9' } }), 'InvalidArgument', /AuxiliaryAddresses: auxiliary addresses are not supported/);
    rejects(body({ IPAM: { Config: [{ Subnet: '10.0.1.0/24' }, { Subnet: '10.0.2.0/24' }] } }), 'InvalidArgument', /only one subnet per network/);
  });

  it('refuses what Shoal does not do (IPv6, config-only, config-from) and impossible combinations', () => {
    rejects(body({ EnableIPv6: true }), 'InvalidArgument', /^EnableIPv6:/);
    rejects(body({ EnableIPv4: false }), 'InvalidArgument', /^EnableIPv4:/);
    rejects(body({ ConfigOnly: true }), 'InvalidArgument', /^ConfigOnly:/);
    rejects(body({ ConfigFrom: { Network: 'other' } }), 'InvalidArgument', /^ConfigFrom:/);
    rejects(body({ Ingress: true, Attachable: true }), 'InvalidArgument', /ingress network cannot be attachable/);
    rejects(body({ Options: { [VXLAN_OPTION]: '0' } }), 'InvalidArgument', /invalid VXLAN ID "0"/);
    assert.equal(parseNetworkCreate(body({ Options: { [VXLAN_OPTION]: '5000' } })).Options[VXLAN_OPTION], '5000');
  });
});
