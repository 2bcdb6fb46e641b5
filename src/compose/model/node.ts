/**
 * The located YAML tree the compose loader works on: every map, sequence and scalar keeps the file, line and column
 * it came from, so that interpolation, merging (several -f files, `extends`) and validation can all report
 * `file:line:col: field: message`. Built from the `yaml` package's AST with aliases and `<<` merge keys resolved.
 * Also: the located error (`fail`) and the small POSIX path helpers the model needs (no node:path here: pure).
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { invalidArgument } from '../../api/errors.js';
import type { ComposeError } from './types.js';

export interface Loc {
  file: string;
  line: number;
  col: number;
}

interface NodeBase {
  loc: Loc;
  /** Directory relative paths in this node resolve against (the project dir, or an `extends` file's dir). */
  baseDir: string;
  /** A local tag such as `!reset` / `!override` (compose merge control). */
  tag?: string;
}
export interface Entry {
  keyLoc: Loc;
  value: Node;
}
export interface MapNode extends NodeBase {
  kind: 'map';
  entries: Map<string, Entry>;
}
export interface SeqNode extends NodeBase {
  kind: 'seq';
  items: Node[];
}
export type ScalarValue = string | number | boolean | null;
export interface ScalarNode extends NodeBase {
  kind: 'scalar';
  value: ScalarValue;
  /** Quoted or block scalar in the source (never re-typed). */
  quoted: boolean;
  /** The plain scalar's source text (e.g. `0440`, which YAML 1.2 reads as decimal 440). */
  source?: string;
  /** The value came out of variable interpolation: numbers/booleans may arrive as strings. */
  interpolated?: boolean;
}
export type Node = MapNode | SeqNode | ScalarNode;

/** Thrown for every bad input: ShoalError InvalidArgument 'compose.invalid', the ComposeError as its `cause`. */
export function fail(loc: Loc, field: string, message: string): never {
  const detail: ComposeError = { file: loc.file, line: loc.line, col: loc.col, field, message };
  const err = invalidArgument('compose.invalid', `${loc.file}:${loc.line}:${loc.col}: ${field || '(root)'}: ${message}`);
  Object.defineProperty(err, 'cause', { value: detail, enumerable: false });
  throw err;
}

/** Parses one YAML document into a located tree. `display` is the file name used in messages. */
export function parseYaml(content: string, display: string, baseDir: string): Node {
  const lc = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lc, merge: true, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number | undefined): Loc => {
    const p = lc.linePos(offset ?? 0);
    return { file: display, line: p.line, col: p.col };
  };
  const first = doc.errors[0];
  if (first !== undefined) {
    const msg = first.message.split('\n')[0] ?? first.message;
    fail(pos(first.pos[0]), 'yaml', msg.replace(/ at line \d+, column \d+.*$/, ''));
  }
  if (doc.contents === null) return { kind: 'map', loc: pos(0), baseDir, entries: new Map() };
  return toNode(doc, doc.contents, pos, baseDir, []);
}

function toNode(doc: Document, n: unknown, pos: (o: number | undefined) => Loc, baseDir: string, stack: unknown[]): Node {
  if (isAlias(n)) {
    const target = n.resolve(doc);
    if (target === undefined) fail(pos(n.range?.[0]), 'yaml', `unknown alias *${n.source}`);
    if (stack.includes(target)) fail(pos(n.range?.[0]), 'yaml', `alias *${n.source} refers to itself`);
    return toNode(doc, target, pos, baseDir, stack);
  }
  const tag = (n as { tag?: string } | null)?.tag;
  const base = (range: [number, number, number] | null | undefined): NodeBase => {
    const b: NodeBase = { loc: pos(range?.[0]), baseDir };
    if (tag !== undefined && tag.startsWith('!') && !tag.startsWith('!!')) b.tag = tag;
    return b;
  };
  if (isMap(n)) {
    const out: MapNode = { kind: 'map', ...base(n.range), entries: new Map() };
    const merges: Node[] = [];
    const inner = [...stack, n];
    for (const pair of n.items) {
      const k = pair.key;
      const keyLoc = pos(isScalar(k) || isMap(k) || isSeq(k) || isAlias(k) ? k.range?.[0] : n.range?.[0]);
      if (isScalar(k) && typeof k.value === 'symbol') {
        // `<<: *x` or `<<: [*x, *y]`: merged below, explicit keys win.
        const v = toNode(doc, pair.value, pos, baseDir, inner);
        if (v.kind === 'seq') merges.push(...v.items);
        else merges.push(v);
        continue;
      }
      if (!isScalar(k)) fail(keyLoc, 'yaml', 'mapping keys must be scalars');
      const key = scalarKey(k.value);
      const value: Node =
        pair.value === null || pair.value === undefined
          ? { kind: 'scalar', loc: keyLoc, baseDir, value: null, quoted: false }
          : toNode(doc, pair.value, pos, baseDir, inner);
      out.entries.set(key, { keyLoc, value });
    }
    for (const m of merges) {
      if (m.kind !== 'map') fail(m.loc, 'yaml', 'a merge key (<<) needs a mapping or a list of mappings');
      for (const [k, e] of m.entries) if (!out.entries.has(k)) out.entries.set(k, e);
    }
    return out;
  }
  if (isSeq(n)) {
    const inner = [...stack, n];
    return {
      kind: 'seq',
      ...base(n.range),
      items: n.items.map((it) =>
        it === null || it === undefined
          ? { kind: 'scalar', loc: pos(n.range?.[0]), baseDir, value: null, quoted: false }
          : toNode(doc, it, pos, baseDir, inner),
      ),
    };
  }
  if (isScalar(n)) {
    const v = n.value;
    let value: ScalarValue;
    if (v === null || v === undefined) value = null;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') value = v;
    else if (typeof v === 'bigint') value = Number(v);
    else value = JSON.stringify(v) ?? '';
    const quoted = n.type !== undefined && n.type !== 'PLAIN';
    const out: ScalarNode = { kind: 'scalar', ...base(n.range), value, quoted };
    if (!quoted && typeof n.source === 'string') out.source = n.source;
    return out;
  }
  fail(pos(0), 'yaml', 'unsupported YAML node');
}

function scalarKey(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** A deep copy (merging mutates maps). */
export function clone(n: Node): Node {
  switch (n.kind) {
    case 'scalar':
      return { ...n };
    case 'seq':
      return { ...n, items: n.items.map(clone) };
    case 'map': {
      const entries = new Map<string, Entry>();
      for (const [k, e] of n.entries) entries.set(k, { keyLoc: e.keyLoc, value: clone(e.value) });
      return { ...n, entries };
    }
  }
}

// ---- POSIX paths (no node:path in a pure folder) ----

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return abs ? '/' + joined : joined === '' ? '.' : joined;
}

export function resolvePath(base: string, p: string): string {
  return normalizePath(isAbsolute(p) ? p : `${base}/${p}`);
}

export function dirname(p: string): string {
  const n = normalizePath(p);
  const i = n.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : n.slice(0, i);
}

export function basename(p: string): string {
  const n = normalizePath(p);
  return n.slice(n.lastIndexOf('/') + 1);
}

/** The name a file is shown with in messages: relative to the project dir when inside it. */
export function displayPath(path: string, workingDir: string): string {
  const wd = normalizePath(workingDir);
  const abs = normalizePath(path);
  if (wd !== '/' && abs.startsWith(wd + '/')) return abs.slice(wd.length + 1);
  return path;
}
