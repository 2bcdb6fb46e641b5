/**
 * Process identity across agent restarts: a PID plus its start time (field 22 of /proc/<pid>/stat, in clock
 * ticks since boot) names one process even after the PID is reused.
 */
import { readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  startTime: string;
  comm: string;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses, so fields count from the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = rest[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime, comm: text.slice(open + 1, close) };
}

export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when the process with this PID and start time still exists and is not a zombie. */
export function isAlive(pid: number, startTime: string | undefined): boolean {
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}
