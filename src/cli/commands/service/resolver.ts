/**
 * docker's idresolver: service and node IDs → names for `service ps` and `service logs`, one request per distinct
 * ID (cached), the ID itself when the lookup fails or with --no-resolve. A node shows its Spec.Name, else its
 * hostname.
 */
import type { EngineClient } from '../../../client/index.js';
import { nodeInspect, serviceInspect } from '../../../client/services.js';

export class IDResolver {
  private readonly cache = new Map<string, string>();
  constructor(
    private readonly client: EngineClient,
    private readonly noResolve: boolean,
  ) {}

  async node(id: string): Promise<string> {
    return this.resolve(`node:${id}`, id, async () => {
      const n = await nodeInspect(this.client, id);
      const name = (n.Spec as { Name?: string } | undefined)?.Name ?? '';
      const hostname = (n.Description as { Hostname?: string } | undefined)?.Hostname ?? '';
      return name !== '' ? name : hostname !== '' ? hostname : id;
    });
  }

  async service(id: string): Promise<string> {
    return this.resolve(`service:${id}`, id, async () => (await serviceInspect(this.client, id, { insertDefaults: false })).Spec.Name ?? '');
  }

  private async resolve(key: string, id: string, lookup: () => Promise<string>): Promise<string> {
    if (this.noResolve) return id;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let name = id;
    if (id !== '') {
      try {
        name = await lookup();
      } catch {
        name = id;
      }
    }
    this.cache.set(key, name);
    return name;
  }
}
