/**
 * `image pull` / `pull [-a] [-q] [--platform P] [--insecure] NAME[:TAG|@DIGEST]`: "Using default tag: latest" for a
 * bare name, the daemon's progress (per-layer lines redrawn on a terminal, plain lines otherwise), then the full
 * reference pulled. `--insecure` is a Shoal extension: the daemon may reach this registry over plain HTTP.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { processTerminal } from '../container/terminal.js';
import type { Terminal } from '../container/terminal.js';
import { pullImage } from './pull-image.js';
import { isNameOnly, parseNormalizedNamed, refString, tagNameOnly } from './reference.js';

export interface PullCommandOptions {
  allTags?: boolean;
  quiet?: boolean;
  platform?: string;
  insecure?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, remote: string, o: PullCommandOptions, terminal: Terminal = processTerminal()): Promise<void> {
  let ref;
  try {
    ref = parseNormalizedNamed(remote);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (o.allTags === true && !isNameOnly(ref)) throw new CliError("tag can't be used with --all-tags/-a");
  if (o.allTags !== true && isNameOnly(ref)) {
    ref = tagNameOnly(ref);
    if (o.quiet !== true) ctx.out.write(`Using default tag: ${ref.tag ?? 'latest'}\n`);
  }
  await pullImage(client, ref, {
    allTags: o.allTags,
    platform: o.platform,
    insecure: o.insecure,
    out: o.quiet === true ? undefined : ctx.out,
    tty: terminal.stdoutIsTTY,
    columns: terminal.size()?.columns,
    env: ctx.env,
  });
  ctx.out.write(refString(ref) + '\n');
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('pull')
    .description('Download an image from a registry')
    .argument('<name[:tag|@digest]>')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('--insecure', 'Allow plain HTTP (and unverified TLS) to this registry (Shoal extension)')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (remote: string, o: PullCommandOptions) => run(ctx, await ctx.client(), remote, o));
}
