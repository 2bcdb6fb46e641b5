import type { TLSInfo } from '../api/types.js';
import { certificateRawFields } from './der.js';
import { certificateDer } from './pem.js';

/**
 * The Engine API's TLSInfo for a trust root, filled as dockerd fills it: TrustRoot is the root CA PEM (the bundle as
 * given); CertIssuerSubject and CertIssuerPublicKey are the raw DER subject (RDNSequence) and SubjectPublicKeyInfo of
 * the issuing root (the first certificate), base64-encoded with padding the way Go's encoding/json writes []byte.
 * For a swarm-style root the subject reads `MBMxETAPBgNVBAMTCHN3YXJtLWNh` (CN=swarm-ca).
 */
export function tlsInfo(caCertPem: string): TLSInfo {
  const { subject, spki } = certificateRawFields(certificateDer(caCertPem, 'CA certificate'));
  return {
    TrustRoot: caCertPem,
    CertIssuerSubject: Buffer.from(subject).toString('base64'),
    CertIssuerPublicKey: Buffer.from(spki).toString('base64'),
  };
}
