import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { createRootCA, type RootCA } from './root-ca.js';
import { CERT_BACKDATE_MS, ROOT_CA_EXPIRY_MS } from './validity.js';
import { x509 } from './x509.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

void describe('createRootCA', () => {
  let ca: RootCA;
  let cert: X509Certificate;
  before(async () => {
    ca = await createRootCA({ now: NOW });
    cert = new X509Certificate(ca.certPem);
  });

  void it('is a self-signed swarm-ca certificate', () => {
    assert.equal(cert.subject, 'CN=swarm-ca');
    assert.equal(cert.issuer, 'CN=swarm-ca');
    assert.ok(cert.checkIssued(cert));
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.ca, true);
  });

  void it('uses ECDSA P-256 with SHA-256 and a PKCS#8 key that matches the certificate', () => {
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const derived = createPublicKey(createPrivateKey(ca.keyPem)).export({ type: 'spki', format: 'der' });
    assert.deepEqual(derived, cert.publicKey.export({ type: 'spki', format: 'der' }));
    const parsed = new x509.X509Certificate(ca.certPem);
    assert.deepEqual(parsed.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
  });

  void it('has critical basicConstraints CA:TRUE and keyUsage certSign+cRLSign, and a subject key ID', () => {
    const parsed = new x509.X509Certificate(ca.certPem);
    const bc = parsed.getExtension(x509.BasicConstraintsExtension);
    assert.ok(bc);
    assert.equal(bc.ca, true);
    assert.equal(bc.critical, true);
    const ku = parsed.getExtension(x509.KeyUsagesExtension);
    assert.ok(ku);
    assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(ku.critical, true);
    assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  void it('lasts 20 years from now, backdated an hour', () => {
    const parsed = new x509.X509Certificate(ca.certPem);
    assert.equal(parsed.notBefore.getTime(), NOW - CERT_BACKDATE_MS);
    assert.equal(parsed.notAfter.getTime(), NOW + ROOT_CA_EXPIRY_MS);
    assert.equal(ROOT_CA_EXPIRY_MS, 630_720_000 * 1000);
  });

  void it('takes a custom expiry', async () => {
    const short = await createRootCA({ now: NOW, expiryMs: 86_400_000 });
    assert.equal(new x509.X509Certificate(short.certPem).notAfter.getTime(), NOW + 86_400_000);
  });

  void it('makes a new key and serial every time', async () => {
    const other = await createRootCA({ now: NOW });
    assert.notEqual(other.keyPem, ca.keyPem);
    assert.notEqual(new X509Certificate(other.certPem).serialNumber, cert.serialNumber);
  });

  void it('rejects a non-finite now or a non-positive expiry', async () => {
    await assert.rejects(createRootCA({ now: Number.NaN }), (e) => isShoalError(e, 'InvalidArgument'));
    await assert.rejects(createRootCA({ now: NOW, expiryMs: 0 }), (e) => isShoalError(e, 'InvalidArgument'));
  });
});
