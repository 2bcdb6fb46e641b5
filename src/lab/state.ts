/**
 * lab.json (`<exec base>/<L>/lab.json`): what a lab is made of, written by `lab up` before it makes anything (so a
 * `lab up` that dies halfway can still be taken down) and again once the daemons run (their PIDs). `lab ls`, `exec`,
 * `partition`, `heal` and `down` read it. Parsing checks every field and names the bad one; writes are atomic.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { internal } from '../api/errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { stateFile, type LabBases } from './names.js';

export const STATE_VERSION = 1;

export interface LabNodeState {
  index: number;
  /** `node<i>` */
  name: string;
  hostname: string;
  /** The node's address on the lab bridge. */
  addr: string;
  netns: string;
  /** The root-side end of the node's veth (on the bridge). */
  veth: string;
  dataRoot: string;
  execRoot: string;
  /** The Engine API socket path. */
  socket: string;
  cgroupParent: string;
  /** The prefix of the netns the node's daemon makes for its containers. */
  containerNetnsPrefix: string;
  /** The daemon's log file. */
  log: string;
  /** The daemon's PID, once started. */
  pid?: number;
}

export interface LabState {
  version: number;
  name: string;
  /** `10.a.b.0/24` */
  subnet: string;
  /** The bridge's address, the nodes' default gateway. */
  gateway: string;
  bridge: string;
  dataDir: string;
  execDir: string;
  /** RFC 3339. */
  created: string;
  nodes: LabNodeState[];
}

type Fields = Record<string, unknown>;

function str(o: Fields, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw internal('lab.bad_state', `${where}: field "${key}" must be a non-empty string`);
  return v;
}

function int(o: Fields, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw internal('lab.bad_state', `${where}: field "${key}" must be a non-negative integer`);
  return v;
}

/** Parses lab.json's text; `where` (the file) starts every error message. */
export function parseLabState(text: string, where: string): LabState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw internal('lab.bad_state', `${where}: not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw internal('lab.bad_state', `${where}: expected a JSON object`);
  const o = raw as Fields;
  const version = int(o, 'version', where);
  if (version !== STATE_VERSION) throw internal('lab.bad_state', `${where}: version ${version} is not supported (expected ${STATE_VERSION})`);
  if (!Array.isArray(o.nodes)) throw internal('lab.bad_state', `${where}: field "nodes" must be an array`);
  const nodes = (o.nodes as unknown[]).map((n, i): LabNodeState => {
    const w = `${where}: nodes[${i}]`;
    if (typeof n !== 'object' || n === null) throw internal('lab.bad_state', `${w} must be an object`);
    const f = n as Fields;
    const node: LabNodeState = {
      index: int(f, 'index', w),
      name: str(f, 'name', w),
      hostname: str(f, 'hostname', w),
      addr: str(f, 'addr', w),
      netns: str(f, 'netns', w),
      veth: str(f, 'veth', w),
      dataRoot: str(f, 'dataRoot', w),
      execRoot: str(f, 'execRoot', w),
      socket: str(f, 'socket', w),
      cgroupParent: str(f, 'cgroupParent', w),
      containerNetnsPrefix: str(f, 'containerNetnsPrefix', w),
      log: str(f, 'log', w),
    };
    if (f.pid !== undefined) node.pid = int(f, 'pid', w);
    return node;
  });
  return {
    version,
    name: str(o, 'name', where),
    subnet: str(o, 'subnet', where),
    gateway: str(o, 'gateway', where),
    bridge: str(o, 'bridge', where),
    dataDir: str(o, 'dataDir', where),
    execDir: str(o, 'execDir', where),
    created: str(o, 'created', where),
    nodes,
  };
}

export function serializeLabState(s: LabState): string {
  return JSON.stringify(s, null, 2) + '\n';
}

/** The lab's state, or undefined when it has no lab.json. */
export function readLabState(bases: LabBases, name: string): LabState | undefined {
  const file = stateFile(bases, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw internal('lab.state_unreadable', `cannot read ${file}: ${(e as Error).message}`, e);
  }
  return parseLabState(text, file);
}

export function writeLabState(bases: LabBases, s: LabState): void {
  writeFileAtomic(stateFile(bases, s.name), serializeLabState(s), 0o644);
}

/** The names of the labs that have a lab.json, sorted. */
export function listLabNames(bases: LabBases): string[] {
  if (!existsSync(bases.exec)) return [];
  return readdirSync(bases.exec, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(stateFile(bases, e.name)))
    .map((e) => e.name)
    .sort();
}
