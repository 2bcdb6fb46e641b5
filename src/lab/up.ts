/**
 * `lab up` (docs/design/cluster.md "The lab"): checks the input before making anything (name, node count against
 * the limit and free memory, root, a name not in use), claims a /24 and writes lab.json under the lab lock, then
 * makes the bridge, each node's netns, veth and roots, starts the daemons, inits the swarm on node 1, joins the
 * others with the worker token and returns when every node is Ready. A failure on the way takes down everything
 * made so far (`labDown`) and says why.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { alreadyExists, failedPrecondition, isShoalError, ShoalError, unavailable } from '../api/errors.js';
import { canceled } from './cancel.js';
import { createClient, type EngineClient } from '../client/index.js';
import { parseCidr } from '../lib/cidr.js';
import { checkNodeCount, parseMemAvailable } from './capacity.js';
import { spawnDaemon, waitUp, type ShoalCommand, type StartedDaemon } from './daemons.js';
import { labDown } from './down.js';
import { withLabLock } from './lock.js';
import { DEFAULT_BASES, DEFAULT_LAB_NAME, stateFile, validateLabName, type LabBases } from './names.js';
import { createBridge, createNodeNetwork, hostTaken } from './network.js';
import { inUse } from './in-use.js';
import { planLab } from './plan.js';
import { listLabNames, readLabState, writeLabState, type LabNodeState, type LabState } from './state.js';
import { chooseSubnet } from './subnet.js';

export const SWARM_PORT = 2377;

export interface LabUpOptions {
  /** Default `lab`. */
  name?: string;
  /** As typed on the command line, or a number. */
  nodes: string | number;
  /** How to run the shoal executable for the daemons. */
  shoal: ShoalCommand;
  /** Extra flags for every node's daemon. */
  daemonArgs?: readonly string[];
  bases?: LabBases;
  /** Progress lines for the user. */
  progress?: (line: string) => void;
  /** The swarm's heartbeat period in ns (`Spec.Dispatcher.HeartbeatPeriod` at init); default: swarm's 5 s. */
  dispatcherHeartbeatNs?: number;
  /** Aborting (Ctrl-C) stops `labUp` at its next step; it then removes what it made, as for any failure. */
  signal?: AbortSignal;
  /** How long a daemon may take to answer (default 30 s). */
  daemonTimeoutMs?: number;
  /** How long the nodes may take to be Ready after the joins (default 60 s). */
  readyTimeoutMs?: number;
}

function memAvailable(): number {
  const m = parseMemAvailable(readFileSync('/proc/meminfo', 'utf8'));
  if (m === undefined) throw failedPrecondition('lab.no_meminfo', 'cannot tell how much memory is available: /proc/meminfo has no MemAvailable line');
  return m;
}

async function claim(bases: LabBases, lab: string, nodes: number): Promise<LabState> {
  return withLabLock(bases, async () => {
    const used = await inUse(bases, lab);
    if (used.length > 0) {
      const what = existsSync(stateFile(bases, lab)) ? 'a lab with this name exists' : `left over: ${used.join(', ')}`;
      throw alreadyExists('lab.name_in_use', `lab name "${lab}" is already in use (${what}): remove it with "shoal lab down ${lab}" or pick another --name`);
    }
    const taken = await hostTaken();
    for (const other of listLabNames(bases)) {
      try {
        const c = parseCidr(readLabState(bases, other)?.subnet ?? '');
        if (c !== undefined) taken.push(c);
      } catch {
        // an unreadable lab.json: its lab has no subnet we could avoid anyway
      }
    }
    const subnet = chooseSubnet(taken);
    if (subnet === undefined) throw unavailable('lab.no_subnet', 'no free /24 left between 10.213.0.0 and 10.255.255.255 for the lab bridge');
    const state = planLab(bases, lab, nodes, subnet, new Date());
    mkdirSync(state.execDir, { recursive: true, mode: 0o755 });
    writeLabState(bases, state);
    return state;
  });
}

async function build(state: LabState, o: LabUpOptions, bases: LabBases): Promise<void> {
  const say = (line: string): void => {
    if (o.signal?.aborted === true) throw canceled();
    o.progress?.(line);
  };
  const prefixLen = state.subnet.split('/')[1] ?? '24';
  say(`bridge ${state.bridge} (${state.gateway}/${prefixLen})`);
  await createBridge(state.bridge, state.name, `${state.gateway}/${prefixLen}`);
  for (const n of state.nodes) {
    mkdirSync(n.dataRoot, { recursive: true, mode: 0o711 });
    mkdirSync(n.execRoot, { recursive: true, mode: 0o711 });
    await createNodeNetwork({ lab: state.name, netns: n.netns, veth: n.veth, bridge: state.bridge, addrCidr: `${n.addr}/${prefixLen}`, gateway: state.gateway });
  }
  say(`starting ${state.nodes.length} daemon${state.nodes.length === 1 ? '' : 's'}`);
  const started = new Map<number, StartedDaemon>();
  for (const n of state.nodes) {
    const d = spawnDaemon(n, o.shoal, o.daemonArgs ?? []);
    started.set(n.index, d);
    n.pid = d.pid;
  }
  writeLabState(bases, state);
  await Promise.all(state.nodes.map((n) => waitUp(n, started.get(n.index) as StartedDaemon, o.daemonTimeoutMs ?? 30_000, o.signal)));

  const clients = new Map(state.nodes.map((n) => [n.index, createClient({ host: `unix://${n.socket}` })]));
  const client = (n: LabNodeState): EngineClient => clients.get(n.index) as EngineClient;
  try {
    const [first, ...rest] = state.nodes;
    if (first === undefined) return;
    say(`${first.name}: swarm init --advertise-addr ${first.addr}`);
    const spec = o.dispatcherHeartbeatNs !== undefined ? { Spec: { Dispatcher: { HeartbeatPeriod: o.dispatcherHeartbeatNs } } } : {};
    await step(first, 'swarm init', () => client(first).swarmInit({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: first.addr, DataPathAddr: '', ForceNewCluster: false, ...spec }));
    const token = (await client(first).swarmInspect()).JoinTokens.Worker;
    if (rest.length > 0) say(`${rest.map((n) => n.name).join(', ')}: swarm join ${first.addr}:${SWARM_PORT}`);
    await Promise.all(
      rest.map((n) =>
        step(n, 'swarm join', () =>
          client(n).swarmJoin({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: n.addr, DataPathAddr: '', RemoteAddrs: [`${first.addr}:${SWARM_PORT}`], JoinToken: token, Availability: '' }),
        ),
      ),
    );
    say('waiting for every node to be Ready');
    await waitReady(client(first), state, o.readyTimeoutMs ?? 60_000, o.signal);
  } finally {
    for (const c of clients.values()) await c.close();
  }
}

async function step<T>(n: LabNodeState, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ShoalError(isShoalError(e) ? e.kind : 'Internal', 'lab.node_step_failed', `${n.name}: ${what} failed: ${msg}`, { cause: e });
  }
}

/** Polls node 1's node list until every lab node is there and Ready. */
async function waitReady(client: EngineClient, state: LabState, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = new Map<string, string>();
  for (;;) {
    if (signal?.aborted === true) throw canceled();
    const list = await client.nodeList();
    seen = new Map(list.map((x) => [x.Description.Hostname, x.Status.State]));
    if (state.nodes.every((n) => seen.get(n.hostname) === 'ready')) return;
    if (Date.now() >= deadline) {
      const states = state.nodes.map((n) => `${n.name} ${seen.get(n.hostname) ?? 'not in the node list'}`).join(', ');
      throw unavailable('lab.not_ready', `the nodes were not all Ready within ${timeoutMs / 1000} s: ${states}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Makes a lab and resolves with its state once every node is Ready; on failure removes what it made and throws why. */
export async function labUp(o: LabUpOptions): Promise<LabState> {
  const bases = o.bases ?? DEFAULT_BASES;
  const name = o.name ?? DEFAULT_LAB_NAME;
  validateLabName(name);
  const nodes = checkNodeCount(o.nodes, memAvailable());
  if (process.getuid?.() !== 0) throw failedPrecondition('lab.not_root', 'shoal lab needs root: it makes network namespaces, links, cgroups and mounts');
  const state = await claim(bases, name, nodes);
  try {
    await build(state, o, bases);
    return state;
  } catch (e) {
    o.progress?.(`lab up failed; removing what it made`);
    let cleanup = '';
    try {
      await labDown({ name, bases });
      cleanup = 'everything it made was removed';
    } catch (d) {
      cleanup = `removing what it made failed too: ${d instanceof Error ? d.message : String(d)}`;
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new ShoalError(isShoalError(e) ? e.kind : 'Internal', 'lab.up_failed', `lab up "${name}" failed: ${msg}\n(${cleanup})`, { cause: e });
  }
}
