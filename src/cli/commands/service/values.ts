/**
 * Flag values of the service verbs, read as the docker CLI's option types read them (cli/command/service/opts.go and
 * cli/opts): Go durations, uint/int/float numbers with strconv's errors, shell words (ShlexOpt), `--publish`
 * (PortOpt, long and short syntax), `--secret`/`--config` (SecretOpt/ConfigOpt), `--network` (NetworkOpt),
 * `--placement-pref`, `--credential-spec` and capabilities. Each parser throws an Error whose message is docker's;
 * flags.ts turns it into a flag error.
 */
import { parseDuration } from '../../../lib/duration.js';
import type { ConfigReference, NetworkAttachmentConfig, PlacementPreference, PortConfig, SecretReference } from '../../../client/service-types.js';
import { readCSVRecord } from '../container/mount-spec.js';

// ---------------------------------------------------------------- numbers and durations

/** time.ParseDuration, with Go's error texts. */
export function goDuration(text: string): number {
  const ns = parseDuration(text);
  if (ns !== undefined && text.trim() === text) return ns;
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new Error(`time: missing unit in duration "${text}"`);
  throw new Error(`time: invalid duration "${text}"`);
}

/** opts.PositiveDurationOpt. */
export function positiveDuration(text: string): number {
  const ns = goDuration(text);
  if (ns < 0) throw new Error('duration cannot be negative');
  return ns;
}

/** strconv.ParseUint(s, 0, 64) / ParseInt(s, 0, 64): base prefixes 0x, 0o, 0b and a leading 0 (octal), underscores. */
function parseBase0(text: string, signed: boolean, fn: string): number {
  let s = text;
  let neg = false;
  if (signed && (s.startsWith('-') || s.startsWith('+'))) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  const bad = (): Error => new Error(`strconv.${fn}: parsing "${text}": invalid syntax`);
  let digits: string;
  let base: number;
  if (/^0[xX]/.test(s)) {
    base = 16;
    digits = s.slice(2);
  } else if (/^0[bB]/.test(s)) {
    base = 2;
    digits = s.slice(2);
  } else if (/^0[oO]/.test(s)) {
    base = 8;
    digits = s.slice(2);
  } else if (/^0\d/.test(s) || /^0_/.test(s)) {
    base = 8;
    digits = s.slice(1);
  } else {
    base = 10;
    digits = s;
  }
  if (base !== 10 && digits.startsWith('_')) digits = digits.slice(1);
  if (digits.includes('__') || digits.endsWith('_') || (base === 10 && digits.includes('_'))) throw bad();
  digits = digits.replace(/_/g, '');
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (digits === '' || !valid.test(digits)) throw bad();
  const big = BigInt(base === 10 ? digits : `0${{ 2: 'b', 8: 'o', 16: 'x' }[base as 2 | 8 | 16]}${digits}`);
  const max = signed ? (neg ? 1n << 63n : (1n << 63n) - 1n) : (1n << 64n) - 1n;
  if (big > max) throw new Error(`strconv.${fn}: parsing "${text}": value out of range`);
  return Number(neg ? -big : big);
}

/** pflag uint64 / docker's Uint64Opt. */
export function uintValue(text: string): number {
  return parseBase0(text, false, 'ParseUint');
}

/** pflag int64 / int. */
export function intValue(text: string): number {
  return parseBase0(text, true, 'ParseInt');
}

/** docker's floatValue: strconv.ParseFloat(s, 32), kept as the float32's shortest decimal (0.1, not 0.10000000149). */
export function float32Value(text: string): number {
  if (!/^[+-]?((\d[\d_]*)(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    throw new Error(`strconv.ParseFloat: parsing "${text}": invalid syntax`);
  }
  const lower = text.toLowerCase().replace(/_/g, '');
  const v = lower.includes('nan') ? NaN : lower.includes('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(lower);
  if (!Number.isFinite(v)) return v;
  if (Math.abs(v) > 3.4028234663852886e38) throw new Error(`strconv.ParseFloat: parsing "${text}": value out of range`);
  return Number(shortestFloat32(Math.fround(v)));
}

/** The shortest decimal that reads back as the same float32 (Go's FormatFloat(f, 'g', -1, 32)). */
export function shortestFloat32(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === Math.fround(v)) return String(s);
  }
  return String(v);
}

// ---------------------------------------------------------------- words

/** google/shlex Split: POSIX-ish words (quotes, backslash escapes, `#` comments). */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  const n = text.length;
  const space = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < n) {
    while (i < n && space(text[i] as string)) i++;
    if (i >= n) break;
    if (text[i] === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    let word = '';
    while (i < n && !space(text[i] as string)) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new Error('EOF found when expecting closing quote');
          const d = text[i] as string;
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\') {
            if (i + 1 >= n) throw new Error('EOF found after escape character');
            const e = text[i + 1] as string;
            word += e === '"' || e === '\\' || e === '$' || e === '`' || e === '\n' ? e : d + e;
            i += 2;
            continue;
          }
          word += d;
          i++;
        }
      } else if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) throw new Error('EOF found when expecting closing quote');
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (c === '\\') {
        if (i + 1 >= n) throw new Error('EOF found after escape character');
        word += text[i + 1];
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

// ---------------------------------------------------------------- placement, credential spec

/** placementPrefOpts.Set: `spread=<descriptor>`. */
export function parsePlacementPref(value: string): PlacementPreference {
  const eq = value.indexOf('=');
  const strategy = eq < 0 ? '' : value.slice(0, eq);
  if (eq < 0 || strategy === '') throw new Error('placement preference must be of the format "<strategy>=<arg>"');
  if (strategy !== 'spread') throw new Error(`unsupported placement preference ${strategy} (only spread is supported)`);
  return { Spread: { SpreadDescriptor: value.slice(eq + 1) } };
}

export interface CredentialSpecValue {
  source: string;
  value: { Config?: string; File?: string; Registry?: string };
}

/** credentialSpecOpt.Set. */
export function parseCredentialSpec(value: string): CredentialSpecValue {
  if (value.startsWith('config://')) return { source: value, value: { Config: value.slice('config://'.length) } };
  if (value.startsWith('file://')) return { source: value, value: { File: value.slice('file://'.length) } };
  if (value.startsWith('registry://')) return { source: value, value: { Registry: value.slice('registry://'.length) } };
  if (value === '') return { source: value, value: {} };
  throw new Error('invalid credential spec: value must be prefixed with "config://", "file://", or "registry://"');
}

// ---------------------------------------------------------------- ports

const LONG_SYNTAX = /\w+=\w+(,\w+=\w+)*/;

function parsePortNumber(text: string, bits: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing "${text}": invalid syntax`);
  const v = Number(text);
  if (v >= 2 ** bits) throw new Error(`strconv.ParseUint: parsing "${text}": value out of range`);
  return v;
}

/** nat.ParsePortRange: "80" or "8000-8010". */
function parsePortRange(text: string): [number, number] {
  if (text === '') throw new Error('empty string specified for ports.');
  const dash = text.indexOf('-');
  if (dash < 0) {
    const p = parsePortNumber(text, 16);
    return [p, p];
  }
  const start = parsePortNumber(text.slice(0, dash), 16);
  const end = parsePortNumber(text.slice(dash + 1), 16);
  if (end < start) throw new Error(`invalid range specified for port: ${text}`);
  return [start, end];
}

/**
 * The short syntax, nat.ParsePortSpecs + ConvertPortToPortConfig: `[ip:][published[-end]:]target[-end][/proto]`,
 * one ingress PortConfig per port. A host IP is refused ("hostip is not supported").
 */
function parseShortPort(value: string): PortConfig[] {
  let rest = value;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (proto === '') throw new Error(`invalid proto: ${proto}`);
  }
  const parts = rest.split(':');
  let ip = '';
  let hostPort = '';
  let containerPort: string;
  if (parts.length === 1) containerPort = parts[0] as string;
  else if (parts.length === 2) {
    hostPort = parts[0] as string;
    containerPort = parts[1] as string;
  } else {
    containerPort = parts[parts.length - 1] as string;
    hostPort = parts[parts.length - 2] as string;
    ip = parts.slice(0, -2).join(':');
  }
  if (ip !== '') throw new Error('hostip is not supported');
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
  if (containerPort === '') throw new Error(`no port specified: ${value}<empty>`);
  let cStart: number;
  let cEnd: number;
  try {
    [cStart, cEnd] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hStart = 0;
  let hEnd = 0;
  if (hostPort !== '') {
    try {
      [hStart, hEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && cEnd - cStart !== hEnd - hStart) {
    // nat: "a range of host ports maps to a single container port" is allowed when the container side is one port
    if (cEnd !== cStart) throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const out: PortConfig[] = [];
  for (let i = 0; i <= cEnd - cStart; i++) {
    const target = cStart + i;
    if (hostPort === '') {
      out.push({ Protocol: proto.toLowerCase(), TargetPort: target, PublishedPort: 0, PublishMode: 'ingress' });
    } else if (cEnd === cStart && hEnd !== hStart) {
      for (let h = hStart; h <= hEnd; h++) out.push({ Protocol: proto.toLowerCase(), TargetPort: target, PublishedPort: h, PublishMode: 'ingress' });
    } else {
      out.push({ Protocol: proto.toLowerCase(), TargetPort: target, PublishedPort: hStart + i, PublishMode: 'ingress' });
    }
  }
  return out;
}

/** opts.PortOpt.Set: `published=8080,target=80[,protocol=udp][,mode=host]` or the short `8080:80[/udp]`. */
export function parsePorts(value: string): PortConfig[] {
  if (!LONG_SYNTAX.test(value)) return parseShortPort(value);
  const fields = readCSVRecord(value);
  const p: PortConfig = {};
  for (const field of fields) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    const key = eq < 0 ? '' : lower.slice(0, eq);
    const val = eq < 0 ? '' : lower.slice(eq + 1);
    if (eq < 0 || key === '') throw new Error(`invalid field: ${field}`);
    switch (key) {
      case 'protocol':
        if (val !== 'tcp' && val !== 'udp' && val !== 'sctp') throw new Error(`invalid protocol value '${val}'`);
        p.Protocol = val;
        break;
      case 'mode':
        if (val !== 'ingress' && val !== 'host') throw new Error(`invalid publish mode value (${val}): must be either 'ingress' or 'host'`);
        p.PublishMode = val;
        break;
      case 'target':
        p.TargetPort = parsePortNumber(val, 16);
        break;
      case 'published':
        p.PublishedPort = parsePortNumber(val, 16);
        break;
      default:
        throw new Error(`invalid field key: ${key}`);
    }
  }
  if (p.TargetPort === undefined || p.TargetPort === 0) throw new Error("missing mandatory field 'target'");
  return [{ Protocol: p.Protocol ?? 'tcp', TargetPort: p.TargetPort, PublishedPort: p.PublishedPort ?? 0, PublishMode: p.PublishMode ?? 'ingress' }];
}

// ---------------------------------------------------------------- secrets, configs

function parseFileRef(value: string, kind: 'secret' | 'config'): { name: string; file: { Name: string; UID: string; GID: string; Mode: number } } {
  const fields = readCSVRecord(value);
  const file = { Name: '', UID: '0', GID: '0', Mode: 0o444 };
  if (fields.length === 1 && !(fields[0] as string).includes('=')) {
    const n = fields[0] as string;
    return { name: n, file: { ...file, Name: n } };
  }
  let name = '';
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? '' : field.slice(0, eq);
    if (eq < 0 || key === '') throw new Error(`invalid field '${field}' must be a key=value pair`);
    const val = field.slice(eq + 1);
    switch (key.toLowerCase()) {
      case 'source':
      case 'src':
        name = val;
        break;
      case 'target':
        file.Name = val;
        break;
      case 'uid':
        file.UID = val;
        break;
      case 'gid':
        file.GID = val;
        break;
      case 'mode': {
        let m: number;
        try {
          m = uintValue(val);
        } catch (e) {
          throw new Error(`invalid mode specified: ${(e as Error).message.replace('ParseUint', 'ParseUint')}`);
        }
        if (m > 0xffffffff) throw new Error(`invalid mode specified: strconv.ParseUint: parsing "${val}": value out of range`);
        file.Mode = m;
        break;
      }
      default:
        throw new Error(`invalid field in ${kind} request: ${key}`);
    }
  }
  if (name === '') throw new Error('source is required');
  if (file.Name === '') file.Name = name;
  return { name, file };
}

/** opts.SecretOpt.Set: `name` or `source=…,target=…,uid=…,gid=…,mode=0400`. The ID is filled in later. */
export function parseSecretRef(value: string): SecretReference {
  const { name, file } = parseFileRef(value, 'secret');
  return { File: file, SecretID: '', SecretName: name };
}

/** opts.ConfigOpt.Set. */
export function parseConfigRef(value: string): ConfigReference {
  const { name, file } = parseFileRef(value, 'config');
  return { File: file, ConfigID: '', ConfigName: name };
}

// ---------------------------------------------------------------- networks

/** opts.NetworkOpt.Set: `name` or `name=…,alias=…,driver-opt=k=v`. */
export function parseNetwork(value: string): NetworkAttachmentConfig {
  if (!LONG_SYNTAX.test(value)) return { Target: value };
  const fields = readCSVRecord(value);
  const n: NetworkAttachmentConfig = { Target: '', Aliases: [] };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const rawKey = eq < 0 ? '' : field.slice(0, eq);
    if (eq < 0 || rawKey === '') throw new Error(`invalid field ${field}`);
    const key = rawKey.trim().toLowerCase();
    const val = field.slice(eq + 1).trim().toLowerCase();
    switch (key) {
      case 'name':
        n.Target = val;
        break;
      case 'alias':
        (n.Aliases ??= []).push(val);
        break;
      case 'driver-opt': {
        const e = val.indexOf('=');
        if (e < 0) throw new Error('invalid key value pair format in driver options');
        (n.DriverOpts ??= {})[val.slice(0, e).trim().toLowerCase()] = val.slice(e + 1).trim().toLowerCase();
        break;
      }
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (n.Target === '') throw new Error('network name/id is not specified');
  return n;
}

// ---------------------------------------------------------------- capabilities

export const ALL_CAPABILITIES = 'ALL';
export const RESET_CAPABILITIES = 'RESET';

/** opts.NormalizeCapability. */
export function normalizeCapability(c: string): string {
  const u = c.trim().toUpperCase();
  if (u === ALL_CAPABILITIES || u === RESET_CAPABILITIES) return u;
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

export function capabilitiesSet(caps: readonly string[]): Set<string> {
  return new Set(caps.map(normalizeCapability));
}

const sortStrings = (a: string[]): string[] => a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

/** opts.EffectiveCapAddCapDrop (create): "ALL" wins its list; a capability both added and dropped is added. */
export function effectiveCaps(add: readonly string[], drop: readonly string[]): { capAdd: string[]; capDrop: string[] } {
  let addCaps = capabilitiesSet(add);
  let dropCaps = capabilitiesSet(drop);
  if (addCaps.has(ALL_CAPABILITIES)) addCaps = new Set([ALL_CAPABILITIES]);
  if (dropCaps.has(ALL_CAPABILITIES)) dropCaps = new Set([ALL_CAPABILITIES]);
  const capDrop: string[] = [];
  for (const c of dropCaps) {
    if (!addCaps.has(c)) capDrop.push(c);
  }
  return { capAdd: sortStrings([...addCaps]), capDrop: sortStrings(capDrop) };
}

/** update.go capsList. */
export function capsList(caps: Set<string>): string[] | undefined {
  if (caps.size === 0) return undefined;
  if (caps.has(ALL_CAPABILITIES)) return [ALL_CAPABILITIES];
  return sortStrings([...caps]);
}

// ---------------------------------------------------------------- extra hosts

/** opts.ValidateExtraHost: `host:ip`. */
export function validateExtraHost(value: string): string {
  const colon = value.indexOf(':');
  if (colon < 0 || value.slice(0, colon) === '') throw new Error(`bad format for add-host: "${value}"`);
  return value;
}

/** `host:ip` → swarmkit's `ip host`. */
export function swarmHosts(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const colon = v.indexOf(':');
    if (colon >= 0) out.push(`${v.slice(colon + 1)} ${v.slice(0, colon)}`);
  }
  return out;
}
