/** `secret rm` / `config rm`: `DELETE /<kind>s/{ref}` for each name typed, printing it; the errors after, exit 1. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import type { KindApi } from './kinds.js';

export async function run(ctx: CliContext, client: EngineClient, api: KindApi, refs: string[]): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await api.remove(client, ref);
      ctx.out.write(`${ref}\n`);
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext, api: KindApi): void {
  parent
    .command('rm')
    .alias('remove')
    .description(`Remove one or more ${api.kind}s`)
    .argument(`<${api.kind}...>`)
    .action(async (refs: string[]) => run(ctx, await ctx.client(), api, refs));
}
