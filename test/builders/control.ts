/** A control-API harness on the in-memory store, with a fake clock, seeded randomness and a deterministic PKI. */
import type { Node, NodeDescription } from '../../src/api/types.js';
import { seededRandom } from '../../src/lib/random.js';
import { randomBase36 } from '../../src/lib/ids.js';
import type { ControlDeps } from '../../src/manager/controlapi/deps.js';
import { initCluster } from '../../src/manager/controlapi/swarm.js';
import { Store } from '../../src/store/core/store.js';
import { createMemoryBackend } from '../../src/store/memory/memory-backend.js';
import { FakeClock } from '../fakes/clock.js';

export function aDescription(hostname: string): NodeDescription {
  return {
    Hostname: hostname,
    Platform: { Architecture: 'x86_64', OS: 'linux' },
    Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 30 },
    Engine: { EngineVersion: '0.1.0', Plugins: [] },
    TLSInfo: { TrustRoot: 'ROOT', CertIssuerSubject: 'SUBJ', CertIssuerPublicKey: 'KEY' },
  };
}

export function aWorker(id: string, hostname: string, state: Node['Status']['State'] = 'ready'): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
    Description: aDescription(hostname),
    Status: { State: state, Addr: '10.0.0.9' },
  };
}

export interface ControlHarness {
  deps: ControlDeps;
  clock: FakeClock;
  nodeId: string;
}

/** A control API whose store already holds an initialized cluster with one manager node, `m1`. */
export async function initializedControl(seed = 1): Promise<ControlHarness> {
  const clock = new FakeClock();
  const random = seededRandom(seed);
  const deps: ControlDeps = {
    store: new Store(createMemoryBackend({ clock })),
    clock,
    random,
    pki: {
      newTokenSecret: () => randomBase36(random, 25),
      formatJoinToken: (_ca, secret) => `SWMTKN-1-${'d'.repeat(50)}-${secret}`,
      tlsInfo: (ca) => ({ TrustRoot: ca, CertIssuerSubject: 'SUBJ', CertIssuerPublicKey: 'KEY' }),
    },
  };
  const nodeId = 'm1' + 'x'.repeat(23);
  await initCluster(deps, {
    clusterId: 'c'.repeat(25),
    nodeId,
    rootCA: { certPem: 'ROOT', keyPem: 'KEYPEM' },
    spec: { Orchestration: {}, Raft: { ElectionTick: 0, HeartbeatTick: 0 } },
    description: aDescription('m1'),
    advertiseAddr: '10.0.0.1:2377',
    nodeAddr: '10.0.0.1',
  });
  return { deps, clock, nodeId };
}
