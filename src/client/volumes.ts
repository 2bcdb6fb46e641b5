/** Typed calls for the Engine API's volume endpoints (`/volumes`), as standalone functions over an EngineClient. */
import type { EngineClient } from './client.js';

/** docker's `Volume` JSON (API 1.47). */
export interface Volume {
  CreatedAt?: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface VolumePruneReport {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

type FilterMap = Record<string, Record<string, boolean>>;
const seg = (name: string): string => encodeURIComponent(name);
const filtersArg = (f: FilterMap | undefined): FilterMap | undefined => (f !== undefined && Object.keys(f).length > 0 ? f : undefined);

/** `GET /volumes?filters=…`. */
export async function volumeList(client: EngineClient, filters?: FilterMap): Promise<{ Volumes: Volume[]; Warnings: string[] | null }> {
  const r = await client.request<{ Volumes: Volume[] | null; Warnings: string[] | null } | undefined>('GET', '/volumes', { query: { filters: filtersArg(filters) } });
  return { Volumes: r?.Volumes ?? [], Warnings: r?.Warnings ?? null };
}

/** `POST /volumes/create` → the volume (the existing one when the name is taken). */
export function volumeCreate(client: EngineClient, body: VolumeCreateRequest): Promise<Volume> {
  return client.request('POST', '/volumes/create', { body });
}

/** `GET /volumes/{name}`. */
export function volumeInspect(client: EngineClient, name: string): Promise<Volume> {
  return client.request('GET', `/volumes/${seg(name)}`);
}

/** `DELETE /volumes/{name}?force=1` → 204. */
export async function volumeRemove(client: EngineClient, name: string, o: { force?: boolean } = {}): Promise<void> {
  await client.request('DELETE', `/volumes/${seg(name)}`, { query: { force: o.force === true ? '1' : undefined } });
}

/** `POST /volumes/prune?filters=…` (`all=true` to remove named volumes too). */
export async function volumePrune(client: EngineClient, filters?: FilterMap): Promise<VolumePruneReport> {
  const r = await client.request<VolumePruneReport | undefined>('POST', '/volumes/prune', { query: { filters: filtersArg(filters) } });
  return { VolumesDeleted: r?.VolumesDeleted ?? null, SpaceReclaimed: r?.SpaceReclaimed ?? 0 };
}
