/**
 * Resource limits (setrlimit) for the container's process, clamped to the host's hard limits: runc sets them
 * as the agent's child, and without CAP_SYS_RESOURCE a hard limit above the agent's own fails the whole create
 * (`setrlimit RLIMIT_NOFILE: Operation not permitted`). The host's limits come in as data, parsed from the text
 * of /proc/self/limits, so this stays pure.
 */
import { invalidArgument } from '../../../api/errors.js';
import type { Rlimit } from '../../exec/runtime.js';
import type { OciRlimit } from './types.js';

/** RLIM_INFINITY. Serialized into config.json as 2^64-1 by `serializeOciSpec`. */
export const UNLIMITED = Number.POSITIVE_INFINITY;

/** /proc/<pid>/limits row names → the OCI rlimit type. */
const PROC_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

export const RLIMIT_TYPES: readonly string[] = Object.values(PROC_NAMES);

export interface HostLimit {
  soft: number;
  hard: number;
}

/** Host limits by OCI type (RLIMIT_NOFILE → {soft, hard}); `UNLIMITED` for "unlimited". */
export type HostLimits = Record<string, HostLimit>;

function parseValue(v: string): number {
  return v === 'unlimited' ? UNLIMITED : Number(v);
}

/** Parses the text of /proc/<pid>/limits. */
export function parseProcLimits(text: string): HostLimits {
  const out: HostLimits = {};
  for (const line of text.split('\n')) {
    for (const [name, type] of Object.entries(PROC_NAMES)) {
      if (!line.startsWith(name + ' ')) continue;
      const [soft, hard] = line.slice(name.length).trim().split(/\s+/);
      if (soft !== undefined && hard !== undefined) out[type] = { soft: parseValue(soft), hard: parseValue(hard) };
    }
  }
  return out;
}

/** A requested value as a limit: -1 and anything at or beyond 2^63 mean unlimited (docker passes -1). */
function asLimit(v: number): number {
  return v < 0 || v >= 2 ** 63 ? UNLIMITED : v;
}

/**
 * Validates the requested rlimits and clamps each to the host's hard limit for that type (soft ≤ hard kept).
 * A type the host does not report is passed through unclamped.
 */
export function clampRlimits(requested: readonly Rlimit[], host: HostLimits): OciRlimit[] {
  const seen = new Set<string>();
  return requested.map((r) => {
    if (!RLIMIT_TYPES.includes(r.type)) throw invalidArgument('rlimit.unknown', `unknown rlimit type: ${r.type}`);
    if (seen.has(r.type)) throw invalidArgument('rlimit.duplicate', `duplicate rlimit type: ${r.type}`);
    seen.add(r.type);
    let soft = asLimit(r.soft);
    let hard = asLimit(r.hard);
    if (soft > hard) {
      throw invalidArgument('rlimit.soft_above_hard', `ulimit soft limit must be less than or equal to hard limit: ${r.soft} > ${r.hard}`);
    }
    const cap = host[r.type]?.hard;
    if (cap !== undefined) {
      hard = Math.min(hard, cap);
      soft = Math.min(soft, hard);
    }
    return { type: r.type, hard, soft };
  });
}
