/**
 * The dashboard's HTTP server, run by a manager beside its swarm runtime (plain HTTP, read-only, loopback by
 * default: `--dashboard-addr`).
 *
 * - `GET /` → the page (src/dashboard/page.ts), with a Content-Security-Policy that allows only its own inline
 *   script (pinned by hash), its inline style, its worker and requests to this origin; `GET /events-worker.js` →
 *   the worker that holds the event stream for the page.
 * - `GET /api/state` → the snapshot (src/dashboard/snapshot.ts) as JSON.
 * - `GET /api/events` → Server-Sent Events: one `snapshot` event at once, then a new one whenever the store
 *   changes, coalesced to at most one per `minIntervalMs` (250 ms: 4 per second); a comment line every
 *   `heartbeatMs` (15 s) keeps proxies and the browser from timing out. Each stream watches the store from the
 *   revision its first snapshot was read at, and stops the watch when the client goes away or the server closes.
 *   At most `maxStreams` streams are open at once (more get 503).
 * - A request whose `Host` is a DNS name other than `localhost` or the name given in `--dashboard-addr` gets 403:
 *   a page on another site that rebinds its name to this address (DNS rebinding) cannot read the cluster's state.
 *   Open the dashboard by IP address or `localhost`.
 * - `HEAD` is answered like `GET` without a body; other methods get 405 with `Allow`; unknown paths 404. Errors are
 *   JSON `{"message": ...}` like the Engine API's. Nothing a client sends can throw out of a handler.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '../api/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/core/store.js';
import { PAGE_HTML, PAGE_SCRIPT, WORKER_SCRIPT } from './page.js';
import { buildSnapshot, type DashboardSnapshot } from './snapshot.js';

export const DEFAULT_DASHBOARD_ADDR = '127.0.0.1:2378';

export interface DashboardAddress {
  host: string;
  port: number;
}

/**
 * `--dashboard-addr`: `HOST:PORT` (`[::1]:2378` for IPv6), or `''`/`off` to disable the dashboard (undefined).
 * A bad value throws InvalidArgument naming the flag.
 */
export function parseDashboardAddr(value: string): DashboardAddress | undefined {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'off') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]+)):(\d{1,5})$/.exec(v);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw invalidArgument('dashboard.bad_address', `invalid --dashboard-addr "${value}": want HOST:PORT (e.g. 127.0.0.1:2378), or "off"`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Whether a request's `Host` header names this server safely: an IP literal, `localhost`, or the configured name. */
export function allowedHost(header: string, listenHost: string): boolean {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::\d{1,5})?$/.exec(header.trim());
  if (m === null) return false;
  if (m[1] !== undefined) return true; // [IPv6]
  const name = (m[2] ?? '').toLowerCase();
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name === 'localhost' || name === listenHost.toLowerCase();
}

export interface DashboardOptions {
  store: Store;
  listen: DashboardAddress;
  clock: Clock;
  logger: Logger;
  /** Least time between two snapshots of one event stream (default 250 ms). */
  minIntervalMs?: number;
  /** Time between heartbeat comments of an event stream (default 15 s). */
  heartbeatMs?: number;
  /** Most event streams open at once (default 64). */
  maxStreams?: number;
}

const SCRIPT_HASH = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
const ALLOW = 'GET, HEAD';

/** Reads everything the snapshot needs from the store, at one revision or later. */
export async function readSnapshot(store: Store, now: number): Promise<DashboardSnapshot> {
  const view = store.view();
  const [clusters, nodes, services, tasks] = await Promise.all([view.list('cluster'), view.list('nodes'), view.list('services'), view.list('tasks')]);
  return buildSnapshot({ cluster: clusters[0], nodes, services, tasks, now });
}

export class DashboardServer {
  private readonly server: Server;
  private readonly abort = new AbortController();
  private readonly streams = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly minIntervalMs: number;
  private readonly heartbeatMs: number;
  private readonly maxStreams: number;

  private constructor(private readonly o: DashboardOptions) {
    this.log = o.logger.child({ component: 'dashboard' });
    this.minIntervalMs = o.minIntervalMs ?? 250;
    this.heartbeatMs = o.heartbeatMs ?? 15_000;
    this.maxStreams = o.maxStreams ?? 64;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log.error({ err: e, path: req.url }, 'dashboard request failed');
        if (!res.headersSent) sendJson(res, req, 500, { message: 'internal error' });
        else res.destroy();
      });
    });
  }

  /** Starts listening; rejects when the address cannot be bound (the caller decides whether that is fatal). */
  static async start(o: DashboardOptions): Promise<DashboardServer> {
    const d = new DashboardServer(o);
    await new Promise<void>((resolve, reject) => {
      d.server.once('error', reject);
      d.server.listen(o.listen.port, o.listen.host, () => {
        d.server.off('error', reject);
        resolve();
      });
    });
    d.server.on('error', (e) => d.log.error({ err: e }, 'dashboard server error'));
    d.log.info({ url: d.url }, 'dashboard listening');
    return d;
  }

  get address(): DashboardAddress {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  get url(): string {
    const { host, port } = this.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  /** How many event streams are open now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Stops listening, ends every event stream (and its store watch) and waits for them. */
  async close(): Promise<void> {
    this.abort.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await Promise.all([closed, ...this.streams]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host;
    if (host !== undefined && !allowedHost(host, this.o.listen.host)) {
      sendJson(res, req, 403, { message: `host "${host}" is not allowed: open the dashboard by IP address or localhost (a DNS name could be rebound by another site)` });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    const route =
      path === '/' || path === '/index.html'
        ? 'page'
        : path === '/events-worker.js'
          ? 'worker'
          : path === '/api/state'
            ? 'state'
            : path === '/api/events'
              ? 'events'
              : undefined;
    if (route === undefined) {
      sendJson(res, req, 404, { message: `page not found: ${path}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', ALLOW);
      sendJson(res, req, 405, { message: `method ${req.method ?? ''} not allowed on ${path} (the dashboard is read-only: ${ALLOW})` });
      return;
    }
    switch (route) {
      case 'page':
        res.writeHead(200, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(PAGE_HTML) });
        res.end(req.method === 'HEAD' ? undefined : PAGE_HTML);
        return;
      case 'worker':
        res.writeHead(200, {
          'content-type': 'text/javascript; charset=utf-8',
          'content-length': Buffer.byteLength(WORKER_SCRIPT),
          'content-security-policy': "default-src 'none'; connect-src 'self'",
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        });
        res.end(req.method === 'HEAD' ? undefined : WORKER_SCRIPT);
        return;
      case 'state':
        sendJson(res, req, 200, await readSnapshot(this.o.store, this.o.clock.now()));
        return;
      case 'events':
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
          return;
        }
        if (this.streams.size >= this.maxStreams) {
          sendJson(res, req, 503, { message: `too many open event streams (${this.maxStreams})` });
          return;
        }
        await this.track(this.stream(req, res));
        return;
    }
  }

  private async track(p: Promise<void>): Promise<void> {
    this.streams.add(p);
    try {
      await p;
    } finally {
      this.streams.delete(p);
    }
  }

  /** One SSE client: a snapshot now, then one per (coalesced) store change, until the client or the server goes. */
  private async stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { store, clock } = this.o;
    const gone = new AbortController();
    const stop = (): void => gone.abort();
    const signal = AbortSignal.any([gone.signal, this.abort.signal]);
    req.on('close', stop);
    res.on('close', stop);
    res.on('error', stop);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs);
    let lastSent = -Infinity;
    let dirty = false;
    /** The snapshot last sent holds every change up to this revision (it was read at this revision or later). */
    let sentRev = 0;
    let wake: (() => void) | undefined;
    const send = async (): Promise<void> => {
      dirty = false;
      lastSent = clock.now();
      sentRev = await store.rev();
      const snap = await readSnapshot(store, lastSent);
      if (!signal.aborted) res.write(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
    };
    let watchEnded: Promise<void> | undefined;
    try {
      await send();
      const rev = sentRev;
      // The watch feeds `dirty`; the loop below turns it into at most one snapshot per minIntervalMs.
      let ended = false;
      watchEnded = (async () => {
        try {
          for await (const events of store.watch(rev, signal)) {
            if ((events[0]?.rev ?? 0) <= sentRev) continue;
            dirty = true;
            wake?.();
          }
        } catch (e) {
          if (!signal.aborted) this.log.warn({ err: e }, 'dashboard store watch ended');
        } finally {
          ended = true;
          wake?.();
        }
      })();
      signal.addEventListener('abort', () => wake?.(), { once: true });
      while (!signal.aborted && !ended) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const wait = lastSent + this.minIntervalMs - clock.now();
        if (wait > 0) {
          await clock.sleep(wait, signal).catch(() => undefined);
          continue;
        }
        await send();
      }
    } finally {
      gone.abort();
      await watchEnded;
      clearInterval(heartbeat);
      req.off('close', stop);
      res.end();
    }
  }
}

function sendJson(res: ServerResponse, req: IncomingMessage, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * Starts the dashboard, or logs a warning and returns undefined when its address cannot be bound (daemons side by
 * side on one machine share the default port: the first one serves it, the others go on without).
 */
export async function startDashboard(o: DashboardOptions): Promise<DashboardServer | undefined> {
  try {
    return await DashboardServer.start(o);
  } catch (e) {
    o.logger.warn({ err: e, listen: `${o.listen.host}:${o.listen.port}` }, 'the dashboard cannot listen; the node goes on without it');
    return undefined;
  }
}
