/**
 * A real multi-node lab for tests (docs/design/cluster.md "The lab"): `await using lab = await startLab({nodes: 3})`
 * makes N nodes (a netns, an address on a private bridge and a `shoal daemon` each; node 1 manager, the others
 * joined as workers) through src/lab, under a unique lab name. Each node has `docker(...)`/`shoal(...)` runners on
 * its socket (like TestDaemon) and `exec(...)` in its netns; the lab has `partition(i)`, `heal(i)` and `node(i)`.
 * Disposal takes the lab down (containers, daemons, netns, links, mounts, cgroups, files) even when the test
 * failed, and fails loudly if anything is left.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';
import { findNode, healNode, labDown, labUp, partitionNode, type LabBases, type LabNodeState, type LabState } from '../../src/lab/index.js';
import { run, SHOAL_BUNDLE, type RunResult } from './daemon.js';

export interface LabNode {
  readonly index: number;
  /** `node<i>` */
  readonly name: string;
  /** The hostname the node reports (`<lab>-node<i>`). */
  readonly hostname: string;
  /** Its address on the lab bridge. */
  readonly addr: string;
  readonly socket: string;
  /** `unix://<socket>` */
  readonly host: string;
  readonly pid: number;
  readonly state: LabNodeState;
  docker(...args: string[]): Promise<RunResult>;
  shoal(...args: string[]): Promise<RunResult>;
  /** Runs a command inside the node's netns (DOCKER_HOST/SHOAL_HOST set to its socket). */
  exec(...argv: string[]): Promise<RunResult>;
}

export interface TestLab extends AsyncDisposable {
  readonly name: string;
  readonly state: LabState;
  readonly nodes: readonly LabNode[];
  /** Node i, 1-based as the lab numbers them. */
  node(i: number): LabNode;
  /** Cuts node i off the lab network (its root-side veth down). */
  partition(i: number): Promise<void>;
  /** Brings node i back. */
  heal(i: number): Promise<void>;
  /** Takes the lab down now (disposal then does nothing). */
  down(): Promise<void>;
}

export interface StartLabOptions {
  nodes: number;
  /** Default: `t` + 6 random characters. */
  name?: string;
  /** The swarm's heartbeat period in ms (at init). */
  heartbeatMs?: number;
  daemonArgs?: string[];
  /** Where labs keep their roots and lab.json (default /var/lib/shoal-lab and /run/shoal-lab). */
  bases?: LabBases;
}

export function uniqueLabName(): string {
  return `t${randomBytes(4).readUInt32BE(0).toString(36).slice(0, 6)}`;
}

export async function startLab(o: StartLabOptions): Promise<TestLab> {
  const name = o.name ?? uniqueLabName();
  const state = await labUp({
    name,
    nodes: o.nodes,
    shoal: { file: process.execPath, args: ['--enable-source-maps', SHOAL_BUNDLE] },
    daemonArgs: o.daemonArgs ?? ['--log-level', 'debug'],
    ...(o.heartbeatMs !== undefined ? { dispatcherHeartbeatNs: o.heartbeatMs * 1e6 } : {}),
    ...(o.bases !== undefined ? { bases: o.bases } : {}),
  });
  const dockerConfig = join(tmpdir(), `shoal-lab-docker-config-${name}`);
  mkdirSync(dockerConfig, { recursive: true });
  const env = (n: LabNodeState): NodeJS.ProcessEnv => ({ ...process.env, SHOAL_HOST: `unix://${n.socket}`, DOCKER_HOST: `unix://${n.socket}`, DOCKER_CONFIG: dockerConfig });
  const nodes: LabNode[] = state.nodes.map((n) => ({
    index: n.index,
    name: n.name,
    hostname: n.hostname,
    addr: n.addr,
    socket: n.socket,
    host: `unix://${n.socket}`,
    pid: n.pid ?? -1,
    state: n,
    docker: (...args) => run('docker', args, { env: env(n) }),
    shoal: (...args) => run(process.execPath, [SHOAL_BUNDLE, ...args], { env: env(n) }),
    exec: (...argv) => run('ip', ['netns', 'exec', n.netns, ...argv], { env: env(n) }),
  }));
  const node = (i: number): LabNode => {
    const found = nodes.find((n) => n.index === i);
    if (found === undefined) throw new Error(`lab ${name} has no node ${i} (it has ${nodes.length})`);
    return found;
  };
  let down: Promise<void> | undefined;
  const takeDown = (): Promise<void> =>
    (down ??= (async () => {
      await labDown({ name, ...(o.bases !== undefined ? { bases: o.bases } : {}) });
      await run('rm', ['-rf', dockerConfig]);
    })());
  return {
    name,
    state,
    nodes,
    node,
    partition: async (i) => {
      await partitionNode(findNode(state, String(node(i).index)));
    },
    heal: async (i) => {
      await healNode(findNode(state, String(node(i).index)));
    },
    down: takeDown,
    [Symbol.asyncDispose]: takeDown,
  };
}
