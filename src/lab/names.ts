/**
 * The names of everything a lab makes (docs/design/cluster.md "The lab"), derived from the lab's name and a node's
 * index alone, so that `lab down` can find every object again even when lab.json is gone:
 * - bridge `shlab-<L>` in the root netns; node i's netns `shlab-<L>-<i>` and root-side veth `shl<L>-<i>`;
 * - roots `<data>/<L>/node<i>` and `<exec>/<L>/node<i>` (socket `docker.sock` there), cgroup parent
 *   `shoal-lab-<L>-<i>`, hostname `<L>-node<i>`;
 * - the netns prefix the node's daemon gives its containers (`shl-<6 hex of sha256(exec root)>-`, the daemon's
 *   own rule in src/agent/network/names.ts, pinned by names.test.ts).
 * Lab names are short (a link name holds 15 characters: `shlab-` + 9) and plain: a lowercase letter, then
 * lowercase letters and digits.
 */
import { createHash } from 'node:crypto';
import { invalidArgument, notFound } from '../api/errors.js';

export const DEFAULT_LAB_NAME = 'lab';
/** At most this many nodes: node indexes are one digit in every name. */
export const LAB_MAX_NODES = 9;
export const LAB_NAME_MAX = 9;
export const DEFAULT_DATA_BASE = '/var/lib/shoal-lab';
export const DEFAULT_EXEC_BASE = '/run/shoal-lab';
export const LAB_LINK_ALIAS_PREFIX = 'shoal-lab ';

/** Where labs keep their roots: `<data>/<L>` and `<exec>/<L>` (lab.json lives in the latter). */
export interface LabBases {
  data: string;
  exec: string;
}

export const DEFAULT_BASES: LabBases = { data: DEFAULT_DATA_BASE, exec: DEFAULT_EXEC_BASE };

const NAME = /^[a-z][a-z0-9]*$/;

/** Throws an InvalidArgument naming the rule the lab name breaks. */
export function validateLabName(name: string): void {
  if (name === '') throw invalidArgument('lab.invalid_name', 'invalid lab name "": a name is required');
  if (name.length > LAB_NAME_MAX) {
    throw invalidArgument(
      'lab.invalid_name',
      `invalid lab name "${name}": at most ${LAB_NAME_MAX} characters (its bridge "shlab-${name}" must fit the kernel's 15-character link names)`,
    );
  }
  if (!NAME.test(name)) {
    throw invalidArgument('lab.invalid_name', `invalid lab name "${name}": use a lowercase letter, then lowercase letters and digits (e.g. "lab", "lab2")`);
  }
}

export function bridgeName(lab: string): string {
  return `shlab-${lab}`;
}

export function nodeNetns(lab: string, index: number): string {
  return `shlab-${lab}-${index}`;
}

/** The prefix every node netns of this lab starts with. */
export function nodeNetnsPrefix(lab: string): string {
  return `shlab-${lab}-`;
}

export function rootVeth(lab: string, index: number): string {
  return `shl${lab}-${index}`;
}

export function nodeName(index: number): string {
  return `node${index}`;
}

export function hostnameOf(lab: string, index: number): string {
  return `${lab}-node${index}`;
}

export function cgroupParentOf(lab: string, index: number): string {
  return `shoal-lab-${lab}-${index}`;
}

export function labDataDir(bases: LabBases, lab: string): string {
  return `${bases.data}/${lab}`;
}

export function labExecDir(bases: LabBases, lab: string): string {
  return `${bases.exec}/${lab}`;
}

export function stateFile(bases: LabBases, lab: string): string {
  return `${labExecDir(bases, lab)}/lab.json`;
}

export function nodeDataRoot(bases: LabBases, lab: string, index: number): string {
  return `${labDataDir(bases, lab)}/${nodeName(index)}`;
}

export function nodeExecRoot(bases: LabBases, lab: string, index: number): string {
  return `${labExecDir(bases, lab)}/${nodeName(index)}`;
}

/** The netns prefix of the containers of a daemon on this exec root (same rule as the daemon's). */
export function containerNetnsPrefix(execRoot: string): string {
  return `shl-${createHash('sha256').update(execRoot).digest('hex').slice(0, 6)}-`;
}

/**
 * Which node a user means: `node2`, `2` or the hostname `<L>-node2`. Throws a NotFound naming
 * the lab's nodes when there is no such node.
 */
export function parseNodeRef(lab: string, ref: string, count: number): number {
  const m = /^(?:node)?([1-9])$/.exec(ref) ?? (ref.startsWith(`${lab}-`) ? /^node([1-9])$/.exec(ref.slice(lab.length + 1)) : null);
  const index = m === null ? undefined : Number(m[1]);
  if (index === undefined || index > count) {
    const names = Array.from({ length: count }, (_, i) => nodeName(i + 1)).join(', ');
    throw notFound('lab.unknown_node', `lab "${lab}" has no node "${ref}" (its nodes: ${names})`);
  }
  return index;
}
