/**
 * The lab's kernel network objects, through iproute2 (writes batched with `ip -batch -`): the bridge in the root
 * netns, and per node a netns with a veth pair (`shl<L>-<i>` on the bridge ↔ `eth0` inside), its address, a default
 * route via the bridge and loopback up. Root-side links carry the alias `shoal-lab <L>`. Partition and heal set the
 * root-side veth down and up. Deletions ignore objects that are already gone.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Cidr } from '../lib/cidr.js';
import { mustRun, runCommand } from './command.js';
import { LAB_LINK_ALIAS_PREFIX } from './names.js';
import { takenFromIp } from './subnet.js';

const NETNS_DIR = '/run/netns';

/** The networks the root netns routes or addresses. */
export async function hostTaken(): Promise<Cidr[]> {
  const routes = JSON.parse((await mustRun('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as unknown[];
  const addrs = JSON.parse((await mustRun('ip', ['-j', '-4', 'addr', 'show'])) || '[]') as unknown[];
  return takenFromIp(routes, addrs);
}

/** The names of the root netns's links. */
export async function linkNames(): Promise<Set<string>> {
  const links = JSON.parse((await mustRun('ip', ['-j', 'link', 'show'])) || '[]') as { ifname?: string }[];
  return new Set(links.flatMap((l) => (typeof l.ifname === 'string' ? [l.ifname] : [])));
}

export async function linkExists(name: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** `up`, `down`, `lowerlayerdown`, … (lowercase), or undefined when there is no such link. */
export async function linkOperState(name: string): Promise<string | undefined> {
  const r = await runCommand('ip', ['-j', 'link', 'show', 'dev', name]);
  if (r.code !== 0) return undefined;
  const links = JSON.parse(r.stdout || '[]') as { operstate?: string; flags?: string[] }[];
  const l = links[0];
  if (l === undefined) return undefined;
  // An administratively down link reports DOWN; one that is up reports its carrier's state.
  return l.flags?.includes('UP') === true ? (l.operstate ?? 'unknown').toLowerCase() : 'down';
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

export function netnsNamesWithPrefix(prefix: string): string[] {
  if (!existsSync(NETNS_DIR)) return [];
  return readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix));
}

export async function createBridge(bridge: string, lab: string, gatewayCidr: string): Promise<void> {
  await mustRun('ip', ['-batch', '-'], {
    input: [`link add ${bridge} type bridge`, `link set ${bridge} alias "${LAB_LINK_ALIAS_PREFIX}${lab}"`, `addr add ${gatewayCidr} dev ${bridge}`, `link set ${bridge} up`].join('\n') + '\n',
  });
}

export interface NodeLinkSpec {
  lab: string;
  netns: string;
  veth: string;
  bridge: string;
  /** `10.a.b.i/24` */
  addrCidr: string;
  gateway: string;
}

export async function createNodeNetwork(n: NodeLinkSpec): Promise<void> {
  await mustRun('ip', ['netns', 'add', n.netns]);
  await mustRun('ip', ['-batch', '-'], {
    input:
      [
        `link add ${n.veth} type veth peer name eth0 netns ${n.netns}`,
        `link set ${n.veth} alias "${LAB_LINK_ALIAS_PREFIX}${n.lab}"`,
        `link set ${n.veth} master ${n.bridge}`,
        `link set ${n.veth} up`,
      ].join('\n') + '\n',
  });
  await mustRun('ip', ['-n', n.netns, '-batch', '-'], {
    input: ['link set lo up', `addr add ${n.addrCidr} dev eth0`, 'link set eth0 up', `route add default via ${n.gateway}`].join('\n') + '\n',
  });
}

export async function setLinkUp(name: string, up: boolean): Promise<void> {
  await mustRun('ip', ['link', 'set', 'dev', name, up ? 'up' : 'down']);
}

export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name)) await mustRun('ip', ['link', 'del', 'dev', name]);
}

export async function deleteNetns(name: string): Promise<void> {
  if (netnsExists(name)) await mustRun('ip', ['netns', 'del', name]);
}

/** The PIDs of the processes in a netns (none when it does not exist). */
export async function netnsPids(name: string): Promise<number[]> {
  if (!netnsExists(name)) return [];
  const r = await runCommand('ip', ['netns', 'pids', name]);
  return r.stdout
    .split('\n')
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
}
