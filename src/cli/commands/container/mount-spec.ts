/**
 * Mount flags as the docker CLI reads them: `--mount` (CSV key=value fields, opts.MountOpt), `-v` (the compose
 * volume spec: `[SRC:]DST[:OPTS]`; with a source it is a bind or named volume for HostConfig.Binds, without one an
 * anonymous volume for Config.Volumes) and `--tmpfs` (`PATH[:OPTIONS]`).
 */
import { resolve as resolvePath } from 'node:path';
import type { MountSpec } from '../../../client/container-types.js';
import { ramInBytes } from './units.js';

/** Go's encoding/csv for one record: comma-separated, "quoted" fields with "" for a quote. */
export function readCSVRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('extraneous or missing " in quoted-field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i];
        i++;
      }
      if (i < text.length && text[i] !== ',') throw new Error('extraneous or missing " in quoted-field');
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') throw new Error('bare " in non-quoted-field');
        field += text[i];
        i++;
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

function parseBool(key: string, val: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(val)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(val)) return false;
  throw new Error(`invalid value for ${key}: ${val}`);
}

/** opts.MountOpt.Set: one `--mount` value. Relative sources ("./x", ".") are made absolute against `cwd`. */
export function parseMount(value: string, cwd: string): MountSpec {
  const fields = readCSVRecord(value);
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly: boolean | undefined;
  let consistency: string | undefined;
  let bind: NonNullable<MountSpec['BindOptions']> | undefined;
  let volume: { NoCopy?: boolean; Labels: Record<string, string>; DriverConfig: { Name?: string; Options?: Record<string, string> } } | undefined;
  let tmpfs: NonNullable<MountSpec['TmpfsOptions']> | undefined;
  const vol = (): NonNullable<typeof volume> => (volume ??= { Labels: {}, DriverConfig: {} });
  const setOnMap = (m: Record<string, string>, v: string): void => {
    const eq = v.indexOf('=');
    const k = eq < 0 ? v : v.slice(0, eq);
    if (k !== '') m[k] = eq < 0 ? '' : v.slice(eq + 1);
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      switch (field) {
        case 'readonly':
        case 'ro':
          readOnly = true;
          continue;
        case 'volume-nocopy':
          vol().NoCopy = true;
          continue;
        case 'bind-nonrecursive':
          (bind ??= {}).NonRecursive = true;
          continue;
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const key = field.slice(0, eq);
    const val = field.slice(eq + 1);
    switch (key) {
      case 'type':
        type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        source = val.startsWith('./') || val === '.' ? resolvePath(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = val;
        break;
      case 'readonly':
      case 'ro':
        readOnly = parseBool(key, val);
        break;
      case 'consistency':
        consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        (bind ??= {}).Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        (bind ??= {}).NonRecursive = parseBool(key, val);
        break;
      case 'volume-nocopy':
        vol().NoCopy = parseBool(key, val);
        break;
      case 'volume-label':
        setOnMap(vol().Labels, val);
        break;
      case 'volume-driver':
        vol().DriverConfig.Name = val;
        break;
      case 'volume-opt':
        setOnMap((vol().DriverConfig.Options ??= {}), val);
        break;
      case 'tmpfs-size':
        try {
          (tmpfs ??= {}).SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        (tmpfs ??= {}).Mode = Number.parseInt(val, 8);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (type === '') throw new Error('type is required');
  if (target === undefined || target === '') throw new Error('target is required');
  if (volume !== undefined && type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (bind !== undefined && type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (tmpfs !== undefined && type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  const m: MountSpec = { Type: type };
  if (source !== undefined && source !== '') m.Source = source;
  m.Target = target;
  if (readOnly === true) m.ReadOnly = true;
  if (consistency !== undefined && consistency !== '') m.Consistency = consistency;
  if (bind !== undefined) {
    const b: NonNullable<MountSpec['BindOptions']> = {};
    if (bind.Propagation !== undefined && bind.Propagation !== '') b.Propagation = bind.Propagation;
    if (bind.NonRecursive === true) b.NonRecursive = true;
    m.BindOptions = b;
  }
  if (volume !== undefined) {
    // Go's field order; empty maps are omitted (omitempty), the DriverConfig pointer is always there.
    const v: NonNullable<MountSpec['VolumeOptions']> = {};
    if (volume.NoCopy === true) v.NoCopy = true;
    if (Object.keys(volume.Labels).length > 0) v.Labels = volume.Labels;
    const driver: { Name?: string; Options?: Record<string, string> } = {};
    if (volume.DriverConfig.Name !== undefined && volume.DriverConfig.Name !== '') driver.Name = volume.DriverConfig.Name;
    if (volume.DriverConfig.Options !== undefined && Object.keys(volume.DriverConfig.Options).length > 0) driver.Options = volume.DriverConfig.Options;
    v.DriverConfig = driver;
    m.VolumeOptions = v;
  }
  if (tmpfs !== undefined) {
    const t: NonNullable<MountSpec['TmpfsOptions']> = {};
    if (tmpfs.SizeBytes !== undefined && tmpfs.SizeBytes !== 0) t.SizeBytes = tmpfs.SizeBytes;
    if (tmpfs.Mode !== undefined && tmpfs.Mode !== 0) t.Mode = tmpfs.Mode;
    m.TmpfsOptions = t;
  }
  return m;
}

export interface VolumeSpec {
  source: string;
  target: string;
  /** "bind" for a path source (/…, ./…, ~…), "volume" otherwise (named or anonymous). */
  type: 'bind' | 'volume';
}

/** volumespec.Parse for Linux: `DST`, `SRC:DST` or `SRC:DST:OPTS`; throws "invalid spec: …". */
export function parseVolumeSpec(spec: string): VolumeSpec {
  if (spec === '') throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { source: '', target: spec, type: 'volume' };
  const parts = spec.split(':');
  let source = '';
  let target = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (part === '') throw new Error(`invalid spec: ${spec}: empty section between colons`);
    if (source === '' && last) target = part;
    else if (source === '') source = part;
    else if (target === '') target = part;
    else if (!last) throw new Error(`invalid spec: ${spec}: too many colons`);
  }
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  return { source, target, type: source !== '' && isPath ? 'bind' : 'volume' };
}

/**
 * The `-v` values split the way docker's parse does: specs with a source go to Binds (a relative bind source,
 * "./x", made absolute against `cwd`), the others become anonymous volumes in Config.Volumes.
 */
export function splitVolumes(specs: readonly string[], cwd: string): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of specs) volumes[spec] = {};
  for (const spec of new Set(specs)) {
    const parsed = parseVolumeSpec(spec);
    if (parsed.source === '') continue;
    let bind = spec;
    if (parsed.type === 'bind') {
      const colon = spec.indexOf(':');
      const host = spec.slice(0, colon);
      if (host.startsWith('.')) bind = resolvePath(cwd, host) + spec.slice(colon);
    }
    binds.push(bind);
    delete volumes[spec];
  }
  return { binds, volumes };
}

/** `--tmpfs PATH[:OPTIONS]` → HostConfig.Tmpfs. */
export function tmpfsMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of values) {
    const colon = t.indexOf(':');
    if (colon < 0) out[t] = '';
    else out[t.slice(0, colon)] = t.slice(colon + 1);
  }
  return out;
}
