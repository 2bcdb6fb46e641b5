import { generateKeyPair, publicKeySpki } from './keys.js';
import { signNodeCertificate, type NodeCertificateRequest } from './sign-node-certificate.js';

export type { NodeCertificateRequest } from './sign-node-certificate.js';

export interface IssueNodeCertificateOptions extends NodeCertificateRequest {
  /** The node's own P-256 public key (`PUBLIC KEY` PEM). Without it a key pair is generated and returned. */
  publicKeyPem?: string | undefined;
}

export interface IssuedNodeCertificate {
  /** The leaf certificate PEM (no chain: every peer already trusts the root). */
  certPem: string;
}

export interface IssuedNodeCertificateWithKey extends IssuedNodeCertificate {
  /** The generated private key, PKCS#8 PEM. */
  keyPem: string;
}

/**
 * Issues a node certificate (layout in signNodeCertificate). With `publicKeyPem` the node keeps its key; without it a
 * P-256 key pair is generated here and its private key returned with the certificate.
 */
export function issueNodeCertificate(
  options: IssueNodeCertificateOptions & { publicKeyPem: string },
): Promise<IssuedNodeCertificate>;
export function issueNodeCertificate(
  options: IssueNodeCertificateOptions & { publicKeyPem?: undefined },
): Promise<IssuedNodeCertificateWithKey>;
export function issueNodeCertificate(
  options: IssueNodeCertificateOptions,
): Promise<IssuedNodeCertificate | IssuedNodeCertificateWithKey>;
export async function issueNodeCertificate(
  options: IssueNodeCertificateOptions,
): Promise<IssuedNodeCertificate | IssuedNodeCertificateWithKey> {
  const { publicKeyPem, ...request } = options;
  if (publicKeyPem !== undefined) {
    return { certPem: await signNodeCertificate(request, publicKeySpki(publicKeyPem)) };
  }
  const { keyPem, spki } = await generateKeyPair();
  return { certPem: await signNodeCertificate(request, spki), keyPem };
}
