/**
 * Does a redeploy change a service? `docker stack deploy` updates every existing service; Shoal updates one only
 * when the spec it would send differs from the one the daemon holds (docs/design/compose.md). Both sides go through
 * the API's own normalizer (api/service-spec.ts `parseServiceSpec`, the defaults the daemon fills in), then the
 * differences that are not changes are removed: empty objects, network targets the daemon stores as IDs are named again, and
 * secret/config references are compared by name (their IDs are only looked up on the way out).
 */
import { parseServiceSpec } from '../../../api/service-spec.js';
import { encodeServiceSpec } from '../../../client/services.js';
import type { ServiceSpec } from '../../../client/service-types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops empty objects and lists (`Resources: {Limits: {}}` and `Resources: {}` say the same). */
function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneEmpty);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = pruneEmpty(x);
    if (p === undefined || (Array.isArray(p) && p.length === 0) || (p !== null && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0)) continue;
    out[k] = p;
  }
  return out;
}

/** JSON text with object keys sorted at every level. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The spec as the daemon would store it, with names for network targets and no secret/config IDs. */
export function comparableSpec(spec: ServiceSpec, networkNames: ReadonlyMap<string, string>): string {
  const wire = JSON.parse(JSON.stringify(encodeServiceSpec(spec))) as Json;
  let normalized: Record<string, unknown>;
  try {
    normalized = JSON.parse(JSON.stringify(parseServiceSpec(wire))) as Record<string, unknown>;
  } catch {
    // the daemon will say what is wrong with it; compare the wire form meanwhile
    normalized = wire as Record<string, unknown>;
  }
  const task = (normalized.TaskTemplate ?? {}) as Record<string, unknown>;
  const nets = task.Networks as { Target?: string }[] | undefined;
  if (Array.isArray(nets)) {
    for (const n of nets) if (n.Target !== undefined) n.Target = networkNames.get(n.Target) ?? n.Target;
    nets.sort((a, b) => ((a.Target ?? '') < (b.Target ?? '') ? -1 : (a.Target ?? '') > (b.Target ?? '') ? 1 : 0));
  }
  const container = (task.ContainerSpec ?? {}) as Record<string, unknown>;
  for (const s of (container.Secrets as Record<string, unknown>[] | undefined) ?? []) delete s.SecretID;
  for (const c of (container.Configs as Record<string, unknown>[] | undefined) ?? []) delete c.ConfigID;
  const mode = normalized.Mode; // `{Global: {}}` must not prune away
  return canonical({ ...(pruneEmpty(normalized) as Record<string, unknown>), Mode: mode });
}

export function specChanged(current: ServiceSpec, next: ServiceSpec, networkNames: ReadonlyMap<string, string>): boolean {
  return comparableSpec(current, networkNames) !== comparableSpec(next, networkNames);
}
