/** `create [OPTIONS] IMAGE [COMMAND] [ARG...]`: the same flags and body as `run`; prints the new container's ID. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { buildCreateBody, CreateOptionsError } from './create-body.js';
import { checkPullPolicy, createContainer } from './create-container.js';
import type { CreateFlags } from './create-flags.js';
import { addCreateFlags } from './create-flags.js';
import { exitStatus, reportError } from './exit-status.js';
import { buildEnvironment, processHost } from './run.js';
import type { HostEnvironment } from './run.js';

export async function run(ctx: CliContext, client: EngineClient, image: string, args: string[], o: CreateFlags, host: HostEnvironment = processHost()): Promise<void> {
  let body;
  try {
    checkPullPolicy(o.pull ?? 'missing');
    body = buildCreateBody(o, image, args, buildEnvironment(ctx, host));
  } catch (e) {
    if (e instanceof CreateOptionsError || (e instanceof Error && e.message.startsWith('invalid pull option'))) {
      reportError(ctx, 'create', e.message, true);
      throw exitStatus(125);
    }
    throw e;
  }
  const id = await createContainer(ctx, client, body, {
    name: o.name,
    platform: o.platform,
    pull: o.pull ?? 'missing',
    quiet: o.quiet === true,
    terminal: host.terminal,
  });
  ctx.out.write(id + '\n');
}

export function register(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('create')
    .description('Create a new container')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions();
  addCreateFlags(cmd, ctx, () => process.cwd());
  cmd.action(async (image: string, command: string[], o: CreateFlags) => run(ctx, await ctx.client(), image, command, o));
}
