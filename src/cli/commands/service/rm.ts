/** `service rm SERVICE [SERVICE...]`: `DELETE /services/{ref}` by the name typed, printing it; errors after. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceRemove } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';

export async function run(ctx: CliContext, client: EngineClient, refs: string[]): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await serviceRemove(client, ref);
      ctx.out.write(`${ref}\n`);
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
    .description('Remove one or more services')
    .argument('<service...>')
    .action(async (refs: string[]) => run(ctx, await ctx.client(), refs));
}
