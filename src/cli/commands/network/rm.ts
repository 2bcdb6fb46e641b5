/**
 * `network rm [-f] NETWORK...`: like docker, looks each network up first and asks before removing the routing-mesh
 * network (`ingress`); prints each name removed, each failure on stderr, and exits 1 if any failed. `-f` ignores
 * networks that do not exist.
 */
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import type { EngineClient } from '../../../client/index.js';
import { networkGet, networkRemove } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { processTerminal, type Terminal } from '../container/terminal.js';

export const INGRESS_WARNING =
  'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. ' +
  'Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\nAre you sure you want to continue?';

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: { force?: boolean }, terminal: Terminal = processTerminal()): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    const nw = await networkGet(client, ref).catch(() => undefined);
    if (nw?.Ingress === true) {
      ctx.out.write(`${INGRESS_WARNING} [y/N] `);
      const answer = (await terminal.readLine())?.trim() ?? '';
      if (answer.toLowerCase() !== 'y') continue;
    }
    try {
      await networkRemove(client, ref);
      ctx.out.write(`${ref}\n`);
    } catch (e) {
      if (o.force === true && isShoalError(e, 'NotFound')) continue;
      errors.push(errorText(e));
    }
  }
  // docker's `network rm` ends with a StatusError, which the CLI prints as `exit status 1`.
  if (errors.length > 0) throw new CliError(`${errors.join('\n')}\nexit status 1`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(async (refs: string[], o: { force?: boolean }) => run(ctx, await ctx.client(), refs, o));
}
