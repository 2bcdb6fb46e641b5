/**
 * `volume prune [-a] [-f] [--filter K=V]`: asks docker's question unless -f (anything but y/Y cancels quietly), then
 * `POST /volumes/prune` (`all=true` with -a) and prints what went and "Total reclaimed space: X".
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { volumePrune } from '../../../client/volumes.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { addFilter, parseFilters } from '../../format/index.js';
import { collect } from '../../options.js';
import { processTerminal, type Terminal } from '../container/terminal.js';
import { humanSize } from '../container/units.js';

export const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
export const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

export interface PruneOptions {
  all?: boolean;
  force?: boolean;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: PruneOptions, terminal: Terminal = processTerminal()): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  if (o.all === true) {
    if ('all' in filters) throw new CliError('conflicting options: cannot specify both --all and --filter all=1');
    addFilter(filters, 'all=true');
  }
  if (o.force !== true) {
    ctx.out.write(`${o.all === true ? ALL_WARNING : ANONYMOUS_WARNING} [y/N] `);
    const answer = (await terminal.readLine())?.trim() ?? '';
    if (answer.toLowerCase() !== 'y') return;
  }
  const report = await volumePrune(client, filters);
  const deleted = report.VolumesDeleted ?? [];
  let reclaimed = 0;
  if (deleted.length > 0) {
    ctx.out.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    reclaimed = report.SpaceReclaimed;
  }
  ctx.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('prune')
    .description('Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: PruneOptions) => run(ctx, await ctx.client(), o));
}
