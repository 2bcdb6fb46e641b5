/**
 * `service ps [-q] [--no-trunc] [--no-resolve] [--format] [-f] SERVICE [SERVICE...]`: the services found by ID, then
 * by name (`GET /services?filters={"id":…}` and `{"name":…}`; full ID, exact name, then a unique ID prefix), their
 * tasks (`GET /tasks?filters={"service":…, user filters}`), names resolved (service and node, one lookup per ID),
 * sorted by name then newest first, older tasks of a slot indented ` \_ ` in tables.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceList, taskList } from '../../../client/services.js';
import type { FilterMap, Task } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { parseFilters, renderList, resolveListFormat } from '../../format/index.js';
import { collect } from '../../options.js';
import { resolveSelf } from '../node/self.js';
import { processServiceHost } from './host.js';
import type { ServiceHost } from './host.js';
import { IDResolver } from './resolver.js';
import { DEFAULT_TASK_TABLE, TASK_HEADERS, TASK_RAW, TASK_RAW_QUIET, sortTasks, taskName, taskRow } from './rows.js';

export interface PsOptions {
  quiet?: boolean;
  noTrunc?: boolean;
  /** false with --no-resolve. */
  resolve?: boolean;
  format?: string;
  filter?: string[];
}

/** createFilter: the `service` filter values for the arguments, and the "no such service" messages. */
export async function serviceFilter(client: EngineClient, refs: readonly string[], filter: FilterMap): Promise<{ filter: FilterMap; notFound: string[] }> {
  const ids: Record<string, boolean> = {};
  const names: Record<string, boolean> = {};
  for (const r of refs) {
    ids[r] = true;
    names[r] = true;
  }
  const byId = await serviceList(client, { filters: { id: ids } });
  const byName = await serviceList(client, { filters: { name: names } });
  const out: FilterMap = { ...filter };
  const add = (id: string): void => {
    out.service = { ...(out.service ?? {}), [id]: true };
  };
  const notFound: string[] = [];
  let count = 0;
  for (const ref of refs) {
    const exactId = byId.find((s) => s.ID === ref);
    if (exactId) {
      add(exactId.ID);
      count++;
      continue;
    }
    const exactName = byName.find((s) => s.Spec.Name === ref);
    if (exactName) {
      add(exactName.ID);
      count++;
      continue;
    }
    let found = false;
    for (const s of byId) {
      if (!s.ID.startsWith(ref)) continue;
      if (found) throw new CliError(`multiple services found with provided prefix: ${ref}`);
      add(s.ID);
      count++;
      found = true;
    }
    if (!found) notFound.push(`no such service: ${ref}`);
  }
  if (count === 0) throw new CliError(notFound.join('\n'));
  return { filter: out, notFound };
}

/** task.Print: names, sort, indentation, node names, then the table (or template). */
export async function printTasks(
  ctx: CliContext,
  client: EngineClient,
  tasks: readonly Task[],
  o: { trunc: boolean; quiet: boolean; noResolve: boolean; format: string | undefined; now: number },
): Promise<void> {
  const resolver = new IDResolver(client, o.noResolve);
  const named: { task: Task; name: string }[] = [];
  for (const t of tasks) named.push({ task: t, name: taskName(t, await resolver.service(t.ServiceID ?? '')) });
  const sorted = sortTasks(named);
  const format = o.format === undefined || o.format === '' ? 'table' : o.format;
  const listOptions = {
    format,
    quiet: o.quiet,
    defaultTable: DEFAULT_TASK_TABLE,
    headers: TASK_HEADERS,
    raw: TASK_RAW,
    rawQuiet: TASK_RAW_QUIET,
    typeName: '*task.taskContext',
  };
  const indent = resolveListFormat(listOptions).startsWith('table') ? ' \\_ ' : '';
  const rows = [];
  let prev = '';
  for (const { task, name } of sorted) {
    const display = name === prev ? indent + name : name;
    prev = name;
    rows.push(taskRow({ task, name: display, node: await resolver.node(task.NodeID ?? ''), trunc: o.trunc, now: o.now }));
  }
  ctx.out.write(
    renderList(rows, listOptions),
  );
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: PsOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  const { filter, notFound } = await serviceFilter(client, refs, parseFilters(o.filter ?? []));
  if (filter.node !== undefined) {
    const nodes: Record<string, boolean> = {};
    for (const n of Object.keys(filter.node)) nodes[await resolveSelf(client, n)] = true;
    filter.node = nodes;
  }
  const tasks = await taskList(client, filter);
  const quiet = o.quiet === true;
  await printTasks(ctx, client, tasks, { trunc: !(o.noTrunc === true || quiet), quiet, noResolve: o.resolve === false, format: o.format, now: host.now() });
  if (notFound.length > 0) throw new CliError(notFound.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ps')
    .description('List the tasks of one or more services')
    .usage('[OPTIONS] SERVICE [SERVICE...]')
    .argument('<service...>')
    .option('-q, --quiet', 'Only display task IDs')
    .option('--no-trunc', 'Do not truncate output')
    .option('--no-resolve', 'Do not map IDs to Names')
    .option('--format <string>', 'Pretty-print tasks using a Go template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (refs: string[], o: PsOptions & { trunc?: boolean }) => run(ctx, await ctx.client(), refs, { ...o, noTrunc: o.trunc === false }));
}
