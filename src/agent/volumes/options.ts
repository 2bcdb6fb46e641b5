/**
 * The local driver's options, as `docker volume create -o` and `--mount volume-opt=` give them, checked the way
 * docker's local driver checks them (volume/local/local_unix.go): only `type`, `device` and `o`; `device` and
 * `type` need each other and `o` needs both. Shoal mounts two kinds: `type=tmpfs` (a tmpfs at `_data`) and
 * `type=none o=bind device=/path` (a bind of the device at `_data`); other types (nfs, cifs, ext4...) are refused.
 * Pure.
 */
import { invalidArgument } from '../../api/errors.js';

/** What `_data` is: a plain directory, a tmpfs, or a bind of a host path. */
export type VolumeMountPlan =
  | { kind: 'directory' }
  | { kind: 'tmpfs'; device: string; options: string }
  | { kind: 'bind'; device: string; options: string };

const VALID = new Set(['type', 'device', 'o']);
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

/** docker's name rule for local volumes. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw invalidArgument(
      'volume.name_invalid',
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** Validates the options of volume `name` and says how its `_data` is mounted. Throws InvalidArgument naming the option. */
export function planVolumeMount(name: string, opts: Readonly<Record<string, string>> | null | undefined): VolumeMountPlan {
  const o = opts ?? {};
  const keys = Object.keys(o);
  if (keys.length === 0) return { kind: 'directory' };
  const bad = (msg: string): Error => invalidArgument('volume.option_invalid', `create ${name}: ${msg}`);
  for (const k of keys) {
    if (k === 'size') throw bad('quota size requested but no quota support (use type=tmpfs with o=size=...)');
    if (!VALID.has(k)) throw bad(`invalid option: "${k}"`);
    if (typeof o[k] !== 'string') throw bad(`option "${k}" must be a string`);
  }
  for (const k of keys) for (const req of MANDATORY[k] ?? []) if (!(req in o)) throw bad(`missing required option: "${req}"`);
  const type = o.type ?? '';
  const device = o.device ?? '';
  const mountOpts = o.o ?? '';
  if (type === 'tmpfs') return { kind: 'tmpfs', device: device === '' ? 'tmpfs' : device, options: mountOpts };
  if (type === 'none' || type === '') {
    if (!mountOpts.split(',').some((x) => x === 'bind' || x === 'rbind')) {
      throw bad(`option "type=${type}" needs "o=bind" (Shoal's local driver mounts only tmpfs and bind devices)`);
    }
    if (!device.startsWith('/')) throw bad(`option "device" must be an absolute host path for a bind volume, got "${device}"`);
    return { kind: 'bind', device, options: mountOpts };
  }
  throw bad(`volume type "${type}" is not supported by Shoal's local driver (supported: type=tmpfs, or type=none with o=bind)`);
}
