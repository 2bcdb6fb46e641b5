/**
 * Typed calls for the Engine API's container and exec endpoints, as standalone functions over an EngineClient.
 * Query parameters are sent as the docker client sends them (`1` for a set flag, absent otherwise). Streams: logs
 * (a response body, multiplexed unless TTY), wait (a long poll whose headers arrive once the waiter is registered),
 * attach and exec start (hijacked connections, see hijack.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { EngineClient } from './client.js';
import type {
  ContainerAttachOptions,
  ContainerCreateBody,
  ContainerCreateQuery,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerListOptions,
  ContainerLogsOptions,
  ContainerRemoveOptions,
  ContainerSummary,
  ContainerWaitResponse,
  ExecCreateBody,
  ExecInspect,
  ExecStartBody,
  WaitCondition,
} from './container-types.js';
import { hijack } from './hijack.js';
import type { HijackedStream } from './hijack.js';
import { readBody } from './transport.js';

const flag = (b: boolean | undefined): string | undefined => (b === true ? '1' : undefined);
const seg = (ref: string): string => encodeURIComponent(ref);
const nonEmpty = (filters: ContainerListOptions['filters']): ContainerListOptions['filters'] =>
  filters !== undefined && Object.keys(filters).length > 0 ? filters : undefined;

/** `POST /containers/create?name=&platform=` → 201 `{Id, Warnings}`. */
export function containerCreate(client: EngineClient, body: ContainerCreateBody, q: ContainerCreateQuery = {}): Promise<ContainerCreateResponse> {
  return client.request('POST', '/containers/create', {
    query: { name: q.name === '' ? undefined : q.name, platform: q.platform === '' ? undefined : q.platform },
    body,
  });
}

/** `GET /containers/json?all=1&limit=N&size=1&filters=…`. */
export async function containerList(client: EngineClient, o: ContainerListOptions = {}): Promise<ContainerSummary[]> {
  const list = await client.request<ContainerSummary[] | null>('GET', '/containers/json', {
    query: {
      all: flag(o.all),
      limit: o.limit !== undefined && o.limit > 0 ? o.limit : undefined,
      size: flag(o.size),
      filters: nonEmpty(o.filters),
    },
  });
  return list ?? [];
}

/** `GET /containers/{id}/json[?size=1]`, by ID, name or unique ID prefix. */
export function containerInspect(client: EngineClient, ref: string, o: { size?: boolean } = {}): Promise<ContainerInspect> {
  return client.request('GET', `/containers/${seg(ref)}/json`, { query: { size: flag(o.size) } });
}

/** `POST /containers/{id}/start` → 204 (304 when already started also resolves). */
export async function containerStart(client: EngineClient, ref: string, o: { detachKeys?: string } = {}): Promise<void> {
  await client.request('POST', `/containers/${seg(ref)}/start`, { query: { detachKeys: o.detachKeys || undefined } });
}

/** `POST /containers/{id}/stop?signal=S&t=N` (`t` only when given: the daemon's default otherwise). */
export async function containerStop(client: EngineClient, ref: string, o: { signal?: string; timeout?: number } = {}): Promise<void> {
  await client.request('POST', `/containers/${seg(ref)}/stop`, {
    query: { signal: o.signal || undefined, t: o.timeout },
  });
}

/** `POST /containers/{id}/kill?signal=S` (no `signal`: the daemon sends SIGKILL). */
export async function containerKill(client: EngineClient, ref: string, signal?: string): Promise<void> {
  await client.request('POST', `/containers/${seg(ref)}/kill`, { query: { signal: signal || undefined } });
}

/** `DELETE /containers/{id}?force=1&v=1&link=1`. */
export async function containerRemove(client: EngineClient, ref: string, o: ContainerRemoveOptions = {}): Promise<void> {
  await client.request('DELETE', `/containers/${seg(ref)}`, {
    query: { v: flag(o.volumes), force: flag(o.force), link: flag(o.link) },
  });
}

/** `POST /containers/{id}/resize?h=H&w=W` (the TTY size). */
export async function containerResize(client: EngineClient, ref: string, height: number, width: number): Promise<void> {
  await client.request('POST', `/containers/${seg(ref)}/resize`, { query: { h: height, w: width } });
}

/** A wait in progress: `registered` once the daemon has answered with headers, `result` once the condition is met. */
export interface ContainerWaiter {
  registered: Promise<void>;
  result: Promise<ContainerWaitResponse>;
}

/**
 * `POST /containers/{id}/wait?condition=C`. The daemon sends the response headers as soon as the waiter is in place
 * (dockerd flushes them) and the body `{StatusCode, Error}` when the condition is met, so `run` can wait for
 * `registered` before starting the container and never miss a fast exit.
 */
export function containerWait(client: EngineClient, ref: string, condition?: WaitCondition, signal?: AbortSignal): ContainerWaiter {
  const res = client.stream('POST', `/containers/${seg(ref)}/wait`, {
    query: { condition: condition || undefined },
    ...(signal !== undefined ? { signal } : {}),
  });
  const result = res.then(async (r) => {
    const text = (await readBody(r)).toString('utf8').trim();
    if (text === '') return { StatusCode: 0 };
    return JSON.parse(text) as ContainerWaitResponse;
  });
  // Either promise may be left unobserved by a caller that only needs the other one.
  result.catch(() => undefined);
  const registered = res.then(() => undefined);
  registered.catch(() => undefined);
  return { registered, result };
}

/**
 * `GET /containers/{id}/logs?stdout=1&stderr=1&since=&until=&timestamps=1&follow=1&tail=&details=1`. Resolves with
 * the response stream: multiplexed frames, or raw bytes for a TTY container.
 */
export function containerLogs(client: EngineClient, ref: string, o: ContainerLogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
  return client.stream('GET', `/containers/${seg(ref)}/logs`, {
    query: {
      stdout: flag(o.stdout),
      stderr: flag(o.stderr),
      since: o.since || undefined,
      until: o.until || undefined,
      timestamps: flag(o.timestamps),
      follow: flag(o.follow),
      tail: o.tail || undefined,
      details: flag(o.details),
    },
    ...(signal !== undefined ? { signal } : {}),
  });
}

/** `POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1`, hijacked. */
export function containerAttach(client: EngineClient, ref: string, o: ContainerAttachOptions): Promise<HijackedStream> {
  return hijack(client, `/containers/${seg(ref)}/attach`, {
    query: {
      stream: flag(o.stream),
      stdin: flag(o.stdin),
      stdout: flag(o.stdout),
      stderr: flag(o.stderr),
      logs: flag(o.logs),
      detachKeys: o.detachKeys || undefined,
    },
  });
}

/** `POST /containers/{id}/exec` → 201 `{Id}`. */
export function execCreate(client: EngineClient, ref: string, body: ExecCreateBody): Promise<{ Id: string }> {
  return client.request('POST', `/containers/${seg(ref)}/exec`, { body });
}

/** `POST /exec/{id}/start` with `Detach: true`: starts the process and returns at once. */
export async function execStartDetached(client: EngineClient, execId: string, body: ExecStartBody): Promise<void> {
  await client.request('POST', `/exec/${seg(execId)}/start`, { body });
}

/** `POST /exec/{id}/start` with `Detach: false`, hijacked: the process's stdin and output. */
export function execStartAttached(client: EngineClient, execId: string, body: ExecStartBody): Promise<HijackedStream> {
  return hijack(client, `/exec/${seg(execId)}/start`, { body });
}

/** `POST /exec/{id}/resize?h=H&w=W`. */
export async function execResize(client: EngineClient, execId: string, height: number, width: number): Promise<void> {
  await client.request('POST', `/exec/${seg(execId)}/resize`, { query: { h: height, w: width } });
}

/** `GET /exec/{id}/json`. */
export function execInspect(client: EngineClient, execId: string): Promise<ExecInspect> {
  return client.request('GET', `/exec/${seg(execId)}/json`);
}
