import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { collect, durationOption, oneOf, uintOption } from '../../options.js';
import { printJoinCommand } from './join-hint.js';

export interface InitOptions {
  advertiseAddr?: string;
  listenAddr: string;
  dataPathAddr?: string;
  dataPathPort?: number;
  taskHistoryLimit?: number;
  dispatcherHeartbeat?: number;
  certExpiry?: number;
  availability?: string;
  defaultAddrPool?: string[];
  defaultAddrPoolMaskLength?: number;
  forceNewCluster?: boolean;
  autolock?: boolean;
}

/** The request body, shaped like the docker CLI's: only flags the user set are filled (zero means default). */
export function initRequest(o: InitOptions): Record<string, unknown> {
  const spec = {
    Labels: null,
    Orchestration: o.taskHistoryLimit !== undefined ? { TaskHistoryRetentionLimit: o.taskHistoryLimit } : {},
    Raft: { ElectionTick: 0, HeartbeatTick: 0 },
    Dispatcher: o.dispatcherHeartbeat !== undefined ? { HeartbeatPeriod: o.dispatcherHeartbeat } : {},
    CAConfig: o.certExpiry !== undefined ? { NodeCertExpiry: o.certExpiry } : {},
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: o.autolock ?? false },
  };
  return {
    ListenAddr: o.listenAddr,
    AdvertiseAddr: o.advertiseAddr ?? '',
    DataPathAddr: o.dataPathAddr ?? '',
    DataPathPort: o.dataPathPort ?? 0,
    ForceNewCluster: o.forceNewCluster ?? false,
    Spec: spec,
    AutoLockManagers: o.autolock ?? false,
    Availability: o.availability ?? '',
    DefaultAddrPool: o.defaultAddrPool ?? null,
    SubnetSize: o.defaultAddrPoolMaskLength ?? 0,
  };
}

export async function run(ctx: CliContext, client: EngineClient, o: InitOptions): Promise<void> {
  const nodeId = await client.swarmInit(initRequest(o));
  ctx.out.write(`Swarm initialized: current node (${nodeId}) is now a manager.\n\n`);
  await printJoinCommand(ctx, client, 'worker', nodeId);
  ctx.out.write(`To add a manager to this swarm, run '${ctx.binName} swarm join-token manager' and follow the instructions.\n\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('init')
    .description('Initialize a swarm')
    .option('--advertise-addr <addr>', 'Advertised address (format: "<ip|interface>[:port]")')
    .option('--listen-addr <addr>', 'Listen address (format: "<ip|interface>[:port]")', '0.0.0.0:2377')
    .option('--data-path-addr <addr>', 'Address or interface to use for data path traffic')
    .option('--data-path-port <port>', 'Port number to use for data path traffic (1024 - 49151)', uintOption)
    .option('--task-history-limit <n>', 'Task history retention limit', uintOption)
    .option('--dispatcher-heartbeat <duration>', 'Dispatcher heartbeat period (ns|us|ms|s|m|h)', durationOption)
    .option('--cert-expiry <duration>', 'Validity period for node certificates (ns|us|ms|s|m|h)', durationOption)
    .option('--availability <state>', 'Availability of the node ("active", "pause", "drain")', oneOf(['active', 'pause', 'drain']))
    .option('--default-addr-pool <cidr>', 'default address pool in CIDR format', collect)
    .option('--default-addr-pool-mask-length <n>', 'default address pool subnet mask length', uintOption)
    .option('--force-new-cluster', 'Force create a new cluster from current state')
    .option('--autolock', 'Enable manager autolocking (requiring an unlock key to start a stopped manager)')
    .action(async (o: InitOptions) => run(ctx, await ctx.client(), o));
}
