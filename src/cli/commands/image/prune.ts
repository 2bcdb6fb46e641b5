/**
 * `image prune [-a] [-f] [--filter K=V]`: asks docker's question unless -f ("WARNING! This will remove all dangling
 * images.\nAre you sure you want to continue? [y/N] "; anything but y/Y cancels quietly), then
 * `POST /images/prune` with `dangling=true` (`false` with -a), and prints what went and "Total reclaimed space: X".
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { imagePrune } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { addFilter, parseFilters } from '../../format/index.js';
import { collect } from '../../options.js';
import { processTerminal } from '../container/terminal.js';
import type { Terminal } from '../container/terminal.js';
import { humanSize } from '../container/units.js';

export const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
export const ALL_IMAGES_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

export interface PruneOptions {
  all?: boolean;
  force?: boolean;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: PruneOptions, terminal: Terminal = processTerminal()): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  addFilter(filters, `dangling=${o.all === true ? 'false' : 'true'}`);
  if (o.force !== true) {
    ctx.out.write(`${o.all === true ? ALL_IMAGES_WARNING : DANGLING_WARNING} [y/N] `);
    const answer = (await terminal.readLine())?.trim() ?? '';
    if (answer.toLowerCase() !== 'y') return;
  }
  const report = await imagePrune(client, filters);
  const deleted = report.ImagesDeleted ?? [];
  let reclaimed = 0;
  if (deleted.length > 0) {
    let text = 'Deleted Images:\n';
    for (const d of deleted) text += d.Untagged !== undefined && d.Untagged !== '' ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`;
    ctx.out.write(text + '\n');
    reclaimed = report.SpaceReclaimed;
  }
  ctx.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: PruneOptions) => run(ctx, await ctx.client(), o));
}
