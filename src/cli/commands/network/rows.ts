/**
 * The row context `network ls` formats, with docker's field names (`{{.ID}}`, `{{.Name}}`, `{{.Driver}}`, ...) and
 * `{{.Label "k"}}`. Keys are alphabetical because docker's `{{json .}}` prints the formatter context's methods in
 * that order.
 */
import type { Network } from '../../../api/types.js';
import { GoStruct } from '../../format/index.js';
import { withArgMethods } from '../container/container-rows.js';

export const DEFAULT_NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** Go's `time.Time.String()` for an RFC 3339 UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeString(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(rfc3339);
  if (m === null) return rfc3339;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1] ?? ''} ${m[2] ?? ''}${frac === '' ? '' : `.${frac}`} +0000 UTC`;
}

export function networkRow(n: Network, trunc: boolean): GoStruct {
  const labels = n.Labels ?? {};
  const fields = {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver,
    ID: trunc ? n.Id.slice(0, 12) : n.Id,
    IPv4: String(n.EnableIPv4 ?? false),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k] ?? ''}`)
      .join(','),
    Name: n.Name,
    Scope: n.Scope,
  };
  return new GoStruct('*network.networkContext', withArgMethods({ ...fields, Label: (name: unknown) => labels[String(name)] ?? '' }, ['Label']), 'methods');
}
