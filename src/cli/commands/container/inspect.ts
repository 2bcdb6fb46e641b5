/** `container inspect [-f FORMAT] [-s] CONTAINER...`: the inspect objects as JSON, or a template per object. */
import type { Command } from 'commander';
import { containerInspect } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';

export interface InspectOptions {
  format?: string;
  size?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: InspectOptions): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await containerInspect(client, ref, { size: o.size === true }));
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
    .description('Display detailed information on one or more containers')
    .argument('<container...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes')
    .action(async (refs: string[], o: InspectOptions) => run(ctx, await ctx.client(), refs, o));
}
