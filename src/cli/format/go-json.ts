/**
 * Go's encoding/json output for template values: compact (json.Marshal / Encoder) or indented
 * (json.MarshalIndent, json.Indent), with Go's string escaping. See go-values.ts for the value model.
 */
import { GoFloat, GoStruct, compareGoStrings, isPlainObject } from './go-values.js';

export interface JSONOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (json.Marshal does; docker's `json` template function does not). */
  escapeHTML: boolean;
  /** Indent per level (json.MarshalIndent's indent); compact when absent. */
  indent?: string;
  /**
   * Whether a plain object's keys are sorted (Go maps are; Go structs keep declaration order).
   * `key` is the field name the object sits under, when known. Default: keep the object's order.
   */
  sortKeys?: (obj: Record<string, unknown>, key: string | undefined) => boolean;
}

/** Encodes a value as Go's encoding/json would. Functions (getters) are called; undefined encodes as null. */
export function encodeJSON(value: unknown, opts: JSONOptions): string {
  return encode(value, opts, undefined, '', opts.escapeHTML, false);
}

function encode(v: unknown, opts: JSONOptions, key: string | undefined, depth: string, html: boolean, sortAll: boolean): string {
  if (typeof v === 'function') v = (v as () => unknown)();
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return encodeString(v, html);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return encodeNumber(v);
  if (v instanceof GoFloat) return encodeNumber(v.value);
  if (v instanceof Date) return encodeString(v.toISOString().replace(/\.?0+Z$/, 'Z'), html);
  const inner = opts.indent === undefined ? undefined : depth + opts.indent;
  const open = (items: string[], o: string, c: string): string => {
    if (items.length === 0) return o + c;
    if (inner === undefined) return o + items.join(',') + c;
    return `${o}\n${inner}${items.join(`,\n${inner}`)}\n${depth}${c}`;
  };
  const sep = opts.indent === undefined ? ':' : ': ';
  if (Array.isArray(v)) {
    return open(
      v.map((e) => encode(e, opts, undefined, inner ?? '', html, sortAll)),
      '[',
      ']',
    );
  }
  let entries: [string, unknown][];
  let childHTML = html;
  let childSort = sortAll;
  if (v instanceof GoStruct) {
    entries = Object.entries(v.fields);
    if (v.marshal === 'methods') {
      // docker's formatter.MarshalJSON: json.Marshal of a map → sorted keys, HTML-escaped.
      entries.sort((a, b) => compareGoStrings(a[0], b[0]));
      childHTML = true;
      childSort = true;
    }
  } else if (isPlainObject(v)) {
    entries = Object.entries(v).filter(([, e]) => e !== undefined);
    if (sortAll || opts.sortKeys?.(v, key)) entries.sort((a, b) => compareGoStrings(a[0], b[0]));
  } else {
    entries = Object.entries(v);
  }
  return open(
    entries.map(([k, e]) => encodeString(k, childHTML) + sep + encode(e, opts, k, inner ?? '', childHTML, childSort)),
    '{',
    '}',
  );
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n}`);
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  // Go switches to exponent form below 1e-6 and from 1e21 up, exactly as JavaScript does.
  return JSON.stringify(n);
}

const shortEscapes: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function needsEscape(s: string, escapeHTML: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff)) return true;
    if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) return true;
  }
  return false;
}

/** A JSON string literal with Go's escaping rules. */
export function encodeString(s: string, escapeHTML: boolean): string {
  if (!needsEscape(s, escapeHTML)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const c = s.charCodeAt(i);
    const short = shortEscapes[ch];
    if (short !== undefined) out += short;
    else if (c < 0x20 || c === 0x2028 || c === 0x2029 || (escapeHTML && (ch === '<' || ch === '>' || ch === '&'))) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + (s[i + 1] as string);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate: Go replaces invalid UTF-8 with U+FFFD
    } else out += ch;
  }
  return out + '"';
}
