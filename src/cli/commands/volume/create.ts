/** `volume create [-d DRIVER] [-o K=V]... [--label K=V]... [VOLUME]`: `POST /volumes/create`, prints the volume's name. */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { volumeCreate } from '../../../client/volumes.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { collect } from '../../options.js';

export interface CreateOptions {
  driver?: string;
  opt?: string[];
  label?: string[];
  name?: string;
}

/** `k=v` (or `k`, an empty value) into a map, as the docker CLI's map options do. */
export function keyValues(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

export async function run(ctx: CliContext, client: EngineClient, arg: string | undefined, o: CreateOptions): Promise<void> {
  if (arg !== undefined && o.name !== undefined && o.name !== '' && arg !== o.name) {
    throw new CliError('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
  }
  const v = await volumeCreate(client, {
    Name: arg ?? o.name ?? '',
    Driver: o.driver ?? 'local',
    DriverOpts: keyValues(o.opt ?? []),
    Labels: keyValues(o.label ?? []),
  });
  ctx.out.write(`${v.Name}\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('create')
    .description('Create a volume')
    .argument('[volume]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <label>', 'Set metadata for a volume', collect)
    .option('-o, --opt <option>', 'Set driver specific options', collect)
    .option('--name <string>', 'Specify volume name')
    .action(async (arg: string | undefined, o: CreateOptions) => run(ctx, await ctx.client(), arg, o));
}
