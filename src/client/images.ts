/**
 * Typed calls for the Engine API's image endpoints, as standalone functions over an EngineClient. Pull
 * (`POST /images/create`) and load (`POST /images/load`) answer with NDJSON progress streams (docker's
 * JSONMessage lines); `readJSONMessages` parses them. The caller turns `errorDetail` into an error.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ShoalError } from '../api/errors.js';
import type { EngineClient } from './client.js';
import { upload } from './hijack.js';
import type {
  ImageCreateOptions,
  ImageDeleteItem,
  ImageInspect,
  ImageListOptions,
  ImageLoadOptions,
  ImagePruneReport,
  ImageSummary,
  JSONMessage,
} from './image-types.js';

const flag = (b: boolean | undefined): string | undefined => (b === true ? '1' : undefined);
const seg = (ref: string): string => encodeURIComponent(ref);

/** `GET /images/json?all=1&filters=…&shared-size=1&digests=1`. */
export async function imageList(client: EngineClient, o: ImageListOptions = {}): Promise<ImageSummary[]> {
  const filters = o.filters !== undefined && Object.keys(o.filters).length > 0 ? o.filters : undefined;
  const list = await client.request<ImageSummary[] | null>('GET', '/images/json', {
    query: { all: flag(o.all), filters, 'shared-size': flag(o.sharedSize), digests: flag(o.digests) },
  });
  return list ?? [];
}

/** `GET /images/{name}/json`, by name[:tag], name@digest, ID or unique ID prefix. */
export function imageInspect(client: EngineClient, ref: string): Promise<ImageInspect> {
  return client.request('GET', `/images/${seg(ref)}/json`);
}

/** `DELETE /images/{name}?force=1&noprune=1` → what was untagged and deleted, in order. */
export async function imageRemove(client: EngineClient, ref: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
  const items = await client.request<ImageDeleteItem[] | null>('DELETE', `/images/${seg(ref)}`, {
    query: { force: flag(o.force), noprune: flag(o.noprune) },
  });
  return items ?? [];
}

/** `POST /images/{name}/tag?repo=R&tag=T` → 201. `repo` is the normalized repository (`docker.io/library/x`). */
export async function imageTag(client: EngineClient, source: string, repo: string, tag?: string): Promise<void> {
  await client.request('POST', `/images/${seg(source)}/tag`, { query: { repo, tag: tag || undefined } });
}

/** `POST /images/prune?filters=…` (the CLI always sends `dangling`). */
export async function imagePrune(client: EngineClient, filters: Record<string, Record<string, boolean>>): Promise<ImagePruneReport> {
  const r = await client.request<ImagePruneReport | undefined>('POST', '/images/prune', {
    query: { filters: Object.keys(filters).length > 0 ? filters : undefined },
  });
  return { ImagesDeleted: r?.ImagesDeleted ?? null, SpaceReclaimed: r?.SpaceReclaimed ?? 0 };
}

/**
 * `POST /images/create?fromImage=R&tag=T&platform=P[&insecure=1]` with `X-Registry-Auth` when credentials are
 * known. Resolves with the NDJSON progress stream once the daemon accepted the pull.
 */
export function imagePull(client: EngineClient, o: ImageCreateOptions, signal?: AbortSignal): Promise<IncomingMessage> {
  return client.stream('POST', '/images/create', {
    query: {
      fromImage: o.fromImage,
      tag: o.tag || undefined,
      platform: o.platform || undefined,
      insecure: flag(o.insecure),
    },
    ...(o.registryAuth !== undefined ? { headers: { 'X-Registry-Auth': o.registryAuth } } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
}

/**
 * `POST /images/load?quiet=1&platform=P`, the tarball streamed as `application/x-tar` (`size` gives its
 * Content-Length). Resolves with the response: an NDJSON stream (`{"stream":"Loaded image: x\n"}` lines) when its
 * Content-Type is application/json, plain text otherwise.
 */
export function imageLoad(client: EngineClient, tarball: Readable, o: ImageLoadOptions & { size?: number } = {}): Promise<IncomingMessage> {
  return upload(client, 'POST', '/images/load', tarball, {
    query: { quiet: flag(o.quiet), platform: o.platform || undefined },
    headers: { 'Content-Type': 'application/x-tar', ...(o.size !== undefined ? { 'Content-Length': o.size } : {}) },
  });
}

/** Whether a response carries a JSON(-lines) body. */
export function isJSONResponse(res: IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').split(';', 1)[0]?.trim() === 'application/json';
}

/** Parses an NDJSON stream into JSONMessages (blank lines skipped). A line that is not JSON rejects. */
export async function* readJSONMessages(source: AsyncIterable<Buffer | string>): AsyncGenerator<JSONMessage> {
  let pending = '';
  const decoder = new StringDecoder('utf8');
  const parse = (line: string): JSONMessage => {
    try {
      return JSON.parse(line) as JSONMessage;
    } catch (e) {
      throw new ShoalError('Internal', 'client.bad_response', `invalid JSON message from the daemon: ${(e as Error).message}`);
    }
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield parse(line);
      nl = pending.indexOf('\n');
    }
  }
  const last = (pending + decoder.end()).trim();
  if (last !== '') yield parse(last);
}

/** The error a JSONMessage carries, if any (docker's Display: code 401 means "authentication is required"). */
export function messageError(m: JSONMessage): ShoalError | undefined {
  if (m.errorDetail === undefined && m.error === undefined) return undefined;
  if (m.errorDetail?.code === 401) return new ShoalError('Internal', 'client.stream_error', 'authentication is required');
  const text = m.errorDetail?.message ?? m.error ?? '';
  return new ShoalError('Internal', 'client.stream_error', text);
}
