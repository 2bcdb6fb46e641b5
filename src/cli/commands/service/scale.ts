/**
 * `service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]`: for each, read the service, set its replicas (or a
 * replicated job's total completions) and update it (no registryAuthFrom), printing "web scaled to 10"; then wait
 * for each scaled service in turn unless --detach. Errors are collected per service, as docker does.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceInspect, serviceUpdate } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { processServiceHost } from './host.js';
import type { ServiceHost } from './host.js';
import { uintValue } from './values.js';
import { printWarnings, waitFor } from './wait.js';

export interface ScaleOptions {
  detach?: boolean;
}

/** scaleArgs: every argument must be SERVICE=REPLICAS with both sides non-empty. */
export function checkScaleArgs(binName: string, args: readonly string[]): void {
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0 || eq === arg.length - 1) {
      throw new CliError(
        `invalid scale specifier '${arg}'.\nSee '${binName} service scale --help'.\n\n` +
          `Usage:  ${binName} service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\nScale one or multiple replicated services`,
      );
    }
  }
}

async function scaleOne(ctx: CliContext, client: EngineClient, ref: string, scale: number): Promise<void> {
  const service = await serviceInspect(client, ref, { insertDefaults: false });
  const spec = structuredClone(service.Spec);
  if (spec.Mode.Replicated) spec.Mode.Replicated.Replicas = scale;
  else if (spec.Mode.ReplicatedJob) spec.Mode.ReplicatedJob.TotalCompletions = scale;
  else throw new CliError('scale can only be used with replicated or replicated-job mode');
  const res = await serviceUpdate(client, service.ID, spec, { version: service.Version.Index });
  printWarnings(ctx, res.Warnings);
  ctx.out.write(`${ref} scaled to ${scale}\n`);
}

export async function run(ctx: CliContext, client: EngineClient, args: string[], o: ScaleOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  checkScaleArgs(ctx.binName, args);
  const errors: string[] = [];
  const scaled: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const ref = arg.slice(0, eq);
    const text = arg.slice(eq + 1);
    let scale: number;
    try {
      if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing "${text}": invalid syntax`);
      scale = uintValue(text);
    } catch (e) {
      errors.push(`${ref}: invalid replicas value ${text}: ${(e as Error).message}`);
      continue;
    }
    try {
      await scaleOne(ctx, client, ref, scale);
      scaled.push(ref);
    } catch (e) {
      errors.push(`${ref}: ${errorText(e)}`);
    }
  }
  if (o.detach !== true) {
    for (const ref of scaled) {
      try {
        await waitFor(ctx, client, host, ref, false);
      } catch (e) {
        errors.push(`${ref}: ${errorText(e)}`);
      }
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('scale')
    .description('Scale one or multiple replicated services')
    .usage('SERVICE=REPLICAS [SERVICE=REPLICAS...]')
    .argument('<service=replicas...>')
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .action(async (args: string[], o: ScaleOptions) => run(ctx, await ctx.client(), args, o));
}
