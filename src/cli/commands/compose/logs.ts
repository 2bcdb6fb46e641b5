/**
 * `compose logs [-f] [--tail N] [-t] [--no-log-prefix] [SERVICE...]`: every container of the project (or of the
 * named services) through `GET /containers/{id}/logs`, each line prefixed `<container> | `, streams interleaved
 * as they come. With -f it follows until every container's stream ends or Ctrl-C.
 */
import type { Command } from 'commander';
import { containerInspect } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { checkServices, nameOf, projectContainers } from './engine.js';
import { prefixedLogs, prefixFor } from './log-lines.js';
import { tryLoadProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  logPrefix?: boolean;
  /** For tests: stands in for Ctrl-C. */
  signal?: AbortSignal;
}

export async function run(ctx: CliContext, client: EngineClient, name: string, loaded: LoadedProject | undefined, services: readonly string[], o: LogsOptions): Promise<void> {
  checkServices(loaded?.project, services);
  const list = await projectContainers(client, name, { all: true, services });
  const width = Math.max(0, ...list.map((c) => nameOf(c).length));
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  if (o.follow === true) process.on('SIGINT', stop);
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    await Promise.all(
      list.map(async (c) => {
        const tty = (await containerInspect(client, c.Id)).Config.Tty;
        await prefixedLogs(client, { id: c.Id, name: nameOf(c), tty }, prefixFor(nameOf(c), width, o.logPrefix !== false), ctx.out, ctx.err, {
          follow: o.follow === true,
          tail: o.tail ?? 'all',
          timestamps: o.timestamps === true,
        }, ac.signal);
      }),
    );
  } finally {
    process.off('SIGINT', stop);
  }
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('logs')
    .description('View output from containers')
    .argument('[service...]')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .action(async (services: string[], o: LogsOptions) => {
      const p = tryLoadProject(ctx, globals());
      await run(ctx, await ctx.client(), p.name, p.loaded, services, o);
    });
}
