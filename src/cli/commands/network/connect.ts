/**
 * `network connect [--alias A]... [--ip IP] NETWORK CONTAINER`, as the docker CLI does it: one `POST
 * /networks/{id}/connect`, no output on success (the daemon's refusal is printed as docker prints it). The
 * container gets an interface on the network at once when it has a sandbox (created on a network, or running),
 * otherwise at its next start.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkConnect } from '../../../client/networks.js';
import type { CliContext } from '../../context.js';
import { collect } from '../../options.js';

export interface ConnectOptions {
  alias?: string[];
  ip?: string;
}

export async function run(_ctx: CliContext, client: EngineClient, network: string, container: string, o: ConnectOptions): Promise<void> {
  await networkConnect(client, network, container, { ...(o.alias !== undefined ? { aliases: o.alias } : {}), ...(o.ip !== undefined ? { ipv4Address: o.ip } : {}) });
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('connect')
    .description('Connect a container to a network')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <string>', 'Add network-scoped alias for the container', collect)
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .action(async (network: string, container: string, o: ConnectOptions) => run(ctx, await ctx.client(), network, container, o));
}
