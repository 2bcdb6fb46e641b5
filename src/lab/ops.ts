/**
 * The lab verbs that act on a running lab: `ls` (lab.json plus a liveness check per node), `exec` (a command in a
 * node's netns with DOCKER_HOST/SHOAL_HOST set to its socket), `partition` and `heal` (the node's root-side veth
 * down and up: the node keeps running but reaches nobody, and nobody reaches it).
 */
import { spawn } from 'node:child_process';
import { notFound } from '../api/errors.js';
import { answers } from './daemons.js';
import { cmdlineOf, isAlive } from './host.js';
import { DEFAULT_BASES, DEFAULT_LAB_NAME, parseNodeRef, validateLabName, type LabBases } from './names.js';
import { linkOperState, setLinkUp } from './network.js';
import { listLabNames, readLabState, type LabNodeState, type LabState } from './state.js';

/** `running`: the daemon answers; `partitioned`: its veth is down; `not responding`: alive but silent; `stopped`. */
export type NodeStatus = 'running' | 'partitioned' | 'not responding' | 'stopped';

export interface LabListing {
  labs: { state: LabState; nodes: { node: LabNodeState; status: NodeStatus }[] }[];
  /** Labs whose lab.json cannot be read, with why. */
  problems: string[];
}

/** The lab's state; NotFound naming the labs there are when it has none. */
export function loadLab(name: string, bases: LabBases = DEFAULT_BASES): LabState {
  validateLabName(name);
  const s = readLabState(bases, name);
  if (s === undefined) {
    const labs = listLabNames(bases);
    throw notFound('lab.not_found', `no lab named "${name}" (${labs.length === 0 ? 'there are no labs: make one with "shoal lab up --nodes N"' : `labs: ${labs.join(', ')}; pick one with --name`})`);
  }
  return s;
}

/**
 * The lab a verb acts on: `--name` when given; else the lab a hostname-style node reference names (`<L>-node2`);
 * else `lab`, or the only lab there is.
 */
export function pickLab(name: string | undefined, nodeRef: string | undefined, bases: LabBases = DEFAULT_BASES): LabState {
  if (name !== undefined) return loadLab(name, bases);
  const labs = listLabNames(bases);
  const m = nodeRef === undefined ? null : /^([a-z][a-z0-9]*)-node[1-9]$/.exec(nodeRef);
  if (m?.[1] !== undefined && labs.includes(m[1])) return loadLab(m[1], bases);
  if (labs.includes(DEFAULT_LAB_NAME) || labs.length !== 1) return loadLab(DEFAULT_LAB_NAME, bases);
  return loadLab(labs[0] ?? DEFAULT_LAB_NAME, bases);
}

export function findNode(state: LabState, ref: string): LabNodeState {
  const index = parseNodeRef(state.name, ref, state.nodes.length);
  const node = state.nodes.find((n) => n.index === index);
  if (node === undefined) throw notFound('lab.unknown_node', `lab "${state.name}" has no node "${ref}"`);
  return node;
}


export async function nodeStatus(node: LabNodeState): Promise<NodeStatus> {
  if (node.pid === undefined || !isAlive(node.pid) || !cmdlineOf(node.pid).includes(node.execRoot)) return 'stopped';
  if ((await linkOperState(node.veth)) === 'down') return 'partitioned';
  return (await answers(node.socket)) ? 'running' : 'not responding';
}

export async function labList(bases: LabBases = DEFAULT_BASES): Promise<LabListing> {
  const out: LabListing = { labs: [], problems: [] };
  for (const name of listLabNames(bases)) {
    let state: LabState | undefined;
    try {
      state = readLabState(bases, name);
    } catch (e) {
      out.problems.push(e instanceof Error ? e.message : String(e));
    }
    if (state === undefined) continue;
    const nodes = await Promise.all(state.nodes.map(async (node) => ({ node, status: await nodeStatus(node) })));
    out.labs.push({ state, nodes });
  }
  return out;
}

export interface ExecIo {
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
  /** Pass this process's stdin through (default: none). */
  stdin?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv in the node's netns; resolves with its exit status (128 + n for a signal, as shells report). */
export function execInNode(node: LabNodeState, argv: readonly string[], io: ExecIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const host = `unix://${node.socket}`;
    const child = spawn('ip', ['netns', 'exec', node.netns, ...argv], {
      env: { ...(io.env ?? process.env), DOCKER_HOST: host, SHOAL_HOST: host },
      stdio: [io.stdin === true ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', io.stdout);
    child.stderr?.on('data', io.stderr);
    child.on('error', reject);
    child.on('close', (code, sig) => resolve(code ?? 128 + (sig !== null ? (signalNumbers[sig] ?? 0) : 0)));
  });
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/** Cuts the node off (its root-side veth down); resolves false when it already was. */
export async function partitionNode(node: LabNodeState): Promise<boolean> {
  const before = await linkOperState(node.veth);
  if (before === undefined) throw notFound('lab.no_link', `${node.name}: its link ${node.veth} is gone (take the lab down and up again)`);
  if (before === 'down') return false;
  await setLinkUp(node.veth, false);
  return true;
}

/** Brings the node back (its root-side veth up); resolves false when it was not cut off. */
export async function healNode(node: LabNodeState): Promise<boolean> {
  const before = await linkOperState(node.veth);
  if (before === undefined) throw notFound('lab.no_link', `${node.name}: its link ${node.veth} is gone (take the lab down and up again)`);
  if (before !== 'down') return false;
  await setLinkUp(node.veth, true);
  return true;
}
