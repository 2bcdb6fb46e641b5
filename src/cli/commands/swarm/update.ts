import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { durationOption, uintOption } from '../../options.js';

export interface UpdateOptions {
  taskHistoryLimit?: number;
  dispatcherHeartbeat?: number;
  certExpiry?: number;
  autolock?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, o: UpdateOptions): Promise<void> {
  const swarm = await client.swarmInspect();
  const spec = structuredClone(swarm.Spec);
  if (o.taskHistoryLimit !== undefined) spec.Orchestration.TaskHistoryRetentionLimit = o.taskHistoryLimit;
  if (o.dispatcherHeartbeat !== undefined) spec.Dispatcher.HeartbeatPeriod = o.dispatcherHeartbeat;
  if (o.certExpiry !== undefined) spec.CAConfig.NodeCertExpiry = o.certExpiry;
  if (o.autolock !== undefined) spec.EncryptionConfig.AutoLockManagers = o.autolock;
  await client.swarmUpdate(swarm.Version.Index, spec, {
    rotateWorkerToken: false,
    rotateManagerToken: false,
    rotateManagerUnlockKey: false,
  });
  ctx.out.write('Swarm updated.\n');
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('update')
    .description('Update the swarm')
    .option('--task-history-limit <n>', 'Task history retention limit', uintOption)
    .option('--dispatcher-heartbeat <duration>', 'Dispatcher heartbeat period (ns|us|ms|s|m|h)', durationOption)
    .option('--cert-expiry <duration>', 'Validity period for node certificates (ns|us|ms|s|m|h)', durationOption)
    .option('--autolock <bool>', 'Change manager autolocking setting (true|false)', (v: string) => v === 'true')
    .action(async (o: UpdateOptions) => run(ctx, await ctx.client(), o));
}
