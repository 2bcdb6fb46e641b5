/**
 * The joiner's side of `/ca/root` and `/ca/join` (docs/design/cluster.md "Joining", steps 2-3): fetch the manager's
 * root CA over TLS that does not check the server yet, pin it with the token's digest, then, now checking the server
 * against that root, send a fresh CSR with the token and get this node's certificate. Nothing is written here: the
 * caller stores the result. Each call has a deadline, so an unreachable manager fails within
 * `2 × callDeadlineMs` at worst (the first call already fails for a manager that cannot be reached).
 */
import { failedPrecondition, invalidArgument, isShoalError, unavailable } from '../api/errors.js';
import type { NodeAvailability, NodeRole } from '../api/types.js';
import { checkNodeCertificate, createCSR, JOIN_TOKEN_REJECTED, pinnedTrustRoot } from '../ca/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { caPaths, connectRpc, decodeJoinResponse, decodeRootResponse, type JoinRequest } from '../rpc/index.js';

export interface JoinClusterOptions {
  /** The manager's swarm address, `host:port`. */
  address: string;
  token: string;
  hostname: string;
  availability?: NodeAvailability;
  advertiseAddr?: string;
  dataPathAddr?: string;
  clock: Clock;
  logger: Logger;
  /** Deadline of each of the two calls; default 4500 ms (an unreachable manager is reported within 10 s). */
  callDeadlineMs?: number;
}

export interface JoinedCluster {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
  rootCertPem: string;
  nodeCertPem: string;
  nodeKeyPem: string;
  managers: string[];
  /** The local IP this node reached the manager from. */
  localAddress: string | undefined;
}

/** A transport failure (nothing answered), as opposed to a manager's refusal. */
const transportFailure = (e: unknown): boolean => isShoalError(e) && e.code.startsWith('rpc.') && e.kind === 'Unavailable';

function unreachable(address: string, e: unknown): Error {
  const raw = e instanceof Error ? e.message : String(e);
  const reason = raw.startsWith(`${address}: `) ? raw.slice(address.length + 2) : raw;
  return unavailable('swarm.join_unreachable', `could not connect to the manager at ${address}: ${reason}`);
}

export async function joinCluster(o: JoinClusterOptions): Promise<JoinedCluster> {
  const deadlineMs = o.callDeadlineMs ?? 4500;
  const log = o.logger.child({ component: 'join', manager: o.address });
  // 1. The root, from a server we do not trust yet: its digest must be the token's.
  const anonymous = connectRpc({ address: o.address, tls: { caPem: undefined }, logger: log, deadlineMs });
  let offered: string;
  try {
    offered = decodeRootResponse(await anonymous.call<unknown>(caPaths.root, {})).rootCertPem;
  } catch (e) {
    throw unreachable(o.address, e);
  } finally {
    await anonymous.close();
  }
  let root: string;
  try {
    root = pinnedTrustRoot(o.token, offered);
  } catch (e) {
    if (isShoalError(e) && e.code === 'join_token.ca_mismatch') {
      throw failedPrecondition('swarm.join_ca_mismatch', `error while validating Root CA Certificate: ${e.message}`);
    }
    throw e;
  }
  // 2. The certificate, from the server that now proves it holds a certificate of that root.
  const { csrPem, keyPem } = await createCSR();
  const verified = connectRpc({ address: o.address, tls: { caPem: root }, logger: log, deadlineMs });
  const body: JoinRequest = {
    token: o.token,
    csrPem,
    hostname: o.hostname,
    ...(o.availability !== undefined ? { availability: o.availability } : {}),
    ...(o.advertiseAddr !== undefined ? { advertiseAddr: o.advertiseAddr } : {}),
    ...(o.dataPathAddr !== undefined ? { dataPathAddr: o.dataPathAddr } : {}),
  };
  try {
    const reply = decodeJoinResponse(await verified.call<unknown>(caPaths.join, body));
    const check = checkNodeCertificate(reply.certPem, root, o.clock.now(), { clusterId: reply.clusterId });
    if (!check.ok || check.identity.nodeId !== reply.nodeId || check.identity.role !== reply.role) {
      throw failedPrecondition('swarm.join_bad_certificate', `the manager's certificate for this node is refused: ${check.ok ? 'it names another node' : check.message}`);
    }
    return {
      nodeId: reply.nodeId,
      clusterId: reply.clusterId,
      role: reply.role,
      rootCertPem: root,
      nodeCertPem: reply.certPem,
      nodeKeyPem: keyPem,
      managers: reply.managers,
      localAddress: verified.localAddress,
    };
  } catch (e) {
    if (transportFailure(e)) throw unreachable(o.address, e);
    // gRPC's wording, as docker prints a refused token.
    if (isShoalError(e) && e.code === 'join_token.rejected') {
      throw invalidArgument('join_token.rejected', `rpc error: code = InvalidArgument desc = ${JOIN_TOKEN_REJECTED}`);
    }
    throw e;
  } finally {
    await verified.close();
  }
}
