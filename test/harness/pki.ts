/** A cluster CA and node certificates for tests that speak mutual TLS (src/rpc and its users). */
import type { NodeRole } from '../../src/api/types.js';
import { createRootCA, issueNodeCertificate, type RootCA } from '../../src/ca/index.js';
import type { RpcTls } from '../../src/rpc/index.js';

export interface TestPki {
  ca: RootCA;
  clusterId: string;
  /** A node certificate of this cluster, ready for startRpcServer / connectRpc. */
  node(nodeId: string, role: NodeRole, options?: { clusterId?: string; ips?: string[] }): Promise<RpcTls>;
}

export async function makePki(clusterId = 'cluster1'): Promise<TestPki> {
  const now = Date.now();
  const ca = await createRootCA({ now });
  return {
    ca,
    clusterId,
    async node(nodeId, role, options = {}) {
      const cert = await issueNodeCertificate({
        ca,
        nodeId,
        role,
        clusterId: options.clusterId ?? clusterId,
        now,
        ...(options.ips === undefined ? {} : { ips: options.ips }),
      });
      return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: ca.certPem };
    },
  };
}
