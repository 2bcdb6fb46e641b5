/**
 * `stack config -c FILE [-c FILE...]`: the merged, interpolated model as YAML, the way `docker stack config`
 * prints its compose types (yaml.v3, 2-space indent): `version` first (the first file's, else the docker CLI's
 * latest, "3.13"), keys in compose spelling, empty values left out, durations as Go durations (`1m30s`), memory as a
 * byte count, cpus as a decimal string, networks without aliases as `null`, a ulimit with soft = hard as one number.
 * Strings are quoted as yaml.v3 quotes them: double quotes for what would read back as another type in YAML 1.2 or
 * 1.1 (`"0.5"`, `"true"`, `"y"`, `"1:20"`, `""`), single quotes where a plain scalar cannot be written (`'nginx:'`).
 *
 * Where the normalized model no longer knows what the file said, defaults are left out: a secret's or config's
 * `target` (`/run/secrets/<source>`, `/<source>`), `uid`/`gid` "0" and `mode` 0444 (docker prints them only when
 * the file gives them). A port's `host_ip` is dropped with docker's warning (a swarm service listens on every
 * address). Top-level `x-` extensions are printed last, as docker prints them: the first file's only, interpolated.
 * Known differences that remain: a long-syntax port without `protocol` shows `protocol: tcp`, a default written out
 * (`mode: 0444`, `uid: "0"`) is left out, a relative secret/config target shows its absolute form, and a service's
 * own `x-` keys are not shown (the model does not keep them).
 */
import type { Command } from 'commander';
import { dirname } from 'node:path';
import { Document, isScalar, parseDocument, visit } from 'yaml';
import type { ComposeFileObject, ComposeNetwork, ComposeProject, ComposeService, ComposeVolume, UpdateConfigModel } from '../../../compose/model/types.js';
import type { CliContext } from '../../context.js';
import { interpolateTree, parseEnvFile } from '../../../compose/model/interpolate.js';
import { parseYaml } from '../../../compose/model/node.js';
import type { Node } from '../../../compose/model/node.js';
import { collect } from '../../options.js';
import { loadComposeFiles, processComposeHost, readComposeFiles } from './common.js';
import type { ComposeHost } from './common.js';

/** What `docker stack config` prints as `version` when the first file has none (docker CLI 28's latest schema). */
export const DEFAULT_VERSION = '3.13';

type Y = Record<string, unknown>;

/** Go's time.Duration.String for a nanosecond count. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1000) out = `${n}ns`;
  else if (n < 1e6) out = `${trimFloat(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimFloat(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3.6e12);
    n -= h * 3.6e12;
    const m = Math.floor(n / 6e10);
    n -= m * 6e10;
    const s = `${trimFloat(n / 1e9)}s`;
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}

/** Sets key unless the value is empty (Go's omitempty). */
function put(o: Y, key: string, v: unknown): void {
  if (v === undefined || v === null || v === '' || v === false) return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return;
  o[key] = v;
}

function sortedObject<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as T;
  return out;
}

function updateConfig(u: UpdateConfigModel | undefined): Y | undefined {
  if (u === undefined) return undefined;
  const o: Y = {};
  if (u.parallelism !== undefined) o.parallelism = u.parallelism;
  put(o, 'delay', u.delay ? goDuration(u.delay) : undefined);
  put(o, 'failure_action', u.failure_action);
  put(o, 'monitor', u.monitor ? goDuration(u.monitor) : undefined);
  put(o, 'max_failure_ratio', u.max_failure_ratio);
  put(o, 'order', u.order);
  return o;
}

function deploy(s: ComposeService): Y | undefined {
  const d = s.deploy;
  if (d === undefined) return undefined;
  const o: Y = {};
  put(o, 'mode', d.mode === 'replicated' ? undefined : d.mode);
  if (d.replicas !== undefined) o.replicas = d.replicas;
  put(o, 'labels', sortedObject(d.labels));
  put(o, 'update_config', updateConfig(d.update_config));
  put(o, 'rollback_config', updateConfig(d.rollback_config));
  const r = d.resources;
  if (r !== undefined) {
    const res: Y = {};
    const lim: Y = {};
    put(lim, 'cpus', r.limits?.cpus !== undefined ? String(r.limits.cpus) : undefined);
    put(lim, 'memory', r.limits?.memory !== undefined ? String(r.limits.memory) : undefined);
    put(lim, 'pids', r.limits?.pids);
    put(res, 'limits', lim);
    const resv: Y = {};
    put(resv, 'cpus', r.reservations?.cpus !== undefined ? String(r.reservations.cpus) : undefined);
    put(resv, 'memory', r.reservations?.memory !== undefined ? String(r.reservations.memory) : undefined);
    put(res, 'reservations', resv);
    put(o, 'resources', res);
  }
  const rp = d.restart_policy;
  if (rp !== undefined) {
    const p: Y = {};
    put(p, 'condition', rp.condition);
    put(p, 'delay', rp.delay !== undefined ? goDuration(rp.delay) : undefined);
    if (rp.max_attempts !== undefined) p.max_attempts = rp.max_attempts;
    put(p, 'window', rp.window !== undefined ? goDuration(rp.window) : undefined);
    put(o, 'restart_policy', p);
  }
  const pl = d.placement;
  if (pl !== undefined) {
    const p: Y = {};
    put(p, 'constraints', pl.constraints);
    put(p, 'preferences', pl.preferences.map((x) => ({ spread: x.spread })));
    put(p, 'max_replicas_per_node', pl.max_replicas_per_node);
    put(o, 'placement', p);
  }
  put(o, 'endpoint_mode', d.endpoint_mode);
  return o;
}

function service(s: ComposeService): Y {
  const o: Y = {};
  put(o, 'cap_add', s.cap_add);
  put(o, 'cap_drop', s.cap_drop);
  put(o, 'command', s.command);
  put(o, 'configs', s.configs.map((c) => fileReference(c, `/${c.source}`)));
  put(o, 'deploy', deploy(s));
  put(o, 'dns', s.dns);
  put(o, 'entrypoint', s.entrypoint);
  put(o, 'environment', sortedObject(s.environment));
  put(o, 'extra_hosts', s.extra_hosts);
  put(o, 'hostname', s.hostname);
  if (s.healthcheck !== undefined) {
    const h = s.healthcheck;
    const hc: Y = {};
    put(hc, 'test', h.test);
    put(hc, 'timeout', h.timeout !== undefined ? goDuration(h.timeout) : undefined);
    put(hc, 'interval', h.interval !== undefined ? goDuration(h.interval) : undefined);
    if (h.retries !== undefined) hc.retries = h.retries;
    put(hc, 'start_period', h.start_period !== undefined ? goDuration(h.start_period) : undefined);
    put(hc, 'start_interval', h.start_interval !== undefined ? goDuration(h.start_interval) : undefined);
    put(hc, 'disable', h.disable);
    put(o, 'healthcheck', hc);
  }
  put(o, 'image', s.image);
  if (s.init !== undefined) o.init = s.init;
  put(o, 'labels', sortedObject(s.labels));
  const nets: Y = {};
  for (const [k, v] of Object.entries(s.networks)) nets[k] = v.aliases.length > 0 ? { aliases: v.aliases } : null;
  const onlyDefault = Object.keys(nets).length === 1 && nets.default === null;
  if (!onlyDefault) put(o, 'networks', sortedObject(nets));
  put(
    o,
    'ports',
    s.ports.map((p) => {
      const q: Y = { mode: p.mode };
      q.target = p.target;
      put(q, 'published', p.published);
      q.protocol = p.protocol;
      return q;
    }),
  );
  put(o, 'read_only', s.read_only);
  put(o, 'restart', s.restart);
  put(o, 'secrets', s.secrets.map((c) => fileReference(c, `/run/secrets/${c.source}`)));
  put(o, 'stop_grace_period', s.stop_grace_period !== undefined ? goDuration(s.stop_grace_period) : undefined);
  put(o, 'stop_signal', s.stop_signal);
  put(o, 'sysctls', sortedObject(s.sysctls));
  put(o, 'tmpfs', s.tmpfs);
  const ulimits: Y = {};
  for (const [k, u] of Object.entries(s.ulimits)) ulimits[k] = u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard };
  put(o, 'ulimits', sortedObject(ulimits));
  put(o, 'user', s.user);
  put(
    o,
    'volumes',
    s.volumes.map((v) => {
      const q: Y = { type: v.type };
      put(q, 'source', v.source);
      q.target = v.target;
      put(q, 'read_only', v.read_only);
      put(q, 'volume', v.volume);
      put(q, 'tmpfs', v.tmpfs);
      return q;
    }),
  );
  put(o, 'working_dir', s.working_dir);
  return o;
}

function network(project: ComposeProject, key: string, n: ComposeNetwork): Y {
  const o: Y = {};
  if (n.name !== `${project.name}_${key}`) put(o, 'name', n.name);
  put(o, 'driver', n.driver);
  put(o, 'driver_opts', sortedObject(n.driver_opts));
  put(o, 'ipam', n.ipam !== undefined && n.ipam.config.length > 0 ? { config: n.ipam.config } : undefined);
  put(o, 'external', n.external);
  put(o, 'internal', n.internal);
  put(o, 'attachable', n.attachable);
  put(o, 'labels', sortedObject(n.labels));
  return o;
}

function volume(project: ComposeProject, key: string, v: ComposeVolume): Y {
  const o: Y = {};
  if (v.name !== `${project.name}_${key}`) put(o, 'name', v.name);
  put(o, 'driver', v.driver);
  put(o, 'driver_opts', sortedObject(v.driver_opts));
  put(o, 'external', v.external);
  put(o, 'labels', sortedObject(v.labels));
  return o;
}

function fileObject(project: ComposeProject, key: string, f: ComposeFileObject): Y {
  const o: Y = {};
  if (f.name !== `${project.name}_${key}`) put(o, 'name', f.name);
  put(o, 'file', f.file);
  put(o, 'content', f.content);
  put(o, 'environment', f.environment);
  put(o, 'external', f.external);
  put(o, 'labels', sortedObject(f.labels));
  return o;
}

/** A secret/config reference with what the model filled in by default left out. */
function fileReference(r: ComposeService['secrets'][number], defaultTarget: string): Y {
  const o: Y = { source: r.source };
  if (r.target !== defaultTarget) o.target = r.target;
  if (r.uid !== '0') o.uid = r.uid;
  if (r.gid !== '0') o.gid = r.gid;
  if (r.mode !== 0o444) o.mode = r.mode;
  return o;
}

/** docker's warning for a port's host IP, which a swarm service ignores. */
export function hostIpWarnings(project: ComposeProject): string[] {
  const out: string[] = [];
  for (const k of Object.keys(project.services).sort()) {
    for (const p of project.services[k]?.ports ?? []) {
      if (p.host_ip === undefined || p.host_ip === '') continue;
      const spec = `${p.host_ip}:${p.published !== undefined ? `${p.published}:` : ':'}${p.target}${p.protocol === 'udp' ? '/udp' : ''}`;
      out.push(`ignoring IP-address (${spec}) service will listen on '0.0.0.0'`);
    }
  }
  return out;
}

/** Whether a plain scalar `s` would read back as something other than a string, in YAML 1.2 or 1.1. */
function readsAsOtherType(s: string): boolean {
  if (s === '') return true;
  for (const version of ['1.1', '1.2'] as const) {
    const d = parseDocument(s, { version });
    const c = d.contents;
    if (d.errors.length === 0 && isScalar(c) && c.anchor === undefined && c.tag === undefined && typeof c.value !== 'string') return true;
  }
  return false;
}

/** YAML text the way yaml.v3 (the docker CLI's encoder) writes it. */
export function goYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && readsAsOtherType(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indent: 2, lineWidth: 0, nullStr: 'null', singleQuote: true });
}

/** A located tree as plain data, map keys sorted (Go's maps print that way). */
function plain(n: Node): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(plain);
  const out: Y = {};
  for (const k of [...n.entries.keys()].sort()) out[k] = plain((n.entries.get(k) as { value: Node }).value);
  return out;
}

/**
 * The top-level `x-` keys of a compose file's text, interpolated with `env` over the `.env` of `workingDir` (as
 * the loader does), in key order.
 */
export function fileExtensions(file: { path: string; content: string }, workingDir: string, host: Pick<ComposeHost, 'readFile'>, env: Readonly<Record<string, string | undefined>>): Y {
  const tree = parseYaml(file.content, file.path, workingDir);
  if (tree.kind !== 'map') return {};
  const own = (n: string): string | undefined => (Object.hasOwn(env, n) ? env[n] : undefined);
  const dotenv = new Map<string, string>();
  const envPath = `${workingDir}/.env`;
  const text = host.readFile(envPath);
  if (text !== undefined) {
    for (const e of parseEnvFile(text, envPath, own)) {
      const v = e.value ?? own(e.key);
      if (v !== undefined) dotenv.set(e.key, v);
    }
  }
  const out: Y = {};
  for (const k of [...tree.entries.keys()].filter((x) => x.startsWith('x-')).sort()) {
    const node = (tree.entries.get(k) as { value: Node }).value;
    interpolateTree(node, k, (n) => own(n) ?? dotenv.get(n), () => undefined);
    out[k] = plain(node);
  }
  return out;
}

/**
 * The project as docker's `stack config` YAML; `version` is the first file's (DEFAULT_VERSION when it has none),
 * `extensions` its top-level `x-` keys.
 */
export function projectYaml(project: ComposeProject, version = DEFAULT_VERSION, extensions: Y = {}): string {
  const doc: Y = { version };
  const services: Y = {};
  for (const k of Object.keys(project.services).sort()) services[k] = service(project.services[k] as ComposeService);
  doc.services = services;
  const sections: [string, Record<string, unknown>, (k: string, v: never) => Y][] = [
    ['networks', project.networks, (k, v) => network(project, k, v)],
    ['volumes', project.volumes, (k, v) => volume(project, k, v)],
    ['secrets', project.secrets, (k, v) => fileObject(project, k, v)],
    ['configs', project.configs, (k, v) => fileObject(project, k, v)],
  ];
  for (const [name, objects, conv] of sections) {
    const out: Y = {};
    for (const k of Object.keys(objects).sort()) {
      if (name === 'networks' && k === 'default' && Object.keys(network(project, k, objects[k] as ComposeNetwork)).length === 0) continue; // the loader's implicit one
      out[k] = conv(k, objects[k] as never);
    }
    put(doc, name, out);
  }
  for (const [k, v] of Object.entries(extensions)) doc[k] = v;
  return goYaml(doc);
}

/** The `version` of a compose file's text (as a string), or undefined. */
export function fileVersion(content: string): string | undefined {
  const v: unknown = parseDocument(content).get('version');
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

export interface ConfigOptions {
  composeFile?: string[];
}

export function run(ctx: CliContext, o: ConfigOptions, host: ComposeHost = processComposeHost(ctx.env)): void {
  const files = readComposeFiles(host, o.composeFile ?? []);
  const project = loadComposeFiles(host, o.composeFile ?? [], undefined, files);
  for (const w of [...project.warnings, ...hostIpWarnings(project)]) ctx.err.write(w + '\n');
  const first = files[0] ?? { path: '', content: '' };
  const workingDir = o.composeFile?.[0] === '-' ? host.cwd() : dirname(first.path);
  ctx.out.write(projectYaml(project, fileVersion(first.content) ?? DEFAULT_VERSION, fileExtensions(first, workingDir, host, host.env)));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('config')
    .description('Outputs the final config file, after doing merges and interpolations')
    .option('-c, --compose-file <file>', 'Path to a Compose file, or "-" to read from stdin', collect)
    .action((o: ConfigOptions) => run(ctx, o));
}
