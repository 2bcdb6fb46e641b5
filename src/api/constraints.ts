/**
 * Placement constraints, parsed and matched the way swarmkit does (`manager/constraint`), so a spec that works on
 * Docker works here and one Docker refuses is refused with the same reason:
 *
 * - An expression is `key==value` or `key!=value`. `==` is looked for first, so `a!==b` splits at `==` (and then
 *   fails on the key `a!`). Leading and trailing white space around the key and the value is ignored.
 * - A key starts with a letter or `_`, then letters, digits, `-`, `_` or `.` (at least two characters in all).
 *   A value is letters, digits, white space and `:-_.*()?+[]\^$|/` (never `=`, `<`, `>`, `~`, `!`, `,`...).
 *   Any key that passes this syntax is accepted, even one no node has: such a constraint simply never matches.
 * - Keys are case-insensitive (`Node.Labels.zone` is `node.labels.zone`), label names after the prefix are not.
 *   Values are compared case-insensitively, as whole strings (no globs, no regular expressions).
 * - A missing label (or hostname, OS, arch) compares as the empty string: `node.labels.x!=a` matches a node without
 *   the label, `node.labels.x==a` does not.
 * - `node.platform.arch` compares the architecture the node reports (`x86_64`, `aarch64`) literally, as swarmkit
 *   does; `amd64`/`x86_64` and `arm64`/`aarch64` are synonyms only in `Placement.Platforms`
 *   (`nodeSupportsPlatforms`), where the CLI puts the image's `amd64`.
 * - `node.ip` (newer swarmkit) takes an address or a CIDR block and compares it with the node's `Status.Addr`.
 *
 * Errors are thrown InvalidArgument ShoalErrors (code `constraint.invalid`) that quote the expression and end with
 * swarmkit's own reason, e.g. `invalid constraint expression "node.labels.zone=a": constraint expected one operator
 * from ==, !=`.
 */
import { invalidArgument } from './errors.js';
import type { Node, Placement } from './types.js';

export type ConstraintOperator = '==' | '!=';

/** What a constraint key refers to, decided once at parse time. */
export type ConstraintField =
  | { kind: 'node.id' }
  | { kind: 'node.hostname' }
  | { kind: 'node.ip' }
  | { kind: 'node.role' }
  | { kind: 'node.platform.os' }
  | { kind: 'node.platform.arch' }
  | { kind: 'node.labels'; label: string }
  | { kind: 'engine.labels'; label: string }
  | { kind: 'unknown' };

export interface Constraint {
  /** The key as written, trimmed. */
  readonly key: string;
  readonly operator: ConstraintOperator;
  /** The value as written, trimmed. */
  readonly value: string;
  /** The whole expression as the user sent it, for messages. */
  readonly expression: string;
  readonly field: ConstraintField;
}

export const NODE_LABEL_PREFIX = 'node.labels.';
export const ENGINE_LABEL_PREFIX = 'engine.labels.';
const OPERATORS: readonly ConstraintOperator[] = ['==', '!='];

const KEY = /^[A-Za-z_][A-Za-z0-9\-_.]+$/;
/** swarmkit's value pattern; RE2's `\s` is `[\t\n\f\r ]`. */
const VALUE = /^[A-Za-z0-9:\-_\t\n\f\r .*()?+[\]\\^$|/]+$/;
/** Go's unicode.IsSpace, which strings.TrimSpace trims. */
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
const TRIM = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');

const trimSpace = (s: string): string => s.replace(TRIM, '');

function invalid(expression: string, reason: string): Error {
  return invalidArgument('constraint.invalid', `invalid constraint expression ${JSON.stringify(expression)}: ${reason}`);
}

/** Parses one expression; throws an InvalidArgument ShoalError that quotes it. */
export function parseConstraint(expression: string): Constraint {
  for (const operator of OPERATORS) {
    const at = expression.indexOf(operator);
    if (at < 0) continue;
    const key = trimSpace(expression.slice(0, at));
    if (!KEY.test(key)) throw invalid(expression, `key '${key}' is invalid`);
    const value = trimSpace(expression.slice(at + operator.length));
    if (!VALUE.test(value)) throw invalid(expression, `value '${value}' is invalid`);
    return { key, operator, value, expression, field: fieldOf(key) };
  }
  throw invalid(expression, `constraint expected one operator from ${OPERATORS.join(', ')}`);
}

/** Parses every expression of a placement (none → []); the first bad one throws. */
export function parseConstraints(expressions: readonly string[] | undefined): Constraint[] {
  return (expressions ?? []).map(parseConstraint);
}

function hasPrefixFold(key: string, prefix: string): boolean {
  return key.length > prefix.length && key.slice(0, prefix.length).toLowerCase() === prefix;
}

function fieldOf(key: string): ConstraintField {
  const k = key.toLowerCase();
  switch (k) {
    case 'node.id':
    case 'node.hostname':
    case 'node.ip':
    case 'node.role':
    case 'node.platform.os':
    case 'node.platform.arch':
      return { kind: k };
    default:
      if (hasPrefixFold(key, NODE_LABEL_PREFIX)) return { kind: 'node.labels', label: key.slice(NODE_LABEL_PREFIX.length) };
      if (hasPrefixFold(key, ENGINE_LABEL_PREFIX)) return { kind: 'engine.labels', label: key.slice(ENGINE_LABEL_PREFIX.length) };
      return { kind: 'unknown' };
  }
}

const equalFold = (a: string, b: string): boolean => a === b || a.toLowerCase() === b.toLowerCase();

function matchValue(c: Constraint, actual: string): boolean {
  const same = equalFold(c.value, actual);
  return c.operator === '==' ? same : !same;
}

/** True when `node` satisfies the constraint. */
export function constraintMatches(c: Constraint, node: Node): boolean {
  const d = node.Description as Node['Description'] | undefined;
  switch (c.field.kind) {
    case 'node.id':
      return matchValue(c, node.ID);
    case 'node.hostname':
      return matchValue(c, d?.Hostname ?? '');
    case 'node.ip':
      return matchIp(c, node.Status.Addr);
    case 'node.role':
      return matchValue(c, node.Spec.Role);
    case 'node.platform.os':
      return matchValue(c, d?.Platform.OS ?? '');
    case 'node.platform.arch':
      return matchValue(c, d?.Platform.Architecture ?? '');
    case 'node.labels':
      return matchValue(c, node.Spec.Labels[c.field.label] ?? '');
    case 'engine.labels':
      return matchValue(c, d?.Engine.Labels?.[c.field.label] ?? '');
    case 'unknown':
      return false; // a key swarm cannot interpret matches no node, whatever the operator
  }
}

/** True when `node` satisfies every constraint. */
export function nodeMatchesConstraints(constraints: readonly Constraint[], node: Node): boolean {
  for (const c of constraints) if (!constraintMatches(c, node)) return false;
  return true;
}

// ---------------------------------------------------------------- platforms

/** The names swarmkit treats as one architecture: `x86_64` is `amd64`, `aarch64` is `arm64`. */
export function normalizeArchitecture(arch: string): string {
  if (arch === 'x86_64') return 'amd64';
  if (arch === 'aarch64') return 'arm64';
  return arch;
}

/**
 * swarmkit's platform filter: true when `platforms` is empty or one of them matches the node's OS and architecture
 * (an empty field matches anything; architectures compare after `normalizeArchitecture`).
 */
export function nodeSupportsPlatforms(platforms: Placement['Platforms'], node: Node): boolean {
  if (platforms === undefined || platforms.length === 0) return true;
  const p = (node.Description as Node['Description'] | undefined)?.Platform;
  if (p === undefined) return false;
  const arch = normalizeArchitecture(p.Architecture);
  for (const want of platforms) {
    const a = want.Architecture ?? '';
    const os = want.OS ?? '';
    if ((a === '' || normalizeArchitecture(a) === arch) && (os === '' || os === p.OS)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- node.ip

function matchIp(c: Constraint, addr: string): boolean {
  const nodeIp = parseIp(addr);
  const single = parseIp(c.value);
  if (single !== undefined) {
    const same = nodeIp !== undefined && equalIp(single, nodeIp);
    return c.operator === '==' ? same : !same;
  }
  const cidr = parseCidr(c.value);
  if (cidr === undefined) return false; // a malformed address or block matches nothing
  const within = nodeIp !== undefined && cidrContains(cidr, nodeIp);
  return c.operator === '==' ? within : !within;
}

/** An address as 16 bytes (IPv4 mapped into IPv6), plus whether it was written as IPv4. */
interface Ip {
  bytes: Uint8Array;
  v4: boolean;
}

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIp(s: string): Ip | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { bytes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]), v4: true };
  const v6 = s.includes(':') ? parseIpv6(s) : undefined;
  return v6 === undefined ? undefined : { bytes: v6, v4: false };
}

/** RFC 4291 text: eight hex groups, one `::` for a run of zero groups, optionally an IPv4 address at the end. */
function parseIpv6(s: string): Uint8Array | undefined {
  let body = s;
  let tail: number[] = [];
  const last = s.lastIndexOf(':');
  if (s.slice(last + 1).includes('.')) {
    const embedded = parseIpv4(s.slice(last + 1));
    if (embedded === undefined) return undefined;
    tail = embedded;
    body = s.slice(0, last + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (h: string | undefined): string[] => (h === undefined || h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0]);
  const back = groupsOf(halves[1]);
  const want = 8 - tail.length / 2;
  const have = head.length + back.length;
  if (halves.length === 2 ? have > want : have !== want) return undefined;
  const groups = [...head, ...Array<string>(want - have).fill('0'), ...back];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] ?? '';
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  bytes.set(tail, 12);
  return bytes;
}

const isMappedV4 = (b: Uint8Array): boolean => b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

function equalIp(a: Ip, b: Ip): boolean {
  return a.bytes.every((x, i) => x === b.bytes[i]);
}

function parseCidr(s: string): { ip: Ip; bits: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(len)) return undefined;
  const bits = Number(len);
  if (bits > (ip.v4 ? 32 : 128)) return undefined;
  return { ip, bits };
}

function cidrContains(block: { ip: Ip; bits: number }, ip: Ip): boolean {
  // Go compares IPv4 blocks with IPv4 (or IPv4-mapped) addresses only, and IPv6 blocks with IPv6 addresses only.
  if (block.ip.v4 !== isMappedV4(ip.bytes)) return false;
  const offset = block.ip.v4 ? 12 : 0;
  for (let bit = 0; bit < block.bits; bit++) {
    const byte = offset + (bit >> 3);
    const mask = 0x80 >> (bit & 7);
    if (((block.ip.bytes[byte] ?? 0) & mask) !== ((ip.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}
