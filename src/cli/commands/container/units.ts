/**
 * docker's number formats (go-units and the CLI's opts): sizes read as RAMInBytes ("64m", "1g", "6MB": binary
 * multiples, the unit case-insensitive, "b" and "i" optional), CPU counts read as exact decimals ("0.5" →
 * 500000000 NanoCpus), sizes printed as HumanSize / HumanSizeWithPrecision (decimal units, "%.3g"), IDs truncated.
 */
import { GoFloat, sprintf } from '../../format/index.js';

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const SIZE_RE = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i;

/** go-units RAMInBytes; throws docker's "invalid size: 'x'". */
export function ramInBytes(text: string): number {
  const m = SIZE_RE.exec(text);
  if (m === null) throw new Error(`invalid size: '${text}'`);
  const num = Number.parseFloat(m[1] as string);
  if (Number.isNaN(num)) throw new Error(`invalid size: '${text}'`);
  const mul = m[2] === undefined ? 1 : (BINARY[m[2].toLowerCase()] as number);
  return Math.trunc(num * mul);
}

/** opts.ParseCPUs: an exact rational number of CPUs → nano CPUs ("value is too precise" past 9 decimals). */
export function parseCPUs(text: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`failed to parse ${text} as a rational number`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > 9) throw new Error('value is too precise');
  const nanos = BigInt(m[2] === '' ? '0' : (m[2] as string)) * 1_000_000_000n + BigInt(frac === '' ? '0' : frac.padEnd(9, '0'));
  return Number(m[1] === '-' ? -nanos : nanos);
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision: decimal units, Go's %.<precision>g ("1.24MB", "999kB", "1e+03kB"). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let v = size;
  let i = 0;
  while (v >= 1000 && i < DECIMAL_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return sprintf(`%.${precision}g%s`, [new GoFloat(v), DECIMAL_UNITS[i]]);
}

/** go-units HumanSize: 4 significant digits ("1.234MB", "0B"). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** docker's stringid.TruncateID: drop an "algo:" prefix, keep 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}
