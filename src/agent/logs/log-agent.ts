/**
 * The agent's end of the log broker (docs/design/cluster.md "Logs across nodes"): while a dispatcher session
 * lives, it keeps `POST /logs/subscriptions` open on that session's connection; for each `subscribe` it reads the
 * named tasks' container logs with the same reader `docker logs` uses (src/agent/containers/logs.ts) and publishes
 * them in batches (at most `batchMs` old or `batchBytes` big), then a last call with `done`. A `close`, the end of
 * the stream, or a refused publish (the subscription is gone) stops that subscription's readers.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { Notifier } from '../../lib/notifier.js';
import type { RpcClient } from '../../rpc/index.js';
import {
  decodeSubscriptionMessage,
  logsPaths,
  type PublishRequest,
  type PublishedLine,
  type SubscribeMessage,
  type SubscriptionsRequest,
} from '../../rpc/logs-protocol.js';
import { readLogs } from '../containers/logs.js';
import { merge } from './merge.js';

/** Where a task's container log is on this node. */
export interface TaskLogFiles {
  /** The log file (conmon's k8s-file format) of the task's container, or undefined when this node has none. */
  find(taskId: string): { path: string; running: () => boolean } | undefined;
}

/** A dispatcher session that is open: its connection, ID, and a signal that aborts when it ends. */
export interface LiveSession {
  client: RpcClient;
  sessionId: string;
  signal: AbortSignal;
}

export interface SessionSource {
  /** The open session, waiting until there is one; undefined once `signal` aborts. */
  liveSession(signal: AbortSignal): Promise<LiveSession | undefined>;
}

export interface LogAgentOptions {
  sessions: SessionSource;
  files: TaskLogFiles;
  clock: Clock;
  logger: Logger;
  /** A batch is sent at most this long after its first line. Default 100 ms. */
  batchMs?: number;
  /** ... or once it holds this many bytes of lines. Default 64 KiB. */
  batchBytes?: number;
  /** Before opening the subscriptions stream again on the same session after it failed. Default 500 ms. */
  retryMs?: number;
  /** How often a followed log file is polled for more. Default 50 ms. */
  pollMs?: number;
}

/** Bytes a line costs in a publish call's body (its JSON and a comma). */
const cost = (l: PublishedLine): number => Buffer.byteLength(JSON.stringify(l)) + 1;

export class LogAgent {
  private readonly log: Logger;
  private readonly batchMs: number;
  private readonly batchBytes: number;
  /** Subscriptions being served (for tests and diagnostics). */
  readonly active = new Set<string>();

  constructor(private readonly o: LogAgentOptions) {
    this.log = o.logger.child({ component: 'log-agent' });
    this.batchMs = o.batchMs ?? 100;
    this.batchBytes = o.batchBytes ?? 64 * 1024;
  }

  /** Serves subscriptions on every session until `signal` aborts. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const live = await this.o.sessions.liveSession(signal);
      if (live === undefined) return;
      await this.serve(live, signal);
      if (signal.aborted || live.signal.aborted) continue;
      // The stream failed while the session lives (e.g. the manager's broker is not up yet): try again shortly.
      try {
        await this.o.clock.sleep(this.o.retryMs ?? 500, AbortSignal.any([signal, live.signal]));
      } catch {
        // the session or the agent ended: the loop looks again
      }
    }
  }

  /** One subscriptions stream, until it ends; every subscription it started is stopped and awaited. */
  private async serve(live: LiveSession, outer: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([live.signal, outer]);
    const readers = new Map<string, AbortController>();
    const running = new Set<Promise<void>>();
    const body: SubscriptionsRequest = { sessionId: live.sessionId };
    try {
      for await (const raw of live.client.stream<unknown>(logsPaths.subscriptions, body, stop)) {
        const m = decodeSubscriptionMessage(raw);
        if (m.type === 'close') {
          readers.get(m.id)?.abort();
          continue;
        }
        if (readers.has(m.id)) continue;
        const ac = new AbortController();
        readers.set(m.id, ac);
        const p = this.serveOne(live, m, AbortSignal.any([stop, ac.signal])).finally(() => {
          readers.delete(m.id);
          running.delete(p);
        });
        running.add(p);
      }
    } catch (e) {
      if (!stop.aborted) this.log.warn({ err: e }, 'the logs subscriptions stream failed');
    } finally {
      for (const ac of readers.values()) ac.abort();
      await Promise.all(running);
    }
  }

  /** Reads one subscription's tasks and publishes their lines; never throws. */
  private async serveOne(live: LiveSession, m: SubscribeMessage, signal: AbortSignal): Promise<void> {
    this.active.add(m.id);
    const readersDone = new AbortController();
    const readSignal = AbortSignal.any([signal, readersDone.signal]);
    const streams = m.streams ?? ['stdout', 'stderr'];
    const options = {
      stdout: streams.includes('stdout'),
      stderr: streams.includes('stderr'),
      since: m.since ?? 0,
      until: m.until ?? 0,
      tail: m.tail,
      follow: m.follow,
    };
    const sources: AsyncIterable<PublishedLine>[] = [];
    for (const taskId of m.taskIds) {
      const file = this.o.files.find(taskId);
      if (file === undefined) continue;
      const entries = readLogs(file.path, options, {
        running: file.running,
        signal: readSignal,
        ...(this.o.pollMs === undefined ? {} : { pollMs: this.o.pollMs }),
      });
      sources.push(
        (async function* () {
          for await (const e of entries) yield { taskId, stream: e.stream, time: e.time, line: e.text };
        })(),
      );
    }
    let batch: PublishedLine[] = [];
    let bytes = 0;
    let firstAt = 0;
    let ended = false;
    const arrived = new Notifier();
    /** A full batch, or the end: send without waiting out `batchMs`. */
    const urgent = new Notifier();
    const taken = new Notifier();
    const producer = (async () => {
      try {
        for await (const l of merge(sources)) {
          if (batch.length === 0) firstAt = this.o.clock.now();
          batch.push(l);
          bytes += cost(l);
          arrived.notify();
          if (bytes >= this.batchBytes) urgent.notify();
          while (bytes >= 4 * this.batchBytes && !readSignal.aborted) await taken.wait(readSignal);
          if (readSignal.aborted) return;
        }
      } catch (e) {
        if (!readSignal.aborted) this.log.warn({ subscription: m.id, err: e }, 'reading task logs failed');
      } finally {
        ended = true;
        arrived.notify();
        urgent.notify();
      }
    })();
    try {
      while (!signal.aborted) {
        if (batch.length === 0 && !ended) {
          await arrived.wait(signal);
          continue;
        }
        const wait = firstAt + this.batchMs - this.o.clock.now();
        if (!ended && bytes < this.batchBytes && wait > 0) {
          await this.sleepOrWake(wait, urgent, signal);
          continue;
        }
        const messages = this.take(batch);
        batch = batch.slice(messages.length);
        bytes = batch.reduce((n, l) => n + cost(l), 0);
        if (batch.length > 0) firstAt = this.o.clock.now();
        taken.notify();
        const done = ended && batch.length === 0;
        const req: PublishRequest = { sessionId: live.sessionId, id: m.id, messages, ...(done ? { done: true } : {}) };
        await live.client.call<unknown>(logsPaths.publish, req, { signal, deadlineMs: 30_000 });
        if (done) return;
      }
    } catch (e) {
      if (!signal.aborted) this.log.debug({ subscription: m.id, err: e }, 'log subscription stopped');
    } finally {
      readersDone.abort();
      await producer;
      this.active.delete(m.id);
    }
  }

  /** The lines of the next publish call: up to `batchBytes` (at least one line). */
  private take(batch: readonly PublishedLine[]): PublishedLine[] {
    let n = 0;
    let size = 0;
    while (n < batch.length) {
      const c = cost(batch[n] as PublishedLine);
      if (n > 0 && size + c > this.batchBytes) break;
      size += c;
      n++;
    }
    return batch.slice(0, n);
  }

  /** Sleeps `ms`, or less when `wake` fires or `signal` aborts. */
  private async sleepOrWake(ms: number, wake: Notifier, signal: AbortSignal): Promise<void> {
    const early = new AbortController();
    const both = AbortSignal.any([signal, early.signal]);
    void wake.wait(both).then(() => early.abort());
    try {
      await this.o.clock.sleep(ms, both);
    } catch {
      // woken early
    } finally {
      early.abort();
    }
  }
}
