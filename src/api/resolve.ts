/**
 * Reference resolution for `{id}` path parameters (docs/docker-engine-api.md §7, dockerd
 * `daemon/cluster/helpers.go`): try the full ID, then the exact name, then a unique ID prefix.
 *
 * - no match: NotFound `<kind> <ref> not found` (404);
 * - several objects with that exact name, or several IDs with that prefix: InvalidArgument
 *   `<kind> <ref> is ambiguous (N matches found)` (400; dockerd's `ambiguousResultsError` is an invalid parameter).
 *
 * Names are compared exactly (swarmkit's `filterContains`), IDs by prefix only; a name prefix never matches.
 * Pure: no node:* imports.
 */
import { invalidArgument, notFound } from './errors.js';
import type { ShoalError } from './errors.js';

/** The object kind, as the word in the error messages: `node`, `service`, `task`, `secret`, `config`, `network`. */
export type RefKind = string;

export interface RefGetters<T> {
  id(item: T): string;
  /** The item's name(s): nodes may match by hostname; tasks and networks may have none. */
  name(item: T): string | readonly string[] | undefined;
}

export function refNotFound(kind: RefKind, ref: string): ShoalError {
  return notFound(`${kind}.not_found`, `${kind} ${ref} not found`);
}

function ambiguous(kind: RefKind, ref: string, n: number): ShoalError {
  return invalidArgument(`${kind}.ambiguous`, `${kind} ${ref} is ambiguous (${n} matches found)`);
}

function hasName<T>(get: RefGetters<T>, item: T, ref: string): boolean {
  const n = get.name(item);
  if (n === undefined) return false;
  return typeof n === 'string' ? n === ref : n.includes(ref);
}

/**
 * Finds the one item `ref` designates, or throws (see the module doc). An empty `ref` is never found: as a prefix it
 * would match everything.
 */
export function resolveRef<T>(kind: RefKind, ref: string, items: Iterable<T>, get: RefGetters<T>): T {
  if (ref === '') throw refNotFound(kind, ref);
  const all = Array.isArray(items) ? (items as readonly T[]) : [...items];

  const byId = all.find((it) => get.id(it) === ref);
  if (byId !== undefined) return byId;

  const byName = all.filter((it) => hasName(get, it, ref));
  if (byName.length === 1) return byName[0] as T;
  if (byName.length > 1) throw ambiguous(kind, ref, byName.length);

  const byPrefix = all.filter((it) => get.id(it).startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0] as T;
  if (byPrefix.length > 1) throw ambiguous(kind, ref, byPrefix.length);

  throw refNotFound(kind, ref);
}

/** `resolveRef` for the common shape `{ ID, Spec: { Name } }` (services, secrets, configs). */
export const specNameGetters: RefGetters<{ ID: string; Spec: { Name?: string } }> = {
  id: (x) => x.ID,
  name: (x) => x.Spec.Name,
};
