/** Whether a task change matters to its agent (pure). */
import type { Task } from '../../api/types.js';

/** Fields an agent does not need pushed: it wrote Status itself; Version and UpdatedAt follow every write. */
const IGNORED = new Set(['Status', 'Version', 'UpdatedAt']);

/** True when `a` and `b` differ only in what the agent does not need to be told about. */
export function sameForAgent(a: Task, b: Task): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (IGNORED.has(k)) continue;
    if (!sameJson((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameJson(ao[k], bo[k])) return false;
  return true;
}
