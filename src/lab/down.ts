/**
 * `lab down` (docs/design/cluster.md "The lab"): removes every container of every node through its daemon, stops
 * the daemons by PID (SIGTERM, then SIGKILL), kills by PID whatever is left in the nodes' netns, their containers'
 * netns and their cgroups, unmounts everything under the lab's roots, removes the cgroups, the netns, the links,
 * the roots and lab.json. It works from the names alone (names.ts) when lab.json is missing or half written, and
 * checks at the end that nothing is left, naming what is.
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { internal, notFound } from '../api/errors.js';
import { createClient } from '../client/index.js';
import { containerList, containerRemove } from '../client/containers.js';
import { cgroupExists, cgroupPids, cmdlineOf, isAlive, mountsUnder, removeCgroups, signal, unmountAll, waitGone } from './host.js';
import { DEFAULT_BASES, DEFAULT_LAB_NAME, LAB_MAX_NODES, bridgeName, labDataDir, labExecDir, validateLabName, type LabBases } from './names.js';
import { deleteLink, deleteNetns, linkNames, netnsExists, netnsNamesWithPrefix, netnsPids } from './network.js';
import { nodePaths } from './plan.js';
import { listLabNames, readLabState, type LabNodeState, type LabState } from './state.js';
import { inUse } from './in-use.js';

export interface LabDownOptions {
  name?: string;
  bases?: LabBases;
  progress?: (line: string) => void;
}

export interface LabDownReport {
  name: string;
  containers: number;
  daemons: number;
  netns: number;
  mounts: number;
}

type NodeRef = Omit<LabNodeState, 'addr'> & { addr?: string };

/** Removes the containers of a running node's daemon (bounded); resolves with how many went. */
async function removeContainers(n: NodeRef, timeoutMs: number): Promise<number> {
  if (n.pid === undefined || !isAlive(n.pid)) return 0;
  const client = createClient({ host: `unix://${n.socket}` });
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let removed = 0;
  try {
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const list = (await Promise.race([containerList(client, { all: true }), timeout])) ?? [];
    for (const c of list) {
      if (Date.now() >= deadline) break;
      await containerRemove(client, c.Id, { force: true }).then(
        () => removed++,
        () => undefined,
      );
    }
  } catch {
    // the daemon does not answer: the sweep below takes its containers
  } finally {
    clearTimeout(timer);
    await client.close();
  }
  return removed;
}

/** The lab's daemon PIDs that are still the lab's (a reused PID runs something else). */
function daemonPids(nodes: readonly NodeRef[]): number[] {
  return nodes.flatMap((n) => (n.pid !== undefined && isAlive(n.pid) && cmdlineOf(n.pid).includes(n.execRoot) ? [n.pid] : []));
}

/** Takes a lab down; resolves with what it removed, throws NotFound for no such lab and Internal for leftovers. */
export async function labDown(o: LabDownOptions = {}): Promise<LabDownReport> {
  const bases = o.bases ?? DEFAULT_BASES;
  const name = o.name ?? DEFAULT_LAB_NAME;
  validateLabName(name);
  const say = o.progress ?? ((): void => undefined);
  let state: LabState | undefined;
  try {
    state = readLabState(bases, name);
  } catch (e) {
    say(`${e instanceof Error ? e.message : String(e)}: removing the lab by its names`);
  }
  if (state === undefined && (await inUse(bases, name)).length === 0) {
    const labs = listLabNames(bases);
    throw notFound('lab.not_found', `no lab named "${name}" (${labs.length === 0 ? 'there are no labs' : `labs: ${labs.join(', ')}`})`);
  }
  // Every possible node, so a half-made lab's objects are found too; the state adds PIDs.
  const nodes: NodeRef[] = Array.from({ length: LAB_MAX_NODES }, (_, i) => {
    const known = state?.nodes.find((n) => n.index === i + 1);
    return known ?? nodePaths(bases, name, i + 1);
  });
  const report: LabDownReport = { name, containers: 0, daemons: 0, netns: 0, mounts: 0 };

  // 1. Containers, through their daemons, while those still run.
  const counts = await Promise.all(nodes.map((n) => removeContainers(n, 20_000)));
  report.containers = counts.reduce((a, b) => a + b, 0);
  if (report.containers > 0) say(`removed ${report.containers} container${report.containers === 1 ? '' : 's'}`);

  // 2. The daemons, by PID.
  const daemons = daemonPids(nodes);
  for (const pid of daemons) signal(pid, 'SIGTERM');
  for (const pid of await waitGone(daemons, 10_000)) signal(pid, 'SIGKILL');
  await waitGone(daemons, 5_000);
  report.daemons = daemons.length;
  if (daemons.length > 0) say(`stopped ${daemons.length} daemon${daemons.length === 1 ? '' : 's'}`);

  // 3. Whatever else runs in the lab's netns (conmon, containers) or cgroups, by PID.
  const containerNetns = nodes.flatMap((n) => netnsNamesWithPrefix(n.containerNetnsPrefix));
  const nodeNetns = nodes.map((n) => n.netns).filter(netnsExists);
  const leftover = new Set<number>();
  for (const ns of [...containerNetns, ...nodeNetns]) for (const pid of await netnsPids(ns)) leftover.add(pid);
  for (const n of nodes) for (const pid of cgroupPids(n.cgroupParent)) leftover.add(pid);
  leftover.delete(process.pid);
  for (const pid of leftover) signal(pid, 'SIGKILL');
  await waitGone([...leftover], 5_000);

  // 4. Mounts under the roots, then cgroups, netns, links and files.
  const roots = [labDataDir(bases, name), labExecDir(bases, name)];
  const mounts = mountsUnder(roots);
  await unmountAll(mounts);
  report.mounts = mounts.length;
  for (const n of nodes) await removeCgroups(n.cgroupParent);
  for (const ns of [...containerNetns, ...nodeNetns]) await deleteNetns(ns).catch(() => undefined);
  report.netns = containerNetns.length + nodeNetns.length;
  const links = await linkNames();
  for (const link of [...nodes.map((n) => n.veth), bridgeName(name)]) if (links.has(link)) await deleteLink(link).catch(() => undefined);
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  for (const base of [bases.data, bases.exec]) {
    try {
      rmdirSync(base);
    } catch {
      // other labs live there (or it is gone)
    }
  }

  // 5. Nothing may be left.
  const left: string[] = [];
  const linksLeft = await linkNames();
  for (const n of nodes) {
    if (n.pid !== undefined && isAlive(n.pid) && cmdlineOf(n.pid).includes(n.execRoot)) left.push(`daemon PID ${n.pid}`);
    if (netnsExists(n.netns)) left.push(`netns ${n.netns}`);
    for (const ns of netnsNamesWithPrefix(n.containerNetnsPrefix)) left.push(`netns ${ns}`);
    if (linksLeft.has(n.veth)) left.push(`link ${n.veth}`);
    if (cgroupExists(n.cgroupParent)) left.push(`cgroup ${n.cgroupParent}`);
  }
  if (linksLeft.has(bridgeName(name))) left.push(`link ${bridgeName(name)}`);
  for (const m of mountsUnder(roots)) left.push(`mount ${m}`);
  for (const r of roots) if (existsSync(r)) left.push(r);
  if (left.length > 0) throw internal('lab.down_incomplete', `lab "${name}" is not fully removed; still there: ${left.join(', ')}`);
  return report;
}
