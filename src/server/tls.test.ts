/** The mutual-TLS hook on tcp:// listeners: a client certificate from the CA is required. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogger } from '../lib/logger.js';
import { Router } from './router.js';
import { startApiServer } from './server.js';
import type { ApiServer } from './server.js';

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => execFile('openssl', args, { cwd }, (err) => (err === null ? resolve() : reject(new Error(`openssl ${args[0] ?? ''} failed: ${err.message}`)))));
}

function hasOpenssl(): Promise<boolean> {
  return new Promise((resolve) => execFile('openssl', ['version'], (err) => resolve(err === null)));
}

/** CA, server (CN/SAN 127.0.0.1) and client certificates, EC P-256. */
async function makePki(dir: string): Promise<Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', Buffer>> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca'], dir);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await writeFile(join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    await openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`],
      dir,
    );
  }
  const r = (f: string): Promise<Buffer> => readFile(join(dir, f));
  return { ca: await r('ca.pem'), serverKey: await r('server.key'), serverCert: await r('server.pem'), clientKey: await r('client.key'), clientCert: await r('client.pem') };
}

function get(port: number, o: { ca: Buffer; key?: Buffer; cert?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/_ping', ca: o.ca, ...(o.key ? { key: o.key } : {}), ...(o.cert ? { cert: o.cert } : {}), agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mutual TLS on tcp://', async () => {
  const available = await hasOpenssl();
  let dir: string | undefined;
  let server: ApiServer | undefined;
  let pki: Awaited<ReturnType<typeof makePki>>;
  let port = 0;

  before(async () => {
    assert.ok(available, 'openssl is required for these tests (scripts/setup.sh installs what the project needs)');
    dir = await mkdtemp(join(tmpdir(), 'shoal-tls-'));
    pki = await makePki(dir);
    server = await startApiServer({
      router: new Router(),
      logger: captureLogger(),
      engineVersion: '0',
      swarmHeader: () => 'inactive',
      listen: ['tcp://127.0.0.1:0', `unix://${join(dir, 'plain.sock')}`],
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca },
    });
    port = Number(server.addresses[0]?.split(':').pop());
  });

  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('serves a client with a certificate from the CA', async () => {
    const r = await get(port, { ca: pki.ca, key: pki.clientKey, cert: pki.clientCert });
    assert.deepEqual(r, { status: 200, body: 'OK' });
  });

  it('refuses a client without a certificate', async () => {
    await assert.rejects(get(port, { ca: pki.ca }));
  });
});
