/** `volume inspect [-f FORMAT] VOLUME...`. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { volumeInspect, type Volume } from '../../../client/volumes.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';

function goMaps(v: unknown): unknown {
  const x = v as Volume;
  return { ...x, Labels: x.Labels ?? {}, Options: x.Options ?? {} };
}

export async function run(ctx: CliContext, client: EngineClient, names: string[], o: { format?: string }): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await volumeInspect(client, name));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  // A template sees docker's typed Volume, where a nil map prints `map[]`; JSON output keeps the API's nulls.
  const typed = o.format === undefined || o.format === '' || o.format === 'json' ? found : found.map(goMaps);
  writeInspect(ctx, typed, o.format);
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<volume...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (names: string[], o: { format?: string }) => run(ctx, await ctx.client(), names, o));
}
