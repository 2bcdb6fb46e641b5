/**
 * `compose config [-q] [--services] [--volumes] [--networks]`: the normalized model (after interpolation, merging
 * and defaults) as YAML, docker compose's way: empty fields left out, durations as `1m30s`, the services' names as
 * keys only. `-q` only validates.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { ComposeProject } from '../../../compose/model/types.js';
import { formatDuration } from '../../../lib/duration.js';
import type { CliContext } from '../../context.js';
import { loadComposeProject, type ComposeGlobalOptions } from './project.js';

export interface ConfigOptions {
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
}

const DURATIONS = new Set(['interval', 'timeout', 'start_period', 'start_interval', 'stop_grace_period', 'delay', 'window', 'monitor']);

/** Drops undefined, empty arrays and empty maps; durations (ns) become Go duration strings. */
function prune(v: unknown, key = ''): unknown {
  if (typeof v === 'number' && DURATIONS.has(key)) return formatDuration(v);
  if (Array.isArray(v)) {
    return v.length === 0 ? undefined : v.map((x) => prune(x));
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = prune(x, k);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

/** The YAML `compose config` prints. */
export function configYaml(project: ComposeProject): string {
  const services: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(project.services)) {
    const { name: _n, build: _b, ...rest } = s;
    const out = (prune(rest) ?? {}) as Record<string, unknown>;
    // A network without options is still a network: `default: null`, as docker compose prints it.
    out.networks = Object.fromEntries(Object.keys(s.networks).sort().map((k) => [k, prune(s.networks[k]) ?? null]));
    services[name] = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  const doc: Record<string, unknown> = { name: project.name, services };
  for (const k of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const p = prune(project[k]);
    if (p !== undefined) doc[k] = p;
  }
  return stringify(doc, { lineWidth: 0 });
}

export function run(ctx: CliContext, project: ComposeProject, o: ConfigOptions): void {
  for (const w of project.warnings) ctx.err.write(`WARN[0000] ${w}\n`);
  if (o.quiet === true) return;
  const lists: string[] = [];
  if (o.services === true) lists.push(...Object.keys(project.services));
  if (o.volumes === true) lists.push(...Object.keys(project.volumes));
  if (o.networks === true) lists.push(...Object.keys(project.networks));
  if (o.services === true || o.volumes === true || o.networks === true) {
    ctx.out.write(lists.map((l) => `${l}\n`).join(''));
    return;
  }
  ctx.out.write(configYaml(project));
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('config')
    .description('Parse, resolve and render compose file in canonical format')
    .option('-q, --quiet', 'Only validate the configuration, don\'t print anything')
    .option('--services', 'Print the service names, one per line')
    .option('--volumes', 'Print the volume names, one per line')
    .option('--networks', 'Print the network names, one per line')
    .action((o: ConfigOptions) => run(ctx, loadComposeProject(ctx, globals()).project, o));
}
