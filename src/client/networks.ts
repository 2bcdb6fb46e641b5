/**
 * Typed calls for the Engine API's network endpoints, as standalone functions over an EngineClient, sent the way
 * the docker CLI 28.x sends them (docs/docker-engine-api.md §3.4): the create body in moby's `CreateRequest` field
 * order, `filters` as JSON with sorted keys.
 */
import type { FilterMap } from '../api/filters.js';
import type { IPAMConfig, Network } from '../api/types.js';
import type { EngineClient } from './client.js';

const seg = (ref: string): string => encodeURIComponent(ref);

/** `GET /networks/{id}`: `Peers` comes only with `verbose`. */
export type NetworkResource = Network & { Peers?: { Name: string; IP: string }[] | null };

/** The body of `POST /networks/create` (moby `network.CreateRequest`). */
export interface NetworkCreateRequest {
  Name: string;
  Driver: string;
  Scope: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: IPAMConfig[] } | null;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  ConfigFrom: { Network: string } | null;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

function sortedFilters(f: FilterMap | undefined): FilterMap | undefined {
  if (f === undefined || Object.keys(f).length === 0) return undefined;
  const out: FilterMap = {};
  for (const k of Object.keys(f).sort()) out[k] = f[k] ?? {};
  return out;
}

/** `POST /networks/create` → `{Id, Warning}`. */
export function networkCreate(client: EngineClient, body: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
  return client.request('POST', '/networks/create', { body });
}

/** `GET /networks?filters=…`. */
export async function networkList(client: EngineClient, filters?: FilterMap): Promise<Network[]> {
  return (await client.request<Network[] | null>('GET', '/networks', { query: { filters: sortedFilters(filters) } })) ?? [];
}

/** `GET /networks/{id or name}` (`verbose=true` and `scope=` only when asked, as the docker CLI sends them). */
export function networkGet(client: EngineClient, ref: string, o: { verbose?: boolean; scope?: string } = {}): Promise<NetworkResource> {
  return client.request('GET', `/networks/${seg(ref)}`, {
    query: { scope: o.scope || undefined, verbose: o.verbose === true ? 'true' : undefined },
  });
}

/** `DELETE /networks/{id or name}`. */
export async function networkRemove(client: EngineClient, ref: string): Promise<void> {
  await client.request('DELETE', `/networks/${seg(ref)}`);
}

/** `POST /networks/prune?filters=…` → the names removed. */
export async function networkPrune(client: EngineClient, filters?: FilterMap): Promise<string[]> {
  const r = await client.request<{ NetworksDeleted: string[] | null } | undefined>('POST', '/networks/prune', { query: { filters: sortedFilters(filters) } });
  return r?.NetworksDeleted ?? [];
}

/** `POST /networks/{id}/connect` as the docker CLI sends it (`docker network connect [--alias A] [--ip IP] NET CTR`). */
export async function networkConnect(client: EngineClient, network: string, container: string, o: { aliases?: string[]; ipv4Address?: string } = {}): Promise<void> {
  const endpoint = {
    ...(o.ipv4Address !== undefined ? { IPAMConfig: { IPv4Address: o.ipv4Address } } : {}),
    ...(o.aliases !== undefined && o.aliases.length > 0 ? { Aliases: o.aliases } : {}),
  };
  await client.request('POST', `/networks/${seg(network)}/connect`, { body: { Container: container, EndpointConfig: endpoint } });
}

/** `POST /networks/{id}/disconnect` (`docker network disconnect [-f] NET CTR`). */
export async function networkDisconnect(client: EngineClient, network: string, container: string, o: { force?: boolean } = {}): Promise<void> {
  await client.request('POST', `/networks/${seg(network)}/disconnect`, { body: { Container: container, Force: o.force === true } });
}
