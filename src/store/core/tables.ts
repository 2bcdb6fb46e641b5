/**
 * Typed tables over the Backend port. Each object kind lives under its own key prefix as JSON; an object's
 * `Version.Index` is the modRev of its key, so a write carrying a stale version fails with Conflict
 * ("update out of sequence"), exactly like swarmkit's store. Names that must be unique (services, networks,
 * secrets, configs, nodes' hostnames are not unique) get an index key written in the same transaction, so two
 * concurrent creates of one name cannot both win.
 */
import type { Cluster, Config, Network, Node, Secret, Service, Task } from '../../api/types.js';

export interface ObjectOf {
  cluster: Cluster;
  nodes: Node;
  services: Service;
  tasks: Task;
  networks: Network;
  secrets: Secret;
  configs: Config;
}

export type Kind = keyof ObjectOf;
export const KINDS: readonly Kind[] = ['cluster', 'nodes', 'services', 'tasks', 'networks', 'secrets', 'configs'];

export type StoreAction = 'create' | 'update' | 'remove';

/** One object change. For `remove`, `object` is the last stored value. */
export type StoreEvent = {
  [K in Kind]: { kind: K; action: StoreAction; object: ObjectOf[K]; rev: number };
}[Kind];

export interface ReadTx {
  get<K extends Kind>(kind: K, id: string): Promise<ObjectOf[K] | undefined>;
  list<K extends Kind>(kind: K): Promise<ObjectOf[K][]>;
  /** Exact-name lookup for kinds with a unique name (services, networks, secrets, configs). */
  getByName<K extends Kind>(kind: K, name: string): Promise<ObjectOf[K] | undefined>;
}

export interface WriteTx extends ReadTx {
  /** Fails the commit with AlreadyExists if the ID or the unique name is taken. */
  create<K extends Kind>(kind: K, object: ObjectOf[K]): void;
  /** Fails the commit with Conflict (`update out of sequence`) unless object.Version.Index is current. */
  update<K extends Kind>(kind: K, object: ObjectOf[K]): void;
  /** Fails the commit with NotFound if the object is gone. */
  delete<K extends Kind>(kind: K, id: string): void;
}
