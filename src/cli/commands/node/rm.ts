import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: { force: boolean }): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await client.nodeRemove(ref, o.force);
      ctx.out.write(ref + '\n');
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('rm')
    .alias('remove')
    .description('Remove one or more nodes from the swarm')
    .argument('<node...>')
    .option('-f, --force', 'Force remove a node from the swarm', false)
    .action(async (refs: string[], o: { force: boolean }) => run(ctx, await ctx.client(), refs, o));
}
