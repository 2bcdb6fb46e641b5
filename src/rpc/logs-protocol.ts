/**
 * The manager ↔ agent logs protocol (docs/design/cluster.md "Logs across nodes"; swarmkit's log broker): paths,
 * messages and the checks each side runs on what the other sends. Every call acts for the node named by the
 * caller's certificate, never by the body; `sessionId` must be the node's current dispatcher session.
 *
 * | call | request | reply |
 * |---|---|---|
 * | `POST /logs/subscriptions` | `{sessionId}` | NDJSON stream of `SubscriptionMessage` while the session lives |
 * | `POST /logs/publish` | `{sessionId, id, messages: [{taskId, stream, time, line}], done?}` | `{}` once queued |
 *
 * An agent answers a `subscribe` by reading the named tasks' container logs and publishing them in batches (at most
 * 100 ms or 64 KiB each), then one call with `done: true` when every reader has ended (without `follow`: at once
 * after the last line). A `close` tells it to stop. `streams` (swarmkit's `LogSubscriptionOptions.Streams`) names
 * the streams to read before `tail` counts lines; absent means both.
 */
import { array, object, optionalNumber, string, type Json } from './decode.js';
import { rpcErrors } from './errors.js';

export const logsPaths = {
  subscriptions: '/logs/subscriptions',
  publish: '/logs/publish',
} as const;

export type LogStreamName = 'stdout' | 'stderr';

export interface SubscriptionsRequest {
  sessionId: string;
}

/** What to read: the tasks (all on the receiving node) and docker's log options. */
export interface SubscribeMessage {
  type: 'subscribe';
  id: string;
  taskIds: string[];
  follow: boolean;
  /** The last N lines of each task; absent: all. */
  tail?: number;
  /** Unix seconds (fractions allowed); absent or 0: from the beginning. */
  since?: number;
  /** Unix seconds; absent or 0: no bound. */
  until?: number;
  timestamps: boolean;
  details: boolean;
  /** Absent: both. */
  streams?: LogStreamName[];
}

export interface CloseMessage {
  type: 'close';
  id: string;
}

export type SubscriptionMessage = SubscribeMessage | CloseMessage;

export interface PublishedLine {
  taskId: string;
  stream: LogStreamName;
  /** RFC 3339 in UTC, nanosecond precision (what `docker logs -t` prints). */
  time: string;
  /** The line without its trailing newline. */
  line: string;
}

export interface PublishRequest {
  sessionId: string;
  /** The subscription's ID. */
  id: string;
  messages: PublishedLine[];
  /** The last call for this subscription from this node: every reader has ended. */
  done?: boolean;
}

export type PublishResponse = Record<string, never>;

// ---------------------------------------------------------------- checks (manager side)

export function decodeSubscriptionsRequest(body: unknown): SubscriptionsRequest {
  const what = 'logs subscriptions request';
  return { sessionId: string(object(body, what), 'sessionId', what) };
}

function streamName(value: unknown, what: string): LogStreamName {
  if (value !== 'stdout' && value !== 'stderr') throw rpcErrors.badRequest(`${what}: must be "stdout" or "stderr"`);
  return value;
}

function optionalBoolean(o: Json, key: string, what: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw rpcErrors.badRequest(`${what}.${key}: must be a boolean`);
  return v;
}

export function decodePublishRequest(body: unknown): PublishRequest {
  const what = 'logs publish request';
  const o = object(body, what);
  const messages = array(o, 'messages', what).map((m, i): PublishedLine => {
    const w = `${what}.messages[${i}]`;
    const mo = object(m, w);
    const time = string(mo, 'time', w);
    if (Number.isNaN(Date.parse(time))) throw rpcErrors.badRequest(`${w}.time: not a time`);
    return { taskId: string(mo, 'taskId', w), stream: streamName(mo['stream'], `${w}.stream`), time, line: string(mo, 'line', w) };
  });
  const req: PublishRequest = { sessionId: string(o, 'sessionId', what), id: string(o, 'id', what), messages };
  const done = optionalBoolean(o, 'done', what);
  if (done !== undefined) req.done = done;
  return req;
}

// ---------------------------------------------------------------- checks (agent side)

export function decodeSubscriptionMessage(value: unknown): SubscriptionMessage {
  const what = 'logs subscription message';
  const o = object(value, what);
  const type = string(o, 'type', what);
  const id = string(o, 'id', what);
  if (type === 'close') return { type, id };
  if (type !== 'subscribe') throw rpcErrors.badRequest(`${what}.type: unknown ${JSON.stringify(type)}`);
  const taskIds = array(o, 'taskIds', what).map((t, i) => {
    if (typeof t !== 'string') throw rpcErrors.badRequest(`${what}.taskIds[${i}]: must be a string`);
    return t;
  });
  const flag = (key: string): boolean => optionalBoolean(o, key, what) ?? false;
  const m: SubscribeMessage = { type, id, taskIds, follow: flag('follow'), timestamps: flag('timestamps'), details: flag('details') };
  const tail = optionalNumber(o, 'tail', what);
  if (tail !== undefined) {
    if (!Number.isInteger(tail) || tail < 0) throw rpcErrors.badRequest(`${what}.tail: must be a non-negative integer`);
    m.tail = tail;
  }
  const since = optionalNumber(o, 'since', what);
  if (since !== undefined) m.since = since;
  const until = optionalNumber(o, 'until', what);
  if (until !== undefined) m.until = until;
  if (o['streams'] !== undefined) m.streams = array(o, 'streams', what).map((s, i) => streamName(s, `${what}.streams[${i}]`));
  return m;
}
