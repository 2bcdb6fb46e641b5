/**
 * The NetworkHost contract on the in-memory fake.
 */
import { FakeNetworkHost, FakeNetworkMachine } from './network.js';
import { networkContract, zoneNames } from '../contracts/network.js';
import type { NetworkHarness } from '../contracts/network.js';
import { macForIp, parseIp } from '../../src/lib/cidr.js';
import { ifacesOf } from '../../src/agent/network/sandbox.js';
import { OVERLAY_MTU } from '../../src/agent/network/overlay.js';

networkContract('fake', () => {
  const machine = new FakeNetworkMachine();
  const host = new FakeNetworkHost({ machine });
  const h: NetworkHarness = {
    host,
    probe: {
      netns: () => Promise.resolve([...machine.sandboxes.keys()].map((id) => id.slice(0, 12)).sort()),
      interfaces: (containerId) => {
        const req = machine.sandboxes.get(containerId);
        const ifaces = req === undefined ? [] : ifacesOf(req);
        return Promise.resolve(
          (req?.endpoints ?? []).map((ep, i) => {
            return { name: `eth${ifaces[i] ?? i}`, addrs: [ep.address], mac: macForIp(parseIp(ep.address.split('/')[0] ?? '') ?? 0) };
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
          ...[...machine.overlays.keys()].map((id) => `vxlan ${id}`),
        ]),
      zones: () =>
        Promise.resolve(
          [...machine.zones.entries()]
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([listen, e]) => ({ listen, network: e.network.Name, names: zoneNames(e) })),
        ),
      // A swarm overlay's interface (its network has a VNI) is wired with the overlay MTU.
      mtus: (containerId) => Promise.resolve((machine.sandboxes.get(containerId)?.endpoints ?? []).map((ep) => (ep.network.vxlanId !== undefined ? OVERLAY_MTU : 1500))),
      bridgeMac: (networkId) => Promise.resolve(machine.bridges.has(networkId) ? (machine.bridgeMacs.get(networkId) ?? 'random') : undefined),
      overlay: (networkId) => {
        const o = machine.overlays.get(networkId);
        if (o === undefined) return Promise.resolve(undefined);
        return Promise.resolve({
          vni: o.vni,
          port: o.port,
          local: o.local,
          mtu: o.mtu,
          fdb: [...o.fdb].map(([m, dst]) => `${m} ${dst}`).sort(),
          neigh: [...o.neigh].map(([ip, m]) => `${ip} ${m}`).sort(),
          bridgeMac: machine.bridgeMacs.get(networkId),
        });
      },
    },
    reopen: () => Promise.resolve(new FakeNetworkHost({ machine })),
    // The fake wires nothing into a process: any process ID stands for one.
    isolatedProcess: () => Promise.resolve({ pid: 4242, stop: () => Promise.resolve() }),
    cleanup: () => host.close(),
  };
  return Promise.resolve(h);
});
