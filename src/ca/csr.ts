import { createPublicKey } from 'node:crypto';
import { invalidArgument } from '../api/errors.js';
import { invalidInput } from './errors.js';
import { generateKeyPair, spkiOfP256 } from './keys.js';
import type { IssuedNodeCertificate } from './node-certificate.js';
import { decodePem, encodePem } from './pem.js';
import { signNodeCertificate, type NodeCertificateRequest } from './sign-node-certificate.js';
import { ecdsaP256, nodeCrypto, x509 } from './x509.js';

/** A joiner's certificate signing request and the private key that stays with it. */
export interface GeneratedCSR {
  /** PKCS#10 PEM (`CERTIFICATE REQUEST`). */
  csrPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

/**
 * A new P-256 key and a CSR for it, as a joining node makes one (swarmkit's GenerateNewCSR). The subject is left
 * empty: the CA takes only the public key from a CSR and writes everything else itself.
 */
export async function createCSR(): Promise<GeneratedCSR> {
  const { keys, keyPem } = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { keys, signingAlgorithm: ecdsaP256 },
    nodeCrypto,
  );
  return { csrPem: encodePem(csr.rawData, 'CERTIFICATE REQUEST'), keyPem };
}

export interface SignCSROptions extends NodeCertificateRequest {
  csrPem: string;
}

/**
 * Signs a node's CSR. Only its public key is used, after checking the CSR's self-signature (proof that the requester
 * holds the private key); subject, SANs and lifetime come from the options (swarmkit's CSRWhitelist: PublicKey,
 * PublicKeyAlgorithm, SignatureAlgorithm). The key must be ECDSA P-256.
 */
export async function signCSR(options: SignCSROptions): Promise<IssuedNodeCertificate> {
  const { csrPem, ...request } = options;
  const der = decodePem(csrPem, 'CERTIFICATE REQUEST', 'CSR');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (cause) {
    throw invalidInput('ca.invalid_csr', 'CSR: not a valid PKCS#10 request', cause);
  }
  const spki = spkiOfP256(createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }));
  let signed: boolean;
  try {
    signed = await csr.verify(nodeCrypto);
  } catch (cause) {
    throw invalidInput('ca.invalid_csr', 'CSR: signature cannot be checked', cause);
  }
  if (!signed) throw invalidArgument('ca.invalid_csr', 'CSR: signature does not match its public key');
  return { certPem: await signNodeCertificate(request, spki) };
}
