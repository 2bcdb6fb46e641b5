/**
 * The Engine API's `filters` query parameter (docs/docker-engine-api.md §6), after moby's `api/types/filters`.
 *
 * The value is URL-decoded JSON. The docker CLI sends the map form `{"key":{"value":true}}`; dockerd also accepts
 * the legacy form `{"key":["value"]}`. Anything else is `invalid filter`. Keys are validated against the set a
 * collection accepts (an unknown key gives `invalid filter '<key>'`, 400).
 *
 * Matching semantics, which every list endpoint shares:
 * - a key that is absent matches everything;
 * - several values of one key are OR'ed (`matchExact`, `matchPrefix`);
 * - different keys are AND'ed (the caller checks each key);
 * - `label` values are AND'ed: `k` means "has key k", `k=v` means "k equals v" (`matchLabels`).
 *
 * In the map form the booleans are ignored, as moby's `Args.Get` ignores them: `{"k":{"v":false}}` still filters on
 * `v`. Pure: no node:* imports.
 */
import { invalidArgument } from './errors.js';
import type { ShoalError } from './errors.js';

/** The map form the docker CLI sends and Shoal's client builds. */
export type FilterMap = Record<string, Record<string, boolean>>;

const invalidFilter = (key?: string, values?: readonly string[]): ShoalError => {
  let msg = 'invalid filter';
  if (key !== undefined) {
    msg += ` '${key}`;
    if (values !== undefined) msg += `=[${values.join(' ')}]`;
    msg += "'";
  }
  return invalidArgument('filter.invalid', msg);
};

export class Filters {
  private readonly fields: ReadonlyMap<string, ReadonlySet<string>>;

  private constructor(fields: Map<string, Set<string>>) {
    this.fields = fields;
  }

  /** No filters at all: every matcher returns true. */
  static empty(): Filters {
    return new Filters(new Map());
  }

  /** Builds filters from plain values, e.g. `Filters.of({ label: ['a=b'] })` (for internal callers and tests). */
  static of(entries: Record<string, readonly string[]>): Filters {
    const m = new Map<string, Set<string>>();
    for (const [k, vs] of Object.entries(entries)) m.set(k, new Set(vs));
    return new Filters(m);
  }

  /**
   * Parses a `filters` query value. An absent or empty value gives empty filters. When `allowed` is given, a key
   * outside it throws InvalidArgument `invalid filter '<key>'`.
   */
  static parse(raw: string | null | undefined, allowed?: Iterable<string>): Filters {
    const f = raw === null || raw === undefined || raw === '' ? Filters.empty() : new Filters(parseJson(raw));
    if (allowed !== undefined) f.validate(allowed);
    return f;
  }

  /** Throws InvalidArgument `invalid filter '<key>'` for the first key not in `allowed`. */
  validate(allowed: Iterable<string>): void {
    const ok = allowed instanceof Set ? (allowed as ReadonlySet<string>) : new Set(allowed);
    for (const key of this.fields.keys()) if (!ok.has(key)) throw invalidFilter(key);
  }

  /** The keys present, in the order they were given. */
  keys(): string[] {
    return [...this.fields.keys()];
  }

  /** Number of keys. */
  get size(): number {
    return this.fields.size;
  }

  /** True when the key is present (even with no values, e.g. `{"k":{}}` or `{"k":null}`). */
  has(key: string): boolean {
    return this.fields.has(key);
  }

  /** The values of one key (empty when absent). */
  values(key: string): string[] {
    return [...(this.fields.get(key) ?? [])];
  }

  /** True when the key is absent or has no values, or `value` equals one of its values. */
  matchExact(key: string, value: string | undefined): boolean {
    const vs = this.fields.get(key);
    if (vs === undefined || vs.size === 0) return true;
    return value !== undefined && vs.has(value);
  }

  /**
   * ID/name prefix semantics (moby's `FuzzyMatch`): true when the key is absent or has no values, or one of its
   * values is a prefix of one of `candidates` (an exact match is a prefix too).
   */
  matchPrefix(key: string, ...candidates: readonly (string | undefined)[]): boolean {
    const vs = this.fields.get(key);
    if (vs === undefined || vs.size === 0) return true;
    for (const c of candidates) {
      if (c === undefined) continue;
      for (const v of vs) if (c.startsWith(v)) return true;
    }
    return false;
  }

  /**
   * Label semantics (moby's `MatchKVList`): every value of `key` must match: `k` needs the label to exist, `k=v`
   * needs it to equal `v`. True when the key is absent or has no values; false when there are no labels at all.
   */
  matchLabels(labels: Readonly<Record<string, string>> | null | undefined, key = 'label'): boolean {
    const vs = this.fields.get(key);
    if (vs === undefined || vs.size === 0) return true;
    if (labels === null || labels === undefined) return false;
    for (const v of vs) {
      const eq = v.indexOf('=');
      const k = eq < 0 ? v : v.slice(0, eq);
      if (!Object.prototype.hasOwnProperty.call(labels, k)) return false;
      if (eq >= 0 && labels[k] !== v.slice(eq + 1)) return false;
    }
    return true;
  }

  /**
   * A boolean filter (moby's `GetBoolOrDefault`): absent gives `def`; `1`/`true` or `0`/`false` give the value;
   * no value, other values or both at once throw InvalidArgument `invalid filter 'key=[values]'`.
   */
  bool(key: string, def: boolean): boolean {
    const vs = this.fields.get(key);
    if (vs === undefined) return def;
    if (vs.size === 0) throw invalidFilter(key);
    const isFalse = vs.has('0') || vs.has('false');
    const isTrue = vs.has('1') || vs.has('true');
    if (isFalse === isTrue) throw invalidFilter(key, [...vs]);
    return isTrue;
  }

  /** The map form, as the docker CLI sends it. */
  toJSON(): FilterMap {
    const out: FilterMap = {};
    for (const [k, vs] of this.fields) {
      const m: Record<string, boolean> = {};
      for (const v of vs) m[v] = true;
      out[k] = m;
    }
    return out;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(raw: string): Map<string, Set<string>> {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw invalidFilter();
  }
  const fields = new Map<string, Set<string>>();
  if (doc === null) return fields; // Go unmarshals `null` into an empty map
  if (!isPlainObject(doc)) throw invalidFilter();
  for (const [key, val] of Object.entries(doc)) {
    const values = new Set<string>();
    if (val === null) {
      // key present, no values
    } else if (Array.isArray(val)) {
      // legacy form: ["v1","v2"]
      for (const v of val) {
        if (typeof v !== 'string') throw invalidFilter();
        values.add(v);
      }
    } else if (isPlainObject(val)) {
      // map form: {"v1":true}
      for (const [v, flag] of Object.entries(val)) {
        if (typeof flag !== 'boolean') throw invalidFilter();
        values.add(v);
      }
    } else {
      throw invalidFilter();
    }
    fields.set(key, values);
  }
  return fields;
}
