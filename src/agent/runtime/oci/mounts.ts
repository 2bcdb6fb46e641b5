/**
 * The container's mount list: docker's default kernel filesystems, then the caller's binds, volumes and tmpfs,
 * with docker's rules: a caller's mount replaces the default at the same destination, caller mounts are ordered
 * parents before children, and a destination appears once.
 */
import { invalidArgument } from '../../../api/errors.js';
import type { MountSpec } from '../../exec/runtime.js';
import type { OciMount } from './types.js';

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/** One caller mount as an OCI mount: paths checked, binds made recursive and private unless told otherwise. */
export function toOciMount(m: MountSpec): OciMount {
  const where = `invalid mount config for type ${JSON.stringify(m.type)}`;
  if (!m.destination.startsWith('/')) {
    throw invalidArgument('mount.invalid', `${where}: invalid mount path: '${m.destination}' mount path must be absolute`);
  }
  const destination = cleanPath(m.destination);
  if (destination === '/') throw invalidArgument('mount.invalid', `invalid specification: destination can't be '/'`);
  if (m.type === 'bind') {
    if (!m.source.startsWith('/')) {
      throw invalidArgument('mount.invalid', `${where}: invalid mount path: '${m.source}' mount path must be absolute`);
    }
    const options = [...m.options];
    if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
    if (!options.some((o) => PROPAGATIONS.has(o))) options.push('rprivate');
    return { destination, type: 'bind', source: m.source, options };
  }
  if (m.type === '') throw invalidArgument('mount.invalid', `invalid mount config: mount type unknown`);
  return { destination, type: m.type, source: m.source === '' ? m.type : m.source, options: [...m.options] };
}

/**
 * Defaults first (minus any the caller replaces), then the caller's mounts ordered by depth, so /data is mounted
 * before /data/cache. A destination the caller gives twice is refused with docker's `Duplicate mount point`.
 */
export function mergeMounts(defaults: readonly OciMount[], user: readonly MountSpec[]): OciMount[] {
  const mine = user.map(toOciMount);
  const seen = new Set<string>();
  for (const m of mine) {
    if (seen.has(m.destination)) throw invalidArgument('mount.duplicate', `Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  const kept = defaults.filter((d) => !seen.has(d.destination));
  const ordered = mine.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
  return [...kept, ...ordered.map((x) => x.m)];
}
