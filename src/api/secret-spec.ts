/**
 * Secret and config specs (swarmkit `controlapi/secret.go`, `config.go`; dockerd `daemon/cluster/secrets.go`):
 * validation of untrusted request bodies, docker's list filters, the API views, and the per-task payloads the
 * dispatcher ships to agents. Pure: no node:* imports (base64 is checked and measured by hand, decrypting is
 * injected).
 *
 * Rules (swarmkit's):
 * - a name is 1-64 characters of `[a-zA-Z0-9-_.]`, starting and ending with a letter or digit;
 * - `Data` is standard base64 (as Go's `[]byte` JSON); decoded it is 1 byte to 500 KiB - 1 (secrets) or
 *   1000 KiB - 1 (configs);
 * - only `Labels` may change on update (`only updates to Labels are allowed`);
 * - a secret's data is never returned; a config's is.
 */
import { invalidArgument } from './errors.js';
import type { ShoalError } from './errors.js';
import type { Filters } from './filters.js';
import { rpcError } from './service-spec.js';
import type { Config, ConfigSpec, Labels, Secret, SecretSpec, Task } from './types.js';

export type SecretKind = 'secret' | 'config';

/** swarmkit's `MaxSecretSize` and `MaxConfigSize` (the data must be strictly smaller). */
export const MAX_SECRET_SIZE = 500 * 1024;
export const MAX_CONFIG_SIZE = 1000 * 1024;

/** The filters dockerd's `newListSecretsFilters` / `newListConfigsFilters` accept. */
export const SECRET_FILTERS = ['id', 'name', 'names', 'label'] as const;

const NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const invalid = (kind: SecretKind, desc: string): ShoalError => rpcError('InvalidArgument', 'InvalidArgument', `${kind}.spec_invalid`, desc);
const badField = (kind: SecretKind, message: string): ShoalError => invalidArgument(`${kind}.spec_invalid`, message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** swarmkit's `validateConfigOrSecretAnnotations`. */
export function checkSecretName(kind: SecretKind, name: string): void {
  if (name === '') throw invalid(kind, 'name must be provided');
  if (name.length > 64 || !NAME.test(name)) {
    throw invalid(kind, 'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]');
  }
}

/**
 * The byte length of standard base64 (Go's `encoding/json` for `[]byte`: `\r` and `\n` are skipped); throws
 * InvalidArgument naming the field and Go's offset on anything else.
 */
export function base64Length(kind: SecretKind, data: string): number {
  const s = data.replace(/[\r\n]/g, '');
  if (!BASE64.test(s)) {
    let at = 0;
    while (at < s.length && /[A-Za-z0-9+/]/.test(s[at] ?? '')) at++;
    throw badField(kind, `Data: illegal base64 data at input byte ${Math.min(at, s.length)}`);
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/** Drops `\r`/`\n` that Go's decoder ignores, so equal bytes give equal strings. */
export function canonicalBase64(data: string): string {
  return data.replace(/[\r\n]/g, '');
}

function str(kind: SecretKind, v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badField(kind, `${path}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function labels(kind: SecretKind, v: unknown): Labels {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badField(kind, `Labels: expected an object, got ${JSON.stringify(v)}`);
  const out: Labels = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw badField(kind, `Labels.${k}: expected a string, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

function driver(kind: SecretKind, v: unknown, path: string): { Name: string; Options?: Record<string, string> } | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badField(kind, `${path}: expected an object, got ${JSON.stringify(v)}`);
  return { Name: str(kind, v.Name, `${path}.Name`) ?? '' };
}

const KNOWN_FIELDS = new Set(['Name', 'Labels', 'Data', 'Driver', 'Templating']);

/**
 * A secret or config spec from an untrusted body: `{Name, Labels, Data}`; `Labels` is always present (`{}`), `Data`
 * canonical base64. Secret drivers and templating are refused (Shoal has neither), as are unknown fields.
 */
export function parseSecretSpec(kind: SecretKind, input: unknown): SecretSpec {
  if (!isObject(input)) throw badField(kind, `expected a ${kind} spec object, got ${JSON.stringify(input)}`);
  for (const k of Object.keys(input)) if (!KNOWN_FIELDS.has(k)) throw badField(kind, `${k}: unknown field in a ${kind} spec`);
  const name = str(kind, input.Name, 'Name') ?? '';
  checkSecretName(kind, name);
  const spec: SecretSpec = { Name: name, Labels: labels(kind, input.Labels) };
  const drv = driver(kind, input.Driver, 'Driver');
  if (drv !== undefined) {
    if (drv.Name === '') throw invalid(kind, `${kind} driver must have a name`);
    throw badField(kind, `Driver: ${kind} drivers are not supported (driver ${JSON.stringify(drv.Name)})`);
  }
  const tmpl = driver(kind, input.Templating, 'Templating');
  if (tmpl !== undefined) throw badField(kind, `Templating: templated ${kind}s are not supported (template driver ${JSON.stringify(tmpl.Name)})`);
  const data = canonicalBase64(str(kind, input.Data, 'Data') ?? '');
  const size = base64Length(kind, data);
  const max = kind === 'secret' ? MAX_SECRET_SIZE : MAX_CONFIG_SIZE;
  if (size >= max || size < 1) throw invalid(kind, `${kind} data must be larger than 0 and less than ${max} bytes`);
  spec.Data = data;
  return spec;
}

/**
 * An update body, checked against the stored spec (swarmkit `UpdateSecret`): the name must be the same and `Data`,
 * when given, must decode to the same bytes (`currentData` is the stored data, decrypted). Returns the new labels.
 */
export function parseSecretUpdate(kind: SecretKind, input: unknown, current: { name: string; data: string }): Labels {
  if (!isObject(input)) throw badField(kind, `expected a ${kind} spec object, got ${JSON.stringify(input)}`);
  for (const k of Object.keys(input)) if (!KNOWN_FIELDS.has(k)) throw badField(kind, `${k}: unknown field in a ${kind} spec`);
  const name = str(kind, input.Name, 'Name') ?? '';
  const data = str(kind, input.Data, 'Data');
  if (data !== undefined) base64Length(kind, data);
  if (name !== current.name || (data !== undefined && canonicalBase64(data) !== current.data)) {
    throw invalid(kind, 'only updates to Labels are allowed');
  }
  return labels(kind, input.Labels);
}

/** swarmkit's `filterMatchLabels` over dockerd's `ConvertKVStringsToMap`: `k` or `k=` match any value. */
function matchLabels(have: Labels | undefined, wanted: readonly string[]): boolean {
  for (const w of wanted) {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    const v = eq < 0 ? '' : w.slice(eq + 1);
    if (have === undefined || !Object.prototype.hasOwnProperty.call(have, k)) return false;
    if (v !== '' && have[k] !== v) return false;
  }
  return true;
}

/**
 * swarmkit's `ListSecrets`: objects matching any of `names` (exact), `name` (prefix) or `id` (prefix), then every
 * `label`. The caller validates the keys (`SECRET_FILTERS`).
 */
export function matchSecretFilters(f: Filters, o: { ID: string; Spec: { Name: string; Labels?: Labels } }): boolean {
  const names = f.values('names');
  const namePrefixes = f.values('name');
  const idPrefixes = f.values('id');
  if (names.length + namePrefixes.length + idPrefixes.length > 0) {
    const hit =
      names.includes(o.Spec.Name) || namePrefixes.some((p) => o.Spec.Name.startsWith(p)) || idPrefixes.some((p) => o.ID.startsWith(p));
    if (!hit) return false;
  }
  return matchLabels(o.Spec.Labels, f.values('label'));
}

/** The Engine API view of a secret: never its data (swarmkit clears `Spec.Data` in every answer). */
export function publicSecret(s: Secret): Secret {
  const spec: SecretSpec = { Name: s.Spec.Name, Labels: s.Spec.Labels ?? {} };
  return { ID: s.ID, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Spec: spec };
}

/** The Engine API view of a config: data included (base64). */
export function publicConfig(c: Config): Config {
  const spec: ConfigSpec = { Name: c.Spec.Name, Labels: c.Spec.Labels ?? {} };
  if (c.Spec.Data !== undefined) spec.Data = c.Spec.Data;
  return { ID: c.ID, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Spec: spec };
}

/** Services' references to secrets and configs, as swarmkit's `ByReferencedSecretID`/`ByReferencedConfigID` see them. */
export function referencedIds(kind: SecretKind, spec: { TaskTemplate: { ContainerSpec?: { Secrets?: { SecretID: string }[]; Configs?: { ConfigID: string }[] } } }): string[] {
  const c = spec.TaskTemplate.ContainerSpec;
  return kind === 'secret' ? (c?.Secrets ?? []).map((r) => r.SecretID) : (c?.Configs ?? []).map((r) => r.ConfigID);
}

/** swarmkit's in-use refusal: `secret 'x' is in use by the following service: web` (`services: a, b` for several). */
export function inUseError(kind: SecretKind, name: string, services: readonly string[]): ShoalError {
  const word = services.length === 1 ? 'service' : 'services';
  return rpcError('InvalidArgument', 'InvalidArgument', `${kind}.in_use`, `${kind} '${name}' is in use by the following ${word}: ${services.join(', ')}`);
}

/** swarmkit's name conflict: `secret x already exists` (409). */
export function nameExistsError(kind: SecretKind, name: string): ShoalError {
  return rpcError('AlreadyExists', 'AlreadyExists', `${kind}.name_conflict`, `${kind} ${name} already exists`);
}

// ------------------------------------------------------------------ payloads for the agents

/** What the dispatcher attaches to a task on the wire (docs/design/networking.md, "Manager → agent"); never stored. */
export interface TaskPayloads {
  Secrets: { ID: string; Data: string }[];
  Configs: { ID: string; Data: string }[];
}

/**
 * The decrypted data of every secret and config a task references (by ID; a reference to an object that is gone is
 * skipped: the agent then rejects the task for the missing file). `open` turns a stored secret `Spec.Data`
 * (`shoal-enc:v1:…`) into plain base64: `SecretBox.open` from src/ca/secret-box.ts. Each ID appears once.
 */
export function payloadsFor(
  task: Pick<Task, 'Spec'>,
  secrets: ReadonlyMap<string, Secret> | readonly Secret[],
  configs: ReadonlyMap<string, Config> | readonly Config[],
  open: (stored: string) => string,
): TaskPayloads {
  const byId = <T extends { ID: string }>(xs: ReadonlyMap<string, T> | readonly T[]): ReadonlyMap<string, T> =>
    Array.isArray(xs) ? new Map((xs as readonly T[]).map((x) => [x.ID, x])) : (xs as ReadonlyMap<string, T>);
  const sm = byId(secrets);
  const cm = byId(configs);
  const c = task.Spec.ContainerSpec;
  const out: TaskPayloads = { Secrets: [], Configs: [] };
  const seen = new Set<string>();
  for (const r of c?.Secrets ?? []) {
    const s = sm.get(r.SecretID);
    if (s?.Spec.Data === undefined || seen.has(`s/${s.ID}`)) continue;
    seen.add(`s/${s.ID}`);
    out.Secrets.push({ ID: s.ID, Data: open(s.Spec.Data) });
  }
  for (const r of c?.Configs ?? []) {
    const x = cm.get(r.ConfigID);
    if (x?.Spec.Data === undefined || seen.has(`c/${x.ID}`)) continue;
    seen.add(`c/${x.ID}`);
    out.Configs.push({ ID: x.ID, Data: x.Spec.Data });
  }
  return out;
}
