import type { NodeRole } from '../api/types.js';
import { invalidArgument } from '../api/errors.js';
import { invalidInput } from './errors.js';
import { certificateDer } from './pem.js';
import { roleForOU } from './roles.js';
import { x509 } from './x509.js';

/** Who a node certificate speaks for, and when. Times are milliseconds since the epoch. */
export interface NodeIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  notBefore: number;
  notAfter: number;
}

/** A certificate parsed with @peculiar/x509; malformed DER becomes an InvalidArgument naming `what`. */
export function parseCertificateDer(der: Uint8Array, what: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(der);
  } catch (cause) {
    throw invalidInput('ca.invalid_certificate', `${what}: not a valid X.509 certificate`, cause);
  }
}

function single(cert: x509.X509Certificate, field: 'CN' | 'OU' | 'O'): string {
  const values = cert.subjectName.getField(field);
  const [value] = values;
  if (values.length !== 1 || value === undefined || value === '') {
    throw invalidArgument(
      'ca.not_a_node_certificate',
      `not a node certificate: subject must carry exactly one ${field} (has ${values.length})`,
    );
  }
  return value;
}

/** Reads CN (node ID), OU (role) and O (cluster ID) and the validity window. Checks nothing about trust. */
export function identityOf(cert: x509.X509Certificate): NodeIdentity {
  const ou = single(cert, 'OU');
  const role = roleForOU(ou);
  if (role === undefined) {
    throw invalidArgument('ca.not_a_node_certificate', `not a node certificate: unknown OU ${JSON.stringify(ou)}`);
  }
  return {
    nodeId: single(cert, 'CN'),
    role,
    clusterId: single(cert, 'O'),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
  };
}

/**
 * The identity in a node certificate PEM (the first certificate of a chain). Does not verify it: see
 * verifyNodeCertificate.
 */
export function parseNodeCertificate(certPem: string): NodeIdentity {
  return identityOf(parseCertificateDer(certificateDer(certPem, 'node certificate'), 'node certificate'));
}
