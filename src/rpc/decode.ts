/** Small runtime checks for request bodies: each throws InvalidArgument `rpc.bad_request` naming the field. */
import { rpcErrors } from './errors.js';

export type Json = Record<string, unknown>;

export function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw rpcErrors.badRequest(`${what}: must be an object`);
  return value as Json;
}

export function string(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw rpcErrors.badRequest(`${what}.${key}: must be a string`);
  return v;
}

export function optionalString(o: Json, key: string, what: string): string | undefined {
  return o[key] === undefined ? undefined : string(o, key, what);
}

export function number(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw rpcErrors.badRequest(`${what}.${key}: must be a number`);
  return v;
}

export function optionalNumber(o: Json, key: string, what: string): number | undefined {
  return o[key] === undefined ? undefined : number(o, key, what);
}

export function array(o: Json, key: string, what: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw rpcErrors.badRequest(`${what}.${key}: must be an array`);
  return v;
}
