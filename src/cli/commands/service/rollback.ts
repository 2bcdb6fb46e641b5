/**
 * `service rollback [OPTIONS] SERVICE`: `POST /services/{id}/update?rollback=previous&version=N` with the current
 * spec (the daemon ignores it), the name as typed on stdout, then the progress ("rollback: manually requested
 * rollback") unless --detach.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceInspect, serviceUpdate } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { processServiceHost } from './host.js';
import type { ServiceHost } from './host.js';
import { printWarnings, waitFor } from './wait.js';

export interface RollbackOptions {
  detach?: boolean;
  quiet?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, ref: string, o: RollbackOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  const service = await serviceInspect(client, ref, { insertDefaults: false });
  const res = await serviceUpdate(client, service.ID, service.Spec, { version: service.Version.Index, rollback: 'previous' });
  printWarnings(ctx, res.Warnings);
  ctx.out.write(`${ref}\n`);
  if (o.detach === true) return;
  await waitFor(ctx, client, host, ref, o.quiet === true);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('rollback')
    .description("Revert changes to a service's configuration")
    .usage('[OPTIONS] SERVICE')
    .argument('<service>')
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .option('-q, --quiet', 'Suppress progress output')
    .action(async (ref: string, o: RollbackOptions) => run(ctx, await ctx.client(), ref, o));
}
