import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';

/** Prints the `swarm join` command for a role, the way `docker swarm join-token` does. */
export async function printJoinCommand(ctx: CliContext, client: EngineClient, role: 'worker' | 'manager', nodeId: string): Promise<void> {
  const swarm = await client.swarmInspect();
  const node = await client.nodeInspect(nodeId);
  const addr = node.ManagerStatus?.Addr;
  if (!addr) return;
  const token = role === 'worker' ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager;
  ctx.out.write(`To add a ${role} to this swarm, run the following command:\n\n    ${ctx.binName} swarm join --token ${token} ${addr}\n\n`);
}
