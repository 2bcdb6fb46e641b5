/** The hijacked stream against a tiny node:http server that answers 101 and echoes; stdcopy demux; uploads. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { createClient } from './client.js';
import { FrameDecoder, hijack, pumpOutput, upload } from './hijack.js';

function frame(stream: number, data: string): Buffer {
  const p = Buffer.from(data);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

async function readAll(s: AsyncIterable<Buffer | string>): Promise<string> {
  let out = '';
  for await (const c of s) out += typeof c === 'string' ? c : c.toString('utf8');
  return out;
}

describe('hijacked attach/exec streams', () => {
  let dir: string;
  let server: Server;
  const sockets = new Set<Socket>();
  const seen: { url: string; headers: IncomingMessage['headers'] }[] = [];
  let host: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-hijack-'));
    const sock = join(dir, 'd.sock');
    host = `unix://${sock}`;
    server = createServer((req, res) => {
      // Plain requests: the upload test.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ length: body.length, contentLength: req.headers['content-length'] ?? null, type: req.headers['content-type'] ?? null, head: body.subarray(0, 5).toString() }));
      });
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if ((req.url ?? '').includes('/containers/missing/')) {
        const body = JSON.stringify({ message: 'No such container: missing' });
        socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      // The 101 and the first bytes of the stream in one write: the client must not lose them.
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nready:');
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end('bye'));
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades with Upgrade: tcp, echoes both ways, and half-closes on closeWrite', async () => {
    const client = createClient({ host, apiVersion: '1.47' });
    const stream = await hijack(client, '/containers/web/attach', { query: { stream: '1', stdin: '1', stdout: '1' } });
    assert.equal(stream.contentType, 'application/vnd.docker.raw-stream');
    const last = seen.at(-1);
    assert.equal(last?.url, '/v1.47/containers/web/attach?stream=1&stdin=1&stdout=1');
    assert.equal(last?.headers.upgrade, 'tcp');
    assert.equal(last?.headers.connection, 'Upgrade');
    stream.socket.write('hello ');
    stream.socket.write('world');
    stream.closeWrite();
    // Everything the server sent after our EOF still arrives: half-close, not close.
    assert.equal(await readAll(stream.socket as AsyncIterable<Buffer>), 'ready:hello worldbye');
    await client.close();
  });

  it('sends a JSON body (exec start) on the upgraded request', async () => {
    const client = createClient({ host, apiVersion: '1.47' });
    const stream = await hijack(client, '/exec/e1/start', { body: { Detach: false, Tty: true } });
    assert.equal(seen.at(-1)?.headers['content-type'], 'application/json');
    stream.closeWrite();
    assert.equal(await readAll(stream.socket as AsyncIterable<Buffer>), 'ready:bye');
    await client.close();
  });

  it("reports the daemon's error when it does not upgrade", async () => {
    const client = createClient({ host, apiVersion: '1.47' });
    await assert.rejects(hijack(client, '/containers/missing/attach'), (e: unknown) => isShoalError(e, 'NotFound') && e.message === 'No such container: missing');
    await client.close();
  });

  it('reports a daemon that is not there like every other call', async () => {
    const client = createClient({ host: `unix://${join(dir, 'nobody.sock')}`, apiVersion: '1.47' });
    await assert.rejects(hijack(client, '/containers/web/attach'), /Cannot connect to the Shoal daemon/);
  });

  it('streams an upload body with its Content-Length', async () => {
    const client = createClient({ host, apiVersion: '1.47' });
    const data = Buffer.alloc(300_000, 7);
    data.write('tarba');
    const res = await upload(client, 'POST', '/images/load', Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), {
      query: { quiet: '1' },
      headers: { 'Content-Type': 'application/x-tar', 'Content-Length': data.length },
    });
    assert.deepEqual(JSON.parse(await readAll(res)), { length: 300_000, contentLength: '300000', type: 'application/x-tar', head: 'tarba' });
    await client.close();
  });
});

describe('multiplexed stream framing (stdcopy)', () => {
  it('decodes frames split anywhere across chunks', () => {
    const all = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, '')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.stream, f.data.toString()]),
        [
          [1, 'hello\n'],
          [2, 'oops\n'],
          [1, ''],
        ],
        `cut at ${cut}`,
      );
      assert.equal(d.pending, 0);
    }
  });

  it('refuses an unknown stream header', () => {
    assert.throws(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65])), { message: 'Unrecognized input header: 9' });
  });

  it('demultiplexes to stdout and stderr, or copies raw for a TTY', async () => {
    let out = '';
    let err = '';
    const sinks = { stdout: (d: Buffer) => (out += d.toString()), stderr: (d: Buffer) => (err += d.toString()) };
    const src = Buffer.concat([frame(1, 'a'), frame(2, 'b'), frame(0, 'c'), frame(1, 'd')]);
    await pumpOutput(Readable.from([src.subarray(0, 5), src.subarray(5, 19), src.subarray(19)]), sinks, true);
    assert.deepEqual([out, err], ['acd', 'b']);
    out = '';
    err = '';
    await pumpOutput(Readable.from([Buffer.from('raw\r\nbytes')]), sinks, false);
    assert.deepEqual([out, err], ['raw\r\nbytes', '']);
  });

  it('ends with the error of a systemerr frame', async () => {
    const sinks = { stdout: () => undefined, stderr: () => undefined };
    await assert.rejects(pumpOutput(Readable.from([Buffer.concat([frame(1, 'x'), frame(3, 'container died\n')])]), sinks, true), { message: 'container died' });
  });
});
