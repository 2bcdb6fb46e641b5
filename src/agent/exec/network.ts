/**
 * The host networking port (docs/design/networking.md "Agent ports and modules"): what the agent needs from the
 * node's network stack to wire containers onto swarm networks. The real adapter is `HostNetwork`
 * (src/agent/network/host-network.ts, iproute2 + nftables); the fake is test/fakes/network.ts. Both pass
 * test/contracts/network.ts.
 *
 * Invariants:
 * - `createSandbox` is idempotent per containerId and all-or-nothing: when it throws, no netns, veth, record or
 *   port reservation of that container is left behind.
 * - `removeSandbox` is idempotent, and works after a daemon restart (the state is found again from the kernel and
 *   the adapter's records).
 * - `close` leaves kernel state in place (containers outlive the agent); `teardown` removes all of it.
 */
export type { NetworkViewEndpoint, NetworkViewEntry, NetworkViewService, NetworkViewTask, NodeNetworkView } from '../../api/network-view.js';
import type { NetworkViewEntry, NodeNetworkView } from '../../api/network-view.js';

/** A network as the agent wires it: from the stored `Network` (ID, name, IPAM config, Internal, Ingress, Options). */
export interface NetworkConfig {
  id: string;
  name: string;
  /** 'a.b.c.d/len' */
  subnet: string;
  /** 'a.b.c.d' */
  gateway: string;
  internal: boolean;
  ingress: boolean;
  vxlanId?: number;
}

export interface SandboxEndpoint {
  network: NetworkConfig;
  /** The container's address on the network, 'a.b.c.d/len'. */
  address: string;
  aliases: string[];
}

export interface HostPortMapping {
  protocol: 'tcp' | 'udp';
  published: number;
  target: number;
}

export interface SandboxRequest {
  containerId: string;
  hostname: string;
  /** In attachment order: eth0 is the first; the first endpoint's gateway serves DNS. */
  endpoints: SandboxEndpoint[];
  /** Host-mode published ports: DNAT of `published` on the node to the first endpoint's address:`target`. */
  hostPorts: HostPortMapping[];
}

export interface Sandbox {
  /** The netns to join through the OCI spec: `/run/netns/<prefix><container id 12>`. */
  netnsPath: string;
  /** The container's /etc/resolv.conf: nameserver 127.0.0.11 (the embedded DNS), the host's search domains. */
  resolvConf: string;
  /** '10.0.1.5\thostname' lines for the container's /etc/hosts. */
  hostsEntries: string[];
}

export interface NetworkHost {
  /** Idempotent per containerId; ensures the endpoints' bridges. Conflict when a host port is already allocated. */
  createSandbox(req: SandboxRequest): Promise<Sandbox>;
  /** Idempotent. */
  removeSandbox(containerId: string): Promise<void>;
  /**
   * `docker network connect` on a live sandbox: one more interface (the lowest free `ethN`) on `endpoint`'s network,
   * the default route through it when no other routed network has it, and DNS for its names. Idempotent per network.
   * Without a sandbox for the container: with `adopt` (a running container that has only its own private netns),
   * that netns is taken over by the container's `pid` and wired; without, nothing is done and undefined is returned
   * (the caller keeps the endpoint for the next `createSandbox`).
   */
  connectSandbox(containerId: string, endpoint: SandboxEndpoint, adopt?: { pid: number; hostname: string }): Promise<Sandbox | undefined>;
  /**
   * `docker network disconnect` on a live sandbox: its interface on that network goes, the default route and the DNS
   * table follow the remaining endpoints. Idempotent (no sandbox or no such endpoint: nothing to do). The last
   * endpoint's removal leaves the netns with loopback only.
   */
  disconnectSandbox(containerId: string, networkId: string): Promise<void>;
  /** Bridges, VIP addresses, the node ruleset, DNS zones. */
  applyView(view: NodeNetworkView, nodeId: string): Promise<void>;
  /**
   * The node's local (single-host, `bridge` driver) networks, replacing the previous set: merged with the swarm view
   * for bridges, DNS zones (each entry's `containers`: name and aliases → address) and the node ruleset.
   */
  setLocalNetworks(entries: NetworkViewEntry[]): Promise<void>;
  /** Reserves ingress ports on this node; throws Conflict naming the port when another process holds it. */
  reserveIngress(ports: HostPortMapping[]): Promise<void>;
  /** Container IDs with a sandbox (adoption, cleanup). */
  sandboxes(): Promise<string[]>;
  /** Stops DNS, releases reservations; leaves kernel state. */
  close(): Promise<void>;
  /** Removes every bridge, sandbox and table it made. */
  teardown(): Promise<void>;
  /** Resolves once every change asked for so far (views included) is applied: a task drains only after that. */
  settled(): Promise<void>;
}
