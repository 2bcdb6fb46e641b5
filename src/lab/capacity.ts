/**
 * How many nodes a lab may have (docs/design/cluster.md "The lab"): a positive integer, at most LAB_MAX_NODES (node
 * indexes are one digit in every name), and no more than the machine's available memory allows at about
 * NODE_MEMORY_MIB a node (MemAvailable of /proc/meminfo). Pure: the caller reads /proc/meminfo.
 */
import { invalidArgument } from '../api/errors.js';
import { LAB_MAX_NODES } from './names.js';

export const NODE_MEMORY_MIB = 200;
const MIB = 1024 * 1024;

/** MemAvailable in bytes, or undefined when the text has no such line. */
export function parseMemAvailable(meminfo: string): number | undefined {
  const m = /^MemAvailable:\s+(\d+)\s*kB$/m.exec(meminfo);
  return m === null ? undefined : Number(m[1]) * 1024;
}

/** How many nodes fit in this much available memory. */
export function nodesThatFit(memAvailableBytes: number): number {
  return Math.floor(memAvailableBytes / (NODE_MEMORY_MIB * MIB));
}

/**
 * Parses and checks `--nodes` (a string from the command line or a number from code); throws an InvalidArgument
 * saying why: not a positive integer, over the limit, or over what memory allows (both numbers named).
 */
export function checkNodeCount(value: string | number, memAvailableBytes: number): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw invalidArgument('lab.invalid_nodes', `invalid --nodes "${String(value)}": must be a positive integer (1 to ${LAB_MAX_NODES})`);
  }
  const n = Number(text);
  const fit = nodesThatFit(memAvailableBytes);
  const memory = `${Math.floor(memAvailableBytes / MIB)} MiB of memory is available and a node needs about ${NODE_MEMORY_MIB} MiB, so ${fit} node${fit === 1 ? '' : 's'} fit`;
  if (n > LAB_MAX_NODES) {
    throw invalidArgument('lab.too_many_nodes', `--nodes ${n} is too large: a lab has at most ${LAB_MAX_NODES} nodes (${memory})`);
  }
  if (n > fit) {
    throw invalidArgument('lab.too_many_nodes', `--nodes ${n} is too large for this machine: ${memory}`);
  }
  return n;
}
