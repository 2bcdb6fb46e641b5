/**
 * docker's timetypes.GetTimestamp for `logs --since/--until`: a Go duration ("42m") means that long before now
 * (sent as Unix seconds); an RFC 3339 date, date-time or partial time ("2013-01-02", "2013-01-02T13:23") is sent as
 * "<seconds>.<nanoseconds>", read in the local zone when it has none; a Unix timestamp passes through.
 */
import { parseDuration } from '../../../lib/duration.js';

const TS_RE = /^(\d+)(?:\.(\d{1,9}))?$/;

function fixed(ms: number, nanosWithinMs = 0): string {
  const secs = Math.floor(ms / 1000);
  const nanos = Math.round((ms - secs * 1000) * 1e6) + nanosWithinMs;
  return `${secs}.${String(nanos).padStart(9, '0')}`;
}

export function getTimestamp(value: string, nowMs: number): string {
  if (value === '') return '';
  const d = parseDuration(value);
  if (value !== '0' && d !== undefined && /[a-zµμ]$/.test(value)) return String(Math.floor((nowMs - d / 1e6) / 1000));

  const hasZone = /[zZ+]/.test(value) || (value.match(/-/g) ?? []).length === 3;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m !== null && (hasZone ? m[8] !== undefined || m[4] === undefined : m[8] === undefined)) {
    const [y, mo, da, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
    const frac = (m[7] ?? '').padEnd(9, '0');
    const extraNanos = Number(frac.slice(3));
    const ms = Number(frac.slice(0, 3));
    let t: number;
    if (m[8] === undefined) {
      t = new Date(y, mo - 1, da, h, mi, s, ms).getTime();
    } else {
      t = Date.UTC(y, mo - 1, da, h, mi, s, ms);
      if (m[8] !== 'Z' && m[8] !== 'z') {
        const sign = m[8].startsWith('-') ? -1 : 1;
        const [oh, om] = m[8].slice(1).split(':').map(Number) as [number, number];
        t -= sign * (oh * 60 + om) * 60000;
      }
    }
    return fixed(t, extraNanos);
  }
  if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse as a time`);
  if (!TS_RE.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value;
}
