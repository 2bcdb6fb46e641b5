/** `stop [-s SIGNAL] [-t SECONDS] CONTAINER...`: the stop signal, then SIGKILL after the grace period (the daemon's). */
import type { Command } from 'commander';
import { containerStop } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { forEachContainer } from './each-container.js';
import { intArgument } from './int-argument.js';

export interface StopOptions {
  signal?: string;
  /** Seconds; absent leaves the container's (or daemon's) default. */
  time?: number;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: StopOptions): Promise<void> {
  await forEachContainer(ctx, refs, (ref) =>
    containerStop(client, ref, { ...(o.signal !== undefined ? { signal: o.signal } : {}), ...(o.time !== undefined ? { timeout: o.time } : {}) }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --time <int>', 'Seconds to wait before killing the container', intArgument)
    .action(async (refs: string[], o: StopOptions) => run(ctx, await ctx.client(), refs, o));
}
