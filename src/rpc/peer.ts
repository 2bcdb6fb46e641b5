import type { PeerCertificate } from 'node:tls';
import type { NodeRole } from '../api/types.js';
import { roleForOU } from '../ca/index.js';

/** Who is calling, from the client certificate that the TLS handshake verified against the cluster root. */
export interface Peer {
  /** The certificate's CN. */
  nodeId: string;
  /** From the certificate's OU (`swarm-manager` / `swarm-worker`). */
  role: NodeRole;
  /** The certificate's O. */
  clusterId: string;
}

const one = (v: string | string[] | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/** The node identity in a verified peer certificate, or undefined when its subject is not a node's. */
export function peerOf(cert: PeerCertificate | undefined): Peer | undefined {
  const subject = cert?.subject;
  if (subject === undefined) return undefined;
  const nodeId = one(subject.CN);
  const ou = one(subject.OU);
  const clusterId = one(subject.O);
  const role = ou === undefined ? undefined : roleForOU(ou);
  if (nodeId === undefined || role === undefined || clusterId === undefined) return undefined;
  return { nodeId, role, clusterId };
}
