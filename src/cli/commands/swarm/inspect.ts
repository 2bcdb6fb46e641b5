import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { writeInspect } from '../../inspect-output.js';

/** `shoal swarm inspect`: the cluster object (`GET /swarm`), like docker's old `swarm inspect`. */
export async function run(ctx: CliContext, client: EngineClient, o: { format?: string }): Promise<void> {
  writeInspect(ctx, [await client.swarmInspect()], o.format);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Display detailed information on the swarm')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (o: { format?: string }) => run(ctx, await ctx.client(), o));
}
