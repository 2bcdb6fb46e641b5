/**
 * `service ls [-q] [--format] [-f]`: `GET /services?status=true` (no status with -q), the docker CLI's fallback when a
 * daemon leaves `ServiceStatus` out (count tasks on nodes that are not down), sorted by name, docker's table.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { nodeList, serviceList, taskList } from '../../../client/services.js';
import type { Service, ServiceStatus } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { DEFAULT_SERVICE_TABLE, SERVICE_HEADERS, SERVICE_RAW, SERVICE_RAW_QUIET, serviceRow, sortServices } from './rows.js';

export interface LsOptions {
  quiet?: boolean;
  format?: string;
  filter?: string[];
}

/** AppendServiceStatus: fills ServiceStatus from the tasks when the daemon did not (API < 1.41). */
export async function appendServiceStatus(client: EngineClient, services: Service[]): Promise<Service[]> {
  const status = new Map<string, ServiceStatus>();
  const ids: Record<string, boolean> = {};
  for (const s of services) {
    if (s.ServiceStatus !== undefined && s.ServiceStatus !== null) continue;
    if (s.Spec.Mode.Replicated) {
      s.ServiceStatus = { RunningTasks: 0, DesiredTasks: s.Spec.Mode.Replicated.Replicas ?? 0, CompletedTasks: 0 };
    } else if (s.Spec.Mode.Global) {
      s.ServiceStatus = { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 0 };
    } else {
      continue;
    }
    status.set(s.ID, { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 0 });
    ids[s.ID] = true;
  }
  if (status.size === 0) return services;
  const tasks = await taskList(client, { service: ids });
  if (tasks.length === 0) return services;
  const active = new Set((await nodeList(client)).filter((n) => n.Status.State !== 'down').map((n) => n.ID));
  for (const t of tasks) {
    const st = status.get(t.ServiceID ?? '');
    if (st === undefined) continue;
    if (t.DesiredState !== 'shutdown') st.DesiredTasks++;
    if (active.has(t.NodeID ?? '') && t.Status?.State === 'running') st.RunningTasks++;
  }
  for (const s of services) {
    const st = status.get(s.ID);
    if (st !== undefined) s.ServiceStatus = st;
  }
  return services;
}

export async function run(ctx: CliContext, client: EngineClient, o: LsOptions): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  let services = await serviceList(client, { filters, status: o.quiet !== true });
  if (o.quiet !== true) services = await appendServiceStatus(client, services);
  ctx.out.write(
    renderList(sortServices(services).map(serviceRow), {
      quiet: o.quiet === true,
      defaultTable: DEFAULT_SERVICE_TABLE,
      headers: SERVICE_HEADERS,
      raw: SERVICE_RAW,
      rawQuiet: SERVICE_RAW_QUIET,
      typeName: '*service.serviceContext',
      ...(o.format !== undefined ? { format: o.format } : {}),
    }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), o));
}
