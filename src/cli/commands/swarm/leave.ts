import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';

export async function run(ctx: CliContext, client: EngineClient, o: { force: boolean }): Promise<void> {
  await client.swarmLeave(o.force);
  ctx.out.write('Node left the swarm.\n');
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('leave')
    .description('Leave the swarm')
    .option('-f, --force', 'Force this node to leave the swarm, ignoring warnings', false)
    .action(async (o: { force: boolean }) => run(ctx, await ctx.client(), o));
}
