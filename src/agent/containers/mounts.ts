/**
 * Docker's three ways to ask for mounts (`-v` binds, `--mount`, `--tmpfs`) normalized to one list, with docker's
 * rules: a `-v` bind source is created when missing, a `--mount type=bind` source must exist, named volumes live
 * under `<data-root>/volumes/<name>/_data`, anonymous volumes get a random name.
 */
import { invalidArgument } from '../../api/errors.js';
import type { HostConfig, MountPoint } from '../../api/container.js';

export type PlannedMount =
  | { kind: 'bind'; source: string; target: string; readonly: boolean; propagation: string; create: boolean }
  | {
      kind: 'volume'; name: string; anonymous: boolean; target: string; readonly: boolean;
      /** `--mount volume-driver=`, `volume-opt=`, `volume-label=`: used when the volume is created on first use. */
      driver?: string; options?: Record<string, string>; labels?: Record<string, string>;
    }
  | { kind: 'tmpfs'; target: string; options: string[] };

const bad = (msg: string): Error => invalidArgument('container.mount_invalid', msg);

function checkTarget(target: string, what: string): void {
  if (!target.startsWith('/')) throw bad(`invalid mount config for type "${what}": invalid mount path: '${target}' mount path must be absolute`);
  if (target === '/') throw bad(`invalid specification: destination can't be '/'`);
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Parses `-v`/Binds entries: `/host:/ctr[:opts]`, `name:/ctr[:opts]`, or `/ctr` (anonymous volume). */
export function parseBind(spec: string, newVolumeName: () => string): PlannedMount {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const target = parts[0] ?? '';
    checkTarget(target, 'volume');
    return { kind: 'volume', name: newVolumeName(), anonymous: true, target, readonly: false };
  }
  if (parts.length > 3) throw bad(`invalid volume specification: '${spec}'`);
  const [source = '', target = '', opts = ''] = parts;
  if (source === '' || target === '') throw bad(`invalid volume specification: '${spec}'`);
  checkTarget(target, source.startsWith('/') ? 'bind' : 'volume');
  let readonly = false;
  let propagation = 'rprivate';
  for (const o of opts.split(',').filter((x) => x !== '')) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(o)) propagation = o;
    else if (['z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'].includes(o)) continue;
    else throw bad(`invalid mode: ${o}`);
  }
  if (source.startsWith('/')) return { kind: 'bind', source, target, readonly, propagation, create: true };
  if (!VOLUME_NAME.test(source)) {
    throw bad(`create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { kind: 'volume', name: source, anonymous: false, target, readonly };
}

/** All mounts of a create request, in docker's order: Binds, then Mounts, then Tmpfs. Duplicate targets are refused. */
export function planMounts(hc: HostConfig, newVolumeName: () => string): PlannedMount[] {
  const out: PlannedMount[] = [];
  for (const b of hc.Binds ?? []) out.push(parseBind(b, newVolumeName));
  for (const [i, m] of (hc.Mounts ?? []).entries()) {
    if (typeof m.Target !== 'string' || m.Target === '') throw bad(`invalid mount config: HostConfig.Mounts[${i}].Target must be set`);
    checkTarget(m.Target, m.Type);
    switch (m.Type) {
      case 'bind':
        if (!m.Source) throw bad(`invalid mount config for type "bind": field Source must not be empty`);
        if (!m.Source.startsWith('/')) throw bad(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
        out.push({ kind: 'bind', source: m.Source, target: m.Target, readonly: m.ReadOnly === true, propagation: m.BindOptions?.Propagation ?? 'rprivate', create: m.BindOptions?.CreateMountpoint === true });
        break;
      case 'volume': {
        const name = m.Source && m.Source !== '' ? m.Source : undefined;
        if (name !== undefined && !VOLUME_NAME.test(name)) throw bad(`invalid mount config for type "volume": invalid volume name "${name}"`);
        const vo = m.VolumeOptions;
        out.push({
          kind: 'volume', name: name ?? newVolumeName(), anonymous: name === undefined, target: m.Target, readonly: m.ReadOnly === true,
          ...(vo?.DriverConfig?.Name ? { driver: vo.DriverConfig.Name } : {}),
          ...(vo?.DriverConfig?.Options && Object.keys(vo.DriverConfig.Options).length > 0 ? { options: { ...vo.DriverConfig.Options } } : {}),
          ...(vo?.Labels && Object.keys(vo.Labels).length > 0 ? { labels: { ...vo.Labels } } : {}),
        });
        break;
      }
      case 'tmpfs': {
        if (m.Source) throw bad(`invalid mount config for type "tmpfs": field Source must not be specified`);
        const options = ['nosuid', 'nodev', 'noexec'];
        if (m.TmpfsOptions?.SizeBytes) options.push(`size=${m.TmpfsOptions.SizeBytes}`);
        if (m.TmpfsOptions?.Mode) options.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
        out.push({ kind: 'tmpfs', target: m.Target, options });
        break;
      }
      default:
        throw bad(`invalid mount config for type "${String((m as { Type: unknown }).Type)}": mount type unknown`);
    }
  }
  for (const [target, opts] of Object.entries(hc.Tmpfs ?? {})) {
    checkTarget(target, 'tmpfs');
    out.push({ kind: 'tmpfs', target, options: ['nosuid', 'nodev', 'noexec', ...opts.split(',').filter((o) => o !== '')] });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.target)) throw bad(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
  return out;
}

/** The `Mounts` array of `inspect`. */
export function mountPoints(planned: PlannedMount[], volumeDir: (name: string) => string): MountPoint[] {
  return planned.map((m): MountPoint => {
    switch (m.kind) {
      case 'bind':
        return { Type: 'bind', Source: m.source, Destination: m.target, Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: m.propagation };
      case 'volume':
        return { Type: 'volume', Name: m.name, Source: volumeDir(m.name), Destination: m.target, Driver: 'local', Mode: m.readonly ? 'ro' : 'z', RW: !m.readonly, Propagation: '' };
      case 'tmpfs':
        return { Type: 'tmpfs', Source: '', Destination: m.target, Mode: '', RW: true, Propagation: '' };
    }
  });
}
