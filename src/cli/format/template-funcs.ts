/**
 * Template functions: Go's builtins (text/template funcs.go) and the ones the docker CLI registers
 * (templates/templates.go), plus docker's header variants that leave table headers intact.
 * Each declares Go's parameter types, so wrong arguments fail with Go's messages.
 */
import { encodeJSON } from './go-json.js';
import { formatValue, isPrint, sprint, sprintf, sprintln } from './go-fmt.js';
import {
  byteLength,
  compareGoStrings,
  goTypeName,
  isPlainObject,
  isTrue,
  kindOf,
  numberOf,
  runes,
  sliceBytes,
} from './go-values.js';

/**
 * Go parameter types: `any` is interface{} (a missing value becomes nil), `value` is reflect.Value
 * (a missing value stays missing), `string`, `int`, and `strings` ([]string).
 */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'strings';

/** What a function may ask of the running template. */
export interface CallContext {
  /** Whether a plain object's keys sort when encoded (Go map) or keep their order (Go struct). */
  sortKeys(obj: Record<string, unknown>, key: string | undefined): boolean;
}

export interface FuncDef {
  params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  variadic?: ParamType;
  /** Throws an Error whose message Go would return as the function's error ("error calling f: <message>"). */
  fn(args: unknown[], ctx: CallContext): unknown;
  /** and/or short-circuit and are evaluated by the executor. */
  special?: 'and' | 'or';
}

export type FuncMap = ReadonlyMap<string, FuncDef>;

function fail(msg: string): never {
  throw new Error(msg);
}

// --- comparisons (funcs.go eq/lt) ---------------------------------------------------------------

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): BasicKind {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

/** reflect.Value validity: a missing value or a nil interface (JSON null) is invalid once unwrapped. */
const isValid = (v: unknown): boolean => v !== undefined && v !== null;

function eq(arg1: unknown, rest: unknown[]): boolean {
  if (rest.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (isValid(arg1) && isValid(arg)) {
        fail(`incompatible types for comparison: ${goTypeName(arg1)} and ${goTypeName(arg)}`);
      }
    } else if (k1 === 'string' || k1 === 'bool') {
      truth = arg1 === arg;
    } else if (k1 === 'int' || k1 === 'float') {
      truth = numberOf(arg1) === numberOf(arg);
    } else {
      const n1 = !isValid(arg1);
      const n2 = !isValid(arg);
      if (n1 || n2) truth = n1 === n2;
      else if (kindOf(arg1) !== kindOf(arg)) {
        fail(`non-comparable types ${formatValue(arg1)}: ${goTypeName(arg1)}, ${goTypeName(arg)}: ${formatValue(arg)}`);
      } else if (kindOf(arg) === 'struct') truth = arg1 === arg;
      else fail(`non-comparable type ${formatValue(arg)}: ${goTypeName(arg)}`);
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') fail('invalid type for comparison');
  if (k1 !== k2) fail(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  if (k1 === 'bool') return fail('invalid type for comparison');
  if (k1 === 'string') return compareGoStrings(a as string, b as string) < 0;
  return numberOf(a) < numberOf(b);
}

// --- index / slice / len ------------------------------------------------------------------------

function indexArg(idx: unknown, cap: number): number {
  if (kindOf(idx) === 'int') {
    const x = numberOf(idx);
    if (x < 0 || x > cap) fail(`index out of range: ${x}`);
    return x;
  }
  if (!isValid(idx)) fail('cannot index slice/array with nil');
  return fail(`cannot index slice/array with type ${goTypeName(idx)}`);
}

/** Zero value of a map's element type: "" for a map of strings (e.g. Labels), else a nil interface. */
function mapZero(obj: Record<string, unknown>): unknown {
  return Object.values(obj).every((v) => typeof v === 'string') ? '' : undefined;
}

function index(item: unknown, indexes: unknown[]): unknown {
  if (!isValid(item)) fail('index of untyped nil');
  let cur = item;
  for (const idx of indexes) {
    if (cur === null) fail('index of nil pointer');
    const k = kindOf(cur);
    if (k === 'slice') {
      const arr = cur as unknown[];
      const x = indexArg(idx, arr.length);
      if (x === arr.length) fail('reflect: slice index out of range');
      cur = arr[x];
    } else if (k === 'string') {
      const bytes = new TextEncoder().encode(cur as string);
      const x = indexArg(idx, bytes.length);
      if (x === bytes.length) fail('reflect: string index out of range');
      cur = bytes[x];
    } else if (k === 'map' && isPlainObject(cur)) {
      if (!isValid(idx)) fail('value is nil; should be of type string');
      if (typeof idx !== 'string') fail(`value has type ${goTypeName(idx)}; should be string`);
      cur = Object.prototype.hasOwnProperty.call(cur, idx) ? cur[idx] : mapZero(cur);
    } else {
      fail(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: unknown, indexes: unknown[]): unknown {
  if (!isValid(item)) fail('slice of untyped nil');
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === 'string') {
    if (indexes.length === 3) fail('cannot 3-index slice a string');
    len = byteLength(item as string);
  } else if (k === 'slice') len = (item as unknown[]).length;
  else return fail(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, len)));
  const [i, j, c] = idx as [number, number, number];
  if (i > j) fail(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > c) fail(`invalid slice index: ${j} > ${c}`);
  return k === 'string' ? sliceBytes(item as string, i, j) : (item as unknown[]).slice(i, j);
}

function length(item: unknown): number {
  if (item === undefined) fail('reflect: call of reflect.Value.Type on zero Value');
  if (item === null) fail('len of nil pointer');
  const k = kindOf(item);
  if (k === 'string') return byteLength(item as string);
  if (k === 'slice') return (item as unknown[]).length;
  if (k === 'map') return Object.keys(item).length;
  return fail(`len of type ${goTypeName(item)}`);
}

// --- escapers -----------------------------------------------------------------------------------

/** evalArgs in funcs.go: one string argument as is, otherwise fmt.Sprint of all. */
const evalArgs = (args: unknown[]): string => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\uFFFD' : c === '"' ? '&#34;' : c === "'" ? '&#39;' : c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;',
  );
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of runes(s)) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      switch (ch) {
        case '\\':
          out += '\\\\';
          break;
        case "'":
          out += "\\'";
          break;
        case '"':
          out += '\\"';
          break;
        case '<':
          out += '\\u003C';
          break;
        case '>':
          out += '\\u003E';
          break;
        case '&':
          out += '\\u0026';
          break;
        case '=':
          out += '\\u003D';
          break;
        default:
          out += cp >= 0x20 && cp < 0x7f ? ch : '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
      }
    } else if (isPrint(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

function queryEscape(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }).join('');
}

// --- docker's string functions ------------------------------------------------------------------

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of runes(s)) {
    out += isSeparator(prev) ? mapRune(ch, 'upper') : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0) as number;
  if (cp <= 0x7f) return !/[0-9a-zA-Z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** unicode.ToUpper / ToLower per rune (no multi-rune special casing, as Go). */
function mapRune(ch: string, to: 'upper' | 'lower'): string {
  const m = to === 'upper' ? ch.toUpperCase() : ch.toLowerCase();
  return runes(m).length === 1 ? m : ch;
}

const mapString = (s: string, to: 'upper' | 'lower'): string =>
  runes(s)
    .map((c) => mapRune(c, to))
    .join('');

function split(s: string, sep: string): string[] {
  return sep === '' ? runes(s) : s.split(sep);
}

function repeat(n: number): string {
  if (n < 0) fail('strings: negative Repeat count');
  return ' '.repeat(n);
}

function truncate(source: string, len: number): string {
  if (byteLength(source) < len) return source;
  if (len < 0) fail(`runtime error: slice bounds out of range [:${len}]`);
  return sliceBytes(source, 0, len);
}

// --- the maps -----------------------------------------------------------------------------------

const def = (params: readonly ParamType[], fn: FuncDef['fn'], variadic?: ParamType): FuncDef =>
  variadic === undefined ? { params, fn } : { params, fn, variadic };

/** Go's builtin functions. */
export const builtinFuncs: FuncMap = new Map<string, FuncDef>([
  ['and', { params: ['value'], variadic: 'value', special: 'and', fn: () => undefined }],
  ['or', { params: ['value'], variadic: 'value', special: 'or', fn: () => undefined }],
  [
    'call',
    def(
      ['value'],
      ([fn, ...args]) => {
        if (!isValid(fn)) fail('call of nil');
        if (typeof fn !== 'function') fail(`non-function of type ${goTypeName(fn)}`);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
      'value',
    ),
  ],
  ['html', def([], (args) => htmlEscape(evalArgs(args)), 'any')],
  ['js', def([], (args) => jsEscape(evalArgs(args)), 'any')],
  ['urlquery', def([], (args) => queryEscape(evalArgs(args)), 'any')],
  ['index', def(['value'], ([item, ...idx]) => index(item, idx), 'value')],
  ['slice', def(['value'], ([item, ...idx]) => slice(item, idx), 'value')],
  ['len', def(['value'], ([item]) => length(item))],
  ['not', def(['value'], ([v]) => !isTrue(v))],
  ['print', def([], (args) => sprint(args), 'any')],
  ['printf', def(['string'], ([f, ...args]) => sprintf(f as string, args), 'any')],
  ['println', def([], (args) => sprintln(args), 'any')],
  ['eq', def(['value'], ([a, ...rest]) => eq(a, rest), 'value')],
  ['ne', def(['value', 'value'], ([a, b]) => !eq(a, [b]))],
  ['lt', def(['value', 'value'], ([a, b]) => lt(a, b))],
  ['le', def(['value', 'value'], ([a, b]) => lt(a, b) || eq(a, [b]))],
  ['gt', def(['value', 'value'], ([a, b]) => !(lt(a, b) || eq(a, [b])))],
  ['ge', def(['value', 'value'], ([a, b]) => !lt(a, b))],
]);

/** The functions docker/cli's templates.Parse adds (templates.go basicFunctions). */
export const dockerFuncs: FuncMap = new Map<string, FuncDef>([
  ['json', def(['any'], ([v], ctx) => encodeJSON(v, { escapeHTML: false, sortKeys: (o, k) => ctx.sortKeys(o, k) }))],
  ['split', def(['string', 'string'], ([s, sep]) => split(s as string, sep as string))],
  ['join', def(['strings', 'string'], ([elems, sep]) => (elems as string[]).join(sep as string))],
  ['title', def(['string'], ([s]) => title(s as string))],
  ['lower', def(['string'], ([s]) => mapString(s as string, 'lower'))],
  ['upper', def(['string'], ([s]) => mapString(s as string, 'upper'))],
  [
    'pad',
    def(['string', 'int', 'int'], ([s, prefix, suffix]) =>
      s === '' ? '' : repeat(prefix as number) + (s as string) + repeat(suffix as number),
    ),
  ],
  ['truncate', def(['string', 'int'], ([s, n]) => truncate(s as string, n as number))],
]);

/** docker's HeaderFunctions: the same names, returning the header text untouched (pad is kept). */
export const headerFuncs: FuncMap = new Map<string, FuncDef>([
  ['json', def(['string'], ([v]) => v)],
  ['split', def(['string', 'string'], ([v]) => v)],
  ['join', def(['string', 'string'], ([v]) => v)],
  ['title', def(['string'], ([v]) => v)],
  ['lower', def(['string'], ([v]) => v)],
  ['upper', def(['string'], ([v]) => v)],
  ['truncate', def(['string', 'int'], ([v]) => v)],
]);

/** Later maps override earlier ones, as template.Funcs does. */
export function mergeFuncs(...maps: FuncMap[]): FuncMap {
  const out = new Map<string, FuncDef>();
  for (const m of maps) for (const [k, v] of m) out.set(k, v);
  return out;
}

