/**
 * Typed calls for the Engine API's `/secrets` and `/configs` endpoints, as standalone functions over an EngineClient.
 * Bodies go out as the docker CLI sends them: `{"Name", "Labels", "Data"}` in Go's field order, `Labels` always an
 * object, `Data` base64.
 */
import type { FilterMap } from '../api/filters.js';
import type { Config, ConfigSpec, Secret, SecretSpec } from '../api/types.js';
import type { EngineClient } from './client.js';

export type SecretKindPath = 'secrets' | 'configs';

const seg = (ref: string): string => encodeURIComponent(ref);

function sortedFilters(filters: FilterMap | undefined): FilterMap | undefined {
  if (filters === undefined || Object.keys(filters).length === 0) return undefined;
  const out: FilterMap = {};
  for (const k of Object.keys(filters).sort()) {
    const values: Record<string, boolean> = {};
    for (const v of Object.keys(filters[k] ?? {}).sort()) values[v] = true;
    out[k] = values;
  }
  return out;
}

/** The spec body in Go's field order (`Name`, `Labels`, `Data`, `Driver`, `Templating`). */
function specBody(spec: SecretSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { Name: spec.Name, Labels: spec.Labels ?? {} };
  if (spec.Data !== undefined && spec.Data !== '') out.Data = spec.Data;
  if (spec.Driver !== undefined) out.Driver = spec.Driver;
  if (spec.Templating !== undefined) out.Templating = spec.Templating;
  return out;
}

async function create(client: EngineClient, path: SecretKindPath, spec: SecretSpec): Promise<{ ID: string }> {
  return client.request('POST', `/${path}/create`, { body: specBody(spec) });
}

async function list<T>(client: EngineClient, path: SecretKindPath, filters?: FilterMap): Promise<T[]> {
  return (await client.request<T[] | null>('GET', `/${path}`, { query: { filters: sortedFilters(filters) } })) ?? [];
}

// ---------------------------------------------------------------- secrets

/** `POST /secrets/create` → `{ID}`. */
export function secretCreate(client: EngineClient, spec: SecretSpec): Promise<{ ID: string }> {
  return create(client, 'secrets', spec);
}

/** `GET /secrets?filters=…` (never with data). */
export function secretListAll(client: EngineClient, filters?: FilterMap): Promise<Secret[]> {
  return list<Secret>(client, 'secrets', filters);
}

/** `GET /secrets/{id or name}`. */
export function secretInspect(client: EngineClient, ref: string): Promise<Secret> {
  return client.request('GET', `/secrets/${seg(ref)}`);
}

/** `POST /secrets/{id}/update?version=N` (only the labels may change). */
export async function secretUpdate(client: EngineClient, ref: string, version: number, spec: SecretSpec): Promise<void> {
  await client.request('POST', `/secrets/${seg(ref)}/update`, { query: { version }, body: specBody(spec) });
}

/** `DELETE /secrets/{id or name}`. */
export async function secretRemove(client: EngineClient, ref: string): Promise<void> {
  await client.request('DELETE', `/secrets/${seg(ref)}`);
}

// ---------------------------------------------------------------- configs

/** `POST /configs/create` → `{ID}`. */
export function configCreate(client: EngineClient, spec: ConfigSpec): Promise<{ ID: string }> {
  return create(client, 'configs', spec);
}

/** `GET /configs?filters=…` (with data). */
export function configListAll(client: EngineClient, filters?: FilterMap): Promise<Config[]> {
  return list<Config>(client, 'configs', filters);
}

/** `GET /configs/{id or name}`. */
export function configInspect(client: EngineClient, ref: string): Promise<Config> {
  return client.request('GET', `/configs/${seg(ref)}`);
}

/** `POST /configs/{id}/update?version=N` (only the labels may change). */
export async function configUpdate(client: EngineClient, ref: string, version: number, spec: ConfigSpec): Promise<void> {
  await client.request('POST', `/configs/${seg(ref)}/update`, { query: { version }, body: specBody(spec) });
}

/** `DELETE /configs/{id or name}`. */
export async function configRemove(client: EngineClient, ref: string): Promise<void> {
  await client.request('DELETE', `/configs/${seg(ref)}`);
}
