/**
 * `stack ps [-q] [--no-trunc] [--no-resolve] [--format] [-f] STACK`: the stack's tasks (`GET /tasks?filters={label=ns,
 * user filters}`), printed as `service ps` prints them; none gives `nothing found in stack: X` (exit 1)
 * (cli/command/stack/swarm/ps.go).
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { parseFilters } from '../../format/index.js';
import { collect } from '../../options.js';
import { processServiceHost } from '../service/host.js';
import type { ServiceHost } from '../service/host.js';
import { printTasks } from '../service/ps.js';
import { checkStackName, stackTasks } from './common.js';

export interface PsOptions {
  quiet?: boolean;
  noTrunc?: boolean;
  resolve?: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, stack: string, o: PsOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  checkStackName(stack);
  const tasks = await stackTasks(client, stack, parseFilters(o.filter ?? []));
  if (tasks.length === 0) throw new CliError(`nothing found in stack: ${stack}`);
  const quiet = o.quiet === true;
  await printTasks(ctx, client, tasks, { trunc: !(o.noTrunc === true), quiet, noResolve: o.resolve === false, format: o.format, now: host.now() });
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ps')
    .description('List the tasks in the stack')
    .usage('[OPTIONS] STACK')
    .argument('<stack>')
    .option('-q, --quiet', 'Only display task IDs')
    .option('--no-trunc', 'Do not truncate output')
    .option('--no-resolve', 'Do not map IDs to Names')
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (stack: string, o: PsOptions & { trunc?: boolean }) => run(ctx, await ctx.client(), stack, { ...o, noTrunc: o.trunc === false }));
}
