/**
 * `image load` / `load [-i FILE] [-q]`: streams a docker-archive or OCI-layout tarball (the file, or stdin when it
 * is not a terminal) to `POST /images/load` and shows the daemon's messages ("Loaded image: busybox:latest").
 * The daemon is asked for quiet output unless stdout is a terminal and -q is not given.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { imageLoad, isJSONResponse, readJSONMessages } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { writeBytes } from '../container/bytes-out.js';
import { processTerminal } from '../container/terminal.js';
import type { Terminal } from '../container/terminal.js';
import { ProgressDisplay } from './progress.js';

export interface LoadOptions {
  input?: string;
  quiet?: boolean;
  platform?: string;
}

export interface TarballSource {
  stream: Readable;
  size?: number;
}

export function openTarball(path: string): TarballSource {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CliError(`read ${path}: is a directory`);
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `open ${path}: no such file or directory` : `open ${path}: ${(e as Error).message}`);
  }
  return { stream: createReadStream(path), size };
}

export async function run(
  ctx: CliContext,
  client: EngineClient,
  o: LoadOptions,
  terminal: Terminal = processTerminal(),
  open: (path: string) => TarballSource = openTarball,
): Promise<void> {
  let source: TarballSource;
  if (o.input === undefined || o.input === '') {
    if (terminal.stdinIsTTY) throw new CliError('requested load from stdin, but stdin is empty');
    source = { stream: terminal.stdin() };
  } else {
    source = open(o.input);
  }
  const res = await imageLoad(client, source.stream, {
    quiet: o.quiet === true || !terminal.stdoutIsTTY,
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    ...(source.size !== undefined ? { size: source.size } : {}),
  });
  if (isJSONResponse(res)) {
    const size = terminal.size();
    const display = new ProgressDisplay(ctx.out, { tty: terminal.stdoutIsTTY, ...(size !== undefined ? { columns: size.columns } : {}) });
    for await (const m of readJSONMessages(res)) display.show(m);
    return;
  }
  for await (const chunk of res as AsyncIterable<Buffer>) writeBytes(ctx.out, chunk);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('load')
    .description('Load an image from a tar archive or STDIN')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('--platform <string>', 'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (o: LoadOptions) => run(ctx, await ctx.client(), o));
}
