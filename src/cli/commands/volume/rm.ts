/** `volume rm [-f] VOLUME...`: prints each name removed; the errors are joined and fail the command. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { volumeRemove } from '../../../client/volumes.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';

export async function run(ctx: CliContext, client: EngineClient, names: string[], o: { force?: boolean }): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await volumeRemove(client, name, { force: o.force === true });
      ctx.out.write(`${name}\n`);
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
    .description('Remove one or more volumes')
    .argument('<volume...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], o: { force?: boolean }) => run(ctx, await ctx.client(), names, o));
}
