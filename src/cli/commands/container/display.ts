/**
 * Small text functions of docker's formatters: Go's strconv.Quote, formatter.Ellipsis (display-width aware, "…"),
 * and Go's time.Time.String() in the local zone ("2006-01-02 15:04:05 -0700 MST").
 */
import { runeWidth } from '../../format/text-width.js';

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp === 0xfffd) out += '\\ufffd';
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** formatter.Ellipsis: at most `max` display columns, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const runes = [...s];
  if (max === 1) return runes[0] ?? '';
  if (Buffer.byteLength(s) === runes.length) {
    return runes.length <= max ? s : runes.slice(0, max - 1).join('') + '…';
  }
  const widths: number[] = [];
  let total = 0;
  for (const r of runes) {
    total += runeWidth(r) === 2 ? 2 : 1;
    widths.push(total);
  }
  if (total <= max) return s;
  for (let i = 0; i < widths.length - 1; i++) {
    if ((widths[i] as number) <= max - 1 && (widths[i + 1] as number) > max - 1) return runes.slice(0, i + 1).join('') + '…';
  }
  return s;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function zoneName(d: Date): string {
  if (d.getTimezoneOffset() === 0 && (process.env.TZ === undefined || process.env.TZ === '' || /^(UTC|Etc\/UTC|GMT)$/.test(process.env.TZ))) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** time.Unix(sec, 0).String(): "2024-05-01 10:00:00 +0200 CEST". */
export function goLocalTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const zone = `${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone} ${zoneName(d)}`;
}
