import type { Command } from 'commander';
import { labList } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';
import { tabulate } from '../../format/table.js';

export interface LsOptions {
  quiet: boolean;
}

export async function run(ctx: CliContext, o: LsOptions): Promise<void> {
  const listing = await labList();
  for (const p of listing.problems) ctx.err.write(`${p}\n`);
  if (o.quiet) {
    for (const l of listing.labs) ctx.out.write(`${l.state.name}\n`);
    return;
  }
  const rows = listing.labs.flatMap((l) =>
    l.nodes.map(({ node, status }) => `${l.state.name}\t${node.name}\t${node.addr}\t${node.pid ?? '-'}\t${status}\tunix://${node.socket}`),
  );
  ctx.out.write(tabulate(['LAB\tNODE\tADDRESS\tPID\tSTATUS\tSOCKET', ...rows].join('\n') + '\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List labs and their nodes (running, partitioned, not responding or stopped)')
    .option('-q, --quiet', 'Only display lab names', false)
    .action(async (o: LsOptions) => run(ctx, o));
}
