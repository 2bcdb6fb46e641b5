/**
 * `network prune [-f] [--filter K=V]`: asks docker's question unless -f (anything but y/Y cancels quietly), then
 * `POST /networks/prune` and prints "Deleted Networks:" and the names, followed by a blank line, as docker does.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkPrune } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';
import { parseFilters } from '../../format/index.js';
import { collect } from '../../options.js';
import { processTerminal, type Terminal } from '../container/terminal.js';

export const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

export interface PruneOptions {
  force?: boolean;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, o: PruneOptions, terminal: Terminal = processTerminal()): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  if (o.force !== true) {
    ctx.out.write(`${PRUNE_WARNING} [y/N] `);
    const answer = (await terminal.readLine())?.trim() ?? '';
    if (answer.toLowerCase() !== 'y') return;
  }
  const removed = await networkPrune(client, filters);
  if (removed.length > 0) ctx.out.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('prune')
    .description('Remove all unused networks')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: PruneOptions) => run(ctx, await ctx.client(), o));
}
