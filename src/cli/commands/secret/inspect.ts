/**
 * `secret inspect` / `config inspect`: the objects as JSON (or `--format`), or `--pretty` with docker's template
 * (which stops at the first error and then prints nothing, as docker's formatter does).
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { renderInspect, renderTemplate } from '../../format/index.js';
import { prettyContext, type KindApi, type SecretLike } from './kinds.js';

export interface InspectOptions {
  format?: string;
  pretty: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, api: KindApi, refs: string[], o: InspectOptions): Promise<void> {
  const format = o.pretty ? 'pretty' : o.format;
  if (format !== undefined && format.startsWith('pretty') && format !== 'pretty') {
    throw new CliError('cannot supply extra formatting options to the pretty template');
  }
  if (format === 'pretty') {
    let out = '';
    for (const ref of refs) {
      let obj: SecretLike;
      try {
        obj = await api.inspect(client, ref);
      } catch (e) {
        throw new CliError(errorText(e));
      }
      out += renderTemplate(api.pretty, prettyContext(obj)) + '\n';
    }
    ctx.out.write(out);
    return;
  }
  const found: SecretLike[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await api.inspect(client, ref));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  // Like docker's inspect.Inspect: what rendered first, then the lookup errors and the template errors.
  const r = renderInspect(found, format);
  ctx.out.write(r.output);
  const all = [...errors, ...r.errors];
  if (all.length > 0) throw new CliError(all.join('\n'));
}

export function register(parent: Command, ctx: CliContext, api: KindApi): void {
  parent
    .command('inspect')
    .description(`Display detailed information on one or more ${api.kind}s`)
    .argument(`<${api.kind}...>`)
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('--pretty', 'Print the information in a human friendly format', false)
    .action(async (refs: string[], o: InspectOptions) => run(ctx, await ctx.client(), api, refs, o));
}
