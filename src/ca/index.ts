/**
 * # src/ca: the cluster root CA, node certificates and join tokens
 *
 * Owns the cluster's PKI, in swarmkit's layout so that what docker users know (and what `docker info`,
 * `docker node inspect` and `docker swarm join-token` print) still holds:
 *
 * - **Root CA** (`createRootCA`): ECDSA P-256, self-signed `CN=swarm-ca`, 20 years, CA:TRUE, certSign+cRLSign.
 *   Its PKCS#8 key lives only on managers (in the store); its certificate is the cluster's trust root.
 * - **Node certificates** (`issueNodeCertificate`, `signCSR`): `O=<cluster id>, OU=<swarm-manager|swarm-worker>,
 *   CN=<node id>`, SAN DNS `<OU>, <node id>` (+ `swarm-ca` on managers) + optional IPs, EKU serverAuth+clientAuth,
 *   90 days by default, backdated one hour for clock drift. The OU and CN are what authorise every manager↔agent
 *   call: a server reads them from `socket.getPeerCertificate().subject` after a mutual-TLS handshake against the root.
 *   Managers dial each other with servername `swarm-manager`, which every manager certificate carries.
 * - **Checking** (`parseNodeCertificate`, `checkNodeCertificate`, `verifyNodeCertificate`): pure functions of the PEMs
 *   and an injected `now`; a refusal is a returned value, only malformed input throws.
 * - **TLSInfo** (`tlsInfo`): the Engine API's TrustRoot / CertIssuerSubject / CertIssuerPublicKey, as dockerd
 *   fills them.
 * - **Join tokens**: `SWMTKN-1-<CA digest: base 36, 50 chars>-<secret: 128 bits, base 36, 25 chars>`.
 *   The digest lets a joiner authenticate the manager before trusting it (`tokenMatchesCA`, `pinnedTrustRoot`); the
 *   secret decides the role (`checkJoinToken`, constant time). Rotating a token = storing a new `newTokenSecret`;
 *   the old token then fails `checkJoinToken`. Rotating the root CA changes the digest and so both tokens.
 *
 * Consumes and produces no events: the manager stores the CA and the secrets in the cluster object, src/rpc uses the
 * certificates. Invariants: a node certificate's identity (CN/OU/O, SANs, lifetime) always comes from the caller, never
 * from a CSR; the CA key must match the CA certificate; tokens are never echoed in error messages. Key generation and
 * signatures use Node's WebCrypto through @peculiar/x509 (its Reflect polyfill is loaded in ./x509.ts, so importing
 * this module is enough); verification uses node:crypto. Errors are ShoalErrors (InvalidArgument for bad input or a
 * refused token).
 */
export { createRootCA, type CreateRootCAOptions, type RootCA } from './root-ca.js';
export {
  issueNodeCertificate,
  type IssueNodeCertificateOptions,
  type IssuedNodeCertificate,
  type IssuedNodeCertificateWithKey,
  type NodeCertificateRequest,
} from './node-certificate.js';
export { createCSR, signCSR, type GeneratedCSR, type SignCSROptions } from './csr.js';
export { parseNodeCertificate, type NodeIdentity } from './parse-certificate.js';
export {
  checkNodeCertificate,
  verifyNodeCertificate,
  type CertificateCheck,
  type CertificateProblem,
  type CheckNodeCertificateOptions,
} from './verify-certificate.js';
export { tlsInfo } from './tls-info.js';
export {
  caDigest,
  formatJoinToken,
  JOIN_TOKEN_PATTERN,
  newTokenSecret,
  parseJoinToken,
  pinnedTrustRoot,
  tokenMatchesCA,
  type ParsedJoinToken,
} from './join-token.js';
export { checkJoinToken, type ClusterJoinSecrets } from './check-join-token.js';
export { INVALID_JOIN_TOKEN, JOIN_TOKEN_REJECTED } from './errors.js';
export { CA_SAN, MANAGER_OU, ROOT_CA_CN, WORKER_OU, ouForRole, roleForOU } from './roles.js';
export {
  CERT_BACKDATE_MS,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  MIN_NODE_CERT_EXPIRY_MS,
  ROOT_CA_EXPIRY_MS,
} from './validity.js';
