import type { Command } from 'commander';
import { DEFAULT_LAB_NAME, labDown } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';

export async function run(ctx: CliContext, name: string): Promise<void> {
  const r = await labDown({ name, progress: (line) => ctx.err.write(`${line}\n`) });
  ctx.out.write(`Lab "${r.name}" removed (${r.daemons} daemon${r.daemons === 1 ? '' : 's'}, ${r.containers} container${r.containers === 1 ? '' : 's'}, ${r.netns} network namespace${r.netns === 1 ? '' : 's'}, ${r.mounts} mount${r.mounts === 1 ? '' : 's'}).\n`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('down')
    .description('Remove a lab: its containers, daemons, namespaces, links, mounts, cgroups and files')
    .argument('[lab]', 'The lab', DEFAULT_LAB_NAME)
    .action(async (name: string) => run(ctx, name));
}
