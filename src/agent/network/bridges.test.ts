import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLinks, planBridges } from './bridges.js';
import type { LinkState } from './bridges.js';

const owner = 'shoal p-';
const link = (name: string, over: Partial<LinkState> = {}): LinkState => ({ name, kind: 'bridge', master: undefined, alias: owner, addrs: [], ...over });

describe('bridges', () => {
  it('parses ip -j -d addr show: IPv4 addresses, alias, kind, master', () => {
    const links = parseLinks([
      { ifname: 'shlabc', ifalias: owner, linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.0.1.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      { ifname: 'v1', master: 'shlabc', linkinfo: { info_kind: 'veth' } },
    ]);
    assert.deepEqual(links, [
      { name: 'shlabc', kind: 'bridge', master: undefined, alias: owner, addrs: ['10.0.1.1/24'] },
      { name: 'v1', kind: 'veth', master: 'shlabc', alias: undefined, addrs: [] },
    ]);
  });

  it('creates a missing bridge with the gateway first, then the other addresses', () => {
    const plan = planBridges([{ name: 'shlA', gateway: '10.0.1.1/24', extra: ['10.0.1.3/24', '10.0.1.2/32'] }], [], owner, true);
    assert.deepEqual(plan.batch, ['link add shlA type bridge', "link set shlA alias 'shoal p-' up", 'addr add 10.0.1.1/24 dev shlA', 'addr add 10.0.1.3/24 dev shlA', 'addr add 10.0.1.2/32 dev shlA']);
    assert.deepEqual(plan.created, ['shlA']);
  });

  it('adds missing and (when pruning) removes stale addresses; only pruning removes unused own bridges', () => {
    const links = [link('shlA', { addrs: ['10.0.1.1/24', '10.0.1.9/32'] }), link('shlB'), link('shlC'), link('vX', { kind: 'veth', master: 'shlC' }), link('shlD', { alias: 'shoal other-' })];
    const want = [{ name: 'shlA', gateway: '10.0.1.1/24', extra: ['10.0.1.2/32'] }];
    assert.deepEqual(planBridges(want, links, owner, false).batch, ['addr add 10.0.1.2/32 dev shlA']);
    const pruned = planBridges(want, links, owner, true);
    assert.deepEqual(pruned.batch, ['addr add 10.0.1.2/32 dev shlA', 'addr del 10.0.1.9/32 dev shlA', 'link del shlB']);
    assert.deepEqual(pruned.removed, ['shlB'], 'shlC has a port attached; shlD belongs to another daemon');
  });
});
