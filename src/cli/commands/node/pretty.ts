/**
 * `node inspect --pretty`: the docker CLI's human format, produced by the same kind of Go template the docker CLI
 * uses, over a context with the same field names. The end-to-end suite compares it with the docker CLI's output.
 */
import type { Node } from '../../../api/types.js';
import { renderTemplate } from '../../format/index.js';

const TEMPLATE = `ID:			{{.ID}}
{{- if .Name }}
Name:			{{.Name}}
{{- end }}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Hostname:              	{{.Hostname}}
Joined at:             	{{.CreatedAt}}
Status:
 State:			{{.StatusState}}
 {{- if .StatusMessage}}
 Message:              	{{.StatusMessage}}
 {{- end}}
 Availability:         	{{.SpecAvailability}}
 {{- if .StatusAddr}}
 Address:		{{.StatusAddr}}
 {{- end}}
{{- if .HasManagerStatus}}
Manager Status:
 Address:		{{.ManagerStatusAddr}}
 Raft Status:		{{.ManagerStatusReachability}}
 {{- if .IsManagerStatusLeader}}
 Leader:		Yes
 {{- else}}
 Leader:		No
 {{- end}}
{{- end}}
Platform:
 Operating System:	{{.PlatformOS}}
 Architecture:		{{.PlatformArchitecture}}
Resources:
 CPUs:			{{.ResourceNanoCPUs}}
 Memory:		{{.ResourceMemory}}
{{- if .EnginePlugins}}
Plugins:
{{- range $k, $v := .EnginePlugins }}
 {{ $k }}:{{if $v }}		{{ $v }}{{ end }}
{{- end }}
{{- end }}
Engine Version:		{{.EngineVersion}}
{{- if .EngineLabels}}
Engine Labels:
{{- range $k, $v := .EngineLabels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{- end }}
{{- if .HasTLSInfo}}
TLS Info:
 TrustRoot:
{{.TLSInfoTrustRoot}}
 Issuer Subject:	{{.TLSInfoCertIssuerSubject}}
 Issuer Public Key:	{{.TLSInfoCertIssuerPublicKey}}
{{- end}}`;

const capitalize = (s: string): string => (s === '' ? s : s[0]?.toUpperCase() + s.slice(1));

/** docker's units.BytesSize: binary units with 4 significant digits ("23.54GiB"). */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** Go's time.Time.String() as docker's PrettyPrint lowercases it: "2026-11-27 08:24:45.437 +0000 utc". */
export function goTimeString(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(rfc3339);
  if (!m) return rfc3339.toLowerCase();
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? '.' + frac : ''} +0000 utc`;
}

export function prettyContext(n: Node): Record<string, unknown> {
  const plugins: Record<string, string[]> = {};
  for (const p of n.Description.Engine.Plugins) (plugins[p.Type] ??= []).push(p.Name);
  const joined: Record<string, string> = {};
  for (const [t, names] of Object.entries(plugins)) joined[t] = [...names].sort().join(', ');
  const tls = n.Description.TLSInfo;
  return {
    ID: n.ID,
    Name: n.Spec.Name ?? '',
    Labels: n.Spec.Labels,
    Hostname: n.Description.Hostname,
    CreatedAt: goTimeString(n.CreatedAt),
    StatusState: capitalize(n.Status.State),
    StatusMessage: n.Status.Message ?? '',
    SpecAvailability: capitalize(n.Spec.Availability),
    StatusAddr: n.Status.Addr,
    HasManagerStatus: n.ManagerStatus !== undefined,
    ManagerStatusAddr: n.ManagerStatus?.Addr ?? '',
    ManagerStatusReachability: capitalize(n.ManagerStatus?.Reachability ?? ''),
    IsManagerStatusLeader: n.ManagerStatus?.Leader === true,
    PlatformOS: n.Description.Platform.OS,
    PlatformArchitecture: n.Description.Platform.Architecture,
    ResourceNanoCPUs: Math.trunc(n.Description.Resources.NanoCPUs / 1e9),
    ResourceMemory: bytesSize(n.Description.Resources.MemoryBytes),
    EnginePlugins: Object.keys(joined).length > 0 ? joined : undefined,
    EngineVersion: n.Description.Engine.EngineVersion,
    EngineLabels: n.Description.Engine.Labels && Object.keys(n.Description.Engine.Labels).length > 0 ? n.Description.Engine.Labels : undefined,
    HasTLSInfo: tls.TrustRoot !== '',
    TLSInfoTrustRoot: tls.TrustRoot,
    TLSInfoCertIssuerSubject: tls.CertIssuerSubject,
    TLSInfoCertIssuerPublicKey: tls.CertIssuerPublicKey,
  };
}

export function renderNodePretty(nodes: Node[]): string {
  return nodes.map((n) => renderTemplate(TEMPLATE, prettyContext(n)) + '\n').join('\n');
}
