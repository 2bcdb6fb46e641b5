/**
 * `ps` / `container ls`: `GET /containers/json` (all=1 with -a, limit with -n/-l, size=1 with -s or when the format
 * uses .Size, the --filter map), printed with docker's container table, -q, --no-trunc and --format.
 */
import type { Command } from 'commander';
import { containerList } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { CONTAINER_HEADERS, containerFormat, containerRow } from './container-rows.js';

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  trunc?: boolean;
  format?: string;
  filter?: string[];
  last?: number;
  latest?: boolean;
  size?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, o: PsOptions, now: () => number = Date.now): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  const format = containerFormat(o.format, o.quiet === true, o.size === true);
  const wantsSize = o.size === true || /\{\{\s*\.Size\s*\}\}/.test(format);
  let limit = o.last ?? -1;
  if (o.latest === true && limit === -1) limit = 1;
  const list = await containerList(client, {
    all: o.all === true || limit > 0,
    ...(limit > 0 ? { limit } : {}),
    size: wantsSize && o.quiet !== true,
    filters,
  });
  const trunc = o.noTrunc !== true && o.trunc !== false;
  const t = now();
  ctx.out.write(
    renderList(
      list.map((c) => containerRow(c, trunc, t)),
      { format, defaultTable: format, headers: CONTAINER_HEADERS, typeName: '*formatter.ContainerContext' },
    ),
  );
}

function intOption(v: string): number {
  return Number.parseInt(v, 10);
}

export function register(parent: Command, ctx: CliContext, name = 'ps', aliases: string[] = []): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template ("table", "table TEMPLATE", "json" or a Go template)')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', intOption)
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .action(async (o: PsOptions) => run(ctx, await ctx.client(), o));
}
