import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { issueNodeCertificate } from './node-certificate.js';
import { parseNodeCertificate } from './parse-certificate.js';
import { createRootCA, type RootCA } from './root-ca.js';
import { CERT_BACKDATE_MS, DEFAULT_NODE_CERT_EXPIRY_MS } from './validity.js';
import { x509 } from './x509.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const invalid = (e: unknown) => isShoalError(e, 'InvalidArgument');
const spkiOf = (pem: string) =>
  createPublicKey(pem.includes('PRIVATE') ? createPrivateKey(pem) : pem).export({ type: 'spki', format: 'der' });

void describe('issueNodeCertificate', () => {
  let ca: RootCA;
  before(async () => {
    ca = await createRootCA({ now: NOW });
  });

  void it('issues a manager certificate in swarmkit layout with a fresh key', async () => {
    const issued = await issueNodeCertificate({
      ca,
      nodeId: 'node1',
      role: 'manager',
      clusterId: 'cluster1',
      now: NOW,
      ips: ['127.0.0.1'],
    });
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subject, 'O=cluster1\nOU=swarm-manager\nCN=node1');
    assert.equal(cert.issuer, 'CN=swarm-ca');
    assert.equal(cert.subjectAltName, 'DNS:swarm-manager, DNS:node1, DNS:swarm-ca, IP Address:127.0.0.1');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // EKU serverAuth, clientAuth
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    assert.match(issued.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.deepEqual(spkiOf(issued.keyPem), cert.publicKey.export({ type: 'spki', format: 'der' }));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  void it('issues a worker certificate, and parse reads CN/OU/O back', async () => {
    const issued = await issueNodeCertificate({ ca, nodeId: 'w1', role: 'worker', clusterId: 'c9', now: NOW });
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subjectAltName, 'DNS:swarm-worker, DNS:w1');
    assert.deepEqual(parseNodeCertificate(issued.certPem), {
      nodeId: 'w1',
      role: 'worker',
      clusterId: 'c9',
      notBefore: NOW - CERT_BACKDATE_MS,
      notAfter: NOW + DEFAULT_NODE_CERT_EXPIRY_MS,
    });
  });

  void it('has the node extensions: keyUsage, basicConstraints CA:FALSE, key IDs chained to the CA', async () => {
    const { certPem } = await issueNodeCertificate({ ca, nodeId: 'n', role: 'worker', clusterId: 'c', now: NOW });
    const cert = new x509.X509Certificate(certPem);
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    assert.ok(caKeyId);
    assert.equal(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
    assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  void it('certifies a given public key and returns no key', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const base = { ca, nodeId: 'n2', role: 'worker' as const, clusterId: 'c', now: NOW };
    const issued = await issueNodeCertificate({ ...base, publicKeyPem });
    assert.equal('keyPem' in issued, false);
    assert.deepEqual(spkiOf(issued.certPem), spkiOf(publicKeyPem));
  });

  void it('takes a custom expiry and never outlives the CA', async () => {
    const day = 86_400_000;
    const a = await issueNodeCertificate({ ca, nodeId: 'n', role: 'worker', clusterId: 'c', now: NOW, expiryMs: day });
    assert.equal(parseNodeCertificate(a.certPem).notAfter, NOW + day);
    const shortCA = await createRootCA({ now: NOW, expiryMs: 2 * day });
    const b = await issueNodeCertificate({ ca: shortCA, nodeId: 'n', role: 'worker', clusterId: 'c', now: NOW });
    assert.equal(parseNodeCertificate(b.certPem).notAfter, NOW + 2 * day);
  });

  void it('accepts a SEC1 (EC PRIVATE KEY) CA key, as swarmkit stores it', async () => {
    const sec1 = createPrivateKey(ca.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    const issued = await issueNodeCertificate({
      ca: { certPem: ca.certPem, keyPem: sec1 },
      nodeId: 'n',
      role: 'manager',
      clusterId: 'c',
      now: NOW,
    });
    assert.ok(new X509Certificate(issued.certPem).checkIssued(new X509Certificate(ca.certPem)));
  });

  void it('refuses bad input', async () => {
    const base = { ca, nodeId: 'n', role: 'worker' as const, clusterId: 'c', now: NOW };
    await assert.rejects(issueNodeCertificate({ ...base, expiryMs: 59 * 60_000 }), invalid); // < 1 h
    await assert.rejects(issueNodeCertificate({ ...base, nodeId: '' }), invalid);
    await assert.rejects(issueNodeCertificate({ ...base, nodeId: 'a,OU=swarm-manager' }), invalid);
    await assert.rejects(issueNodeCertificate({ ...base, clusterId: 'x'.repeat(65) }), invalid);
    await assert.rejects(issueNodeCertificate({ ...base, role: 'admin' as never }), invalid);
    await assert.rejects(issueNodeCertificate({ ...base, ips: ['10.0.0.300'] }), invalid);
    const other = await createRootCA({ now: NOW });
    await assert.rejects(
      issueNodeCertificate({ ...base, ca: { certPem: ca.certPem, keyPem: other.keyPem } }),
      (e) => invalid(e) && (e as Error).message === 'CA key does not match the CA certificate',
    );
    await assert.rejects(issueNodeCertificate({ ...base, ca: { certPem: 'nope', keyPem: ca.keyPem } }), invalid);
    const leaf = await issueNodeCertificate(base);
    await assert.rejects(
      issueNodeCertificate({ ...base, ca: { certPem: leaf.certPem, keyPem: leaf.keyPem } }),
      (e) => invalid(e) && (e as Error).message.includes('not a CA'),
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' });
    await assert.rejects(issueNodeCertificate({ ...base, publicKeyPem: p384.toString() }), invalid);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    await assert.rejects(issueNodeCertificate({ ...base, publicKeyPem: rsa.toString() }), invalid);
  });
});
