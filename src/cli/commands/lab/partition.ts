import type { Command } from 'commander';
import { findNode, partitionNode, pickLab } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';

export interface PartitionOptions {
  name?: string;
}

export async function run(ctx: CliContext, ref: string, o: PartitionOptions): Promise<void> {
  const node = findNode(pickLab(o.name, ref), ref);
  const changed = await partitionNode(node);
  ctx.out.write(changed ? `${node.name} is cut off (link ${node.veth} down)\n` : `${node.name} was already cut off\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('partition')
    .description('Cut a node off the lab network (it keeps running, but reaches no other node)')
    .argument('<node>', 'node1, 2 or <lab>-node3')
    .option('--name <name>', 'The lab (default: "lab", or the only lab)')
    .action(async (ref: string, o: PartitionOptions) => run(ctx, ref, o));
}
