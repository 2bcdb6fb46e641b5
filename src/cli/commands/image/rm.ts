/**
 * `image rm` / `rmi [-f] [--no-prune] IMAGE...`: prints "Untagged: x" and "Deleted: sha256:…" lines in the daemon's
 * order. Errors are joined; with -f, "no such image" errors only are printed and do not fail the command.
 */
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import type { EngineClient } from '../../../client/index.js';
import { imageRemove } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';

export interface RmOptions {
  force?: boolean;
  /** false with --no-prune. */
  prune?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: RmOptions): Promise<void> {
  const errors: string[] = [];
  let fatal = false;
  for (const ref of refs) {
    try {
      for (const item of await imageRemove(client, ref, { force: o.force === true, noprune: o.prune === false })) {
        if (item.Deleted !== undefined && item.Deleted !== '') ctx.out.write(`Deleted: ${item.Deleted}\n`);
        else ctx.out.write(`Untagged: ${item.Untagged ?? ''}\n`);
      }
    } catch (e) {
      if (!isShoalError(e, 'NotFound')) fatal = true;
      errors.push(errorText(e));
    }
  }
  if (errors.length === 0) return;
  if (o.force !== true || fatal) throw new CliError(errors.join('\n'));
  ctx.err.write(errors.join('\n') + '\n');
}

export function register(parent: Command, ctx: CliContext, name = 'rm', aliases: string[] = ['remove']): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('Remove one or more images')
    .argument('<image...>')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (refs: string[], o: RmOptions) => run(ctx, await ctx.client(), refs, o));
}
