/** `secret ls` / `config ls`: `GET /<kind>s`, sorted by name (natural order), docker's table, `-q`, `--format`. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { naturalLess } from '../node/rows.js';
import { listRow, type KindApi } from './kinds.js';

export interface LsOptions {
  quiet: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, api: KindApi, o: LsOptions, now: () => number = Date.now): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  const items = await api.list(client, filters);
  items.sort((a, b) => (naturalLess(a.Spec.Name, b.Spec.Name) ? -1 : naturalLess(b.Spec.Name, a.Spec.Name) ? 1 : 0));
  const t = now();
  ctx.out.write(
    renderList(
      items.map((x) => listRow(api, x, t)),
      {
        quiet: o.quiet,
        defaultTable: api.defaultTable,
        headers: api.headers,
        typeName: api.typeName,
        ...(o.format !== undefined ? { format: o.format } : {}),
      },
    ),
  );
}

export function register(parent: Command, ctx: CliContext, api: KindApi): void {
  parent
    .command('ls')
    .alias('list')
    .description(`List ${api.kind}s`)
    .option('-q, --quiet', 'Only display IDs', false)
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), api, o));
}
