import { InvalidArgumentError, type Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { printJoinCommand } from './join-hint.js';

export interface JoinTokenOptions {
  role: 'worker' | 'manager';
  quiet: boolean;
  rotate: boolean;
}

export function parseRole(value: string): 'worker' | 'manager' {
  if (value !== 'worker' && value !== 'manager') throw new InvalidArgumentError('unknown role ' + value);
  return value;
}

export async function run(ctx: CliContext, client: EngineClient, o: JoinTokenOptions): Promise<void> {
  if (o.rotate) {
    const swarm = await client.swarmInspect();
    await client.swarmUpdate(swarm.Version.Index, swarm.Spec, {
      rotateWorkerToken: o.role === 'worker',
      rotateManagerToken: o.role === 'manager',
      rotateManagerUnlockKey: false,
    });
    if (!o.quiet) ctx.out.write(`Successfully rotated ${o.role} join token.\n\n`);
  }
  if (o.quiet) {
    const swarm = await client.swarmInspect();
    ctx.out.write((o.role === 'worker' ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager) + '\n');
    return;
  }
  const info = await client.info();
  await printJoinCommand(ctx, client, o.role, info.Swarm.NodeID);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('join-token')
    .description('Manage join tokens')
    .argument('<worker|manager>', 'role', parseRole)
    .option('-q, --quiet', 'Only display token', false)
    .option('--rotate', 'Rotate join token', false)
    .action(async (role: 'worker' | 'manager', o: { quiet: boolean; rotate: boolean }) =>
      run(ctx, await ctx.client(), { role, quiet: o.quiet, rotate: o.rotate }),
    );
}
