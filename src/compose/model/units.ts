/**
 * Value syntaxes of the compose file, as pure parsers that return a reason string on bad input (the caller adds
 * file:line:col and the field): sizes (`50M` → bytes, docker's binary units), durations (Go syntax → ns), the short
 * port syntax (`[[ip:]published:]target[/proto]`, ranges expanded), the short volume syntax and shell-word splitting.
 */
import { parseDuration } from '../../lib/duration.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `50M`, `1g`, `512k`, `1.5gb`, `1024` → bytes (docker's RAMInBytes: binary multiples). */
export function parseSize(v: string | number): Parsed<number> {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? ok(v) : bad(`invalid size ${v}`);
  const m = /^(\d+(?:\.\d+)?)\s?([kmgtpb]?)(?:i?b)?$/i.exec(v.trim());
  if (m === null) return bad(`invalid size "${v}" (e.g. 512k, 50M, 1g)`);
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1;
  return ok(Math.floor(Number(m[1]) * unit));
}

/** Go duration text → ns (`1m30s`, `10s`, `500ms`); a bare 0 is accepted. */
export function parseComposeDuration(v: string | number): Parsed<number> {
  if (v === 0 || v === '0') return ok(0);
  if (typeof v === 'number') return bad(`invalid duration ${v}: a unit is required (e.g. "${v}s")`);
  const ns = parseDuration(v);
  if (ns === undefined || /^\s*[+-]/.test(v)) return bad(`invalid duration "${v}" (e.g. 10s, 1m30s, 500ms)`);
  return ok(ns);
}

export interface ShortPort {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp';
  host_ip?: string;
}

function portRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (m === null) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) return undefined;
  return [a, b];
}

function isIp(s: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((p) => Number(p) <= 255) ? true : /^[0-9a-fA-F:]+$/.test(s) && s.includes(':');
}

/** The short port syntax; a range expands to one entry per port. */
export function parseShortPort(raw: string | number): Parsed<ShortPort[]> {
  const text = String(raw);
  const invalid = (why?: string): Parsed<ShortPort[]> => bad(`invalid port "${text}"${why === undefined ? '' : `: ${why}`}`);
  let rest = text.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') return invalid(`unsupported protocol "${p}" (tcp or udp)`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') return invalid();
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
    if (!isIp(hostIp)) return invalid(`"${hostIp}" is not an IP address`);
  }
  const parts = rest.split(':');
  let pub: string | undefined;
  let tgt: string;
  if (parts.length === 1) tgt = parts[0] ?? '';
  else if (parts.length === 2) [pub, tgt] = [parts[0] ?? '', parts[1] ?? ''];
  else if (parts.length === 3 && hostIp === undefined) {
    hostIp = parts[0] ?? '';
    if (!isIp(hostIp)) return invalid(`"${hostIp}" is not an IP address`);
    [pub, tgt] = [parts[1] ?? '', parts[2] ?? ''];
  } else return invalid();
  const t = portRange(tgt);
  if (t === undefined) return invalid(tgt === '' ? 'no container port' : `"${tgt}" is not a port (1-65535) or range`);
  let p: [number, number] | undefined;
  if (pub !== undefined && pub !== '') {
    p = portRange(pub);
    if (p === undefined) return invalid(`"${pub}" is not a port (1-65535) or range`);
    if (p[1] - p[0] !== t[1] - t[0]) {
      return invalid(
        t[0] === t[1]
          ? 'a published port range mapped to one container port is not supported'
          : 'the published and container port ranges differ in size',
      );
    }
  }
  const out: ShortPort[] = [];
  for (let i = 0; i <= t[1] - t[0]; i++) {
    const e: ShortPort = { target: t[0] + i, protocol };
    if (p !== undefined) e.published = p[0] + i;
    if (hostIp !== undefined) e.host_ip = hostIp;
    out.push(e);
  }
  return ok(out);
}

export interface ShortVolume {
  source?: string;
  target: string;
  modes: string[];
}

/** `[source:]target[:mode,mode]`. */
export function parseShortVolume(text: string): Parsed<ShortVolume> {
  const parts = text.split(':');
  let source: string | undefined;
  let target: string;
  let modes: string[] = [];
  if (parts.length === 1) target = parts[0] ?? '';
  else if (parts.length === 2) {
    // `/data:ro` would be odd; a second part starting with / is a target.
    if ((parts[1] ?? '').startsWith('/')) [source, target] = [parts[0] ?? '', parts[1] ?? ''];
    else if (/^[a-zA-Z,]+$/.test(parts[1] ?? '') && (parts[0] ?? '').startsWith('/')) {
      target = parts[0] ?? '';
      modes = (parts[1] ?? '').split(',');
    } else [source, target] = [parts[0] ?? '', parts[1] ?? ''];
  } else if (parts.length === 3) {
    [source, target] = [parts[0] ?? '', parts[1] ?? ''];
    modes = (parts[2] ?? '').split(',');
  } else return bad(`invalid volume "${text}": too many ":"`);
  if (source === '') return bad(`invalid volume "${text}": empty source`);
  if (!target.startsWith('/')) return bad(`invalid volume "${text}": the container path "${target}" must be absolute`);
  for (const m of modes) {
    if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(m)) {
      return bad(`invalid volume "${text}": unknown mode "${m}"`);
    }
  }
  const v: ShortVolume = { target, modes };
  if (source !== undefined) v.source = source;
  return ok(v);
}

/** Splits a command line into words like a POSIX shell would (quotes, backslashes), without expansions. */
export function shellSplit(text: string): Parsed<string[]> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return bad(`unterminated single quote in ${JSON.stringify(text)}`);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '\\"$`\n'.includes(text[j + 1] as string)) {
          j++;
          if (text[j] !== '\n') cur += text[j];
          continue;
        }
        cur += text[j];
      }
      if (j >= text.length) return bad(`unterminated double quote in ${JSON.stringify(text)}`);
      inWord = true;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 < text.length) {
        if (text[i + 1] !== '\n') cur += text[i + 1];
        inWord = inWord || text[i + 1] !== '\n';
      }
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return ok(words);
}

/** Compose's project-name rule: lowercase, only [a-z0-9_-], no leading `_`/`-`. */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}
