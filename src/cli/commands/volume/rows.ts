/** docker's volume formatter (cli/command/formatter/volume.go): the row context, the default table and its headers. */
import type { Volume } from '../../../client/volumes.js';
import { GoStruct } from '../../format/index.js';
import { humanSize } from '../container/units.js';

export const DEFAULT_VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';

export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};

export function volumeRow(v: Volume): GoStruct {
  const labels = v.Labels ?? {};
  return new GoStruct(
    '*formatter.volumeContext',
    {
      Name: () => v.Name,
      Driver: () => v.Driver,
      Scope: () => v.Scope,
      Mountpoint: () => v.Mountpoint,
      Labels: () => Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`).join(','),
      Label: (name: unknown) => labels[String(name)] ?? '',
      Links: () => (v.UsageData ? String(v.UsageData.RefCount) : 'N/A'),
      Size: () => (v.UsageData ? humanSize(v.UsageData.Size) : 'N/A'),
      Group: () => '',
      Availability: () => '',
      Status: () => '',
    },
    'methods',
  );
}
