/**
 * The top-level `inspect [--type TYPE] [-f FORMAT] [-s] NAME|ID...`: each reference is looked up as a container,
 * then an image, then (on a swarm manager) a node, like docker's; the first kind that knows it wins. A reference no
 * kind knows gives "Error: No such object: X". With --type only that kind is asked, and its error is reported.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import { containerInspect } from '../../../client/containers.js';
import { imageInspect } from '../../../client/images.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { writeInspect } from '../../inspect-output.js';

export const OBJECT_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export interface InspectAnyOptions {
  format?: string;
  type?: ObjectType;
  size?: boolean;
}

interface Inspector {
  type: ObjectType;
  swarm: boolean;
  fetch: (ref: string) => Promise<unknown>;
}

function skippable(e: unknown): boolean {
  if (isShoalError(e, 'NotFound')) return true;
  const m = e instanceof Error ? e.message : '';
  return m.includes('not supported') || m.includes('invalid reference format');
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: InspectAnyOptions): Promise<void> {
  const inspectors: Inspector[] = [
    { type: 'container', swarm: false, fetch: (r) => containerInspect(client, r, { size: o.size === true }) },
    { type: 'image', swarm: false, fetch: (r) => imageInspect(client, r) },
    { type: 'node', swarm: true, fetch: (r) => client.nodeInspect(r) },
  ];
  let manager: boolean | undefined;
  const isManager = async (): Promise<boolean> => {
    if (manager === undefined) {
      try {
        manager = (await client.info()).Swarm.ControlAvailable;
      } catch (e) {
        ctx.err.write(errorText(e) + '\n');
        manager = false;
      }
    }
    return manager;
  };
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    let done = false;
    for (const ins of inspectors) {
      if (o.type !== undefined && ins.type !== o.type) continue;
      if (o.type === undefined && ins.swarm && !(await isManager())) continue;
      try {
        found.push(await ins.fetch(ref));
        if (o.size === true && ins.type !== 'container') ctx.err.write(`WARNING: --size ignored for ${ins.type}\n`);
        done = true;
        break;
      } catch (e) {
        if (o.type === undefined && skippable(e)) continue;
        errors.push(errorText(e));
        done = true;
        break;
      }
    }
    if (!done) errors.push(`Error: No such object: ${ref}`);
  }
  writeInspect(ctx, found, o.format);
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

function objectType(value: string): ObjectType {
  if (!(OBJECT_TYPES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown type: "${value}": must be one of "${OBJECT_TYPES.join('", "')}"`);
  }
  return value as ObjectType;
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('inspect')
    .description('Return low-level information on Docker objects')
    .argument('<name|id...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <string>', 'Only inspect objects of the given type', objectType)
    .action(async (refs: string[], o: InspectAnyOptions) => run(ctx, await ctx.client(), refs, o));
}
