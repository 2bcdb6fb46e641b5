import type { Command } from 'commander';
import { findNode, healNode, pickLab } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';

export interface HealOptions {
  name?: string;
}

export async function run(ctx: CliContext, ref: string, o: HealOptions): Promise<void> {
  const node = findNode(pickLab(o.name, ref), ref);
  const changed = await healNode(node);
  ctx.out.write(changed ? `${node.name} is back on the lab network (link ${node.veth} up)\n` : `${node.name} was not cut off\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('heal')
    .description('Bring a partitioned node back onto the lab network')
    .argument('<node>', 'node1, 2 or <lab>-node3')
    .option('--name <name>', 'The lab (default: "lab", or the only lab)')
    .action(async (ref: string, o: HealOptions) => run(ctx, ref, o));
}
