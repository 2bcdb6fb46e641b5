/**
 * Where typed objects live in the key space, and how they are encoded. Pure.
 *
 * - `/shoal/<kind>/<id>`: one JSON document per object (id = `ID`, or `Id` for networks). The stored JSON has no
 *   `Version`: it is the key's modRev, added back on every read.
 * - `/shoal/names/<kind>/<lowercased name>`: the unique-name index for services, networks, secrets and configs;
 *   the value is the object's id. Names are unique regardless of case, like swarmkit's name index.
 */
import type { Config, Network, Secret, Service, Version } from '../../api/types.js';
import { invalidObject } from './errors.js';
import type { Kind, ObjectOf } from './tables.js';
import { KINDS } from './tables.js';

export const ROOT = '/shoal/';
const NAMES = 'names';

export type AnyObject = ObjectOf[Kind];

export const NAMED_KINDS: ReadonlySet<Kind> = new Set<Kind>(['services', 'networks', 'secrets', 'configs']);

export function objectPrefix(kind: Kind): string {
  return `${ROOT}${kind}/`;
}

export function objectKey(kind: Kind, id: string): string {
  return `${ROOT}${kind}/${id}`;
}

export function nameKey(kind: Kind, name: string): string {
  return `${ROOT}${NAMES}/${kind}/${name.toLowerCase()}`;
}

/** The kind and id an object key stands for; undefined for index keys and anything else. */
export function parseObjectKey(key: string): { kind: Kind; id: string } | undefined {
  if (!key.startsWith(ROOT)) return undefined;
  const rest = key.slice(ROOT.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const kind = KINDS.find((k) => k === rest.slice(0, slash));
  const id = rest.slice(slash + 1);
  return kind === undefined || id === '' ? undefined : { kind, id };
}

export function idOf(kind: Kind, obj: AnyObject): string {
  const id = kind === 'networks' ? (obj as Network).Id : (obj as Exclude<AnyObject, Network>).ID;
  if (typeof id !== 'string' || id === '' || id.includes('/')) {
    throw invalidObject(`${kind}: invalid object ID ${JSON.stringify(id)}`);
  }
  return id;
}

/** The unique name of objects of a named kind; undefined for the other kinds. */
export function nameOf(kind: Kind, obj: AnyObject): string | undefined {
  if (!NAMED_KINDS.has(kind)) return undefined;
  const name = kind === 'networks' ? (obj as Network).Name : (obj as Service | Secret | Config).Spec.Name;
  if (typeof name !== 'string' || name === '') throw invalidObject(`${kind} ${idOf(kind, obj)}: a name is required`);
  return name;
}

export function versionOf(obj: AnyObject): number {
  return (obj as { Version?: Version }).Version?.Index ?? 0;
}

export function setVersion(obj: AnyObject, index: number): void {
  (obj as { Version?: Version }).Version = { Index: index };
}

/** JSON without `Version`, which the store derives from the key's modRev. */
export function encode(obj: AnyObject): string {
  const { Version: _version, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Parses a stored document and gives it `Version.Index` = `modRev` (right after `ID`, where docker prints it). */
export function decode<K extends Kind>(kind: K, value: string, modRev: number): ObjectOf[K] {
  const parsed = JSON.parse(value) as Record<string, unknown>;
  delete parsed['Version'];
  const version: Version = { Index: modRev };
  const out = kind === 'networks' ? { ...parsed, Version: version } : { ID: parsed['ID'], Version: version, ...parsed };
  return out as unknown as ObjectOf[K];
}
