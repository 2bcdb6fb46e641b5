/**
 * `loadProject` (docs/design/compose.md): compose files → ComposeProject. Steps, all pure (files come through
 * `input.readFile`): parse each file into a located tree (anchors, aliases, `<<` merge keys) → interpolate scalars
 * (`input.env` over `<workingDir>/.env`) → resolve `extends` (same file or `file:`) → merge the files in order
 * (Compose Spec merge rules) → validate and normalize (top-level objects first, then services, then the
 * project-wide checks: depends_on targets and cycles, published ports used twice). Every error is located.
 */
import { invalidArgument } from '../../api/errors.js';
import { interpolateTree, parseEnvFile } from './interpolate.js';
import type { Lookup } from './interpolate.js';
import { mergeProject, mergeService, withoutExtends } from './merge.js';
import { basename, dirname, displayPath, fail, normalizePath, parseYaml, resolvePath } from './node.js';
import type { MapNode, Node } from './node.js';
import { bool, checkKeys, child, fields, get, isNull, map, oneOf, seq, str, stringMap, text } from './read.js';
import { dependsLocs, normalizeService, portLocs } from './service.js';
import type { ServiceContext } from './service.js';
import type { ComposeFileObject, ComposeNetwork, ComposeProject, ComposeService, ComposeVolume, LoadInput } from './types.js';
import { normalizeProjectName } from './units.js';

const TOP_LEVEL = ['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs'] as const;

interface Env {
  lookup: Lookup;
  unset: (name: string) => void;
}

export function loadProject(input: LoadInput): ComposeProject {
  if (input.files.length === 0) throw invalidArgument('compose.invalid', 'no compose file given');
  const workingDir = normalizePath(input.workingDir);
  const warnings: string[] = [];
  const env = environment(input, workingDir, warnings);
  const ctx: LoadContext = { input, workingDir, env, loaded: new Map() };

  let root: MapNode | undefined;
  for (const f of input.files) {
    const abs = resolvePath(workingDir, f.path);
    const tree = fileTree(f.content, displayPath(f.path, workingDir), workingDir, env);
    resolveExtends(tree, abs, ctx);
    root = root === undefined ? tree : mergeProject(root, tree);
  }
  if (root === undefined) throw invalidArgument('compose.invalid', 'no compose file given');
  return normalizeProject(root, input, workingDir, env, warnings);
}

/** The variables interpolation sees: the process environment over `<workingDir>/.env`. */
function environment(input: LoadInput, workingDir: string, warnings: string[]): Env {
  const own = (n: string): string | undefined => (Object.hasOwn(input.env, n) ? input.env[n] : undefined);
  const dotenv = new Map<string, string>();
  const envPath = resolvePath(workingDir, '.env');
  const content = input.readFile(envPath);
  if (content !== undefined) {
    for (const e of parseEnvFile(content, displayPath(envPath, workingDir), own)) {
      const v = e.value ?? own(e.key);
      if (v !== undefined) dotenv.set(e.key, v);
    }
  }
  const warned = new Set<string>();
  return {
    lookup: (n) => own(n) ?? dotenv.get(n),
    unset: (n) => {
      if (warned.has(n)) return;
      warned.add(n);
      warnings.push(`The "${n}" variable is not set. Defaulting to a blank string.`);
    },
  };
}

interface LoadContext {
  input: LoadInput;
  workingDir: string;
  env: Env;
  /** Files loaded for `extends: {file}`, by absolute path, extends already resolved. */
  loaded: Map<string, MapNode>;
}

function fileTree(content: string, display: string, baseDir: string, env: Env): MapNode {
  const tree = parseYaml(content, display, baseDir);
  if (tree.kind !== 'map') return fail(tree.loc, '(root)', 'a compose file must be a mapping');
  interpolateTree(tree, '', env.lookup, env.unset);
  const include = tree.entries.get('include');
  if (include !== undefined) fail(include.keyLoc, 'include', 'include is not supported; pass the files with -f instead');
  return tree;
}

/** Replaces each service that `extends` another by the merge of both, in one file's tree. */
function resolveExtends(tree: MapNode, fileAbs: string, ctx: LoadContext, chain: string[] = []): void {
  const servicesNode = get(tree, 'services');
  if (servicesNode === undefined || servicesNode.kind !== 'map') return;
  const services = servicesNode;
  const done = new Set<string>();
  const resolve = (name: string, stack: string[]): Node => {
    const entry = services.entries.get(name);
    if (entry === undefined) throw new Error('unreachable');
    const svc = entry.value;
    if (svc.kind !== 'map' || done.has(name)) return svc;
    const ext = get(svc, 'extends');
    if (ext === undefined) {
      done.add(name);
      return svc;
    }
    const path = `services.${name}.extends`;
    let target: string;
    let fileNode: Node | undefined;
    if (ext.kind === 'scalar') target = str(ext, path);
    else {
      const m = map(ext, path);
      checkKeys(m, path, ['service', 'file']);
      const s = get(m, 'service');
      if (s === undefined) return fail(m.loc, child(path, 'service'), 'is required');
      target = str(s, child(path, 'service'));
      fileNode = get(m, 'file');
    }
    const me = `${fileAbs}#${name}`;
    let base: Node;
    if (fileNode !== undefined) {
      const fp = child(path, 'file');
      const abs = resolvePath(fileNode.baseDir, str(fileNode, fp));
      const key = `${abs}#${target}`;
      if (chain.includes(key) || stack.includes(key)) fail(ext.loc, path, `extends cycle: ${[...chain, ...stack, me, key].map(shortRef).join(' -> ')}`);
      const other = loadExtendsFile(abs, fileNode, fp, ctx, [...chain, ...stack, me]);
      const otherServices = get(other, 'services');
      const b = otherServices?.kind === 'map' ? get(otherServices, target) : undefined;
      if (b === undefined) return fail(ext.loc, path, `service "${target}" not found in ${displayPath(abs, ctx.workingDir)}`);
      base = b;
    } else {
      if (!services.entries.has(target)) return fail(ext.loc, path, `service "${target}" not found`);
      const key = `${fileAbs}#${target}`;
      if (stack.includes(key) || key === me) fail(ext.loc, path, `extends cycle: ${[...stack, me, key].map(shortRef).join(' -> ')}`);
      base = resolve(target, [...stack, me]);
    }
    const merged =
      base.kind === 'map' ? mergeService(withoutExtends(base), withoutExtends(svc), `services.${name}`) : withoutExtends(svc);
    services.entries.set(name, { keyLoc: entry.keyLoc, value: merged });
    done.add(name);
    return merged;
  };
  for (const name of [...services.entries.keys()]) resolve(name, []);
}

function shortRef(ref: string): string {
  return ref.slice(ref.lastIndexOf('#') + 1);
}

function loadExtendsFile(abs: string, at: Node, path: string, ctx: LoadContext, chain: string[]): MapNode {
  const cached = ctx.loaded.get(abs);
  if (cached !== undefined) return cached;
  const content = ctx.input.readFile(abs);
  if (content === undefined) return fail(at.loc, path, `file ${abs} not found`);
  const tree = fileTree(content, displayPath(abs, ctx.workingDir), dirname(abs), ctx.env);
  resolveExtends(tree, abs, ctx, chain);
  ctx.loaded.set(abs, tree);
  return tree;
}

function normalizeProject(root: MapNode, input: LoadInput, workingDir: string, env: Env, warnings: string[]): ComposeProject {
  checkKeys(root, '', TOP_LEVEL);
  const version = get(root, 'version');
  if (version !== undefined) text(version, 'version'); // accepted and ignored
  const nameNode = get(root, 'name');
  const rawName = input.projectName ?? (nameNode !== undefined ? str(nameNode, 'name') : basename(workingDir));
  const name = normalizeProjectName(rawName);
  if (name === '') {
    if (input.projectName === undefined && nameNode !== undefined) fail(nameNode.loc, 'name', `invalid project name "${rawName}"`);
    throw invalidArgument('compose.invalid', `invalid project name "${rawName}": it needs a lowercase letter or digit`);
  }

  const networks = topLevel(root, 'networks', (k, n, p) => network(name, k, n, p));
  const volumes = topLevel(root, 'volumes', (k, n, p) => volume(name, k, n, p));
  const secrets = topLevel(root, 'secrets', (k, n, p) => fileObject(name, k, n, p, 'secret', input));
  const configs = topLevel(root, 'configs', (k, n, p) => fileObject(name, k, n, p, 'config', input));

  const sctx: ServiceContext = {
    readFile: (p) => input.readFile(p),
    env: env.lookup,
    home: env.lookup('HOME'),
    defined: {
      networks: new Set(Object.keys(networks)),
      volumes: new Set(Object.keys(volumes)),
      secrets: new Set(Object.keys(secrets)),
      configs: new Set(Object.keys(configs)),
    },
    warnings,
  };
  const services: Record<string, ComposeService> = {};
  const servicesNode = root.entries.get('services')?.value;
  if (servicesNode !== undefined && !isNull(servicesNode)) {
    const sm = map(servicesNode, 'services');
    for (const key of [...sm.entries.keys()].sort()) {
      if (key.startsWith('x-')) continue;
      const e = sm.entries.get(key);
      if (e === undefined) continue;
      if (!/^[a-zA-Z0-9._-]+$/.test(key)) fail(e.keyLoc, child('services', key), `invalid service name "${key}" (letters, digits, ".", "_", "-")`);
      services[key] = normalizeService(key, e.value, child('services', key), sctx);
    }
  }
  checkDependencies(services);
  checkPublishedPorts(services);

  if (Object.values(services).some((s) => 'default' in s.networks) && networks.default === undefined) {
    networks.default = defaultNetwork(name);
  }
  return {
    name,
    services,
    networks: sorted(networks),
    volumes: sorted(volumes),
    secrets: sorted(secrets),
    configs: sorted(configs),
    warnings,
  };
}

function sorted<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] as T;
  return out;
}

function topLevel<T>(root: MapNode, key: string, each: (k: string, n: Node, p: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  const n = root.entries.get(key)?.value;
  if (n === undefined || isNull(n)) return out;
  for (const [k, v, p] of fields(map(n, key), key)) {
    if (!/^[a-zA-Z0-9._-]+$/.test(k)) fail(root.entries.get(key)?.value.loc ?? v.loc, p, `invalid name "${k}" (letters, digits, ".", "_", "-")`);
    out[k] = each(k, v, p);
  }
  return out;
}

function defaultNetwork(project: string): ComposeNetwork {
  return { name: `${project}_default`, external: false, driver_opts: {}, attachable: false, internal: false, labels: {} };
}

/** `external: true` or the legacy `external: {name: x}`; returns the name to use when external. */
function externalOf(m: MapNode, path: string, key: string, allowedWith: readonly string[]): { external: boolean; name?: string } {
  const ext = get(m, 'external');
  if (ext === undefined) return { external: false };
  const p = child(path, 'external');
  let external: boolean;
  let legacyName: string | undefined;
  if (ext.kind === 'map') {
    checkKeys(ext, p, ['name']);
    const n = get(ext, 'name');
    external = true;
    if (n !== undefined) legacyName = str(n, child(p, 'name'));
  } else external = bool(ext, p);
  if (!external) return { external: false };
  for (const [k, e] of m.entries) {
    if (k === 'external' || k === 'name' || k.startsWith('x-') || allowedWith.includes(k) || isNull(e.value)) continue;
    fail(e.keyLoc, child(path, k), `conflicting parameters "external" and "${k}" specified`);
  }
  const nameNode = get(m, 'name');
  return { external: true, name: nameNode !== undefined ? str(nameNode, child(path, 'name')) : (legacyName ?? key) };
}

function objectName(project: string, key: string, m: MapNode, path: string, ext: { external: boolean; name?: string }): string {
  if (ext.external) return ext.name ?? key;
  const n = get(m, 'name');
  return n !== undefined ? str(n, child(path, 'name')) : `${project}_${key}`;
}

function opts(m: MapNode, key: string, path: string): Record<string, string> {
  const n = get(m, key);
  return n === undefined ? {} : stringMap(map(n, child(path, key)), child(path, key));
}

function labelsOf(m: MapNode, path: string): Record<string, string> {
  const n = get(m, 'labels');
  return n === undefined ? {} : stringMap(n, child(path, 'labels'));
}

function network(project: string, key: string, n: Node, path: string): ComposeNetwork {
  const m = map(n, path, true);
  checkKeys(m, path, ['driver', 'driver_opts', 'ipam', 'external', 'internal', 'enable_ipv4', 'enable_ipv6', 'attachable', 'labels', 'name']);
  const ext = externalOf(m, path, key, []);
  const net: ComposeNetwork = {
    name: objectName(project, key, m, path, ext),
    external: ext.external,
    driver_opts: opts(m, 'driver_opts', path),
    attachable: false,
    internal: false,
    labels: labelsOf(m, path),
  };
  const d = get(m, 'driver');
  if (d !== undefined) net.driver = str(d, child(path, 'driver'));
  const a = get(m, 'attachable');
  if (a !== undefined) net.attachable = bool(a, child(path, 'attachable'));
  const i = get(m, 'internal');
  if (i !== undefined) net.internal = bool(i, child(path, 'internal'));
  for (const k of ['enable_ipv4', 'enable_ipv6']) {
    const v = get(m, k);
    if (v !== undefined) bool(v, child(path, k));
  }
  const ipam = get(m, 'ipam');
  if (ipam !== undefined) {
    const ip = child(path, 'ipam');
    const im = map(ipam, ip);
    checkKeys(im, ip, ['driver', 'config', 'options']);
    const cfg = get(im, 'config');
    net.ipam = {
      config:
        cfg === undefined
          ? []
          : seq(cfg, child(ip, 'config')).map((c, idx) => {
              const cp = child(child(ip, 'config'), idx);
              const cm = map(c, cp);
              checkKeys(cm, cp, ['subnet', 'ip_range', 'gateway', 'aux_addresses']);
              const out: { subnet?: string; gateway?: string } = {};
              const s = get(cm, 'subnet');
              if (s !== undefined) {
                out.subnet = str(s, child(cp, 'subnet'));
                if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(out.subnet)) fail(s.loc, child(cp, 'subnet'), `invalid subnet "${out.subnet}" (CIDR such as 10.0.9.0/24)`);
              }
              const g = get(cm, 'gateway');
              if (g !== undefined) out.gateway = str(g, child(cp, 'gateway'));
              return out;
            }),
    };
  }
  return net;
}

function volume(project: string, key: string, n: Node, path: string): ComposeVolume {
  const m = map(n, path, true);
  checkKeys(m, path, ['driver', 'driver_opts', 'external', 'labels', 'name']);
  const ext = externalOf(m, path, key, []);
  const v: ComposeVolume = {
    name: objectName(project, key, m, path, ext),
    external: ext.external,
    driver_opts: opts(m, 'driver_opts', path),
    labels: labelsOf(m, path),
  };
  const d = get(m, 'driver');
  if (d !== undefined) v.driver = str(d, child(path, 'driver'));
  return v;
}

function fileObject(project: string, key: string, n: Node, path: string, kind: 'secret' | 'config', input: LoadInput): ComposeFileObject {
  const m = map(n, path);
  const allowed = ['file', 'environment', 'content', 'external', 'labels', 'name', 'template_driver'];
  checkKeys(m, path, kind === 'secret' ? [...allowed, 'driver', 'driver_opts'] : allowed);
  const ext = externalOf(m, path, key, []);
  const o: ComposeFileObject = { name: objectName(project, key, m, path, ext), external: ext.external, labels: labelsOf(m, path) };
  const sources = (['file', 'environment', 'content'] as const).filter((k) => get(m, k) !== undefined);
  if (!ext.external && sources.length !== 1) {
    const at = sources.length > 1 ? (m.entries.get(sources[1] as string)?.keyLoc ?? m.loc) : m.loc;
    fail(at, path, sources.length > 1 ? `only one of file, environment or content may be set` : `${kind} needs one of file, environment, content or external`);
  }
  const file = get(m, 'file');
  if (file !== undefined) {
    const abs = resolvePath(file.baseDir, str(file, child(path, 'file')));
    if (input.readFile(abs) === undefined) fail(file.loc, child(path, 'file'), `${kind} file ${abs} not found`);
    o.file = abs;
  }
  const envNode = get(m, 'environment');
  if (envNode !== undefined) o.environment = str(envNode, child(path, 'environment'));
  const content = get(m, 'content');
  if (content !== undefined) o.content = text(content, child(path, 'content'));
  const td = get(m, 'template_driver');
  if (td !== undefined) oneOf(td, child(path, 'template_driver'), ['golang'] as const);
  return o;
}

function checkDependencies(services: Record<string, ComposeService>): void {
  for (const s of Object.values(services)) {
    for (const [dep, d] of Object.entries(s.depends_on)) {
      const at = dependsLocs.get(d);
      if (at === undefined) continue;
      if (dep === s.name) fail(at.loc.loc, at.path, `service "${s.name}" depends on itself`);
      if (services[dep] === undefined && d.required) fail(at.loc.loc, at.path, `service "${dep}" is not defined`);
    }
  }
  // Depth-first search; a back edge is a cycle, named in order.
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (name: string, trail: string[]): void => {
    state.set(name, 'visiting');
    const svc = services[name];
    if (svc !== undefined) {
      for (const [dep, d] of Object.entries(svc.depends_on)) {
        if (services[dep] === undefined) continue;
        if (state.get(dep) === 'visiting') {
          const cycle = [...trail.slice(trail.indexOf(dep)), name, dep];
          const at = dependsLocs.get(d);
          if (at !== undefined) fail(at.loc.loc, at.path, `dependency cycle: ${cycle.join(' -> ')}`);
        }
        if (state.get(dep) === undefined) walk(dep, [...trail, name]);
      }
    }
    state.set(name, 'done');
  };
  for (const name of Object.keys(services)) if (state.get(name) === undefined) walk(name, []);
}

function checkPublishedPorts(services: Record<string, ComposeService>): void {
  const used = new Map<string, { service: string; path: string; loc: string }>();
  for (const s of Object.values(services)) {
    for (const p of s.ports) {
      if (p.published === undefined) continue;
      const key = `${p.published}/${p.protocol}`;
      const at = portLocs.get(p);
      const first = used.get(key);
      if (first !== undefined && at !== undefined) {
        fail(at.loc.loc, at.path, `published port ${key} is already used by ${first.path} (${first.loc})`);
      }
      if (at !== undefined) used.set(key, { service: s.name, path: at.path, loc: `${at.loc.loc.file}:${at.loc.loc.line}:${at.loc.loc.col}` });
    }
  }
}
