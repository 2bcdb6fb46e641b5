/** Argument checks every backend applies to a transaction before touching its data. Pure. */
import type { LeaseId, Op } from './backend.js';
import { duplicateKey, leaseNotFound } from './errors.js';

/** Throws on a key written twice in one transaction (as etcd does) or a put attached to a dead lease. */
export function checkOps(ops: readonly Op[], leaseAlive: (id: LeaseId) => boolean): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) throw duplicateKey(op.key);
    seen.add(op.key);
    if (op.type === 'put' && op.lease !== undefined && !leaseAlive(op.lease)) throw leaseNotFound(op.lease);
  }
}

/** The smallest string greater than every string starting with `prefix`, or undefined when there is none. */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}
