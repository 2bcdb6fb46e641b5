import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { DEFAULT_NODE_TABLE, NODE_HEADERS, naturalLess, nodeRow } from './rows.js';

export interface LsOptions {
  quiet: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: LsOptions): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  const nodes = await client.nodeList(filters);
  nodes.sort((a, b) => (naturalLess(a.Description.Hostname, b.Description.Hostname) ? -1 : naturalLess(b.Description.Hostname, a.Description.Hostname) ? 1 : 0));
  // Like the docker CLI, `-q` needs no /info round trip.
  const info = o.quiet ? undefined : await client.info();
  const selfId = info?.Swarm.NodeID ?? '';
  const clusterTls = info?.Swarm.Cluster?.TLSInfo;
  const rows = nodes.map((n) => ({ ...nodeRow(n, selfId, clusterTls) }));
  ctx.out.write(
    renderList(rows, {
      quiet: o.quiet,
      quietField: 'ID',
      defaultTable: DEFAULT_NODE_TABLE,
      headers: NODE_HEADERS,
      typeName: '*node.nodeContext',
      ...(o.format !== undefined ? { format: o.format } : {}),
    }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List nodes in the swarm')
    .option('-q, --quiet', 'Only display IDs', false)
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), o));
}
