/**
 * `logs [-f] [--tail N] [--since T] [--until T] [-t] [--details] CONTAINER`: inspects the container (for its TTY
 * flag and ID), then copies `GET /containers/{id}/logs` to stdout/stderr, demultiplexed unless the container has a
 * TTY. With -f it follows until the container stops (the daemon ends the stream) or the CLI is interrupted.
 */
import type { Command } from 'commander';
import { containerInspect, containerLogs } from '../../../client/containers.js';
import { pumpOutput } from '../../../client/hijack.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { writeBytes } from './bytes-out.js';
import { getTimestamp } from './timestamps.js';

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  details?: boolean;
  tail?: string;
}

export async function run(ctx: CliContext, client: EngineClient, ref: string, o: LogsOptions, now: () => number = Date.now): Promise<void> {
  const c = await containerInspect(client, ref);
  let since: string;
  let until: string;
  try {
    since = getTimestamp(o.since ?? '', now());
    until = getTimestamp(o.until ?? '', now());
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const res = await containerLogs(client, c.Id, {
    stdout: true,
    stderr: true,
    since,
    until,
    timestamps: o.timestamps === true,
    follow: o.follow === true,
    tail: o.tail ?? 'all',
    details: o.details === true,
  });
  await pumpOutput(res, { stdout: (d) => writeBytes(ctx.out, d), stderr: (d) => writeBytes(ctx.err, d) }, !c.Config.Tty);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action(async (ref: string, o: LogsOptions) => run(ctx, await ctx.client(), ref, o));
}
