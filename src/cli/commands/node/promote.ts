import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { resolveSelf } from './self.js';

/** `node promote` and `node demote`: set the role, skipping nodes that already have it (as docker does). */
export async function changeRole(ctx: CliContext, client: EngineClient, refs: string[], role: 'manager' | 'worker'): Promise<void> {
  for (const ref of refs) {
    const node = await client.nodeInspect(await resolveSelf(client, ref));
    if (node.Spec.Role === role) {
      ctx.out.write(role === 'manager' ? `Node ${node.ID} is already a manager.\n` : `Node ${node.ID} is already a worker.\n`);
      continue;
    }
    await client.nodeUpdate(node.ID, node.Version.Index, { ...node.Spec, Role: role });
    ctx.out.write(role === 'manager' ? `Node ${ref} promoted to a manager in the swarm.\n` : `Manager ${ref} demoted in the swarm.\n`);
  }
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('promote')
    .description('Promote one or more nodes to manager in the swarm')
    .argument('<node...>')
    .action(async (refs: string[]) => changeRole(ctx, await ctx.client(), refs, 'manager'));
  parent
    .command('demote')
    .description('Demote one or more nodes from manager in the swarm')
    .argument('<node...>')
    .action(async (refs: string[]) => changeRole(ctx, await ctx.client(), refs, 'worker'));
}
