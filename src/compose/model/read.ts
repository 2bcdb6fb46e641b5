/**
 * Typed, located reads of tree nodes for validation: each getter either returns the value or throws the located
 * error naming the field (`must be an integer, got "five"`). Interpolated scalars are re-typed the way compose
 * casts them (`replicas: ${N}` → number). Unknown keys are refused with a "did you mean" hint; `x-*` keys are
 * extensions and always allowed.
 */
import { fail } from './node.js';
import type { MapNode, Node, ScalarNode } from './node.js';
import { distance } from './units.js';

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function show(n: Node): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  return n.value === null ? 'null' : typeof n.value === 'string' ? JSON.stringify(n.value) : String(n.value);
}

export function isNull(n: Node | undefined): boolean {
  return n === undefined || (n.kind === 'scalar' && n.value === null);
}

export function map(n: Node, path: string, allowNull = false): MapNode {
  if (n.kind === 'map') return n;
  if (allowNull && isNull(n)) return { kind: 'map', loc: n.loc, baseDir: n.baseDir, entries: new Map() };
  return fail(n.loc, path, `must be a mapping, got ${show(n)}`);
}

export function checkKeys(m: MapNode, path: string, allowed: readonly string[]): void {
  for (const [k, e] of m.entries) {
    if (allowed.includes(k) || k.startsWith('x-')) continue;
    let best: string | undefined;
    let bestD = 3;
    for (const a of allowed) {
      const d = distance(k, a);
      if (d < bestD) [best, bestD] = [a, d];
    }
    fail(e.keyLoc, child(path, k), `unknown key "${k}"${best === undefined ? '' : ` (did you mean "${best}"?)`}`);
  }
}

/** Present, non-null entries of a mapping, as [key, node, path]. */
export function fields(m: MapNode, path: string): [string, Node, string][] {
  const out: [string, Node, string][] = [];
  for (const [k, e] of m.entries) if (!k.startsWith('x-')) out.push([k, e.value, child(path, k)]);
  return out;
}

export function get(m: MapNode, key: string): Node | undefined {
  const n = m.entries.get(key)?.value;
  return isNull(n) ? undefined : n;
}

function scalar(n: Node, path: string, what: string): ScalarNode {
  if (n.kind !== 'scalar') fail(n.loc, path, `must be ${what}, got ${show(n)}`);
  return n;
}

export function str(n: Node, path: string, acceptNumber = false): string {
  const s = scalar(n, path, 'a string');
  if (typeof s.value === 'string') return s.value;
  if (acceptNumber && typeof s.value === 'number') return String(s.value);
  return fail(n.loc, path, `must be a string, got ${show(n)}`);
}

/** A scalar as text (strings, numbers, booleans), for labels, environment values, sysctls... */
export function text(n: Node, path: string): string {
  const s = scalar(n, path, 'a string');
  if (s.value === null) return '';
  return String(s.value);
}

export function num(n: Node, path: string): number {
  const s = scalar(n, path, 'a number');
  if (typeof s.value === 'number' && Number.isFinite(s.value)) return s.value;
  if (typeof s.value === 'string' && (s.interpolated === true || s.quoted) && /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(s.value)) {
    return Number(s.value);
  }
  return fail(n.loc, path, `must be a number, got ${show(n)}`);
}

export function int(n: Node, path: string, min = 0): number {
  const s = scalar(n, path, 'an integer');
  let v: number | undefined;
  if (typeof s.value === 'number') v = s.value;
  else if (typeof s.value === 'string' && s.interpolated === true && /^\s*-?\d+\s*$/.test(s.value)) v = Number(s.value);
  if (v === undefined || !Number.isInteger(v)) return fail(n.loc, path, `must be an integer, got ${show(n)}`);
  if (v < min) return fail(n.loc, path, `must be at least ${min}, got ${v}`);
  return v;
}

export function bool(n: Node, path: string): boolean {
  const s = scalar(n, path, 'a boolean');
  if (typeof s.value === 'boolean') return s.value;
  if (typeof s.value === 'string' && s.interpolated === true) {
    const l = s.value.trim().toLowerCase();
    if (['true', 'yes', 'y', 'on', '1'].includes(l)) return true;
    if (['false', 'no', 'n', 'off', '0', ''].includes(l)) return false;
  }
  return fail(n.loc, path, `must be a boolean (true or false), got ${show(n)}`);
}

export function oneOf<T extends string>(n: Node, path: string, allowed: readonly T[]): T {
  const s = str(n, path);
  if (!(allowed as readonly string[]).includes(s)) {
    fail(n.loc, path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${s}"`);
  }
  return s as T;
}

export function seq(n: Node, path: string): Node[] {
  if (n.kind !== 'seq') fail(n.loc, path, `must be a list, got ${show(n)}`);
  return n.items;
}

/** A string or a list of strings (dns, tmpfs, env_file...). */
export function strOrList(n: Node, path: string): string[] {
  if (n.kind === 'scalar') return [str(n, path)];
  return seq(n, path).map((it, i) => str(it, child(path, i)));
}

export function strList(n: Node, path: string): string[] {
  return seq(n, path).map((it, i) => str(it, child(path, i)));
}

/**
 * A list of `KEY=VALUE` (or bare `KEY`) or a mapping → entries. Bare keys and null values come back as null.
 */
export function keyValues(n: Node, path: string): [string, string | null, Node][] {
  if (n.kind === 'map') {
    return [...n.entries].map(([k, e]) => [k, isNull(e.value) ? null : text(e.value, child(path, k)), e.value]);
  }
  return seq(n, path).map((it, i) => {
    const s = str(it, child(path, i), true);
    const eq = s.indexOf('=');
    if (eq === 0) fail(it.loc, child(path, i), `invalid entry "${s}": empty key`);
    return eq < 0 ? [s, null, it] : [s.slice(0, eq), s.slice(eq + 1), it];
  });
}

/** Like keyValues, null values become '' (labels, sysctls). */
export function stringMap(n: Node, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of keyValues(n, path)) out[k] = v ?? '';
  return out;
}
