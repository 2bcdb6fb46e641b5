/**
 * How JavaScript values stand in for Go values inside the template interpreter.
 *
 *   undefined          → Go's invalid reflect.Value (a missing map key); prints "<no value>"
 *   null               → a nil interface (JSON null); acts like a missing value except that a field
 *                        access through it fails ("nil pointer evaluating interface {}.X")
 *   string / boolean   → string / bool
 *   number, bigint     → int when integral, float64 otherwise; GoFloat boxes an integral float literal (`1.0`)
 *   array              → []interface {} (or []string when every element is a string)
 *   plain object       → map[string]interface {} (lookups, range and len as Go maps)
 *   GoStruct           → a Go struct: the docker CLI's row contexts (fields may be zero-arg getters, like methods)
 *   function           → a method: called when reached as a field, with the command's arguments
 */

/** A Go struct, e.g. one of the docker CLI's row contexts (`*node.nodeContext`). Missing fields are errors. */
export class GoStruct {
  constructor(
    /** Go type name used in error messages, e.g. `*formatter.nodeContext`. */
    readonly typeName: string,
    /** Field values or zero-argument getters (Go methods). */
    readonly fields: Readonly<Record<string, unknown>>,
    /**
     * How `json` encodes it: `'methods'` is docker's formatter.MarshalJSON (every field, keys sorted,
     * HTML-escaped by json.Marshal); `'fields'` is a plain struct (declaration order).
     */
    readonly marshal: 'methods' | 'fields' = 'fields',
  ) {}

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, name);
  }
}

/** An integral float64 (a literal such as `1.0`): it compares and prints as a float, not an int. */
export class GoFloat {
  constructor(readonly value: number) {}
}

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): Kind {
  if (v === undefined) return 'invalid';
  if (v === null) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'function') return 'func';
  if (v instanceof GoFloat) return 'float';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof GoStruct) return 'struct';
  if (v instanceof Date) return 'struct';
  return 'map';
}

/** Go's spelling of a value's type, as error messages print it. */
export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return isStringArray(v) && (v as unknown[]).length > 0 ? '[]string' : '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'struct':
      return v instanceof GoStruct ? v.typeName : 'time.Time';
    case 'func':
      return 'func() interface {}';
  }
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((e) => typeof e === 'string');
}

/** The numeric value of an int or float kind. */
export function numberOf(v: unknown): number {
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

/** Go's notion of truth used by if, with, and, or, not (text/template's isTrue). */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return numberOf(v) !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return Object.keys(v as object).length > 0;
    case 'struct':
    case 'func':
      return true;
  }
}

/** Orders strings as Go does (byte-wise over UTF-8, which is code-point order). */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (astral code points) sort above the rest of the BMP in UTF-8 order.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

export function sortedKeys(obj: object): string[] {
  return Object.keys(obj).sort(compareGoStrings);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** len() of a Go string: its UTF-8 byte count. */
export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** s[from:to] over UTF-8 bytes, as Go slices strings (a cut rune decodes as U+FFFD). */
export function sliceBytes(s: string, from: number, to?: number): string {
  return decoder.decode(encoder.encode(s).subarray(from, to));
}

/** The code points of a string (Go ranges over runes, not UTF-16 units). */
export function runes(s: string): string[] {
  return Array.from(s);
}
