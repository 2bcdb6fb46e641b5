/**
 * `network create [OPTIONS] NETWORK`: builds docker's `CreateRequest` (subnets, ranges and gateways consolidated per
 * subnet with the docker CLI's own checks and messages), `POST /networks/create`, prints the new ID.
 */
import type { Command } from 'commander';
import { networkCreate, type NetworkCreateRequest } from '../../../client/networks.js';
import type { EngineClient } from '../../../client/index.js';
import type { IPAMConfig } from '../../../api/types.js';
import { contains, parseCidr, parseIp } from '../../../lib/cidr.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { collect } from '../../options.js';

export interface CreateOptions {
  driver: string;
  opt?: string[];
  label?: string[];
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  ipv6?: boolean;
  scope?: string;
  subnet?: string[];
  ipRange?: string[];
  gateway?: string[];
  auxAddress?: string[];
  ipamDriver: string;
  ipamOpt?: string[];
  configOnly?: boolean;
  configFrom?: string;
}

/** `k=v` pairs into a map (`--opt`, `--ipam-opt`, `--aux-address`); a bare key maps to "". */
function keyValues(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The subnet text as the CLI checks it: a CIDR (a bare address is a /32), else "invalid subnet". */
function subnetOf(s: string): NonNullable<ReturnType<typeof parseCidr>> {
  const c = parseCidr(s.includes('/') ? s : `${s}/32`);
  if (c === undefined) throw new CliError(`invalid subnet: invalid CIDR address: ${s}`);
  return c;
}

/** docker's `createIPAMConfig`: every range, gateway and aux address must fall in exactly one given subnet. */
export function ipamConfigs(o: Pick<CreateOptions, 'subnet' | 'ipRange' | 'gateway' | 'auxAddress'>): IPAMConfig[] {
  const subnets = o.subnet ?? [];
  if (subnets.length < (o.ipRange ?? []).length || subnets.length < (o.gateway ?? []).length) {
    throw new CliError('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = new Map<string, IPAMConfig>();
  for (const s of subnets) {
    const c = subnetOf(s);
    for (const k of configs.keys()) {
      const other = subnetOf(k);
      if (contains(other, c.base) || contains(c, other.base)) throw new CliError('multiple overlapping subnet configuration is not supported');
    }
    configs.set(s, { Subnet: s });
  }
  const owner = (addr: string, what: string): IPAMConfig => {
    const ip = parseIp(addr.split('/')[0] ?? '');
    if (ip === undefined) throw new CliError(`invalid argument "${addr}" for "--${what}" flag`);
    for (const [s, cfg] of configs) if (contains(subnetOf(s), ip)) return cfg;
    throw new CliError(`no matching subnet for ${what === 'ip-range' ? 'range' : what} ${addr}`);
  };
  for (const r of o.ipRange ?? []) {
    const cfg = owner(r, 'ip-range');
    if (cfg.IPRange !== undefined) throw new CliError(`cannot configure multiple ranges (${r}, ${cfg.IPRange}) on the same subnet (${cfg.Subnet ?? ''})`);
    cfg.IPRange = r;
  }
  for (const g of o.gateway ?? []) {
    const cfg = owner(g, 'gateway');
    if (cfg.Gateway !== undefined) throw new CliError(`cannot configure multiple gateways (${g}, ${cfg.Gateway}) for the same subnet (${cfg.Subnet ?? ''})`);
    cfg.Gateway = g;
  }
  for (const [k, a] of Object.entries(keyValues(o.auxAddress))) {
    const cfg = owner(a, 'aux-address');
    cfg.AuxiliaryAddresses = { ...(cfg.AuxiliaryAddresses ?? {}), [k]: a };
  }
  return [...configs.values()];
}

export function createBody(name: string, o: CreateOptions): NetworkCreateRequest {
  const body: NetworkCreateRequest = {
    Name: name,
    Driver: o.driver,
    Scope: o.scope ?? '',
    IPAM: { Driver: o.ipamDriver, Options: keyValues(o.ipamOpt), Config: ipamConfigs(o) },
    Internal: o.internal === true,
    Attachable: o.attachable === true,
    Ingress: o.ingress === true,
    ConfigOnly: o.configOnly === true,
    ConfigFrom: o.configFrom !== undefined && o.configFrom !== '' ? { Network: o.configFrom } : null,
    Options: keyValues(o.opt),
    Labels: keyValues(o.label),
  };
  if (o.ipv6 !== undefined) body.EnableIPv6 = o.ipv6;
  return body;
}

export async function run(ctx: CliContext, client: EngineClient, name: string, o: CreateOptions): Promise<void> {
  const r = await networkCreate(client, createBody(name, o));
  ctx.out.write(`${r.Id}\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('create')
    .description('Create a network')
    .argument('<network>')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'overlay')
    .option('-o, --opt <key=value>', 'Set driver specific options', collect)
    .option('--label <key=value>', 'Set metadata on a network', collect)
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('--ipv6', 'Enable or disable IPv6 address assignment')
    .option('--scope <string>', "Control the network's scope")
    .option('--subnet <cidr>', 'Subnet in CIDR format that represents a network segment', collect)
    .option('--ip-range <cidr>', 'Allocate container ip from a sub-range', collect)
    .option('--gateway <ip>', 'IPv4 or IPv6 Gateway for the master subnet', collect)
    .option('--aux-address <name=ip>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', collect)
    .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <key=value>', 'Set IPAM driver specific options', collect)
    .option('--config-only', 'Create a configuration only network')
    .option('--config-from <string>', 'The network from which to copy the configuration')
    .action(async (name: string, o: CreateOptions) => run(ctx, await ctx.client(), name, o));
}
