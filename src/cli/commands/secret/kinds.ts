/**
 * What `secret` and `config` verbs share (docker's cli/command/secret and cli/command/config are near twins): the
 * API calls per kind, the `ls` row context, and the `inspect --pretty` templates, exactly as the docker CLI 28 has them.
 */
import type { FilterMap } from '../../../api/filters.js';
import type { SecretSpec } from '../../../api/types.js';
import type { EngineClient } from '../../../client/index.js';
import {
  configCreate,
  configInspect,
  configListAll,
  configRemove,
  secretCreate,
  secretInspect,
  secretListAll,
  secretRemove,
} from '../../../client/secrets.js';
import { GoStruct, humanAgo } from '../../format/index.js';
import { withArgMethods } from '../container/container-rows.js';
import { goTimeString } from '../node/pretty.js';

/** A secret or config as the API returns it (secrets have no `Data`). */
export interface SecretLike {
  ID: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SecretSpec;
}

export interface KindApi {
  kind: 'secret' | 'config';
  create(client: EngineClient, spec: SecretSpec): Promise<{ ID: string }>;
  list(client: EngineClient, filters?: FilterMap): Promise<SecretLike[]>;
  inspect(client: EngineClient, ref: string): Promise<SecretLike>;
  remove(client: EngineClient, ref: string): Promise<void>;
  headers: Record<string, string>;
  defaultTable: string;
  typeName: string;
  pretty: string;
}

/** docker's SubHeaderContext.Label: the last dot-separated part, with `-` and `_` as spaces. */
const headerLabel = (name: unknown): string => (String(name).split('.').pop() ?? '').replace(/[-_]/g, ' ');

const HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  CreatedAt: 'CREATED',
  UpdatedAt: 'UPDATED',
  Labels: 'LABELS',
  // A method in docker's header context; renderList runs the header template over this map.
  Label: headerLabel as unknown as string,
};

export const SECRETS: KindApi = {
  kind: 'secret',
  create: secretCreate,
  list: secretListAll,
  inspect: secretInspect,
  remove: secretRemove,
  headers: HEADERS,
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
  typeName: '*secret.secretContext',
  pretty: `ID:              {{.ID}}
Name:              {{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Driver:            {{.Driver}}
Created at:        {{.CreatedAt}}
Updated at:        {{.UpdatedAt}}`,
};

const { Driver: _driver, ...CONFIG_HEADERS } = HEADERS;

export const CONFIGS: KindApi = {
  kind: 'config',
  create: configCreate,
  list: configListAll,
  inspect: configInspect,
  remove: configRemove,
  headers: CONFIG_HEADERS,
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
  typeName: '*config.configContext',
  pretty: `ID:			{{.ID}}
Name:			{{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Created at:            	{{.CreatedAt}}
Updated at:            	{{.UpdatedAt}}
Data:
{{.Data}}`,
};

/** The `ls` row: docker's secretContext / configContext (Labels joined `k=v,…`, here sorted for stable output). */
export function listRow(api: KindApi, o: SecretLike, now: number): GoStruct {
  const labels = o.Spec.Labels ?? {};
  const fields: Record<string, unknown> = {
    ID: o.ID,
    Name: o.Spec.Name,
    CreatedAt: () => humanAgo(o.CreatedAt, now),
    UpdatedAt: () => humanAgo(o.UpdatedAt, now),
    Labels: () =>
      Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k] ?? ''}`)
        .join(','),
    Label: (name: unknown) => labels[String(name)] ?? '',
  };
  if (api.kind === 'secret') fields.Driver = o.Spec.Driver?.Name ?? '';
  return new GoStruct(api.typeName, withArgMethods(fields, ['Label']), 'methods');
}

/** The `inspect --pretty` context (secretInspectContext / configInspectContext). */
export function prettyContext(o: SecretLike): Record<string, unknown> {
  return {
    ID: o.ID,
    Name: o.Spec.Name,
    Labels: o.Spec.Labels ?? {},
    Driver: o.Spec.Driver?.Name ?? '',
    CreatedAt: goTimeString(o.CreatedAt),
    UpdatedAt: goTimeString(o.UpdatedAt),
    Data: o.Spec.Data === undefined ? '' : Buffer.from(o.Spec.Data, 'base64').toString('utf8'),
  };
}
