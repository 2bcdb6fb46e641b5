/**
 * Host-level flag values as the docker CLI reads them: `--ulimit` (go-units ParseUlimit), `--sysctl`
 * (opts.ValidateSysctl: namespaced sysctls only), `--restart` (opts.ParseRestartPolicy) and `-a/--attach`.
 */
import type { UlimitSpec } from '../../../client/container-types.js';

const ULIMIT_NAMES = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

function ulimitValue(s: string): number {
  if (s === 'infinity') return -1;
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number(s);
}

/** `name=soft[:hard]` (hard defaults to soft, `infinity` is -1). */
export function parseUlimit(value: string): UlimitSpec {
  const eq = value.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const limits = value.slice(eq + 1).split(':');
  if (limits.length > 2) throw new Error(`too many limit value arguments - ${value.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = ulimitValue(limits[0] as string);
  const hard = limits.length === 2 ? ulimitValue(limits[1] as string) : soft;
  if (hard !== -1) {
    if (soft === -1) throw new Error(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

/** The ulimits in docker's order (UlimitOpt keeps the last value per name and sorts by name). */
export function ulimitList(values: readonly string[]): UlimitSpec[] {
  const byName = new Map<string, UlimitSpec>();
  for (const v of values) {
    const u = parseUlimit(v);
    byName.set(u.Name, u);
  }
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

const SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** opts.ValidateSysctl. */
export function validateSysctl(value: string): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? '' : value.slice(0, eq);
  if (key !== '' && (SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'))) return value;
  throw new Error(`sysctl '${value}' is not allowed`);
}

export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

/** opts.ParseRestartPolicy: `no`, `always`, `unless-stopped`, `on-failure[:N]` (the daemon validates the name). */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** `-a`: stdin, stdout or stderr, any case. */
export function validateAttach(value: string): string {
  const s = value.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}
