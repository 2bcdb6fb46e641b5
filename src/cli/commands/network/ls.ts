/** `network ls [-q] [--no-trunc] [--filter K=V] [--format F]`: rows sorted by name (natural order), like docker. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkList } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { naturalLess } from '../node/rows.js';
import { DEFAULT_NETWORK_TABLE, NETWORK_HEADERS, networkRow } from './rows.js';

export interface LsOptions {
  quiet: boolean;
  trunc: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: LsOptions): Promise<void> {
  const networks = await networkList(client, parseFilters(o.filter ?? []));
  networks.sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  ctx.out.write(
    renderList(
      networks.map((n) => networkRow(n, o.trunc)),
      {
        quiet: o.quiet,
        quietField: 'ID',
        defaultTable: DEFAULT_NETWORK_TABLE,
        headers: NETWORK_HEADERS,
        typeName: '*network.networkContext',
        raw: 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n',
        rawQuiet: 'network_id: {{.ID}}',
        ...(o.format !== undefined ? { format: o.format } : {}),
      },
    ),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-q, --quiet', 'Only display network IDs', false)
    .option('--no-trunc', 'Do not truncate the output')
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=overlay")', collect)
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), o));
}
