/**
 * What the Engine-API routes need from the daemon (moby's router "backends"). The routes stay HTTP-only;
 * the daemon (src/daemon) implements this interface, and src/cmd wires the two together.
 */
import type { Node, Swarm } from '../../api/types.js';
import type { Filters } from '../../api/filters.js';

export interface SwarmUpdateRequest {
  version: number;
  spec: unknown;
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}

export interface NodeBackend {
  list(filters: Filters): Promise<Node[]>;
  inspect(ref: string): Promise<Node>;
  update(ref: string, version: number, spec: unknown): Promise<void>;
  remove(ref: string, force: boolean): Promise<void>;
}

export interface EngineBackend {
  /** The `Swarm` header of `/_ping`. */
  swarmHeader(): string;
  systemInfo(): Promise<Record<string, unknown>>;
  systemVersion(): Record<string, unknown>;
  swarmInit(request: unknown): Promise<string>;
  swarmJoin(request: unknown): Promise<void>;
  swarmLeave(force: boolean): Promise<void>;
  swarmInspect(): Promise<Swarm>;
  swarmUpdate(request: SwarmUpdateRequest): Promise<void>;
  swarmUnlockKey(): Promise<{ UnlockKey: string }>;
  nodes: NodeBackend;
}
