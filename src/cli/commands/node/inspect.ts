import type { Command } from 'commander';
import type { Node } from '../../../api/types.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';
import { renderNodePretty } from './pretty.js';
import { resolveSelf } from './self.js';

export interface InspectOptions {
  format?: string;
  pretty: boolean;
}

/** Like docker: print what was found (`[]` when nothing), then one error line per reference that failed. */
export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: InspectOptions): Promise<void> {
  const nodes: Node[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      nodes.push(await client.nodeInspect(await resolveSelf(client, ref)));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (o.pretty && o.format === undefined) ctx.out.write(renderNodePretty(nodes));
  else writeInspect(ctx, nodes, o.format);
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Display detailed information on one or more nodes')
    .argument('<node...>', 'node ID, name, or "self"')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('--pretty', 'Print the information in a human friendly format', false)
    .action(async (refs: string[], o: InspectOptions) => run(ctx, await ctx.client(), refs, o));
}
