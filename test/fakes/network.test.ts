/**
 * The NetworkHost contract on the in-memory fake.
 */
import { FakeNetworkHost, FakeNetworkMachine } from './network.js';
import { networkContract, zoneNames } from '../contracts/network.js';
import type { NetworkHarness } from '../contracts/network.js';
import { macForIp, parseIp } from '../../src/lib/cidr.js';

networkContract('fake', () => {
  const machine = new FakeNetworkMachine();
  const host = new FakeNetworkHost({ machine });
  const h: NetworkHarness = {
    host,
    probe: {
      netns: () => Promise.resolve([...machine.sandboxes.keys()].map((id) => id.slice(0, 12)).sort()),
      interfaces: (containerId) => {
        const req = machine.sandboxes.get(containerId);
        return Promise.resolve(
          (req?.endpoints ?? []).map((ep, i) => {
            return { name: `eth${i}`, addrs: [ep.address], mac: macForIp(parseIp(ep.address.split('/')[0] ?? '') ?? 0) };
          }),
        );
      },
      bridge: (networkId) => {
        const b = machine.bridges.get(networkId);
        return Promise.resolve(b ? [...b].sort() : undefined);
      },
      leftovers: () =>
        Promise.resolve([
          ...[...machine.sandboxes.keys()].map((id) => `sandbox ${id}`),
          ...[...machine.bridges.keys()].map((id) => `bridge ${id}`),
          ...[...machine.tables].map((t) => `table ${t}`),
          ...[...machine.held].map((k) => `port ${k}`),
        ]),
      zones: () =>
        Promise.resolve(
          [...machine.zones.entries()]
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([listen, e]) => ({ listen, network: e.network.Name, names: zoneNames(e) })),
        ),
    },
    reopen: () => Promise.resolve(new FakeNetworkHost({ machine })),
    cleanup: () => host.close(),
  };
  return Promise.resolve(h);
});
