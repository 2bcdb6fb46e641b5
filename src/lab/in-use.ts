/**
 * Whether a lab name is taken: its lab.json or roots, its bridge, any of its possible nodes' veths, netns or cgroup
 * parents. `lab up` refuses a name in use before it makes anything; `lab down` removes a lab found this way.
 */
import { existsSync } from 'node:fs';
import { cgroupExists } from './host.js';
import { bridgeName, cgroupParentOf, labDataDir, labExecDir, LAB_MAX_NODES, nodeNetnsPrefix, rootVeth, stateFile, type LabBases } from './names.js';
import { linkNames, netnsNamesWithPrefix } from './network.js';

/** What of the lab's names already exists on the host (empty when the name is free). */
export async function inUse(bases: LabBases, lab: string): Promise<string[]> {
  const found: string[] = [];
  if (existsSync(stateFile(bases, lab))) found.push(stateFile(bases, lab));
  else {
    for (const d of [labExecDir(bases, lab), labDataDir(bases, lab)]) if (existsSync(d)) found.push(d);
  }
  const links = await linkNames();
  if (links.has(bridgeName(lab))) found.push(`link ${bridgeName(lab)}`);
  for (let i = 1; i <= LAB_MAX_NODES; i++) {
    if (links.has(rootVeth(lab, i))) found.push(`link ${rootVeth(lab, i)}`);
    if (cgroupExists(cgroupParentOf(lab, i))) found.push(`cgroup ${cgroupParentOf(lab, i)}`);
  }
  for (const ns of netnsNamesWithPrefix(nodeNetnsPrefix(lab))) found.push(`netns ${ns}`);
  return found;
}

