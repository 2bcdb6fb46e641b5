import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { PortReservations } from './ports.js';

const HOST = '127.0.0.1';

/** A port some other party holds (a plain listening server), for the conflict cases. */
function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/** A free port: bound then released by the OS. */
async function freePort(): Promise<number> {
  const { server, port } = await occupy();
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

describe('PortReservations', () => {
  const made: PortReservations[] = [];
  const servers: Server[] = [];
  const reservations = (): PortReservations => {
    const r = new PortReservations();
    made.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(made.splice(0).map((r) => r.releaseAll()));
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('holds a TCP port until released; reserve and release are idempotent', async () => {
    const r = reservations();
    const port = await freePort();
    await r.reserve({ protocol: 'tcp', port }, HOST);
    await r.reserve({ protocol: 'tcp', port }, HOST);
    assert.deepEqual(r.list(), [{ protocol: 'tcp', port, host: HOST }]);
    assert.equal(await canListen(port), false);
    await r.release({ protocol: 'tcp', port }, HOST);
    await r.release({ protocol: 'tcp', port }, HOST);
    assert.equal(r.has({ protocol: 'tcp', port }, HOST), false);
    assert.equal(await canListen(port), true);
  });

  it('closes a connection that reaches the reservation socket', async () => {
    const r = reservations();
    const port = await freePort();
    await r.reserve({ protocol: 'tcp', port }, HOST);
    const closed = await new Promise<boolean>((resolve, reject) => {
      const c = connect(port, HOST);
      c.once('error', reject);
      c.once('close', () => resolve(true));
      c.resume();
    });
    assert.ok(closed);
  });

  it('holds a UDP port, independently of TCP on the same number', async () => {
    const r = reservations();
    const port = await freePort();
    await r.reserve({ protocol: 'udp', port }, HOST);
    assert.equal(await canBindUdp(port), false);
    assert.equal(await canListen(port), true);
    await r.releaseAll();
    assert.deepEqual(r.list(), []);
    assert.equal(await canBindUdp(port), true);
  });

  it('a port another process holds is a Conflict with docker\'s message, and nothing is left held', async () => {
    const r = reservations();
    const { server, port } = await occupy();
    servers.push(server);
    await assert.rejects(
      r.reserve({ protocol: 'tcp', port }, HOST),
      (e: unknown) => isShoalError(e, 'Conflict') && e.message === `Bind for ${HOST}:${port} failed: port is already allocated`,
    );
    assert.deepEqual(r.list(), []);
    const other = reservations();
    const held = await freePort();
    await other.reserve({ protocol: 'tcp', port: held }, HOST);
    await assert.rejects(r.reserve({ protocol: 'tcp', port: held }, HOST), /port is already allocated/);
  });

  it('concurrent reservations of one port share one socket', async () => {
    const r = reservations();
    const port = await freePort();
    await Promise.all([r.reserve({ protocol: 'tcp', port }, HOST), r.reserve({ protocol: 'tcp', port }, HOST)]);
    assert.equal(r.list().length, 1);
  });

  it('refuses bad input naming the field', async () => {
    const r = reservations();
    await assert.rejects(r.reserve({ protocol: 'sctp' as 'tcp', port: 80 }), /^ShoalError: protocol: "sctp"/);
    await assert.rejects(r.reserve({ protocol: 'tcp', port: 70000 }), /^ShoalError: port: 70000/);
    await assert.rejects(r.reserve({ protocol: 'tcp', port: 80 }, 'localhost'), /^ShoalError: host: "localhost"/);
  });
});
