/**
 * Swarm use-cases: create the cluster object at init, read it, update its spec and rotate join tokens.
 * The cluster's root CA key and token secrets live in the stored Cluster and never leave through `inspect`.
 */
import { invalidArgument, notFound } from '../../api/errors.js';
import { defaultSwarmSpec, mergeSwarmSpec, swarmDefaults } from '../../api/swarm-spec.js';
import type { Cluster, Node, NodeDescription, Swarm, SwarmSpec } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { ControlDeps } from './deps.js';
import { ingressNetwork } from './networks.js';

export interface InitClusterInput {
  clusterId: string;
  nodeId: string;
  rootCA: { certPem: string; keyPem: string };
  /** The untrusted `Spec` of the init request; zero values take defaults. */
  spec: unknown;
  description: NodeDescription;
  /** host:port managers and agents reach this node at. */
  advertiseAddr: string;
  /** The address part only, for Node.Status.Addr. */
  nodeAddr: string;
  defaultAddrPool?: string[];
  subnetSize?: number;
  /** `--data-path-port`: 1024–49151 and not the swarm listen port; 0 or absent: 4789. */
  dataPathPort?: number;
  /** The swarm listen port, which the data path port may not take. */
  listenPort?: number;
  /** `--data-path-addr` (an IP): kept on the node, never rendered. */
  dataPathAddr?: string;
  availability?: 'active' | 'pause' | 'drain';
}

/** The data path (VXLAN) UDP port range docker accepts. */
export const DATA_PATH_PORT_MIN = 1024;
export const DATA_PATH_PORT_MAX = 49151;

/** Checks `--data-path-port` (0: the default): in range, and not the swarm listen port. */
export function checkDataPathPort(port: number, listenPort: number | undefined): void {
  if (port === 0) return;
  if (!Number.isInteger(port) || port < DATA_PATH_PORT_MIN || port > DATA_PATH_PORT_MAX) {
    throw invalidArgument(
      'swarm.data_path_port',
      `DataPathPort: the data path port must be within the range ${DATA_PATH_PORT_MIN} to ${DATA_PATH_PORT_MAX}, got ${port}`,
    );
  }
  if (port === listenPort) {
    throw invalidArgument(
      'swarm.data_path_port',
      `DataPathPort: ${port} is the swarm listen port; the data path needs a port of its own`,
    );
  }
}

export async function initCluster(deps: ControlDeps, input: InitClusterInput): Promise<{ cluster: Cluster; node: Node }> {
  const spec = mergeSwarmSpec(defaultSwarmSpec(), input.spec);
  checkDataPathPort(input.dataPathPort ?? 0, input.listenPort);
  const now = rfc3339Nano(deps.clock.now());
  const workerSecret = deps.pki.newTokenSecret();
  const managerSecret = deps.pki.newTokenSecret();
  const subnetSize = input.subnetSize && input.subnetSize > 0 ? input.subnetSize : swarmDefaults.subnetSize;
  if (subnetSize > 29) throw invalidArgument('swarm.subnet_size', `SubnetSize: must be at most 29, got ${subnetSize}`);
  const cluster: Cluster = {
    ID: input.clusterId,
    Version: { Index: 0 },
    CreatedAt: now,
    UpdatedAt: now,
    Spec: spec,
    TLSInfo: deps.pki.tlsInfo(input.rootCA.certPem),
    RootRotationInProgress: false,
    DefaultAddrPool: input.defaultAddrPool && input.defaultAddrPool.length > 0 ? input.defaultAddrPool : [...swarmDefaults.defaultAddrPool],
    SubnetSize: subnetSize,
    DataPathPort: input.dataPathPort && input.dataPathPort > 0 ? input.dataPathPort : swarmDefaults.dataPathPort,
    JoinTokens: {
      Worker: deps.pki.formatJoinToken(input.rootCA.certPem, workerSecret),
      Manager: deps.pki.formatJoinToken(input.rootCA.certPem, managerSecret),
    },
    RootCAKey: input.rootCA.keyPem,
    TokenSecrets: { Worker: workerSecret, Manager: managerSecret },
    UnlockKey: '',
  };
  const node: Node = {
    ID: input.nodeId,
    Version: { Index: 0 },
    CreatedAt: now,
    UpdatedAt: now,
    Spec: { Labels: {}, Role: 'manager', Availability: input.availability ?? 'active' },
    Description: input.description,
    Status: { State: 'ready', Addr: input.nodeAddr },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: input.advertiseAddr },
    ...(input.dataPathAddr !== undefined && input.dataPathAddr !== '' ? { DataPathAddr: input.dataPathAddr } : {}),
  };
  // The routing mesh's network (networks.ts): the first block of the configured pool, in the init transaction.
  const ingress = ingressNetwork(newId(deps.random), now, cluster);
  const { rev } = await deps.store.update((tx) => {
    tx.create('cluster', cluster);
    tx.create('nodes', node);
    tx.create('networks', ingress);
  });
  cluster.Version = { Index: rev };
  node.Version = { Index: rev };
  return { cluster, node };
}

/** The single cluster object (there is exactly one per store). */
export async function getCluster(deps: Pick<ControlDeps, 'store'>): Promise<Cluster> {
  const [cluster] = await deps.store.view().list('cluster');
  if (!cluster) throw notFound('swarm.not_found', 'swarm not found');
  return cluster;
}

/** The public view of the cluster: what `GET /swarm` returns (no CA key, no secrets). */
export function publicSwarm(c: Cluster): Swarm {
  return {
    ID: c.ID,
    Version: c.Version,
    CreatedAt: c.CreatedAt,
    UpdatedAt: c.UpdatedAt,
    Spec: c.Spec,
    TLSInfo: c.TLSInfo,
    RootRotationInProgress: c.RootRotationInProgress,
    DefaultAddrPool: c.DefaultAddrPool,
    SubnetSize: c.SubnetSize,
    DataPathPort: c.DataPathPort,
    JoinTokens: c.JoinTokens,
  };
}

export interface UpdateSwarmInput {
  version: number;
  spec: unknown;
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}

/** `POST /swarm/update`: the full spec replaces the old one (zero values keep it); stale versions conflict. */
export async function updateSwarm(deps: ControlDeps, input: UpdateSwarmInput): Promise<Swarm> {
  await deps.store.update(async (tx) => {
    const [current] = await tx.list('cluster');
    if (!current) throw notFound('swarm.not_found', 'swarm not found');
    const spec: SwarmSpec = mergeSwarmSpec(current.Spec, input.spec);
    const next: Cluster = {
      ...current,
      Version: { Index: input.version },
      Spec: spec,
      UpdatedAt: rfc3339Nano(deps.clock.now()),
      JoinTokens: { ...current.JoinTokens },
      TokenSecrets: { ...current.TokenSecrets },
    };
    if (input.rotateWorkerToken) {
      next.TokenSecrets.Worker = deps.pki.newTokenSecret();
      next.JoinTokens.Worker = deps.pki.formatJoinToken(next.TLSInfo.TrustRoot, next.TokenSecrets.Worker);
    }
    if (input.rotateManagerToken) {
      next.TokenSecrets.Manager = deps.pki.newTokenSecret();
      next.JoinTokens.Manager = deps.pki.formatJoinToken(next.TLSInfo.TrustRoot, next.TokenSecrets.Manager);
    }
    tx.update('cluster', next);
  });
  return publicSwarm(await getCluster(deps));
}
