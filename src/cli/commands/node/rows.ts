/**
 * The row context `node ls` formats, with docker's field names (`{{.Hostname}}`, `{{.ManagerStatus}}`, ...).
 * Keys are alphabetical because docker's `{{json .}}` prints the formatter context's methods in that order.
 */
import type { Node, TLSInfo } from '../../../api/types.js';

export interface NodeRow {
  Availability: string;
  EngineVersion: string;
  Hostname: string;
  ID: string;
  ManagerStatus: string;
  Self: boolean;
  Status: string;
  TLSStatus: string;
}

const capitalize = (s: string): string => (s === '' ? s : s[0]?.toUpperCase() + s.slice(1));

export function managerStatus(n: Node): string {
  if (!n.ManagerStatus) return '';
  if (n.ManagerStatus.Leader) return 'Leader';
  return capitalize(n.ManagerStatus.Reachability);
}

export function nodeRow(n: Node, selfId: string, clusterTls: TLSInfo | undefined): NodeRow {
  const tls = n.Description.TLSInfo;
  const tlsReady =
    clusterTls === undefined ||
    (tls.TrustRoot === clusterTls.TrustRoot &&
      tls.CertIssuerPublicKey === clusterTls.CertIssuerPublicKey &&
      tls.CertIssuerSubject === clusterTls.CertIssuerSubject);
  return {
    Availability: capitalize(n.Spec.Availability),
    EngineVersion: n.Description.Engine.EngineVersion,
    Hostname: n.Description.Hostname,
    ID: n.ID,
    ManagerStatus: managerStatus(n),
    Self: n.ID === selfId,
    Status: capitalize(n.Status.State),
    TLSStatus: tlsReady ? 'Ready' : 'Needs Rotation',
  };
}

/** Go's sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const dx = Number(x);
      const dy = Number(y);
      if (dx !== dy) return dx < dy;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

export const NODE_HEADERS: Record<string, string> = {
  ID: 'ID',
  Self: '',
  Hostname: 'HOSTNAME',
  Status: 'STATUS',
  Availability: 'AVAILABILITY',
  ManagerStatus: 'MANAGER STATUS',
  EngineVersion: 'ENGINE VERSION',
  TLSStatus: 'TLS STATUS',
};

export const DEFAULT_NODE_TABLE =
  'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}';
