import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { certificateRawFields } from './der.js';
import { issueNodeCertificate } from './node-certificate.js';
import { certificateDer } from './pem.js';
import { createRootCA, type RootCA } from './root-ca.js';
import { tlsInfo } from './tls-info.js';
import { x509 } from './x509.js';

void describe('tlsInfo', () => {
  let ca: RootCA;
  before(async () => {
    ca = await createRootCA({ now: Date.now() });
  });

  void it('has the trust root PEM and the issuer subject and key as base64 DER', () => {
    const info = tlsInfo(ca.certPem);
    assert.deepEqual(Object.keys(info).sort(), ['CertIssuerPublicKey', 'CertIssuerSubject', 'TrustRoot']);
    assert.equal(info.TrustRoot, ca.certPem);
    // Byte for byte what docker prints for a swarm root:
    // SEQUENCE { SET { SEQUENCE { OID CN, PrintableString "swarm-ca" } } }
    assert.equal(info.CertIssuerSubject, 'MBMxETAPBgNVBAMTCHN3YXJtLWNh');
    assert.match(info.CertIssuerPublicKey, /^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9+/]+=*$/); // P-256 SPKI
  });

  void it('decodes back to the CA subject and public key', () => {
    const info = tlsInfo(ca.certPem);
    const subject = new x509.Name(Buffer.from(info.CertIssuerSubject, 'base64'));
    assert.equal(subject.toString(), 'CN=swarm-ca');
    const key = createPublicKey({ key: Buffer.from(info.CertIssuerPublicKey, 'base64'), format: 'der', type: 'spki' });
    assert.ok(key.equals(new X509Certificate(ca.certPem).publicKey));
  });

  void it('names the issuer of the node certificates (their raw issuer equals CertIssuerSubject)', async () => {
    const now = Date.now();
    const { certPem } = await issueNodeCertificate({ ca, nodeId: 'n', role: 'worker', clusterId: 'c', now });
    const raw = certificateRawFields(certificateDer(certPem));
    assert.equal(Buffer.from(raw.issuer).toString('base64'), tlsInfo(ca.certPem).CertIssuerSubject);
  });

  void it('uses the first root of a bundle as the issuer and keeps the whole bundle as trust root', async () => {
    const other = await createRootCA({ now: Date.now() });
    const info = tlsInfo(ca.certPem + other.certPem);
    assert.equal(info.TrustRoot, ca.certPem + other.certPem);
    assert.equal(info.CertIssuerPublicKey, tlsInfo(ca.certPem).CertIssuerPublicKey);
  });
});
