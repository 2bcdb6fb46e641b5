import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { createCSR, signCSR } from './csr.js';
import { encodePem } from './pem.js';
import { createRootCA, type RootCA } from './root-ca.js';
import { x509 } from './x509.js';

const NOW = Date.UTC(2024, 5, 1);
const invalid = (e: unknown) => isShoalError(e, 'InvalidArgument');

void describe('createCSR / signCSR', () => {
  let ca: RootCA;
  before(async () => {
    ca = await createRootCA({ now: NOW });
  });

  void it('signs the CSR key, with the identity from the caller', async () => {
    const { csrPem, keyPem } = await createCSR();
    assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const { certPem } = await signCSR({ ca, csrPem, nodeId: 'n1', role: 'worker', clusterId: 'c1', now: NOW });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'O=c1\nOU=swarm-worker\nCN=n1');
    assert.deepEqual(
      cert.publicKey.export({ type: 'spki', format: 'der' }),
      createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' }),
    );
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
  });

  void it('ignores the subject and extensions a CSR asks for', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=evil, OU=swarm-manager, O=other',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'swarm-manager' }])],
    });
    const { certPem } = await signCSR({
      ca,
      csrPem: csr.toString('pem'),
      nodeId: 'n2',
      role: 'worker',
      clusterId: 'c1',
      now: NOW,
    });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'O=c1\nOU=swarm-worker\nCN=n2');
    assert.equal(cert.subjectAltName, 'DNS:swarm-worker, DNS:n2');
  });

  void it('refuses a CSR whose signature does not match its key', async () => {
    const { csrPem } = await createCSR();
    const der = new Uint8Array(new x509.Pkcs10CertificateRequest(csrPem).rawData);
    const last = der.length - 1;
    der[last] = (der[last] ?? 0) ^ 0x01; // flip a bit of the signature
    const tampered = encodePem(der, 'CERTIFICATE REQUEST');
    await assert.rejects(
      signCSR({ ca, csrPem: tampered, nodeId: 'n', role: 'worker', clusterId: 'c', now: NOW }),
      invalid,
    );
  });

  void it('refuses garbage, and keys other than P-256', async () => {
    const base = { ca, nodeId: 'n', role: 'worker' as const, clusterId: 'c', now: NOW };
    await assert.rejects(signCSR({ ...base, csrPem: 'not a csr' }), invalid);
    const junk = encodePem(new Uint8Array([1, 2, 3]), 'CERTIFICATE REQUEST');
    await assert.rejects(signCSR({ ...base, csrPem: junk }), invalid);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const keys = {
      privateKey: await webcrypto.subtle.importKey(
        'pkcs8',
        p384.privateKey.export({ type: 'pkcs8', format: 'der' }),
        { name: 'ECDSA', namedCurve: 'P-384' },
        false,
        ['sign'],
      ),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        p384.publicKey.export({ type: 'spki', format: 'der' }),
        { name: 'ECDSA', namedCurve: 'P-384' },
        true,
        ['verify'],
      ),
    };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    });
    await assert.rejects(signCSR({ ...base, csrPem: csr.toString('pem') }), invalid);
  });
});
