/**
 * Kernel object names of the host network (docs/design/networking.md "The data path"), so that the state can be
 * found again from the kernel after a daemon restart:
 * - a bridge per network: `shl<first 9 chars of the network ID>`;
 * - a netns per container: `<prefix><container id 12>` under /run/netns, `<prefix>` unique per daemon;
 * - the node-side veth end of a container's endpoint i: `v<container id 12><i in base 36>`;
 * - every link the daemon makes carries the alias `shoal <prefix>`, its ownership mark.
 */
import { createHash } from 'node:crypto';

export const BRIDGE_PREFIX = 'shl';
export const NETNS_DIR = '/run/netns';

export function bridgeName(networkId: string): string {
  return `${BRIDGE_PREFIX}${networkId.slice(0, 9)}`;
}

export function netnsName(prefix: string, containerId: string): string {
  return `${prefix}${containerId.slice(0, 12)}`;
}

export function netnsPath(prefix: string, containerId: string): string {
  return `${NETNS_DIR}/${netnsName(prefix, containerId)}`;
}

export function vethName(containerId: string, index: number): string {
  return `v${containerId.slice(0, 12)}${index.toString(36)}`;
}

/** The interface name inside the container for endpoint i. */
export function containerIfName(index: number): string {
  return `eth${index}`;
}

/** The alias (ifalias) every link this daemon makes carries. */
export function ownerAlias(prefix: string): string {
  return `shoal ${prefix}`;
}

/** A netns prefix unique per exec root, for the daemon: `shl-<6 hex of sha256(execRoot)>-`. */
export function netnsPrefixFor(execRoot: string): string {
  return `shl-${createHash('sha256').update(execRoot).digest('hex').slice(0, 6)}-`;
}
