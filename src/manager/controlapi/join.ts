/**
 * Joining and certificate renewal, the manager's side (docs/design/cluster.md "Joining"): the use-cases behind the
 * CA's `/ca/join` and `/ca/renew`. A join checks the token against the cluster's current secrets (the token decides
 * the role), signs the joiner's CSR with the cluster CA for a new node ID, and creates that node in the store with
 * `Status.State` unknown until its agent opens a session. A renewal signs a new CSR for a node that is still in the
 * store, in its current role. Certificates last `Spec.CAConfig.NodeCertExpiry` as it is when they are signed, so
 * `swarm update --cert-expiry` applies to the certificates issued after it.
 *
 * Pure: the CA's signing and the token check are passed in (src/ca in production), time and IDs come from the deps.
 */
import { failedPrecondition, invalidArgument } from '../../api/errors.js';
import { swarmDefaults } from '../../api/swarm-spec.js';
import type { Cluster, Node, NodeAvailability, NodeRole } from '../../api/types.js';
import { parseIp } from '../../lib/cidr.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { ControlDeps } from './deps.js';
import { getCluster } from './swarm.js';

/** The contract's words for a manager token, while Shoal runs a single manager. */
export const MANAGER_JOIN_UNSUPPORTED = 'joining as a manager is not supported yet: this version of Shoal runs one manager';

/** What the join use-case needs from the CA (src/ca: `checkJoinToken`, `signCSR`). */
export interface JoinCA {
  /** The role the token admits; throws InvalidArgument ("A valid join token is necessary…") otherwise. */
  checkJoinToken(token: string, secrets: { caCertPem: string; workerSecret: string; managerSecret: string }): NodeRole;
  /** Signs `csrPem`'s public key for this identity with the cluster CA; returns the certificate PEM. */
  signCSR(request: {
    csrPem: string;
    ca: { certPem: string; keyPem: string };
    nodeId: string;
    role: NodeRole;
    clusterId: string;
    now: number;
    expiryMs: number;
  }): Promise<string>;
}

export type JoinDeps = Pick<ControlDeps, 'store' | 'clock' | 'random'> & { ca: JoinCA };

export interface JoinInput {
  token: string;
  csrPem: string;
  hostname: string;
  availability?: NodeAvailability;
  /** The IP the joiner advertises; default `remoteAddr`. */
  advertiseAddr?: string;
  /** `--data-path-addr` (an IP), kept on the node (internal). */
  dataPathAddr?: string;
  /** The IP the join call came from. */
  remoteAddr: string;
}

export interface JoinResult {
  nodeId: string;
  clusterId: string;
  certPem: string;
  rootCertPem: string;
  /** Managers' swarm addresses (`host:port`). */
  managers: string[];
  role: NodeRole;
}

/** The node certificate lifetime the cluster spec asks for now, in ms. */
export function nodeCertExpiryMs(cluster: Cluster): number {
  return (cluster.Spec.CAConfig.NodeCertExpiry ?? swarmDefaults.nodeCertExpiry) / 1e6;
}

function checkIp(value: string | undefined, field: string): void {
  if (value === undefined) return;
  if (parseIp(value) === undefined) throw invalidArgument('join.invalid_addr', `${field}: ${JSON.stringify(value)} is not an IPv4 address`);
}

/** The managers' swarm addresses, as the join reply and the dispatcher's session messages list them. */
export function managerAddrs(nodes: readonly Node[]): string[] {
  return nodes
    .filter((n) => n.Spec.Role === 'manager' && (n.ManagerStatus?.Addr ?? '') !== '')
    .map((n) => n.ManagerStatus?.Addr ?? '')
    .sort();
}

/**
 * `/ca/join`: admits a node with a valid token. A manager token is refused for now (FailedPrecondition
 * `join.manager_unsupported`); a wrong or rotated token is the CA's InvalidArgument. Nothing is stored unless the
 * CSR was signed.
 */
export async function joinNode(deps: JoinDeps, input: JoinInput): Promise<JoinResult> {
  checkIp(input.advertiseAddr, 'advertiseAddr');
  checkIp(input.dataPathAddr, 'dataPathAddr');
  if (input.hostname.length > 255) throw invalidArgument('join.invalid_hostname', 'hostname: at most 255 characters');
  const cluster = await getCluster(deps);
  const role = deps.ca.checkJoinToken(input.token, {
    caCertPem: cluster.TLSInfo.TrustRoot,
    workerSecret: cluster.TokenSecrets.Worker,
    managerSecret: cluster.TokenSecrets.Manager,
  });
  if (role === 'manager') throw failedPrecondition('join.manager_unsupported', MANAGER_JOIN_UNSUPPORTED);
  const nodeId = newId(deps.random);
  const nowMs = deps.clock.now();
  const certPem = await deps.ca.signCSR({
    csrPem: input.csrPem,
    ca: { certPem: cluster.TLSInfo.TrustRoot, keyPem: cluster.RootCAKey },
    nodeId,
    role,
    clusterId: cluster.ID,
    now: nowMs,
    expiryMs: nodeCertExpiryMs(cluster),
  });
  const now = rfc3339Nano(nowMs);
  const node: Node = {
    ID: nodeId,
    Version: { Index: 0 },
    CreatedAt: now,
    UpdatedAt: now,
    Spec: { Labels: {}, Role: role, Availability: input.availability ?? 'active' },
    Description: {
      Hostname: input.hostname,
      Platform: { Architecture: '', OS: '' },
      Resources: { NanoCPUs: 0, MemoryBytes: 0 },
      Engine: { EngineVersion: '', Plugins: [] },
      TLSInfo: cluster.TLSInfo,
    },
    // Unknown until the node's agent opens a session (the dispatcher then marks it ready with its description).
    Status: { State: 'unknown', Addr: input.advertiseAddr ?? input.remoteAddr },
    ...(input.dataPathAddr !== undefined ? { DataPathAddr: input.dataPathAddr } : {}),
  };
  const { result: managers } = await deps.store.update(async (tx) => {
    tx.create('nodes', node);
    return managerAddrs(await tx.list('nodes'));
  });
  return { nodeId, clusterId: cluster.ID, certPem, rootCertPem: cluster.TLSInfo.TrustRoot, managers, role };
}

/** The refusal of a certificate whose node is gone (the rpc layer's `rpc.node_revoked`, 403 on the wire). */
export const nodeRevoked = (nodeId: string) =>
  failedPrecondition('rpc.node_revoked', `node ${nodeId} is not a member of this cluster`);

/**
 * `/ca/renew`: a new certificate for `nodeId` (the caller's certificate CN) in the node's current role, lasting the
 * cluster's current `NodeCertExpiry`. A node no longer in the store is refused.
 */
export async function renewNodeCertificate(deps: JoinDeps, nodeId: string, csrPem: string): Promise<{ certPem: string }> {
  const cluster = await getCluster(deps);
  const node = await deps.store.view().get('nodes', nodeId);
  if (node === undefined) throw nodeRevoked(nodeId);
  const certPem = await deps.ca.signCSR({
    csrPem,
    ca: { certPem: cluster.TLSInfo.TrustRoot, keyPem: cluster.RootCAKey },
    nodeId,
    role: node.Spec.Role,
    clusterId: cluster.ID,
    now: deps.clock.now(),
    expiryMs: nodeCertExpiryMs(cluster),
  });
  return { certPem };
}
