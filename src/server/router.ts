/**
 * The route table: method + path pattern → handler. Patterns are matched against the path after the `/vX.Y`
 * prefix is removed (see api-version.ts).
 *
 * Pattern syntax, one segment at a time:
 * - `nodes`      a literal segment;
 * - `{id}`       one non-empty segment (no '/'), URL-decoded;
 * - `{name*}`    one or more segments, greedy, joined with '/' (image names: `/distribution/{name*}/json`).
 *
 * When several patterns match, the most specific wins, comparing segment by segment: literal, then `{x}`, then
 * `{x*}`. A HEAD request uses the GET handler unless a HEAD route exists. A trailing '/' is ignored
 * (`/networks/` = `/networks`), as dockerd allows.
 */
import { invalidArgument } from '../api/errors.js';
import type { ApiRequest } from './request.js';
import type { ApiResponse } from './response.js';

export type Handler = (req: ApiRequest, res: ApiResponse) => void | Promise<void>;

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface Route {
  method: string;
  pattern: string;
  segments: Segment[];
  /** Lower is more specific, per segment. */
  rank: number[];
  handler: Handler;
}

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  /** The pattern that matched, e.g. `/nodes/{id}` (for logs and metrics). */
  pattern: string;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\*?)\}$/;

function parsePattern(pattern: string): Segment[] {
  if (!pattern.startsWith('/')) throw new Error(`route pattern must start with '/': ${pattern}`);
  const parts = splitPath(pattern);
  const names = new Set<string>();
  return parts.map((p) => {
    const m = PARAM.exec(p);
    if (m === null) {
      if (p.includes('{') || p.includes('}')) throw new Error(`bad route segment '${p}' in ${pattern}`);
      return { kind: 'literal', value: p };
    }
    const name = m[1] as string;
    if (names.has(name)) throw new Error(`duplicate parameter '${name}' in ${pattern}`);
    names.add(name);
    return m[2] === '*' ? { kind: 'greedy', name } : { kind: 'param', name };
  });
}

/** '/a/b/' → ['a', 'b']; '/' → []. Inner empty segments are kept (they never match a parameter). */
function splitPath(path: string): string[] {
  let p = path.startsWith('/') ? path.slice(1) : path;
  if (p.endsWith('/')) p = p.slice(0, -1);
  return p === '' ? [] : p.split('/');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidArgument('request.bad_path', `invalid URL escape in path segment "${segment}"`);
  }
}

function matchSegments(segs: readonly Segment[], parts: readonly string[], si: number, pi: number, params: Record<string, string>): boolean {
  if (si === segs.length) return pi === parts.length;
  const seg = segs[si] as Segment;
  if (seg.kind === 'literal') {
    return pi < parts.length && parts[pi] === seg.value && matchSegments(segs, parts, si + 1, pi + 1, params);
  }
  if (seg.kind === 'param') {
    const part = parts[pi];
    if (part === undefined || part === '') return false;
    if (!matchSegments(segs, parts, si + 1, pi + 1, params)) return false;
    params[seg.name] = decode(part);
    return true;
  }
  // greedy: take as many segments as possible, at least one, then backtrack.
  const minRest = segs.length - si - 1;
  for (let end = parts.length - minRest; end > pi; end--) {
    const taken = parts.slice(pi, end);
    if (taken.some((t) => t === '')) continue;
    if (matchSegments(segs, parts, si + 1, end, params)) {
      params[seg.name] = taken.map(decode).join('/');
      return true;
    }
  }
  return false;
}

function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return b.length - a.length; // longer pattern = more literal structure
}

export class Router {
  private readonly routes: Route[] = [];

  /** Registers a route. Registering the same method + pattern twice is a programming error and throws. */
  add(method: Method, pattern: string, handler: Handler): this {
    const segments = parsePattern(pattern);
    const norm = '/' + segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{*}')).join('/');
    for (const r of this.routes) {
      const other = '/' + r.segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{*}')).join('/');
      if (r.method === method && other === norm) throw new Error(`route ${method} ${pattern} conflicts with ${r.method} ${r.pattern}`);
    }
    const rank = segments.map((s) => (s.kind === 'literal' ? 0 : s.kind === 'param' ? 1 : 2));
    this.routes.push({ method, pattern, segments, rank, handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }
  head(pattern: string, handler: Handler): this {
    return this.add('HEAD', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler): this {
    return this.add('PUT', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }

  /**
   * Finds the handler for a method and (unversioned, still URL-encoded) path. HEAD falls back to GET. Throws
   * InvalidArgument for a malformed %-escape in a parameter.
   */
  match(method: string, path: string): RouteMatch | undefined {
    const found = this.find(method, path);
    if (found !== undefined || method !== 'HEAD') return found;
    return this.find('GET', path);
  }

  /** All registered routes, for diagnostics (`METHOD pattern`). */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.pattern}`);
  }

  private find(method: string, path: string): RouteMatch | undefined {
    const parts = splitPath(path);
    let best: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      if (best !== undefined && compareRank(route.rank, best.route.rank) >= 0) continue;
      const params: Record<string, string> = {};
      if (matchSegments(route.segments, parts, 0, 0, params)) best = { route, params };
    }
    return best === undefined ? undefined : { handler: best.route.handler, params: best.params, pattern: best.route.pattern };
  }
}
