import type { Command } from 'commander';
import type { NodeSpec } from '../../../api/types.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { collect, oneOf } from '../../options.js';
import { resolveSelf } from './self.js';

export interface UpdateOptions {
  availability?: NodeSpec['Availability'];
  role?: NodeSpec['Role'];
  labelAdd?: string[];
  labelRm?: string[];
}

/** Applies the flags to a spec the way docker's `node update` merges them (read, modify, write). */
export function applyUpdate(spec: NodeSpec, o: UpdateOptions): NodeSpec {
  const next: NodeSpec = { ...spec, Labels: { ...spec.Labels } };
  if (o.availability) next.Availability = o.availability;
  if (o.role) next.Role = o.role;
  for (const l of o.labelAdd ?? []) {
    const eq = l.indexOf('=');
    if (eq === 0) throw new CliError(`invalid label '${l}': empty key`);
    if (eq < 0) next.Labels[l] = '';
    else next.Labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  for (const k of o.labelRm ?? []) {
    if (!(k in next.Labels)) throw new CliError(`key ${k} doesn't exist in node's labels`);
    delete next.Labels[k];
  }
  return next;
}

export async function updateNodeSpec(client: EngineClient, ref: string, mutate: (spec: NodeSpec) => NodeSpec): Promise<void> {
  const node = await client.nodeInspect(await resolveSelf(client, ref));
  await client.nodeUpdate(node.ID, node.Version.Index, mutate(node.Spec));
}

export async function run(ctx: CliContext, client: EngineClient, ref: string, o: UpdateOptions): Promise<void> {
  await updateNodeSpec(client, ref, (spec) => applyUpdate(spec, o));
  ctx.out.write(ref + '\n');
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('update')
    .description('Update a node')
    .argument('<node>', 'node ID, name, or "self"')
    .option('--availability <availability>', 'Availability of the node ("active", "pause", "drain")', oneOf(['active', 'pause', 'drain'] as const))
    .option('--role <role>', 'Role of the node ("worker", "manager")', oneOf(['worker', 'manager'] as const))
    .option('--label-add <key=value>', 'Add or update a node label (key=value)', collect)
    .option('--label-rm <key>', 'Remove a node label if exists', collect)
    .action(async (ref: string, o: UpdateOptions) => run(ctx, await ctx.client(), ref, o));
}
