/** `rm [-f] [-v] CONTAINER...`: with -f a running container is killed first, and unknown names only warn. */
import type { Command } from 'commander';
import { ShoalError } from '../../../api/errors.js';
import { containerRemove } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { forEachContainer } from './each-container.js';

export interface RmOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: RmOptions): Promise<void> {
  await forEachContainer(
    ctx,
    refs,
    async (ref) => {
      const name = ref.replace(/^\/+|\/+$/g, '');
      if (name === '') throw new ShoalError('InvalidArgument', 'cli.empty_name', 'Container name cannot be empty');
      await containerRemove(client, name, { force: o.force === true, volumes: o.volumes === true, link: o.link === true });
    },
    { ignoreNotFound: o.force === true },
  );
}

export function register(parent: Command, ctx: CliContext, name = 'rm', aliases: string[] = []): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(async (refs: string[], o: RmOptions) => run(ctx, await ctx.client(), refs, o));
}
