/**
 * `service inspect [--pretty] [-f FORMAT] SERVICE [SERVICE...]`: `GET /services/{ref}?insertDefaults=true` per
 * argument; JSON (or the template per service) as docker prints it, with "Error: no such service: X" for a 404;
 * `--pretty` also looks the networks up by ID (`GET /networks/{id}?scope=swarm`) and prints nothing when any service
 * is missing, as docker does.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { encodeService, networkInspect, serviceInspect } from '../../../client/services.js';
import type { Service } from '../../../client/service-types.js';
import { isShoalError } from '../../../api/errors.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';
import { processServiceHost } from './host.js';
import type { ServiceHost } from './host.js';
import { renderServicePretty } from './pretty.js';

export interface InspectOptions {
  format?: string;
  pretty?: boolean;
}

async function getService(client: EngineClient, ref: string): Promise<Service> {
  try {
    return await serviceInspect(client, ref, { insertDefaults: true });
  } catch (e) {
    if (isShoalError(e) && e.kind === 'NotFound') throw new CliError(`Error: no such service: ${ref}`);
    throw e;
  }
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: InspectOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  if (o.pretty === true && (o.format ?? '') !== '') throw new CliError('--format is incompatible with human friendly format');
  const format = o.pretty === true ? 'pretty' : (o.format ?? '');
  if (format.startsWith('pretty') && format !== 'pretty') throw new CliError('Cannot supply extra formatting options to the pretty template');
  if (format === 'pretty') {
    let text = '';
    for (const ref of refs) {
      let service: Service;
      try {
        service = await getService(client, ref);
      } catch (e) {
        throw new CliError(errorText(e));
      }
      const names = new Map<string, string>();
      for (const n of service.Spec.TaskTemplate.Networks ?? []) {
        try {
          const net = await networkInspect(client, n.Target ?? '', { scope: 'swarm' });
          names.set(net.Id, net.Name);
        } catch {
          // shown by ID
        }
      }
      text += renderServicePretty(service, names, host.now());
    }
    ctx.out.write(text);
    return;
  }
  const services: Service[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      services.push(await getService(client, ref));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  // printed as the docker CLI prints its decoded swarm.Service: Go's field order, map keys sorted
  writeInspect(ctx, services.map(encodeService), format === 'raw' ? undefined : format.replace(/^raw/, ''));
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Display detailed information on one or more services')
    .usage('[OPTIONS] SERVICE [SERVICE...]')
    .argument('<service...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(async (refs: string[], o: InspectOptions) => run(ctx, await ctx.client(), refs, o));
}
