/**
 * This node's own swarm membership, kept under `<data-root>/swarm/` (like dockerd's):
 *   state.json                     role, IDs and addresses; its presence means "in a swarm" (written last)
 *   certificates/swarm-root-ca.crt the cluster root CA certificate
 *   certificates/swarm-node.crt    this node's certificate (CN = node ID, OU = role)
 *   certificates/swarm-node.key    its private key
 *   store/                         the cluster state store (managers only)
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { internal } from '../api/errors.js';
import type { NodeRole } from '../api/types.js';
import { writeFileAtomic } from '../lib/atomic-file.js';

export interface LocalSwarmState {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
  listenAddr: string;
  advertiseAddr: string;
  /** Managers this node knows (host:port). */
  remoteManagers: string[];
}

export interface NodeCertificates {
  rootCertPem: string;
  nodeCertPem: string;
  nodeKeyPem: string;
}

export class LocalState {
  readonly swarmDir: string;
  readonly certDir: string;
  readonly storeDir: string;
  private readonly statePath: string;

  constructor(dataRoot: string) {
    this.swarmDir = join(dataRoot, 'swarm');
    this.certDir = join(this.swarmDir, 'certificates');
    this.storeDir = join(this.swarmDir, 'store');
    this.statePath = join(this.swarmDir, 'state.json');
  }

  read(): LocalSwarmState | undefined {
    if (!existsSync(this.statePath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as LocalSwarmState;
    } catch (e) {
      throw internal('daemon.state_corrupt', `cannot read ${this.statePath}`, e);
    }
  }

  readCertificates(): NodeCertificates {
    return {
      rootCertPem: readFileSync(join(this.certDir, 'swarm-root-ca.crt'), 'utf8'),
      nodeCertPem: readFileSync(join(this.certDir, 'swarm-node.crt'), 'utf8'),
      nodeKeyPem: readFileSync(join(this.certDir, 'swarm-node.key'), 'utf8'),
    };
  }

  /** Removes whatever a half-finished init or join left behind, so a new attempt starts clean. */
  clearSwarm(): void {
    rmSync(this.swarmDir, { recursive: true, force: true });
  }

  prepareDirs(): void {
    mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.storeDir, { recursive: true, mode: 0o700 });
  }

  writeCertificates(c: NodeCertificates): void {
    mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.certDir, 'swarm-root-ca.crt'), c.rootCertPem, 0o644);
    writeFileAtomic(join(this.certDir, 'swarm-node.crt'), c.nodeCertPem, 0o644);
    writeFileAtomic(join(this.certDir, 'swarm-node.key'), c.nodeKeyPem, 0o600);
  }

  /** The commit point of init/join: once this file exists the node is in a swarm. */
  write(state: LocalSwarmState): void {
    writeFileAtomic(this.statePath, JSON.stringify(state, null, 2) + '\n', 0o600);
  }
}
