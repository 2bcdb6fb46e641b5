/**
 * docker's container formatter (cli/command/formatter/container.go) for `ps`: the row context with its method
 * names (`{{.ID}}`, `{{.Command}}`, `{{.RunningFor}}`, `{{.Label "k"}}`…), the default table and headers, and
 * DisplayablePorts. `Status` is the daemon's text ("Up 2 minutes (healthy)", "Exited (0) 3 seconds ago").
 */
import type { ContainerSummary, PortSummary } from '../../../client/container-types.js';
import { GoStruct, humanAgo } from '../../format/index.js';
import { parseNormalizedNamed, familiarString } from '../image/reference.js';
import { ellipsis, goLocalTime, goQuote } from './display.js';
import { humanSizeWithPrecision, truncateID } from './units.js';

export const DEFAULT_CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

/** docker's `ps` format from --format, -q and -s (NewContainerFormat). */
export function containerFormat(source: string | undefined, quiet: boolean, size: boolean): string {
  switch (source ?? '') {
    case '':
    case 'table':
      if (quiet) return '{{.ID}}';
      return size ? DEFAULT_CONTAINER_TABLE + '\t{{.Size}}' : DEFAULT_CONTAINER_TABLE;
    case 'raw': {
      if (quiet) return 'container_id: {{.ID}}';
      let f =
        'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\n' +
        'status: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
      if (size) f += 'size: {{.Size}}\\n';
      return f;
    }
    default:
      return quiet ? '{{.ID}}' : (source as string);
  }
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0] as string;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0] as string;
    type = parts[1] as string;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/** formatter.DisplayablePorts: "0.0.0.0:80->80/tcp, 9000-9002/tcp", consecutive ports merged into ranges. */
export function displayablePorts(ports: readonly PortSummary[]): string {
  const sorted = [...ports].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP !== undefined && p.IP !== '') {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (g === undefined) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // Re-inserting keeps the key's first position, as docker's groupMapKeys does.
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** ContainerContext.Image: the familiar reference, its digest stripped, or the short ID when run by ID. */
export function displayImage(c: ContainerSummary, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  const short = truncateID(c.ImageID);
  if (short === truncateID(c.Image)) return short;
  try {
    const ref = parseNormalizedNamed(c.Image);
    if (ref.digest !== undefined) delete ref.digest;
    return familiarString(ref);
  } catch {
    return c.Image;
  }
}

/** ContainerContext.Names: trunc keeps the first name that is not a legacy link. */
export function displayNames(names: readonly string[], trunc: boolean): string {
  const stripped = names.map((n) => n.replace(/^\//, ''));
  if (!trunc) return stripped.join(',');
  return stripped.find((n) => !n.includes('/')) ?? '';
}

/**
 * The fields of a formatter context with methods that take arguments (`.Label "k"`) callable from templates but left
 * out of `{{json .}}`, as docker's MarshalJSON marshals only the zero-argument methods: the keys are hidden from
 * enumeration, not from lookup.
 */
export function withArgMethods(fields: Record<string, unknown>, argMethods: readonly string[]): Record<string, unknown> {
  return new Proxy(fields, {
    ownKeys: (target) => Reflect.ownKeys(target).filter((k) => typeof k !== 'string' || !argMethods.includes(k)),
  });
}

/** The row context of one container (docker's ContainerContext), for renderList. */
export function containerRow(c: ContainerSummary, trunc: boolean, now: number): GoStruct {
  const labels = c.Labels ?? {};
  const mounts = c.Mounts ?? [];
  return new GoStruct(
    '*formatter.ContainerContext',
    withArgMethods({
      Command: () => goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
      CreatedAt: () => goLocalTime(c.Created),
      ID: () => (trunc ? truncateID(c.Id) : c.Id),
      Image: () => displayImage(c, trunc),
      Label: (name: unknown) => labels[String(name)] ?? '',
      Labels: () =>
        Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(','),
      LocalVolumes: () => String(mounts.filter((m) => m.Driver === 'local').length),
      Mounts: () =>
        mounts
          .map((m) => {
            const name = m.Name === undefined || m.Name === '' ? (m.Source ?? '') : m.Name;
            return trunc ? ellipsis(name, 15) : name;
          })
          .join(','),
      Names: () => displayNames(c.Names ?? [], trunc),
      Networks: () => Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
      Ports: () => displayablePorts(c.Ports ?? []),
      RunningFor: () => humanAgo(c.Created * 1000, now),
      Size: () => {
        const rw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
        return (c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})` : rw;
      },
      State: () => c.State,
      Status: () => c.Status,
    }, ['Label']),
    'methods',
  );
}
