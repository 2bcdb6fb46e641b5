/**
 * One service of a merged, interpolated compose tree → ComposeService (docs/design/compose.md): every field the
 * Compose Spec defines is accepted (unknown keys refused), the modelled ones are validated and normalized (short and
 * long syntaxes, units, paths against the project dir), the others are named in an "Ignoring unsupported options"
 * warning. References to top-level networks/volumes/secrets/configs are checked here.
 */
import { fail, isAbsolute, resolvePath } from './node.js';
import type { MapNode, Node } from './node.js';
import { parseEnvFile } from './interpolate.js';
import type { Lookup } from './interpolate.js';
import {
  bool,
  checkKeys,
  child,
  fields,
  get,
  int,
  isNull,
  keyValues,
  map,
  num,
  oneOf,
  seq,
  str,
  stringMap,
  strList,
  strOrList,
  text,
} from './read.js';
import type {
  ComposeDeploy,
  ComposeDependency,
  ComposeFileReference,
  ComposeHealthcheck,
  ComposePort,
  ComposeService,
  ComposeServiceVolume,
  UpdateConfigModel,
} from './types.js';
import { parseComposeDuration, parseShortPort, parseShortVolume, parseSize, shellSplit } from './units.js';
import type { Parsed } from './units.js';

/** What a service may refer to, and how to read files and the environment. */
export interface ServiceContext {
  readFile(path: string): string | undefined;
  env: Lookup;
  home: string | undefined;
  defined: { networks: Set<string>; volumes: Set<string>; secrets: Set<string>; configs: Set<string> };
  warnings: string[];
}

const MODELLED = [
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'labels', 'ports', 'networks', 'volumes',
  'secrets', 'configs', 'healthcheck', 'deploy', 'depends_on', 'restart', 'user', 'working_dir', 'hostname', 'init',
  'read_only', 'stop_grace_period', 'stop_signal', 'cap_add', 'cap_drop', 'sysctls', 'ulimits', 'tmpfs',
  'extra_hosts', 'dns', 'extends', 'expose',
] as const;
/** Compose Spec service keys this model does not carry (warned about when present). */
const UNMODELLED = [
  'annotations', 'attach', 'blkio_config', 'cgroup', 'cgroup_parent', 'container_name', 'cpu_count', 'cpu_percent',
  'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset', 'credential_spec',
  'develop', 'device_cgroup_rules', 'devices', 'dns_opt', 'dns_search', 'domainname', 'external_links', 'gpus',
  'group_add', 'ipc', 'isolation', 'label_file', 'links', 'logging', 'mac_address', 'mem_limit', 'mem_reservation',
  'mem_swappiness', 'memswap_limit', 'network_mode', 'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit',
  'platform', 'post_start', 'pre_stop', 'privileged', 'profiles', 'pull_policy', 'runtime', 'scale',
  'security_opt', 'shm_size', 'stdin_open', 'storage_opt', 'tty', 'userns_mode', 'uts', 'volumes_from', 'models',
  'provider', 'use_api_socket',
] as const;

export function normalizeService(name: string, node: Node, path: string, ctx: ServiceContext): ComposeService {
  const m = map(node, path);
  checkKeys(m, path, [...MODELLED, ...UNMODELLED]);
  const svc: ComposeService = {
    name,
    environment: {},
    labels: {},
    ports: [],
    networks: {},
    volumes: [],
    secrets: [],
    configs: [],
    depends_on: {},
    cap_add: [],
    cap_drop: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    extra_hosts: [],
    dns: [],
  };
  const ignored: string[] = [];
  let envFiles: Record<string, string | null> = {};
  let environment: Record<string, string | null> = {};
  for (const [key, v, p] of fields(m, path)) {
    if (isNull(v)) continue;
    switch (key) {
      case 'image':
        svc.image = str(v, p);
        if (svc.image === '') fail(v.loc, p, 'must not be empty');
        break;
      case 'build':
        svc.build = plain(v);
        ignored.push('build');
        break;
      case 'command':
        svc.command = commandLine(v, p);
        break;
      case 'entrypoint':
        svc.entrypoint = commandLine(v, p);
        break;
      case 'environment':
        environment = environmentOf(v, p, ctx);
        break;
      case 'env_file':
        envFiles = envFileOf(v, p, ctx);
        break;
      case 'labels':
        svc.labels = stringMap(v, p);
        break;
      case 'ports':
        svc.ports = portsOf(v, p);
        break;
      case 'networks':
        svc.networks = networksOf(v, p, ctx);
        break;
      case 'volumes':
        svc.volumes = seq(v, p).map((it, i) => volumeOf(it, child(p, i), ctx));
        break;
      case 'secrets':
        svc.secrets = seq(v, p).map((it, i) => fileRef(it, child(p, i), 'secret', ctx));
        break;
      case 'configs':
        svc.configs = seq(v, p).map((it, i) => fileRef(it, child(p, i), 'config', ctx));
        break;
      case 'healthcheck':
        svc.healthcheck = healthcheckOf(v, p);
        break;
      case 'deploy':
        svc.deploy = deployOf(v, p, ignored);
        break;
      case 'depends_on':
        svc.depends_on = dependsOn(v, p);
        break;
      case 'restart': {
        const r = str(v, p);
        if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(r)) {
          fail(v.loc, p, `invalid restart policy "${r}" (no, always, on-failure[:max-retries], unless-stopped)`);
        }
        svc.restart = r;
        break;
      }
      case 'user':
        svc.user = str(v, p, true);
        break;
      case 'working_dir':
        svc.working_dir = str(v, p);
        break;
      case 'hostname':
        svc.hostname = str(v, p);
        break;
      case 'init':
        svc.init = bool(v, p);
        break;
      case 'read_only':
        svc.read_only = bool(v, p);
        break;
      case 'stop_grace_period':
        svc.stop_grace_period = duration(v, p);
        break;
      case 'stop_signal':
        svc.stop_signal = str(v, p, true);
        break;
      case 'cap_add':
        svc.cap_add = strList(v, p);
        break;
      case 'cap_drop':
        svc.cap_drop = strList(v, p);
        break;
      case 'sysctls':
        svc.sysctls = stringMap(v, p);
        break;
      case 'ulimits':
        svc.ulimits = ulimitsOf(v, p);
        break;
      case 'tmpfs':
        svc.tmpfs = strOrList(v, p);
        break;
      case 'extra_hosts':
        svc.extra_hosts = extraHosts(v, p);
        break;
      case 'dns':
        svc.dns = strOrList(v, p);
        break;
      case 'extends':
      case 'expose':
        break; // extends is resolved before; expose only documents ports
      default:
        ignored.push(key);
    }
  }
  svc.environment = { ...envFiles, ...environment };
  if (svc.image === undefined && svc.build === undefined) {
    fail(m.loc, path, `service "${name}" has neither an image nor a build context specified`);
  }
  if (Object.keys(svc.networks).length === 0 && get(m, 'network_mode') === undefined) svc.networks = { default: { aliases: [] } };
  if (ignored.length > 0) ctx.warnings.push(`Ignoring unsupported options: ${ignored.sort().join(', ')} (service "${name}")`);
  return svc;
}

/** A located tree as plain data (kept for `build`). */
function plain(n: Node): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(plain);
  const o: Record<string, unknown> = {};
  for (const [k, e] of n.entries) o[k] = plain(e.value);
  return o;
}

function must<T>(r: Parsed<T>, n: Node, path: string): T {
  if (!r.ok) fail(n.loc, path, r.reason);
  return r.value;
}

function duration(n: Node, path: string): number {
  if (n.kind !== 'scalar' || (typeof n.value !== 'string' && typeof n.value !== 'number')) {
    return fail(n.loc, path, 'must be a duration such as "10s" or "1m30s"');
  }
  return must(parseComposeDuration(n.value), n, path);
}

function size(n: Node, path: string): number {
  if (n.kind !== 'scalar' || (typeof n.value !== 'string' && typeof n.value !== 'number')) {
    return fail(n.loc, path, 'must be a size such as "512k", "50M" or "1g"');
  }
  const v = n.interpolated === true && typeof n.value === 'string' && /^\d+$/.test(n.value) ? Number(n.value) : n.value;
  return must(parseSize(v), n, path);
}

function commandLine(n: Node, path: string): string[] {
  if (n.kind === 'scalar') return must(shellSplit(str(n, path)), n, path);
  return seq(n, path).map((it, i) => text(it, child(path, i)));
}

function environmentOf(n: Node, path: string, ctx: ServiceContext): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of keyValues(n, path)) out[k] = v ?? ctx.env(k) ?? null;
  return out;
}

function envFileOf(n: Node, path: string, ctx: ServiceContext): Record<string, string | null> {
  const items = n.kind === 'seq' ? n.items : [n];
  const out: Record<string, string | null> = {};
  items.forEach((it, i) => {
    const p = n.kind === 'seq' ? child(path, i) : path;
    let file: string;
    let required = true;
    let at: Node = it;
    if (it.kind === 'map') {
      checkKeys(it, p, ['path', 'required', 'format']);
      const pathNode = get(it, 'path');
      if (pathNode === undefined) return fail(it.loc, child(p, 'path'), 'is required');
      file = str(pathNode, child(p, 'path'));
      at = pathNode;
      const req = get(it, 'required');
      if (req !== undefined) required = bool(req, child(p, 'required'));
    } else file = str(it, p);
    const abs = resolvePath(it.baseDir, file);
    const content = ctx.readFile(abs);
    if (content === undefined) {
      if (required) fail(at.loc, p, `env file ${abs} not found`);
      return;
    }
    for (const e of parseEnvFile(content, abs, ctx.env)) {
      if (e.value !== undefined) out[e.key] = e.value;
      else {
        const v = ctx.env(e.key);
        if (v !== undefined) out[e.key] = v;
      }
    }
  });
  return out;
}

function portsOf(n: Node, path: string): ComposePort[] {
  const out: ComposePort[] = [];
  const seen = new Set<string>();
  seq(n, path).forEach((it, i) => {
    const p = child(path, i);
    let ports: ComposePort[];
    if (it.kind === 'map') ports = [longPort(it, p)];
    else {
      if (it.kind !== 'scalar' || (typeof it.value !== 'string' && typeof it.value !== 'number')) {
        return fail(it.loc, p, 'must be a port ("8080:80") or a mapping with target/published');
      }
      ports = must(parseShortPort(it.value), it, p).map((sp) => ({ ...sp, mode: 'ingress' as const }));
    }
    for (const port of ports) {
      const key = JSON.stringify(port);
      if (seen.has(key)) continue;
      seen.add(key);
      portLocs.set(port, { loc: it, path: p });
      out.push(port);
    }
  });
  return out;
}

/** Where each port came from, for the project-wide "published twice" check. */
export const portLocs = new WeakMap<ComposePort, { loc: Node; path: string }>();

function longPort(m: MapNode, path: string): ComposePort {
  checkKeys(m, path, ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol']);
  const t = get(m, 'target');
  if (t === undefined) return fail(m.loc, child(path, 'target'), 'is required');
  const target = int(t, child(path, 'target'), 1);
  if (target > 65535) fail(t.loc, child(path, 'target'), `invalid port ${target}`);
  const port: ComposePort = { target, protocol: 'tcp', mode: 'ingress' };
  const pub = get(m, 'published');
  if (pub !== undefined) {
    const pp = child(path, 'published');
    const s = text(pub, pp);
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) {
      fail(pub.loc, pp, /^\d+-\d+$/.test(s) ? `port ranges are not supported in the long syntax ("${s}")` : `invalid port "${s}"`);
    }
    port.published = Number(s);
  }
  const proto = get(m, 'protocol');
  if (proto !== undefined) port.protocol = oneOf(proto, child(path, 'protocol'), ['tcp', 'udp'] as const);
  const mode = get(m, 'mode');
  if (mode !== undefined) port.mode = oneOf(mode, child(path, 'mode'), ['ingress', 'host'] as const);
  const ip = get(m, 'host_ip');
  if (ip !== undefined) port.host_ip = str(ip, child(path, 'host_ip'));
  return port;
}

function networksOf(n: Node, path: string, ctx: ServiceContext): Record<string, { aliases: string[] }> {
  const out: Record<string, { aliases: string[] }> = {};
  const check = (name: string, at: Node, p: string): void => {
    if (!ctx.defined.networks.has(name) && name !== 'default') {
      fail(at.loc, p, `network "${name}" is not defined in the top-level networks`);
    }
  };
  if (n.kind === 'seq') {
    n.items.forEach((it, i) => {
      const name = str(it, child(path, i));
      check(name, it, child(path, i));
      out[name] = { aliases: [] };
    });
    return out;
  }
  const m = map(n, path);
  for (const [name, e] of m.entries) {
    const p = child(path, name);
    check(name, { ...e.value, loc: e.keyLoc }, p);
    const v = map(e.value, p, true);
    checkKeys(v, p, ['aliases', 'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'priority', 'gw_priority', 'interface_name']);
    const aliases = get(v, 'aliases');
    out[name] = { aliases: aliases === undefined ? [] : strList(aliases, child(p, 'aliases')) };
  }
  return out;
}

function expandHome(src: string, at: Node, path: string, ctx: ServiceContext): string {
  if (src !== '~' && !src.startsWith('~/')) return src;
  if (ctx.home === undefined) return fail(at.loc, path, `cannot expand "${src}": HOME is not set`);
  return ctx.home + src.slice(1);
}

function isPathLike(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~');
}

function volumeOf(n: Node, path: string, ctx: ServiceContext): ComposeServiceVolume {
  if (n.kind === 'map') return longVolume(n, path, ctx);
  const spec = must(parseShortVolume(str(n, path)), n, path);
  if (spec.source === undefined) return { type: 'volume', target: spec.target, read_only: spec.modes.includes('ro') };
  const read_only = spec.modes.includes('ro');
  if (isPathLike(spec.source)) {
    const source = resolvePath(n.baseDir, expandHome(spec.source, n, path, ctx));
    return { type: 'bind', source, target: spec.target, read_only };
  }
  if (!ctx.defined.volumes.has(spec.source)) fail(n.loc, path, `volume "${spec.source}" is not defined in the top-level volumes`);
  const v: ComposeServiceVolume = { type: 'volume', source: spec.source, target: spec.target, read_only };
  if (spec.modes.includes('nocopy')) v.volume = { nocopy: true };
  return v;
}

function longVolume(m: MapNode, path: string, ctx: ServiceContext): ComposeServiceVolume {
  checkKeys(m, path, ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency', 'image']);
  const typeNode = get(m, 'type');
  if (typeNode === undefined) return fail(m.loc, child(path, 'type'), 'is required (volume, bind or tmpfs)');
  const type = oneOf(typeNode, child(path, 'type'), ['volume', 'bind', 'tmpfs'] as const);
  const targetNode = get(m, 'target');
  if (targetNode === undefined) return fail(m.loc, child(path, 'target'), 'is required');
  const target = str(targetNode, child(path, 'target'));
  if (!target.startsWith('/')) fail(targetNode.loc, child(path, 'target'), `the container path "${target}" must be absolute`);
  const ro = get(m, 'read_only');
  const v: ComposeServiceVolume = { type, target, read_only: ro === undefined ? false : bool(ro, child(path, 'read_only')) };
  const srcNode = get(m, 'source');
  if (srcNode !== undefined) {
    const sp = child(path, 'source');
    const src = str(srcNode, sp);
    if (type === 'bind') v.source = resolvePath(srcNode.baseDir, expandHome(src, srcNode, sp, ctx));
    else if (type === 'volume') {
      if (!ctx.defined.volumes.has(src)) fail(srcNode.loc, sp, `volume "${src}" is not defined in the top-level volumes`);
      v.source = src;
    } else fail(srcNode.loc, sp, 'a tmpfs mount has no source');
  } else if (type === 'bind') fail(m.loc, child(path, 'source'), 'is required for a bind mount');
  const bind = get(m, 'bind');
  if (bind !== undefined) {
    const bp = child(path, 'bind');
    checkKeys(map(bind, bp), bp, ['propagation', 'create_host_path', 'selinux', 'recursive']);
  }
  const vol = get(m, 'volume');
  if (vol !== undefined) {
    const vp = child(path, 'volume');
    const vm = map(vol, vp);
    checkKeys(vm, vp, ['nocopy', 'subpath']);
    const nocopy = get(vm, 'nocopy');
    v.volume = nocopy === undefined ? {} : { nocopy: bool(nocopy, child(vp, 'nocopy')) };
  }
  const tmpfs = get(m, 'tmpfs');
  if (tmpfs !== undefined) {
    const tp = child(path, 'tmpfs');
    const tm = map(tmpfs, tp);
    checkKeys(tm, tp, ['size', 'mode']);
    const sz = get(tm, 'size');
    v.tmpfs = sz === undefined ? {} : { size: size(sz, child(tp, 'size')) };
  }
  return v;
}

function mode(n: Node, path: string): number {
  if (n.kind === 'scalar') {
    // compose reads modes as octal: 0440 (a YAML 1.2 decimal to the parser) and "0440" both mean 0o440.
    const raw = typeof n.value === 'string' ? n.value : n.source;
    if (raw !== undefined && /^0[0-7]+$/.test(raw)) return parseInt(raw, 8);
    if (typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 0 && n.value <= 0o7777) return n.value;
  }
  return fail(n.loc, path, 'must be a file mode such as 0440');
}

function fileRef(n: Node, path: string, kind: 'secret' | 'config', ctx: ServiceContext): ComposeFileReference {
  const defined = kind === 'secret' ? ctx.defined.secrets : ctx.defined.configs;
  const dflt = (source: string): string => (kind === 'secret' ? `/run/secrets/${source}` : `/${source}`);
  const check = (source: string, at: Node, p: string): void => {
    if (!defined.has(source)) fail(at.loc, p, `${kind} "${source}" is not defined in the top-level ${kind}s`);
  };
  if (n.kind !== 'map') {
    const source = str(n, path);
    check(source, n, path);
    return { source, target: dflt(source), uid: '0', gid: '0', mode: 0o444 };
  }
  checkKeys(n, path, ['source', 'target', 'uid', 'gid', 'mode']);
  const s = get(n, 'source');
  if (s === undefined) return fail(n.loc, child(path, 'source'), 'is required');
  const source = str(s, child(path, 'source'));
  check(source, s, child(path, 'source'));
  const t = get(n, 'target');
  let target = t === undefined ? dflt(source) : str(t, child(path, 'target'));
  if (kind === 'secret' && !isAbsolute(target)) target = `/run/secrets/${target}`;
  if (kind === 'config' && !isAbsolute(target)) target = `/${target}`;
  const uid = get(n, 'uid');
  const gid = get(n, 'gid');
  const md = get(n, 'mode');
  return {
    source,
    target,
    uid: uid === undefined ? '0' : str(uid, child(path, 'uid'), true),
    gid: gid === undefined ? '0' : str(gid, child(path, 'gid'), true),
    mode: md === undefined ? 0o444 : mode(md, child(path, 'mode')),
  };
}

function healthcheckOf(n: Node, path: string): ComposeHealthcheck {
  const m = map(n, path);
  checkKeys(m, path, ['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
  const dis = get(m, 'disable');
  const disable = dis === undefined ? false : bool(dis, child(path, 'disable'));
  const t = get(m, 'test');
  let test: string[];
  if (t === undefined) test = disable ? ['NONE'] : [];
  else if (t.kind === 'scalar') test = ['CMD-SHELL', str(t, child(path, 'test'))];
  else {
    test = strList(t, child(path, 'test'));
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(test[0] ?? '')) {
      fail(t.loc, child(path, 'test'), `a test list must start with "CMD", "CMD-SHELL" or "NONE", got "${test[0] ?? ''}"`);
    }
  }
  if (disable && t !== undefined && test[0] !== 'NONE') fail(dis?.loc ?? m.loc, child(path, 'disable'), 'disable: true conflicts with test');
  const hc: ComposeHealthcheck = { test };
  for (const k of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
    const v = get(m, k);
    if (v !== undefined) hc[k] = duration(v, child(path, k));
  }
  const r = get(m, 'retries');
  if (r !== undefined) hc.retries = int(r, child(path, 'retries'));
  if (disable) hc.disable = true;
  return hc;
}

function cpus(n: Node, path: string): number {
  const v = num(n.kind === 'scalar' && typeof n.value === 'string' ? { ...n, quoted: true } : n, path);
  if (v <= 0) fail(n.loc, path, `must be a positive number of CPUs, got ${v}`);
  return v;
}

function deployOf(n: Node, path: string, ignored: string[]): ComposeDeploy {
  const m = map(n, path);
  checkKeys(m, path, ['mode', 'replicas', 'labels', 'endpoint_mode', 'resources', 'restart_policy', 'placement', 'update_config', 'rollback_config']);
  const d: ComposeDeploy = { mode: 'replicated', labels: {} };
  for (const [key, v, p] of fields(m, path)) {
    if (isNull(v)) continue;
    switch (key) {
      case 'mode':
        d.mode = oneOf(v, p, ['replicated', 'global', 'replicated-job', 'global-job'] as const);
        break;
      case 'replicas':
        d.replicas = int(v, p);
        break;
      case 'labels':
        d.labels = stringMap(v, p);
        break;
      case 'endpoint_mode':
        d.endpoint_mode = oneOf(v, p, ['vip', 'dnsrr'] as const);
        break;
      case 'resources':
        d.resources = resourcesOf(v, p, ignored);
        break;
      case 'restart_policy': {
        const r = map(v, p);
        checkKeys(r, p, ['condition', 'delay', 'max_attempts', 'window']);
        const rp: NonNullable<ComposeDeploy['restart_policy']> = {};
        const c = get(r, 'condition');
        if (c !== undefined) rp.condition = oneOf(c, child(p, 'condition'), ['none', 'on-failure', 'any'] as const);
        const delay = get(r, 'delay');
        if (delay !== undefined) rp.delay = duration(delay, child(p, 'delay'));
        const ma = get(r, 'max_attempts');
        if (ma !== undefined) rp.max_attempts = int(ma, child(p, 'max_attempts'));
        const w = get(r, 'window');
        if (w !== undefined) rp.window = duration(w, child(p, 'window'));
        d.restart_policy = rp;
        break;
      }
      case 'placement': {
        const pl = map(v, p);
        checkKeys(pl, p, ['constraints', 'preferences', 'max_replicas_per_node']);
        const c = get(pl, 'constraints');
        const pr = get(pl, 'preferences');
        const mx = get(pl, 'max_replicas_per_node');
        d.placement = {
          constraints: c === undefined ? [] : strList(c, child(p, 'constraints')),
          preferences:
            pr === undefined
              ? []
              : seq(pr, child(p, 'preferences')).map((it, i) => {
                  const ip = child(child(p, 'preferences'), i);
                  const im = map(it, ip);
                  checkKeys(im, ip, ['spread']);
                  const s = get(im, 'spread');
                  if (s === undefined) return fail(im.loc, child(ip, 'spread'), 'is required');
                  return { spread: str(s, child(ip, 'spread')) };
                }),
        };
        if (mx !== undefined) d.placement.max_replicas_per_node = int(mx, child(p, 'max_replicas_per_node'));
        break;
      }
      case 'update_config':
        d.update_config = updateConfig(v, p);
        break;
      case 'rollback_config':
        d.rollback_config = updateConfig(v, p);
        break;
      default:
        break;
    }
  }
  return d;
}

function resourcesOf(n: Node, path: string, ignored: string[]): NonNullable<ComposeDeploy['resources']> {
  const m = map(n, path);
  checkKeys(m, path, ['limits', 'reservations']);
  const out: NonNullable<ComposeDeploy['resources']> = {};
  const lim = get(m, 'limits');
  if (lim !== undefined) {
    const lp = child(path, 'limits');
    const l = map(lim, lp);
    checkKeys(l, lp, ['cpus', 'memory', 'pids']);
    out.limits = {};
    const c = get(l, 'cpus');
    if (c !== undefined) out.limits.cpus = cpus(c, child(lp, 'cpus'));
    const mem = get(l, 'memory');
    if (mem !== undefined) out.limits.memory = size(mem, child(lp, 'memory'));
    const pids = get(l, 'pids');
    if (pids !== undefined) out.limits.pids = int(pids, child(lp, 'pids'));
  }
  const res = get(m, 'reservations');
  if (res !== undefined) {
    const rp = child(path, 'reservations');
    const r = map(res, rp);
    checkKeys(r, rp, ['cpus', 'memory', 'devices', 'generic_resources']);
    out.reservations = {};
    const c = get(r, 'cpus');
    if (c !== undefined) out.reservations.cpus = cpus(c, child(rp, 'cpus'));
    const mem = get(r, 'memory');
    if (mem !== undefined) out.reservations.memory = size(mem, child(rp, 'memory'));
    if (get(r, 'devices') !== undefined) ignored.push('deploy.resources.reservations.devices');
    if (get(r, 'generic_resources') !== undefined) ignored.push('deploy.resources.reservations.generic_resources');
  }
  return out;
}

function updateConfig(n: Node, path: string): UpdateConfigModel {
  const m = map(n, path);
  checkKeys(m, path, ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order']);
  const u: UpdateConfigModel = {};
  const par = get(m, 'parallelism');
  if (par !== undefined) u.parallelism = int(par, child(path, 'parallelism'));
  const delay = get(m, 'delay');
  if (delay !== undefined) u.delay = duration(delay, child(path, 'delay'));
  const fa = get(m, 'failure_action');
  if (fa !== undefined) u.failure_action = oneOf(fa, child(path, 'failure_action'), ['continue', 'pause', 'rollback'] as const);
  const mon = get(m, 'monitor');
  if (mon !== undefined) u.monitor = duration(mon, child(path, 'monitor'));
  const mfr = get(m, 'max_failure_ratio');
  if (mfr !== undefined) {
    u.max_failure_ratio = num(mfr, child(path, 'max_failure_ratio'));
    if (u.max_failure_ratio < 0 || u.max_failure_ratio > 1) fail(mfr.loc, child(path, 'max_failure_ratio'), 'must be between 0 and 1');
  }
  const order = get(m, 'order');
  if (order !== undefined) u.order = oneOf(order, child(path, 'order'), ['stop-first', 'start-first'] as const);
  return u;
}

/** depends_on; where each entry came from is kept for the cycle / undefined-service checks. */
export const dependsLocs = new WeakMap<ComposeDependency, { loc: Node; path: string }>();

function dependsOn(n: Node, path: string): Record<string, ComposeDependency> {
  const out: Record<string, ComposeDependency> = {};
  const dflt = (): ComposeDependency => ({ condition: 'service_started', restart: true, required: true });
  if (n.kind === 'seq') {
    n.items.forEach((it, i) => {
      const p = child(path, i);
      const d = dflt();
      out[str(it, p)] = d;
      dependsLocs.set(d, { loc: it, path: p });
    });
    return out;
  }
  const m = map(n, path);
  for (const [name, e] of m.entries) {
    const p = child(path, name);
    const v = map(e.value, p, true);
    checkKeys(v, p, ['condition', 'restart', 'required']);
    const d = dflt();
    const c = get(v, 'condition');
    if (c !== undefined) {
      d.condition = oneOf(c, child(p, 'condition'), ['service_started', 'service_healthy', 'service_completed_successfully'] as const);
    }
    const r = get(v, 'restart');
    if (r !== undefined) d.restart = bool(r, child(p, 'restart'));
    const q = get(v, 'required');
    if (q !== undefined) d.required = bool(q, child(p, 'required'));
    out[name] = d;
    dependsLocs.set(d, { loc: { ...e.value, loc: e.keyLoc }, path: p });
  }
  return out;
}

function ulimitsOf(n: Node, path: string): Record<string, { soft: number; hard: number }> {
  const m = map(n, path);
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, v, p] of fields(m, path)) {
    if (v.kind === 'map') {
      checkKeys(v, p, ['soft', 'hard']);
      const s = get(v, 'soft');
      const h = get(v, 'hard');
      if (s === undefined) return fail(v.loc, child(p, 'soft'), 'is required');
      if (h === undefined) return fail(v.loc, child(p, 'hard'), 'is required');
      const soft = int(s, child(p, 'soft'), -1);
      const hard = int(h, child(p, 'hard'), -1);
      if (hard !== -1 && soft > hard) fail(s.loc, child(p, 'soft'), `soft limit ${soft} is above the hard limit ${hard}`);
      out[name] = { soft, hard };
    } else {
      const v1 = int(v, p, -1);
      out[name] = { soft: v1, hard: v1 };
    }
  }
  return out;
}

function extraHosts(n: Node, path: string): string[] {
  if (n.kind === 'map') {
    return [...n.entries].map(([host, e]) => `${host}:${text(e.value, child(path, host))}`);
  }
  return strList(n, path).map((s) => {
    const eq = s.indexOf('=');
    return eq > 0 ? `${s.slice(0, eq)}:${s.slice(eq + 1)}` : s;
  });
}
