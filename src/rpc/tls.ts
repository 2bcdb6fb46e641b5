import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { MANAGER_OU } from '../ca/index.js';

/** A node's TLS material: its certificate and key, and the cluster root that every peer must chain to. PEMs. */
export interface RpcTls {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/**
 * A client without a node certificate (a node joining the cluster): it trusts `caPem` (the root it pinned with the
 * join token's digest), or, with `caPem` undefined, nothing yet (only to fetch that root).
 */
export interface AnonymousTls {
  caPem: string | undefined;
}

/** The name a client checks a manager's certificate against: every manager certificate carries this DNS SAN. */
export const MANAGER_SERVERNAME = 'swarm-manager';

/**
 * The client's check of the server, on top of the chain to the cluster root that TLS verifies: the usual host name
 * check against the servername, and the certificate's OU must be `swarm-manager`.
 */
export function checkManagerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const err = checkServerIdentity(host, cert);
  if (err !== undefined) return err;
  if (cert.subject.OU !== MANAGER_OU) {
    return new Error(`the server's certificate is not a manager's (OU ${JSON.stringify(cert.subject.OU)})`);
  }
  return undefined;
}
