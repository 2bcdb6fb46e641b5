/**
 * Linux capabilities the way docker handles them: the known names with their bit numbers, docker's default set,
 * `--cap-add`/`--cap-drop` normalization with moby's error texts, and the add/drop/privileged arithmetic.
 * Pure: what the host actually offers (its bounding set) is passed in as data.
 */
import { invalidArgument, isShoalError } from '../../../api/errors.js';

/** Every capability the kernel defines, by bit number (include/uapi/linux/capability.h, up to Linux 6.x). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set (moby oci/caps/defaults.go), in its order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const BIT = new Map(ALL_CAPABILITIES.map((name, i) => [name, i]));

/** The bit number of a capability (`CAP_NET_RAW` → 13), or undefined for an unknown name. */
export function capabilityBit(name: string): number | undefined {
  return BIT.get(name);
}

/** The capability names set in a mask as printed in /proc/<pid>/status (`CapEff: 00000000a80425fb`). */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim()}`);
  return ALL_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** The /proc-style hex mask (16 digits) of a set of capability names; unknown names are ignored. */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) {
    const bit = BIT.get(n);
    if (bit !== undefined) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

export interface CapabilityHost {
  /** The capabilities this host can grant (the agent's bounding set); all known ones when undefined. */
  available?: readonly string[];
}

const ALL = 'ALL';

/**
 * moby's NormalizeLegacyCapabilities: upper-cases, adds the CAP_ prefix, keeps the magic `ALL`, and refuses
 * unknown names (`unknown capability: "CAP_FOO"`) and names this host cannot grant.
 */
export function normalizeCapabilities(caps: readonly string[], host: CapabilityHost = {}): string[] {
  const available = host.available ? new Set(host.available) : undefined;
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.toUpperCase();
    if (c === ALL) {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!BIT.has(c)) throw invalidArgument('capability.unknown', `unknown capability: ${JSON.stringify(c)}`);
    if (available && !available.has(c)) {
      throw invalidArgument(
        'capability.unavailable',
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`,
      );
    }
    out.push(c);
  }
  return out;
}

function withField(field: 'CapAdd' | 'CapDrop', fn: () => string[]): string[] {
  try {
    return fn();
  } catch (e) {
    if (isShoalError(e, 'InvalidArgument')) throw invalidArgument(e.code, `invalid ${field}: ${e.message}`);
    throw e;
  }
}

/**
 * The capabilities a container gets (moby's TweakCapabilities): privileged → everything the host offers; `ALL`
 * in adds → everything minus drops; `ALL` in drops → only the adds; otherwise basics minus drops plus adds.
 * Errors read like docker's: `invalid CapAdd: unknown capability: "CAP_FOO"`.
 */
export function tweakCapabilities(
  basics: readonly string[],
  adds: readonly string[],
  drops: readonly string[],
  privileged: boolean,
  host: CapabilityHost = {},
): string[] {
  const everything = host.available ? ALL_CAPABILITIES.filter((c) => host.available?.includes(c)) : [...ALL_CAPABILITIES];
  if (privileged) return everything;
  const capDrop = withField('CapDrop', () => normalizeCapabilities(drops, host));
  const capAdd = withField('CapAdd', () => normalizeCapabilities(adds, host));
  if (adds.length === 0 && drops.length === 0) return [...basics];
  let caps: string[];
  if (capAdd.includes(ALL)) caps = everything.filter((c) => !capDrop.includes(c));
  else if (capDrop.includes(ALL)) caps = [...capAdd];
  else caps = [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
  return [...new Set(caps)];
}

/**
 * Checks a final capability list (what ProcessSpec.capabilities carries): every name must be a known
 * `CAP_*` name; the text is docker's (`unknown capability: "CAP_FOO"`).
 */
export function validateCapabilities(caps: readonly string[], host: CapabilityHost = {}): void {
  for (const c of caps) {
    if (!c.startsWith('CAP_') || c !== c.toUpperCase()) {
      throw invalidArgument('capability.unknown', `unknown capability: ${JSON.stringify(c)}`);
    }
  }
  normalizeCapabilities(caps, host);
}
