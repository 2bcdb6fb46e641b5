import { isIP } from 'node:net';
import type { NodeRole } from '../api/types.js';
import { invalidArgument } from '../api/errors.js';
import { certificateRawFields } from './der.js';
import { ensure } from './errors.js';
import { assertKeyMatches, importSigningKey } from './keys.js';
import { certificateDer, encodePem } from './pem.js';
import type { RootCA } from './root-ca.js';
import { assertRole, CA_SAN, MANAGER_OU, ouForRole } from './roles.js';
import { DEFAULT_NODE_CERT_EXPIRY_MS, MIN_NODE_CERT_EXPIRY_MS, validityWindow } from './validity.js';
import { ecdsaP256, nodeCrypto, x509 } from './x509.js';

/** What a node certificate says about its node. Everything here comes from the caller, never from a CSR. */
export interface NodeCertificateRequest {
  ca: RootCA;
  /** Becomes the subject CN and a DNS SAN. */
  nodeId: string;
  /** Becomes the subject OU: `swarm-manager` or `swarm-worker`. */
  role: NodeRole;
  /** Becomes the subject O. */
  clusterId: string;
  /** Milliseconds since the epoch; the certificate is backdated one hour from here (swarmkit's CertBackdate). */
  now: number;
  /** Lifetime from `now`; default 90 days, at least one hour (swarmkit's bounds). */
  expiryMs?: number;
  /** Extra IP SANs, e.g. the address the node listens on. */
  ips?: readonly string[];
}

/** Node and cluster IDs end up in CN/O (≤ 64 characters by X.520) and the node ID in a DNS SAN. */
const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function checkRequest(req: NodeCertificateRequest): void {
  assertRole(req.role);
  if (!ID.test(req.nodeId)) {
    throw invalidArgument(
      'ca.invalid_node_id',
      `invalid node ID ${JSON.stringify(req.nodeId)}: 1-64 letters, digits or '-'`,
    );
  }
  if (!ID.test(req.clusterId)) {
    throw invalidArgument(
      'ca.invalid_cluster_id',
      `invalid cluster ID ${JSON.stringify(req.clusterId)}: 1-64 letters, digits or '-'`,
    );
  }
  for (const ip of req.ips ?? []) {
    if (isIP(ip) === 0) throw invalidArgument('ca.invalid_ip', `invalid IP address ${JSON.stringify(ip)}`);
  }
}

/**
 * Signs a node certificate for `spki` (a P-256 SubjectPublicKeyInfo, already checked by the caller) with the root CA,
 * in swarmkit's layout: subject `O=<cluster>, OU=<swarm-manager|swarm-worker>, CN=<node>`; SAN DNS `<OU>, <node>`
 * (plus `swarm-ca` on managers) and the given IPs; EKU serverAuth+clientAuth; keyUsage
 * digitalSignature+keyEncipherment; basicConstraints CA:FALSE; subject and authority key identifiers. The lifetime
 * is capped at the CA's own notAfter. Returns the leaf certificate PEM alone.
 */
export async function signNodeCertificate(req: NodeCertificateRequest, spki: Uint8Array): Promise<string> {
  checkRequest(req);
  const { notBefore, notAfter } = validityWindow(
    req.now,
    req.expiryMs ?? DEFAULT_NODE_CERT_EXPIRY_MS,
    MIN_NODE_CERT_EXPIRY_MS,
  );
  const caDer = certificateDer(req.ca.certPem, 'CA certificate');
  const caRaw = certificateRawFields(caDer);
  const signer = await importSigningKey(req.ca.keyPem);
  assertKeyMatches(signer.object, caRaw.spki);

  const ou = ouForRole(req.role);
  const dnsNames = [ou, req.nodeId, ...(ou === MANAGER_OU ? [CA_SAN] : [])];
  const altNames = [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(req.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const caCert = new x509.X509Certificate(caDer);
  if (caCert.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
    throw invalidArgument('ca.not_a_ca', 'CA certificate: not a CA (basicConstraints CA:TRUE missing)');
  }
  // The authority key ID must repeat the CA's own subject key ID verbatim, or chain building fails
  // (AKID/SKID mismatch).
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const keyIds = [
    await x509.SubjectKeyIdentifierExtension.create(spki, false, nodeCrypto),
    ...(caKeyId === undefined ? [] : [new x509.AuthorityKeyIdentifierExtension(caKeyId)]),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: new x509.Name([{ O: [req.clusterId] }, { OU: [ou] }, { CN: [req.nodeId] }]),
      issuer: new x509.Name(caRaw.subject),
      publicKey: spki,
      signingKey: signer.key,
      notBefore,
      // A certificate never outlives the CA that vouches for it.
      notAfter: notAfter < caCert.notAfter ? notAfter : caCert.notAfter,
      signingAlgorithm: ecdsaP256,
      extensions: [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...keyIds,
        new x509.SubjectAlternativeNameExtension(altNames),
      ],
    },
    nodeCrypto,
  );
  const der = new Uint8Array(cert.rawData);
  ensure(
    Buffer.from(certificateRawFields(der).issuer).equals(caRaw.subject),
    'ca.issuer_mismatch',
    'issued certificate issuer does not match the CA subject byte for byte',
  );
  return encodePem(der, 'CERTIFICATE');
}
