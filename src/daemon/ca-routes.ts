/**
 * The manager's CA on the RPC listener (docs/design/cluster.md "Joining"): `/ca/root` and `/ca/join` for nodes
 * without a certificate, `/ca/renew` for nodes with one, over the join use-cases of src/manager/controlapi/join.ts
 * with src/ca doing the signing. Also the revocation check every certificate-bearing call passes: the certificate's
 * CN must still be a node in the store (a node removed with `node rm` is refused, 403 on the wire).
 */
import { checkJoinToken, signCSR } from '../ca/index.js';
import type { Clock } from '../lib/clock.js';
import type { Random } from '../lib/random.js';
import { joinNode, renewNodeCertificate, type JoinCA, type JoinDeps } from '../manager/controlapi/join.js';
import { getCluster } from '../manager/controlapi/swarm.js';
import {
  caPaths,
  decodeJoinRequest,
  decodeRenewRequest,
  decodeRootRequest,
  publicRoute,
  rpcErrors,
  unaryRoute,
  type JoinRequest,
  type JoinResponse,
  type Peer,
  type RenewRequest,
  type RenewResponse,
  type RootCAResponse,
  type RpcRoute,
} from '../rpc/index.js';
import type { Store } from '../store/core/store.js';

/** src/ca behind the use-cases' CA port. */
export const clusterCA: JoinCA = {
  checkJoinToken: (token, secrets) => checkJoinToken(token, secrets),
  signCSR: async (r) =>
    (await signCSR({ csrPem: r.csrPem, ca: r.ca, nodeId: r.nodeId, role: r.role, clusterId: r.clusterId, now: r.now, expiryMs: r.expiryMs })).certPem,
};

export interface CaRoutesOptions {
  store: Store;
  clock: Clock;
  random: Random;
  /** Default: src/ca. */
  ca?: JoinCA;
}

export function caRoutes(o: CaRoutesOptions): RpcRoute[] {
  const deps: JoinDeps = { store: o.store, clock: o.clock, random: o.random, ca: o.ca ?? clusterCA };
  return [
    publicRoute<Record<string, never>, RootCAResponse>({
      path: caPaths.root,
      decode: decodeRootRequest,
      handler: async () => ({ rootCertPem: (await getCluster(deps)).TLSInfo.TrustRoot }),
    }),
    publicRoute<JoinRequest, JoinResponse>({
      path: caPaths.join,
      decode: decodeJoinRequest,
      handler: (req, ctx) => joinNode(deps, { ...req, remoteAddr: ctx.remoteAddress }),
    }),
    unaryRoute<RenewRequest, RenewResponse>({
      path: caPaths.renew,
      decode: decodeRenewRequest,
      handler: (req, ctx) => renewNodeCertificate(deps, ctx.peer.nodeId, req.csrPem),
    }),
  ];
}

/** The rpc server's `authorize`: a certificate whose node is no longer in the store is refused. */
export function refuseRemovedNodes(store: Store): (peer: Peer) => Promise<void> {
  return async (peer) => {
    if ((await store.view().get('nodes', peer.nodeId)) === undefined) throw rpcErrors.nodeRevoked(peer.nodeId);
  };
}
