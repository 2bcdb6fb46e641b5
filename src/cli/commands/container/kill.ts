/** `kill [-s SIGNAL] CONTAINER...` (SIGKILL by default, chosen by the daemon). */
import type { Command } from 'commander';
import { containerKill } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { forEachContainer } from './each-container.js';

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: { signal?: string }): Promise<void> {
  await forEachContainer(ctx, refs, (ref) => containerKill(client, ref, o.signal));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action(async (refs: string[], o: { signal?: string }) => run(ctx, await ctx.client(), refs, o));
}
