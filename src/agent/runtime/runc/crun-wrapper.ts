/**
 * crun behind the same adapter. crun 1.8 refuses a hybrid cgroup host ("cgroups in hybrid mode not supported, drop
 * all controllers from cgroupv2"): it runs in a private mount namespace where the cgroup2 mount is gone, through a
 * small wrapper script that conmon and the adapter call in runc's place.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../../lib/atomic-file.js';
import type { CgroupMount } from './cgroups.js';

/**
 * crun refuses a hybrid host (a cgroup2 tree next to v1 hierarchies): run it in a private mount namespace where
 * the cgroup2 mount is gone. Every verb goes through the wrapper, since delete touches cgroups too. On a pure v1
 * or pure v2 host crun runs as it is.
 */
export function crunWrapper(stateRoot: string, crun: string, cgroups: readonly CgroupMount[]): string {
  const v2 = cgroups.find((c) => c.version === 2);
  const hybrid = v2 !== undefined && cgroups.some((c) => c.version === 1);
  if (!hybrid) return crun;
  const path = join(stateRoot, 'crun-hybrid');
  const q = (x: string): string => `'${x.replaceAll("'", `'\\''`)}'`;
  const script = [
    '#!/bin/sh',
    '# crun in a private mount namespace without the cgroup2 mount of this hybrid host (written by Shoal).',
    `exec unshare -m --propagation private sh -c ${q(`umount ${v2.path} 2>/dev/null; exec "$0" "$@"`)} ${q(crun)} "$@"`,
    '',
  ].join('\n');
  writeFileAtomic(path, script, 0o755);
  return path;
}
