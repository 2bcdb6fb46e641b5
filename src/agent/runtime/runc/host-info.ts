/**
 * What this host lets the agent give a container, read once at startup: its own rlimits (children cannot raise a
 * hard limit without CAP_SYS_RESOURCE), its bounding set (what capabilities exist to grant), its oom_score_adj
 * floor, and where the cgroup hierarchies are mounted.
 */
import { readFile } from 'node:fs/promises';
import { capabilitiesFromMask, parseProcLimits } from '../oci/index.js';
import type { OciHost } from '../oci/index.js';
import { readMountinfo } from '../rootfs/index.js';
import { cgroupMounts } from './cgroups.js';
import type { CgroupMount } from './cgroups.js';

export interface HostInfo {
  oci: OciHost;
  cgroups: CgroupMount[];
}

function statusField(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
}

export async function readHostInfo(): Promise<HostInfo> {
  const [limits, status, adj, mounts] = await Promise.all([
    readFile('/proc/self/limits', 'utf8'),
    readFile('/proc/self/status', 'utf8'),
    readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0'),
    readMountinfo(),
  ]);
  const bounding = capabilitiesFromMask(statusField(status, 'CapBnd') ?? '0');
  const effective = capabilitiesFromMask(statusField(status, 'CapEff') ?? '0');
  const oci: OciHost = { limits: parseProcLimits(limits), capabilities: bounding };
  if (!effective.includes('CAP_SYS_RESOURCE')) oci.oomScoreAdjFloor = Number(adj.trim()) || 0;
  return { oci, cgroups: cgroupMounts(mounts) };
}
