/** `wait CONTAINER...`: blocks until each container stops, then prints its exit code. */
import type { Command } from 'commander';
import { containerWait } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { forEachContainer } from './each-container.js';

export async function run(ctx: CliContext, client: EngineClient, refs: string[]): Promise<void> {
  await forEachContainer(ctx, refs, (ref) => containerWait(client, ref).result, { print: (_ref, r) => String(r.StatusCode) });
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (refs: string[]) => run(ctx, await ctx.client(), refs));
}
