/** `volume ls [-q] [-f K=V] [--format F]`: `GET /volumes`, sorted by name (natural order) as the docker CLI does. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { volumeList } from '../../../client/volumes.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { naturalLess } from '../node/rows.js';
import { DEFAULT_VOLUME_TABLE, VOLUME_HEADERS, volumeRow } from './rows.js';

export interface LsOptions {
  quiet?: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: LsOptions): Promise<void> {
  const { Volumes } = await volumeList(client, parseFilters(o.filter ?? []));
  Volumes.sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  ctx.out.write(
    renderList(Volumes.map(volumeRow), {
      quiet: o.quiet === true,
      quietField: 'Name',
      defaultTable: DEFAULT_VOLUME_TABLE,
      headers: VOLUME_HEADERS,
      typeName: '*formatter.volumeContext',
      ...(o.format !== undefined ? { format: o.format } : {}),
    }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List volumes')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect)
    .option('--format <string>', 'Format output using a custom template ("table", "table TEMPLATE", "json" or a Go template)')
    .option('-q, --quiet', 'Only display volume names')
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), o));
}
