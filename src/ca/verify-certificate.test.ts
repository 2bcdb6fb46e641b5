import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { issueNodeCertificate } from './node-certificate.js';
import { parseNodeCertificate } from './parse-certificate.js';
import { createRootCA, type RootCA } from './root-ca.js';
import { checkNodeCertificate, verifyNodeCertificate } from './verify-certificate.js';

const NOW = Date.UTC(2024, 5, 1);
const DAY = 86_400_000;

void describe('verifyNodeCertificate / checkNodeCertificate', () => {
  let ca: RootCA;
  let other: RootCA;
  let certPem: string;
  before(async () => {
    ca = await createRootCA({ now: NOW });
    other = await createRootCA({ now: NOW });
    ({ certPem } = await issueNodeCertificate({ ca, nodeId: 'm1', role: 'manager', clusterId: 'c1', now: NOW }));
  });

  void it('accepts a certificate from the root, within its window', () => {
    assert.equal(verifyNodeCertificate(certPem, ca.certPem, NOW), true);
    assert.deepEqual(checkNodeCertificate(certPem, ca.certPem, NOW + DAY), {
      ok: true,
      identity: parseNodeCertificate(certPem),
    });
  });

  void it('refuses a certificate from another CA, even one also named swarm-ca', () => {
    assert.equal(verifyNodeCertificate(certPem, other.certPem, NOW), false);
    const check = checkNodeCertificate(certPem, other.certPem, NOW);
    assert.equal(check.ok || check.problem, 'untrusted');
  });

  void it('refuses an expired or not-yet-valid certificate (injected now)', async () => {
    // Issued a day after the CA, so that just before its notBefore the CA itself is valid.
    const later = NOW + DAY;
    const { certPem } = await issueNodeCertificate({ ca, nodeId: 'm1', role: 'manager', clusterId: 'c1', now: later });
    const { notBefore, notAfter } = parseNodeCertificate(certPem);
    assert.equal(verifyNodeCertificate(certPem, ca.certPem, notAfter), true);
    assert.equal(verifyNodeCertificate(certPem, ca.certPem, notAfter + 1000), false);
    const expired = checkNodeCertificate(certPem, ca.certPem, notAfter + 1000);
    assert.equal(expired.ok || expired.problem, 'expired');
    assert.equal(verifyNodeCertificate(certPem, ca.certPem, notBefore - 1), false);
    const early = checkNodeCertificate(certPem, ca.certPem, notBefore - 1);
    assert.equal(early.ok || early.problem, 'not-yet-valid');
  });

  void it('accepts any root of a bundle (root rotation)', () => {
    assert.equal(verifyNodeCertificate(certPem, other.certPem + ca.certPem, NOW), true);
  });

  void it('refuses the CA certificate itself as a node certificate', () => {
    const check = checkNodeCertificate(ca.certPem, ca.certPem, NOW);
    assert.equal(check.ok || check.problem, 'not-a-node-certificate');
  });

  void it('refuses a root that is no longer valid', async () => {
    const shortCA = await createRootCA({ now: NOW, expiryMs: 2 * DAY });
    const leaf = await issueNodeCertificate({ ca: shortCA, nodeId: 'n', role: 'worker', clusterId: 'c', now: NOW });
    const check = checkNodeCertificate(leaf.certPem, shortCA.certPem, NOW + 3 * DAY);
    assert.equal(check.ok || check.problem, 'ca-not-valid');
  });

  void it('checks the cluster when asked', () => {
    assert.equal(checkNodeCertificate(certPem, ca.certPem, NOW, { clusterId: 'c1' }).ok, true);
    const check = checkNodeCertificate(certPem, ca.certPem, NOW, { clusterId: 'c2' });
    assert.equal(check.ok || check.problem, 'wrong-cluster');
  });

  void it('throws InvalidArgument for input that is not a certificate', () => {
    const invalid = (e: unknown) => isShoalError(e, 'InvalidArgument');
    assert.throws(() => verifyNodeCertificate('garbage', ca.certPem, NOW), invalid);
    assert.throws(() => verifyNodeCertificate(certPem, 'garbage', NOW), invalid);
    assert.throws(
      () => verifyNodeCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', ca.certPem, NOW),
      invalid,
    );
    assert.throws(() => parseNodeCertificate(ca.certPem), invalid); // no OU: not a node certificate
  });
});
