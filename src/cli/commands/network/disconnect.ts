/**
 * `network disconnect [-f] NETWORK CONTAINER`, as the docker CLI does it: one `POST /networks/{id}/disconnect`, no
 * output on success. `-f` lets go of the container's endpoint even when the network is gone.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkDisconnect } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';

export async function run(_ctx: CliContext, client: EngineClient, network: string, container: string, o: { force?: boolean }): Promise<void> {
  await networkDisconnect(client, network, container, { force: o.force === true });
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (network: string, container: string, o: { force?: boolean }) => run(ctx, await ctx.client(), network, container, o));
}
