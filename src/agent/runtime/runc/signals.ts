/**
 * Signal names and numbers as docker parses them (`SIGTERM`, `term`, `15`, `SIGRTMIN+3`), for Linux x86-64.
 */
import { invalidArgument } from '../../../api/errors.js';

const NUMBERS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/** A signal name or number → its number; refuses anything else with docker's `Invalid signal: X`. */
export function parseSignal(raw: string): number {
  const bad = (): never => {
    throw invalidArgument('signal.invalid', `Invalid signal: ${raw}`);
  };
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > SIGRTMAX) bad();
    return n;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const known = NUMBERS[name];
  if (known !== undefined) return known;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
    const n = base + off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  return bad();
}

/** The conventional name of a signal number (`15` → `SIGTERM`). */
export function signalName(n: number): string {
  for (const [name, num] of Object.entries(NUMBERS)) if (num === n) return `SIG${name}`;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n > SIGRTMIN && n <= SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return String(n);
}
