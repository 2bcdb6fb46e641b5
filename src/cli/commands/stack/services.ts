/**
 * `stack services [-q] [--format] [-f] STACK`: the stack's services (`GET /services?filters={label=ns, user
 * filters}&status=true`, no status with -q), docker's `service ls` table; none gives `Nothing found in stack: X` on
 * stderr, exit 0 (cli/command/stack/services.go).
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceList } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { appendServiceStatus } from '../service/ls.js';
import { DEFAULT_SERVICE_TABLE, SERVICE_HEADERS, SERVICE_RAW, SERVICE_RAW_QUIET, serviceRow, sortServices } from '../service/rows.js';
import { checkStackName, stackFilter } from './common.js';

export interface ServicesOptions {
  quiet?: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, stack: string, o: ServicesOptions): Promise<void> {
  checkStackName(stack);
  const quiet = o.quiet === true;
  let services = await serviceList(client, { filters: stackFilter(stack, parseFilters(o.filter ?? [])), status: !quiet });
  if (!quiet) services = await appendServiceStatus(client, services);
  if (services.length === 0) {
    ctx.err.write(`Nothing found in stack: ${stack}\n`);
    return;
  }
  ctx.out.write(
    renderList(sortServices(services).map(serviceRow), {
      quiet,
      defaultTable: DEFAULT_SERVICE_TABLE,
      headers: SERVICE_HEADERS,
      raw: SERVICE_RAW,
      rawQuiet: SERVICE_RAW_QUIET,
      typeName: '*service.serviceContext',
      ...(o.format !== undefined ? { format: o.format } : {}),
    }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('services')
    .description('List the services in the stack')
    .usage('[OPTIONS] STACK')
    .argument('<stack>')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (stack: string, o: ServicesOptions) => run(ctx, await ctx.client(), stack, o));
}
