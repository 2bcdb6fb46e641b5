/** `network inspect [-f FORMAT] [-v] NETWORK...`: what was found (`[]` when nothing), then one error per miss. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkGet, type NetworkResource } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';

export interface InspectOptions {
  format?: string;
  verbose?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: InspectOptions): Promise<void> {
  const found: NetworkResource[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await networkGet(client, ref, { verbose: o.verbose === true }));
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
    .description('Display detailed information on one or more networks')
    .argument('<network...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (refs: string[], o: InspectOptions) => run(ctx, await ctx.client(), refs, o));
}
