/**
 * Compose variable interpolation (Compose Spec "Interpolation"): `${VAR}`, `$VAR`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`; defaults and
 * alternatives may themselves hold interpolations. Applied in place to every string scalar of a located tree
 * before validation, so errors name the field. Also the `.env` / env_file parser.
 */
import { fail } from './node.js';
import type { Loc, Node } from './node.js';

export type Lookup = (name: string) => string | undefined;

/** Why interpolation failed; the caller adds the location. */
export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Interpolates one string. `unset` is called for each variable used without a value and without a default. */
export function interpolate(text: string, lookup: Lookup, unset: (name: string) => void): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format in "${text}": missing "}"`);
      out += braced(text.slice(i + 2, end), text, lookup, unset);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (m === null) {
      throw new InterpolationError(`invalid interpolation format in "${text}"; write a literal $ as $$`);
    }
    const v = lookup(m[0]);
    if (v === undefined) unset(m[0]);
    out += v ?? '';
    i += 1 + m[0].length;
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, skipping nested `${...}` and `$$`. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') {
      i++;
    } else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function braced(body: string, whole: string, lookup: Lookup, unset: (name: string) => void): string {
  const m = NAME.exec(body);
  if (m === null) throw new InterpolationError(`invalid interpolation format in "${whole}": bad variable name in "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') {
    if (value === undefined) unset(name);
    return value ?? '';
  }
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (op === null) throw new InterpolationError(`invalid interpolation format in "${whole}": unexpected "${rest}" after ${name}`);
  const arg = rest.slice(op[0].length);
  const sub = (): string => interpolate(arg, lookup, unset);
  const emptyIsUnset = op[0].startsWith(':');
  const missing = value === undefined || (emptyIsUnset && value === '');
  switch (op[0]) {
    case ':-':
    case '-':
      return missing ? sub() : (value ?? '');
    case ':?':
    case '?': {
      if (!missing) return value ?? '';
      const why = sub();
      throw new InterpolationError(`required variable ${name} is missing a value${why === '' ? '' : `: ${why}`}`);
    }
    default:
      return missing ? '' : sub();
  }
}

/** Interpolates every string scalar of a tree in place (keys are left alone). */
export function interpolateTree(node: Node, path: string, lookup: Lookup, unset: (name: string) => void): void {
  switch (node.kind) {
    case 'scalar':
      if (typeof node.value === 'string' && node.value.includes('$')) {
        try {
          const v = interpolate(node.value, lookup, unset);
          if (v !== node.value) {
            node.interpolated = true;
            delete node.source;
          }
          node.value = v;
        } catch (e) {
          if (e instanceof InterpolationError) fail(node.loc, path, e.message);
          throw e;
        }
      }
      return;
    case 'seq':
      node.items.forEach((it, i) => interpolateTree(it, `${path}[${i}]`, lookup, unset));
      return;
    case 'map':
      for (const [k, e] of node.entries) interpolateTree(e.value, path === '' ? k : `${path}.${k}`, lookup, unset);
      return;
  }
}

export interface EnvEntry {
  key: string;
  /** undefined: a bare `KEY` line (take it from the environment). */
  value: string | undefined;
  loc: Loc;
}

/**
 * Parses a `.env` / env_file: `KEY=VAL`, `export KEY=VAL`, `# comments`, blank lines, single quotes (literal),
 * double quotes (escapes `\n \t \" \\`, may span lines, interpolated), unquoted values (trimmed, ` #` starts a
 * comment, interpolated). Values may refer to earlier keys and to `lookup`.
 */
export function parseEnvFile(text: string, file: string, lookup: Lookup): EnvEntry[] {
  const out: EnvEntry[] = [];
  const seen = new Map<string, string>();
  const look: Lookup = (n) => lookup(n) ?? seen.get(n);
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): Loc => ({ file, line, col: at - lineStart + 1 });
  const src = text.replace(/\r\n/g, '\n');
  while (i < src.length) {
    // skip blanks
    while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
    if (src[i] === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (i >= src.length) break;
    const eol = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    if (src[i] === '#') {
      i = eol;
      continue;
    }
    const start = i;
    let head = src.slice(i, eol);
    if (/^export\s+/.test(head)) {
      const skip = /^export\s+/.exec(head)?.[0].length ?? 0;
      i += skip;
      head = head.slice(skip);
    }
    const km = /^([^=\s#]+)\s*(=?)\s*/.exec(head);
    const key = km?.[1] ?? '';
    if (km === null || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      fail(loc(start), 'env', `invalid variable line "${head.trim()}"`);
    }
    const at = loc(start);
    if (km[2] !== '=') {
      if (head.slice(km[0].length).trim() !== '' && !head.slice(km[0].length).trim().startsWith('#')) {
        fail(at, 'env', `invalid variable line "${head.trim()}": missing "="`);
      }
      out.push({ key, value: undefined, loc: at });
      i = eol;
      continue;
    }
    i += km[0].length;
    let value: string;
    const q = src[i];
    if (q === "'" || q === '"') {
      let j = i + 1;
      let raw = '';
      while (j < src.length && src[j] !== q) {
        if (q === '"' && src[j] === '\\' && j + 1 < src.length) {
          raw += src[j] + (src[j + 1] ?? '');
          j += 2;
          continue;
        }
        raw += src[j];
        j++;
      }
      if (j >= src.length) fail(at, key, `unterminated quoted value`);
      for (let k = i; k < j; k++) {
        if (src[k] === '\n') {
          line++;
          lineStart = k + 1;
        }
      }
      value = q === "'" ? raw : interpolateEnv(unescape(raw), at, key, look);
      const after = src.indexOf('\n', j) < 0 ? src.length : src.indexOf('\n', j);
      const trailing = src.slice(j + 1, after).trim();
      if (trailing !== '' && !trailing.startsWith('#')) fail(at, key, `unexpected characters after the quoted value`);
      i = after;
    } else {
      let raw = src.slice(i, eol);
      const hash = raw.search(/\s#/);
      if (hash >= 0) raw = raw.slice(0, hash);
      value = interpolateEnv(raw.trim(), at, key, look);
      i = eol;
    }
    seen.set(key, value);
    out.push({ key, value, loc: at });
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

function interpolateEnv(s: string, at: Loc, key: string, lookup: Lookup): string {
  if (!s.includes('$')) return s;
  try {
    return interpolate(s, lookup, () => undefined);
  } catch (e) {
    if (e instanceof InterpolationError) fail(at, key, e.message);
    throw e;
  }
}
