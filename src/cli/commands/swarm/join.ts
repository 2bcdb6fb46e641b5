import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { oneOf } from '../../options.js';

export interface JoinOptions {
  remote: string;
  token: string;
  listenAddr: string;
  advertiseAddr?: string;
  dataPathAddr?: string;
  availability?: string;
}

export async function run(ctx: CliContext, client: EngineClient, o: JoinOptions): Promise<void> {
  await client.swarmJoin({
    ListenAddr: o.listenAddr,
    AdvertiseAddr: o.advertiseAddr ?? '',
    DataPathAddr: o.dataPathAddr ?? '',
    RemoteAddrs: [o.remote],
    JoinToken: o.token,
    Availability: o.availability ?? '',
  });
  const info = await client.info();
  ctx.out.write(info.Swarm.ControlAvailable ? 'This node joined a swarm as a manager.\n' : 'This node joined a swarm as a worker.\n');
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('join')
    .description('Join a swarm as a node and/or manager')
    .argument('<host:port>', 'a manager of the swarm')
    .requiredOption('--token <token>', 'Token for entry into the swarm')
    .option('--listen-addr <addr>', 'Listen address (format: "<ip|interface>[:port]")', '0.0.0.0:2377')
    .option('--advertise-addr <addr>', 'Advertised address (format: "<ip|interface>[:port]")')
    .option('--data-path-addr <addr>', 'Address or interface to use for data path traffic')
    .option('--availability <state>', 'Availability of the node ("active", "pause", "drain")', oneOf(['active', 'pause', 'drain']))
    .action(async (remote: string, o: Omit<JoinOptions, 'remote'>) => run(ctx, await ctx.client(), { ...o, remote }));
}
