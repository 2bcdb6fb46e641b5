/**
 * Compose Spec merge rules on located trees: several -f files and `extends`. Mappings merge key by key, scalars
 * override, list-or-map fields (environment, labels, depends_on, networks, ...) merge as mappings, ports/volumes/
 * secrets/configs merge by their identity (an override replaces the same entry), command/entrypoint/
 * healthcheck.test are replaced, other scalar lists append without duplicates. The `!reset` tag removes a value,
 * `!override` replaces it whole.
 */
import { clone } from './node.js';
import type { Entry, MapNode, Node, ScalarNode, SeqNode } from './node.js';

/** Service fields that accept a list (`K=V` / names) or a mapping: merged as mappings. */
const MAPPISH = new Set(['environment', 'labels', 'sysctls', 'depends_on', 'networks', 'annotations', 'extra_hosts_map']);
const REPLACED = new Set(['command', 'entrypoint']);

export function mergeProject(base: MapNode, over: MapNode): MapNode {
  return mergeMap(base, over, (key) => (key === 'services' ? mergeServices : mergeNode));
}

function mergeServices(base: Node, over: Node, path: string): Node {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  return mergeMap(base, over, () => (b: Node, o: Node, p: string) => mergeService(b, o, p), path);
}

type Merger = (base: Node, over: Node, path: string) => Node;

function mergeMap(base: MapNode, over: MapNode, pick: (key: string) => Merger, path = ''): MapNode {
  const out: MapNode = { ...base, entries: new Map(base.entries) };
  for (const [k, e] of over.entries) {
    const have = out.entries.get(k);
    if (e.value.tag === '!reset') {
      out.entries.delete(k);
      continue;
    }
    if (have === undefined || e.value.tag === '!override') {
      out.entries.set(k, e);
      continue;
    }
    out.entries.set(k, { keyLoc: e.keyLoc, value: pick(k)(have.value, e.value, path === '' ? k : `${path}.${k}`) });
  }
  return out;
}

/** Generic rule: maps merge, sequences of scalars append without duplicates, other sequences append, scalars override. */
function mergeNode(base: Node, over: Node, path: string): Node {
  if (base.kind === 'map' && over.kind === 'map') return mergeMap(base, over, () => mergeNode, path);
  if (base.kind === 'seq' && over.kind === 'seq') return appendUnique(base, over.items, identity);
  return over;
}

function identity(n: Node): string | undefined {
  return n.kind === 'scalar' ? `s:${String(n.value)}` : undefined;
}

function appendUnique(base: SeqNode, add: Node[], key: (n: Node) => string | undefined): SeqNode {
  const keys = new Set<string>();
  for (const n of add) {
    const k = key(n);
    if (k !== undefined) keys.add(k);
  }
  const kept = base.items.filter((n) => {
    const k = key(n);
    return k === undefined || !keys.has(k);
  });
  return { ...base, items: [...kept, ...add] };
}

/** Merges two service definitions (override file or extends: `over` is the more specific one). */
export function mergeService(base: Node, over: Node, path: string): Node {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  return mergeMap(base, over, (key) => serviceField(key), path);
}

function serviceField(key: string): Merger {
  if (REPLACED.has(key)) return (_b, o) => o;
  if (MAPPISH.has(key)) return mergeMappish;
  switch (key) {
    case 'ports':
      return seqBy(portKey);
    case 'volumes':
      return seqBy(volumeKey);
    case 'secrets':
    case 'configs':
      return seqBy(refKey);
    case 'healthcheck':
      return (b, o, p) =>
        b.kind === 'map' && o.kind === 'map' ? mergeMap(b, o, (k) => (k === 'test' ? (_b, oo) => oo : mergeNode), p) : o;
    case 'deploy':
      return (b, o, p) =>
        b.kind === 'map' && o.kind === 'map' ? mergeMap(b, o, (k) => (k === 'labels' ? mergeMappish : mergeNode), p) : o;
    case 'build':
      return (b, o, p) =>
        b.kind === 'map' && o.kind === 'map' ? mergeMap(b, o, (k) => (k === 'args' ? mergeMappish : mergeNode), p) : o;
    default:
      return mergeNode;
  }
}

function seqBy(key: (n: Node) => string | undefined): Merger {
  return (b, o) => (b.kind === 'seq' && o.kind === 'seq' ? appendUnique(b, o.items, key) : o);
}

function scalarText(n: Node | undefined): string | undefined {
  return n?.kind === 'scalar' && n.value !== null ? String(n.value) : undefined;
}

function portKey(n: Node): string | undefined {
  if (n.kind === 'scalar') return `p:${String(n.value)}`;
  if (n.kind !== 'map') return undefined;
  const f = (k: string): string => scalarText(n.entries.get(k)?.value) ?? '';
  return `p:${f('host_ip')}:${f('published')}:${f('target')}/${f('protocol') || 'tcp'}`;
}

function volumeKey(n: Node): string | undefined {
  if (n.kind === 'scalar' && typeof n.value === 'string') {
    const parts = n.value.split(':');
    const t = parts.find((p, i) => i > 0 && p.startsWith('/')) ?? parts[0];
    return `v:${t ?? ''}`;
  }
  if (n.kind === 'map') return `v:${scalarText(n.entries.get('target')?.value) ?? ''}`;
  return undefined;
}

function refKey(n: Node): string | undefined {
  if (n.kind === 'scalar') return `r:${String(n.value)}`;
  if (n.kind === 'map') return `r:${scalarText(n.entries.get('source')?.value) ?? ''}`;
  return undefined;
}

/** A list-or-map field merged as a mapping; when a list cannot be read as one, the override wins whole. */
function mergeMappish(base: Node, over: Node, path: string): Node {
  const b = asMap(base);
  const o = asMap(over);
  if (b === undefined || o === undefined) return over;
  return mergeMap(b, o, () => mergeNode, path);
}

function asMap(n: Node): MapNode | undefined {
  if (n.kind === 'map') return n;
  if (n.kind === 'scalar' && n.value === null) return { kind: 'map', loc: n.loc, baseDir: n.baseDir, entries: new Map() };
  if (n.kind !== 'seq') return undefined;
  const entries = new Map<string, Entry>();
  for (const it of n.items) {
    if (it.kind !== 'scalar' || typeof it.value !== 'string') return undefined;
    const eq = it.value.indexOf('=');
    const key = eq < 0 ? it.value : it.value.slice(0, eq);
    const value: ScalarNode =
      eq < 0
        ? { kind: 'scalar', loc: it.loc, baseDir: it.baseDir, value: null, quoted: false }
        : { ...it, value: it.value.slice(eq + 1), quoted: true };
    entries.set(key, { keyLoc: it.loc, value });
  }
  return { kind: 'map', loc: n.loc, baseDir: n.baseDir, entries };
}

/** A copy of a service without its `extends` key. */
export function withoutExtends(n: MapNode): MapNode {
  const c = clone(n) as MapNode;
  c.entries.delete('extends');
  return c;
}
