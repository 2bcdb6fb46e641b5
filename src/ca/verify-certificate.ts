import { X509Certificate as NodeX509 } from 'node:crypto';
import { isShoalError } from '../api/errors.js';
import { invalidInput } from './errors.js';
import { identityOf, parseCertificateDer, type NodeIdentity } from './parse-certificate.js';
import { certificateDer, strictCertificateBundle } from './pem.js';
import type { x509 } from './x509.js';

export type CertificateProblem =
  | 'untrusted'
  | 'not-yet-valid'
  | 'expired'
  | 'ca-not-valid'
  | 'not-a-node-certificate'
  | 'wrong-cluster';

/** The outcome of checking a node certificate: its identity, or why it is refused. */
export type CertificateCheck =
  | { ok: true; identity: NodeIdentity }
  | { ok: false; problem: CertificateProblem; message: string };

export interface CheckNodeCertificateOptions {
  /** When given, the certificate's O must equal it (swarmkit authorises role *and* organisation). */
  clusterId?: string;
}

function toNode(der: Uint8Array, what: string): NodeX509 {
  try {
    return new NodeX509(der);
  } catch (cause) {
    throw invalidInput('ca.invalid_certificate', `${what}: not a valid X.509 certificate`, cause);
  }
}

const within = (now: number, cert: x509.X509Certificate): boolean =>
  now >= cert.notBefore.getTime() && now <= cert.notAfter.getTime();

/**
 * Checks a node certificate against the trust root (a PEM bundle of one or more roots, as during a root rotation):
 * signed by one of the roots (issuer name, key identifiers and signature, via node:crypto), that root a CA valid at
 * `now`, the leaf valid at `now` and not a CA, and its subject a node identity (CN, known OU, O). Refusals are
 * returned as values; only unparsable input throws (InvalidArgument).
 */
export function checkNodeCertificate(
  certPem: string,
  caCertPem: string,
  now: number,
  options: CheckNodeCertificateOptions = {},
): CertificateCheck {
  const leafDer = certificateDer(certPem, 'node certificate');
  const leaf = toNode(leafDer, 'node certificate');
  const roots = strictCertificateBundle(caCertPem, 'CA certificate');
  const issuerDer = roots.find((der) => {
    const root = toNode(der, 'CA certificate');
    return root.ca && leaf.checkIssued(root) && leaf.verify(root.publicKey);
  });
  if (issuerDer === undefined) {
    return { ok: false, problem: 'untrusted', message: 'certificate is not signed by the cluster root CA' };
  }
  if (!within(now, parseCertificateDer(issuerDer, 'CA certificate'))) {
    return { ok: false, problem: 'ca-not-valid', message: 'the cluster root CA is not valid at this time' };
  }
  if (leaf.ca) {
    return { ok: false, problem: 'not-a-node-certificate', message: 'a CA certificate is not a node certificate' };
  }
  let identity: NodeIdentity;
  try {
    identity = identityOf(parseCertificateDer(leafDer, 'node certificate'));
  } catch (e) {
    if (isShoalError(e, 'InvalidArgument')) return { ok: false, problem: 'not-a-node-certificate', message: e.message };
    throw e;
  }
  if (now < identity.notBefore) {
    return { ok: false, problem: 'not-yet-valid', message: 'certificate is not valid yet' };
  }
  if (now > identity.notAfter) {
    return { ok: false, problem: 'expired', message: 'certificate has expired' };
  }
  if (options.clusterId !== undefined && identity.clusterId !== options.clusterId) {
    return { ok: false, problem: 'wrong-cluster', message: 'certificate belongs to another cluster' };
  }
  return { ok: true, identity };
}

/** True when the node certificate chains to the root CA and is valid at `now` (see checkNodeCertificate). */
export function verifyNodeCertificate(certPem: string, caCertPem: string, now: number): boolean {
  return checkNodeCertificate(certPem, caCertPem, now).ok;
}
