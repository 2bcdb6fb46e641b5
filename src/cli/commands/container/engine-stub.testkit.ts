/**
 * Test support (imported only by *.test.ts): a scripted Engine-API daemon on a unix socket, so the container and
 * image verbs can be driven end to end without a real daemon. Each route is a handler the test provides; requests
 * are recorded in order; hijacked (Upgrade: tcp) requests get a raw socket after a 101. Candidate for test/fakes/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { CliContext } from '../../context.js';

export interface RecordedRequest {
  method: string;
  /** Path without the /v1.47 prefix. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  upgrade: boolean;
}

export interface RouteContext {
  req: RecordedRequest;
  res: ServerResponse;
  /** Sends a JSON reply. */
  json(status: number, body: unknown): void;
}

export type Route = (c: RouteContext) => void | Promise<void>;
export type UpgradeRoute = (req: RecordedRequest, socket: Duplex) => void;

/** A multiplexed frame (stream 1 stdout, 2 stderr, 3 systemerr). */
export function frame(stream: number, data: string | Buffer): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

export class EngineStub {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly upgrades = new Map<string, UpgradeRoute>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'shoal-stub-'));
  readonly socketPath = join(this.dir, 'engine.sock');
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      void this.read(req, true).then((r) => {
        this.requests.push(r);
        const route = this.upgrades.get(`${r.method} ${r.path}`);
        if (route === undefined) {
          const body = JSON.stringify({ message: `no route for ${r.method} ${r.path}` });
          socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          return;
        }
        route(r, socket);
      });
    });
  }

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(this.socketPath, resolve));
    return this;
  }

  /** `on('POST /containers/create', …)`; the path is matched without the version prefix and query. */
  on(route: string, handler: Route): this {
    this.routes.set(route, handler);
    return this;
  }

  onUpgrade(route: string, handler: UpgradeRoute): this {
    this.upgrades.set(route, handler);
    return this;
  }

  /** The recorded requests as "METHOD /path?query" lines (pings left out). */
  calls(): string[] {
    return this.requests.filter((r) => r.path !== '/_ping').map((r) => `${r.method} ${r.path}${r.query.size > 0 ? '?' + r.query.toString() : ''}`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async read(req: IncomingMessage, upgrade: boolean): Promise<RecordedRequest> {
    const url = new URL(req.url ?? '/', 'http://stub');
    const chunks: Buffer[] = [];
    if (!upgrade) for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    return {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/v\d+\.\d+/, ''),
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
      upgrade,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = await this.read(req, false);
    this.requests.push(r);
    const json = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (r.path === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.47', 'Content-Type': 'text/plain' });
      res.end(r.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    const route = this.routes.get(`${r.method} ${r.path}`);
    if (route === undefined) {
      json(404, { message: `no route for ${r.method} ${r.path}` });
      return;
    }
    try {
      await route({ req: r, res, json });
    } catch (e) {
      if (!res.headersSent) json(500, { message: (e as Error).message });
    }
  }
}

/** Accepts an upgrade: writes the 101 head for a raw or multiplexed stream. */
export function accept101(socket: Duplex, multiplexed: boolean): void {
  socket.write(
    'HTTP/1.1 101 UPGRADED\r\n' +
      `Content-Type: application/vnd.docker.${multiplexed ? 'multiplexed' : 'raw'}-stream\r\n` +
      'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
  );
}

/** A scripted local terminal: TTY flags, a size, stdin chunks pushed by the test, and a record of raw mode. */
export class FakeTerminal {
  readonly rawModes: boolean[] = [];
  readonly signals: NodeJS.Signals[] = [];
  private onData: ((c: Buffer) => void) | undefined;
  private onEnd: (() => void) | undefined;
  private resize: (() => void) | undefined;
  private signalHandler: ((s: NodeJS.Signals) => void) | undefined;
  private pending: (Buffer | null)[] = [];
  lines: string[] = [];
  rows = 40;
  columns = 120;

  constructor(
    readonly stdinIsTTY = false,
    readonly stdoutIsTTY = false,
    readonly stderrIsTTY = false,
  ) {}

  size(): { rows: number; columns: number } | undefined {
    return this.stdoutIsTTY ? { rows: this.rows, columns: this.columns } : undefined;
  }
  onResize(fn: () => void): () => void {
    this.resize = fn;
    return () => {
      this.resize = undefined;
    };
  }
  setRaw(raw: boolean): void {
    this.rawModes.push(raw);
  }
  readStdin(onData: (c: Buffer) => void, onEnd: () => void): () => void {
    this.onData = onData;
    this.onEnd = onEnd;
    for (const p of this.pending.splice(0)) this.deliver(p);
    return () => {
      this.onData = undefined;
      this.onEnd = undefined;
    };
  }
  readLine(): Promise<string | undefined> {
    return Promise.resolve(this.lines.shift());
  }
  stdin(): never {
    throw new Error('no stdin stream in this fake');
  }
  onSignals(_s: readonly NodeJS.Signals[], fn: (s: NodeJS.Signals) => void): () => void {
    this.signalHandler = fn;
    return () => {
      this.signalHandler = undefined;
    };
  }

  /** Types into stdin (null: EOF). Delivered once someone reads stdin. */
  type(data: string | null): void {
    const chunk = data === null ? null : Buffer.from(data);
    if (this.onData === undefined) this.pending.push(chunk);
    else this.deliver(chunk);
  }
  /** Changes the size and fires SIGWINCH. */
  resizeTo(rows: number, columns: number): void {
    this.rows = rows;
    this.columns = columns;
    this.resize?.();
  }
  /** Delivers a signal to the CLI. */
  signal(s: NodeJS.Signals): void {
    this.signals.push(s);
    this.signalHandler?.(s);
  }

  private deliver(chunk: Buffer | null): void {
    if (chunk === null) this.onEnd?.();
    else this.onData?.(chunk);
  }
}

/** A CliContext writing into strings. */
export function captureContext(host: string, env: Record<string, string | undefined> = {}): {
  ctx: CliContext;
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    ctx: {
      out: { write: (s) => (out += String(s)) },
      err: { write: (s) => (err += String(s)) },
      env,
      binName: 'shoal',
      host: () => host,
      client: () => Promise.reject(new Error('tests pass their own client')),
    },
    out: () => out,
    err: () => err,
  };
}

/** Awaits a condition with a deadline (no fixed sleeps): polls every few ms, fails after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
