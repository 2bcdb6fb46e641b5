import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { issueNodeCertificate } from './node-certificate.js';
import { createRootCA, type RootCA } from './root-ca.js';

/** What the server saw of the client, from the verified peer certificate. */
interface Seen {
  CN: string;
  OU: string;
  O: string;
}

const field = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join('+') : (value ?? '');
const subjectOf = (cert: tls.PeerCertificate): Seen => ({
  CN: field(cert.subject.CN),
  OU: field(cert.subject.OU),
  O: field(cert.subject.O),
});

interface Outcome {
  /** The client's subject as the server read it. */
  seen?: Seen;
  /** The server's subject as the client read it. */
  server?: Seen;
  error?: NodeJS.ErrnoException;
}

void describe('mutual TLS with node certificates', { timeout: 20_000 }, () => {
  const servers: tls.Server[] = [];
  const sockets = new Set<Socket>();
  let root: RootCA;
  let foreign: RootCA;
  let manager: { certPem: string; keyPem: string };
  let worker: { certPem: string; keyPem: string };
  let port: number;
  let ipPort: number;
  /** Every client the servers let through, by CN. */
  const accepted: string[] = [];

  const track = <S extends Socket>(socket: S): S => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };

  /** A server that answers each authorised client with the subject of its certificate, then hangs up. */
  async function listen(cert: { certPem: string; keyPem: string }): Promise<number> {
    const server = tls.createServer(
      {
        key: cert.keyPem,
        cert: cert.certPem,
        ca: [root.certPem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
      },
      (socket) => {
        track(socket);
        const seen = subjectOf(socket.getPeerCertificate());
        accepted.push(seen.CN);
        socket.end(JSON.stringify(seen));
      },
    );
    // A rejected client never reaches the connection handler: node destroys it once the handshake fails verification.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** Connects, reads the server's whole answer, and reports either what the server saw or the error. */
  async function connect(options: tls.ConnectionOptions): Promise<Outcome> {
    const defaults = { host: '127.0.0.1', ca: [root.certPem], servername: 'swarm-manager' };
    const socket = track(tls.connect({ ...defaults, ...options }));
    let data = '';
    let error: NodeJS.ErrnoException | undefined;
    let server: Seen | undefined;
    socket.on('secureConnect', () => {
      server = subjectOf(socket.getPeerCertificate());
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    // Not events.once(socket, 'close'): it rejects on 'error', and the error is the outcome under test here.
    await new Promise<void>((resolve) => {
      socket.on('error', (e) => {
        error = e;
      });
      socket.on('close', () => resolve());
    });
    return {
      ...(data === '' ? {} : { seen: JSON.parse(data) as Seen }),
      ...(server === undefined ? {} : { server }),
      ...(error === undefined ? {} : { error }),
    };
  }

  before(async () => {
    const now = Date.now();
    root = await createRootCA({ now });
    foreign = await createRootCA({ now });
    manager = await issueNodeCertificate({ ca: root, nodeId: 'mgr1', role: 'manager', clusterId: 'clu1', now });
    worker = await issueNodeCertificate({ ca: root, nodeId: 'wrk1', role: 'worker', clusterId: 'clu1', now });
    port = await listen(manager);
    const byIp = await issueNodeCertificate({
      ca: root,
      nodeId: 'mgr2',
      role: 'manager',
      clusterId: 'clu1',
      now,
      ips: ['127.0.0.1'],
    });
    ipPort = await listen(byIp);
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  void it('a worker connects to a manager; each side reads the other’s OU and CN', async () => {
    const outcome = await connect({ port, key: worker.keyPem, cert: worker.certPem });
    assert.equal(outcome.error, undefined);
    assert.deepEqual(outcome.seen, { CN: 'wrk1', OU: 'swarm-worker', O: 'clu1' });
    assert.deepEqual(outcome.server, { CN: 'mgr1', OU: 'swarm-manager', O: 'clu1' });
  });

  void it('a manager dials by IP as well (IP SAN)', async () => {
    // With no servername the client checks the certificate against the address it dialled.
    const outcome = await connect({ port: ipPort, servername: '', key: worker.keyPem, cert: worker.certPem });
    assert.equal(outcome.error, undefined);
    assert.deepEqual(outcome.seen, { CN: 'wrk1', OU: 'swarm-worker', O: 'clu1' });
    const noIpSan = await connect({ port, servername: '', key: worker.keyPem, cert: worker.certPem });
    assert.equal(noIpSan.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  void it('a client with a certificate from another CA is rejected', async () => {
    const now = Date.now();
    const stranger = await issueNodeCertificate({ ca: foreign, nodeId: 'evil', role: 'manager', clusterId: 'c', now });
    const outcome = await connect({ port, key: stranger.keyPem, cert: stranger.certPem });
    assert.equal(outcome.seen, undefined, 'the server never answered');
    assert.equal(accepted.includes('evil'), false, 'the server never accepted it');
  });

  void it('a client without a certificate is rejected', async () => {
    const outcome = await connect({ port });
    assert.equal(outcome.seen, undefined);
    assert.equal(outcome.error?.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  void it('a worker certificate cannot pass for a manager (no swarm-manager SAN)', async () => {
    const impostorPort = await listen(worker);
    const outcome = await connect({ port: impostorPort, key: manager.keyPem, cert: manager.certPem });
    assert.equal(outcome.seen, undefined);
    assert.equal(outcome.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
