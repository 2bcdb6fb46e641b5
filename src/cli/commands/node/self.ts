import type { EngineClient } from '../../../client/index.js';

/** `self` names the node the CLI talks to, as in the docker CLI. */
export async function resolveSelf(client: EngineClient, ref: string): Promise<string> {
  if (ref !== 'self') return ref;
  const info = await client.info();
  return info.Swarm.NodeID;
}
