/** `image inspect [-f FORMAT] IMAGE...`. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { imageInspect } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: { format?: string }): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await imageInspect(client, ref));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  writeInspect(ctx, found, o.format);
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Display detailed information on one or more images')
    .argument('<image...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (refs: string[], o: { format?: string }) => run(ctx, await ctx.client(), refs, o));
}
