/**
 * The `POST /networks/create` request (moby's `NetworkCreateRequest`): parse and validate the untrusted body into a
 * `NetworkCreateSpec`. Shoal has swarm-scoped overlay networks only (no bridge/host/none), IPv4 only, and one IPAM
 * config (subnet, optional gateway and IP range) per network. What depends on the store (names taken, overlaps,
 * the subnet picked from the pool, the VNI) is checked by the control API (src/manager/controlapi/networks.ts).
 *
 * Errors name the field and reuse docker's wording where docker has one (`plugin "x" not found`, swarmkit's
 * `ipam configuration: ...`, `x is a pre-defined network and cannot be created`). Pure: no node:* imports.
 */
import { failedPrecondition, invalidArgument, notFound } from './errors.js';
import type { ShoalError } from './errors.js';
import type { Labels } from './types.js';
import { contains, formatCidr, formatIp, lastOf, parseCidr, parseIp, within } from '../lib/cidr.js';

export const VXLAN_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** Swarmkit reserves this label for its own networks. */
const INTERNAL_LABEL = 'com.docker.swarm.internal';
/** Names dockerd refuses (`runconfig.IsPreDefinedNetwork`). */
export const PREDEFINED_NETWORKS: readonly string[] = ['bridge', 'host', 'none', 'default'];
/** Drivers docker has for local networks: known, but Shoal has no local networks. */
const LOCAL_DRIVERS = new Set(['bridge', 'host', 'null', 'macvlan', 'ipvlan', 'nat', 'transparent']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** The longest prefix that leaves room for a gateway and one address (network and broadcast excluded). */
export const MAX_PREFIX_LEN = 30;

export interface NetworkIpamRequest {
  /** Canonical `a.b.c.d/len`. */
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
}

export interface NetworkCreateSpec {
  Name: string;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Labels: Labels;
  /** Driver options, `vxlanid_list` included when the client gave one (validated here, checked for reuse later). */
  Options: Record<string, string>;
  /** The IPAM driver's options (stored, rendered as given; `null` when none). */
  IpamOptions: Record<string, string> | null;
  /** The one IPAM config, when the client gave a subnet; otherwise the control API picks one from the pool. */
  Ipam?: NetworkIpamRequest;
}

type Json = Record<string, unknown>;

const bad = (code: string, message: string): ShoalError => invalidArgument(`network.${code}`, message);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad('spec_invalid', `${path}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Json, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad('spec_invalid', `${path}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function stringMap(o: Json, key: string, path: string): Record<string, string> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw bad('spec_invalid', `${path}: expected an object of strings, got ${JSON.stringify(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw bad('spec_invalid', `${path}.${k}: expected a string, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

/** A VNI as the overlay driver takes it: one decimal number in 1..16777215. */
export function parseVni(s: string): number | undefined {
  if (!/^[1-9]\d{0,7}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffff ? n : undefined;
}

/** `POST /networks/create`: the validated request, or a ShoalError naming the field. */
export function parseNetworkCreate(input: unknown): NetworkCreateSpec {
  if (!isObject(input)) throw bad('spec_invalid', 'invalid network create request: expected a JSON object');
  const name = str(input, 'Name', 'Name');
  checkNetworkName(name);

  const driver = str(input, 'Driver', 'Driver');
  checkDriver(driver);
  const scope = str(input, 'Scope', 'Scope');
  if (scope === 'local') {
    throw bad('scope_unsupported', 'Scope: this daemon has no local networks; networks are swarm-scoped (use --scope swarm or leave it out)');
  }
  if (scope !== '' && scope !== 'swarm') throw bad('scope_invalid', `Scope: invalid value ${JSON.stringify(scope)} (swarm)`);
  if (bool(input, 'EnableIPv6', 'EnableIPv6') === true) throw bad('ipv6_unsupported', 'EnableIPv6: IPv6 networks are not supported');
  if (bool(input, 'EnableIPv4', 'EnableIPv4') === false) throw bad('ipv4_required', 'EnableIPv4: an overlay network needs IPv4 (it cannot be disabled)');
  if (bool(input, 'ConfigOnly', 'ConfigOnly') === true) throw bad('config_only_unsupported', 'ConfigOnly: configuration-only networks are not supported');
  const from = input.ConfigFrom;
  if (from !== undefined && from !== null) {
    if (!isObject(from)) throw bad('spec_invalid', `ConfigFrom: expected an object, got ${JSON.stringify(from)}`);
    if (str(from, 'Network', 'ConfigFrom.Network') !== '') throw bad('config_from_unsupported', 'ConfigFrom: networks cannot copy the configuration of another network');
  }

  const internal = bool(input, 'Internal', 'Internal') ?? false;
  const attachable = bool(input, 'Attachable', 'Attachable') ?? false;
  const ingress = bool(input, 'Ingress', 'Ingress') ?? false;
  if (ingress && attachable) throw bad('ingress_attachable', 'Attachable: an ingress network cannot be attachable');
  if (ingress && internal) throw bad('ingress_internal', 'Internal: an ingress network cannot be internal');

  const labels = stringMap(input, 'Labels', 'Labels');
  if (INTERNAL_LABEL in labels) {
    throw failedPrecondition('network.internal_label', `label ${INTERNAL_LABEL} is for predefined internal networks and cannot be applied by users`);
  }
  const options = stringMap(input, 'Options', 'Options');
  const vni = options[VXLAN_OPTION];
  if (vni !== undefined && parseVni(vni) === undefined) {
    throw bad('vni_invalid', `Options.${VXLAN_OPTION}: invalid VXLAN ID ${JSON.stringify(vni)} (one number from 1 to 16777215)`);
  }

  const spec: NetworkCreateSpec = { Name: name, Internal: internal, Attachable: attachable, Ingress: ingress, Labels: labels, Options: options, IpamOptions: null };
  const ipam = input.IPAM;
  if (ipam !== undefined && ipam !== null) {
    if (!isObject(ipam)) throw bad('spec_invalid', `IPAM: expected an object, got ${JSON.stringify(ipam)}`);
    const ipamDriver = str(ipam, 'Driver', 'IPAM.Driver');
    if (ipamDriver !== '' && ipamDriver !== 'default') throw notFound('network.ipam_driver_not_found', `plugin ${JSON.stringify(ipamDriver)} not found`);
    const ipamOptions = stringMap(ipam, 'Options', 'IPAM.Options');
    if (Object.keys(ipamOptions).length > 0) spec.IpamOptions = ipamOptions;
    const configs = ipam.Config;
    if (configs !== undefined && configs !== null) {
      if (!Array.isArray(configs)) throw bad('spec_invalid', `IPAM.Config: expected an array, got ${JSON.stringify(configs)}`);
      if (configs.length > 1) throw bad('ipam_multiple', 'IPAM.Config: only one subnet per network is supported');
      const [config] = configs as unknown[];
      if (config !== undefined) {
        const parsed = parseIpamConfig(config);
        if (parsed !== undefined) spec.Ipam = parsed;
      }
    }
  }
  return spec;
}

export function checkNetworkName(name: string): void {
  if (name === '') throw bad('name_required', 'Name: a network name is required');
  if (PREDEFINED_NETWORKS.includes(name)) {
    throw failedPrecondition('network.predefined', `${name} is a pre-defined network and cannot be created`);
  }
  if (!NAME.test(name)) {
    throw bad('name_invalid', `Name: invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

function checkDriver(driver: string): void {
  if (driver === '' || driver === 'overlay') return;
  if (LOCAL_DRIVERS.has(driver)) {
    throw bad(
      'driver_unsupported',
      `Driver: the ${driver} driver is not supported: this daemon has no local networks, only swarm-scoped overlay networks (use --driver overlay)`,
    );
  }
  throw notFound('network.driver_not_found', `plugin ${JSON.stringify(driver)} not found`);
}

function parseIpamConfig(raw: unknown): NetworkIpamRequest | undefined {
  if (!isObject(raw)) throw bad('spec_invalid', `IPAM.Config[0]: expected an object, got ${JSON.stringify(raw)}`);
  const subnetText = str(raw, 'Subnet', 'IPAM.Config[0].Subnet');
  const gatewayText = str(raw, 'Gateway', 'IPAM.Config[0].Gateway');
  const rangeText = str(raw, 'IPRange', 'IPAM.Config[0].IPRange');
  const aux = stringMap(raw, 'AuxiliaryAddresses', 'IPAM.Config[0].AuxiliaryAddresses');
  if (Object.keys(aux).length > 0) throw bad('aux_unsupported', 'IPAM.Config[0].AuxiliaryAddresses: auxiliary addresses are not supported');
  if (subnetText === '') {
    if (gatewayText !== '' || rangeText !== '') throw bad('ipam_no_subnet', 'IPAM.Config[0]: a gateway or IP range needs a subnet');
    return undefined;
  }
  if (subnetText.includes(':')) throw bad('ipv6_unsupported', `IPAM.Config[0].Subnet: IPv6 subnets are not supported (${subnetText})`);
  const subnet = parseCidr(subnetText);
  if (subnet === undefined) throw bad('subnet_invalid', `ipam configuration: invalid subnet ${subnetText}`);
  const canonical = formatCidr(subnet);
  if (canonical !== subnetText) throw bad('subnet_invalid', `invalid subnet ${subnetText}: it should be ${canonical}`);
  if (subnet.len > MAX_PREFIX_LEN) {
    throw bad('subnet_too_small', `invalid subnet ${subnetText}: a /${subnet.len} has no room for a gateway and addresses (at most /${MAX_PREFIX_LEN})`);
  }
  const out: NetworkIpamRequest = { Subnet: canonical };
  if (rangeText !== '') {
    const range = parseCidr(rangeText);
    if (range === undefined) throw bad('range_invalid', `ipam configuration: invalid range ${rangeText}`);
    if (!within(range, subnet)) throw bad('range_outside', `ipam configuration: subnet ${canonical} does not contain range ${rangeText}`);
    out.IPRange = formatCidr(range);
  }
  if (gatewayText !== '') {
    const gw = parseIp(gatewayText);
    if (gw === undefined) throw bad('gateway_invalid', `ipam configuration: invalid gateway ${gatewayText}`);
    if (!contains(subnet, gw)) throw bad('gateway_outside', `invalid gateway ${gatewayText}: not within subnet ${canonical}`);
    if (gw === subnet.base || gw === lastOf(subnet)) {
      throw bad('gateway_reserved', `invalid gateway ${gatewayText}: it is the ${gw === subnet.base ? 'network' : 'broadcast'} address of ${canonical}`);
    }
    out.Gateway = formatIp(gw);
  }
  return out;
}
