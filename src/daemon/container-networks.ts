/**
 * Plain containers on swarm networks (`docker run --network NET` with NET an attachable overlay network): the
 * daemon asks the manager for an address for the container (`Network.Attachments`, see
 * src/manager/controlapi/networks.ts), waits for the allocator's answer, and creates the container with a sandbox on
 * that network; removing the container gives the address back. Local network modes (`default`, `bridge`, `none`,
 * `host`) keep docker's single-host behaviour here: a private network namespace with loopback only.
 */
import { invalidArgument, isShoalError, notFound, unavailable } from '../api/errors.js';
import type { Network } from '../api/types.js';
import type { ContainerService } from '../agent/containers/service.js';
import type { SandboxEndpoint } from '../agent/exec/network.js';
import { networkConfigOf } from '../agent/worker/task-network.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { attachContainer, detachContainer } from '../manager/controlapi/networks.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import type { ContainerBackend } from '../server/routes/backend.js';

const LOCAL_MODES = new Set(['', 'default', 'bridge', 'none', 'host']);

export interface Wanted {
  ref: string;
  aliases: string[];
}

/** The swarm networks a create body asks for: `NetworkingConfig.EndpointsConfig` keys, else `HostConfig.NetworkMode`. */
export function wantedNetworks(body: unknown): Wanted[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as { HostConfig?: { NetworkMode?: unknown }; NetworkingConfig?: { EndpointsConfig?: unknown } };
  const endpoints = b.NetworkingConfig?.EndpointsConfig;
  const out: Wanted[] = [];
  if (typeof endpoints === 'object' && endpoints !== null) {
    for (const [ref, cfg] of Object.entries(endpoints as Record<string, unknown>)) {
      if (LOCAL_MODES.has(ref)) continue;
      const aliases = (cfg as { Aliases?: unknown } | null)?.Aliases;
      out.push({ ref, aliases: Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === 'string') : [] });
    }
  }
  const mode = b.HostConfig?.NetworkMode;
  if (out.length === 0 && typeof mode === 'string' && !LOCAL_MODES.has(mode) && !mode.startsWith('container:')) out.push({ ref: mode, aliases: [] });
  return out;
}

export interface ContainerNetworksOptions {
  /** The control API, when this node is a manager (throws otherwise). */
  deps: () => ControlDeps;
  nodeId: () => string | undefined;
  containers: ContainerService;
  clock: Clock;
  logger: Logger;
  /** How long to wait for the allocator's address (default 10 s). */
  timeoutMs?: number;
}

export function withSwarmNetworks(base: ContainerBackend, o: ContainerNetworksOptions): ContainerBackend {
  const log = o.logger.child({ component: 'container-networks' });
  const release = async (containerId: string, networkIds: readonly string[]): Promise<void> => {
    for (const id of networkIds) {
      await detachContainer(o.deps(), id, containerId).catch((e: unknown) => log.warn({ err: e, containerId, network: id }, 'giving back a container address failed'));
    }
  };
  // However a plain container goes (rm, `--rm`), its swarm addresses go back to the manager.
  o.containers.onRemoved((c) => {
    if (c.Config.Labels?.['com.docker.swarm.task.id'] !== undefined) return;
    const networks = Object.values((c.NetworkSettings.Networks ?? {}) as Record<string, { NetworkID?: string }>)
      .map((n) => n.NetworkID ?? '')
      .filter((id) => id !== '');
    if (networks.length === 0) return;
    try {
      o.deps();
    } catch {
      return; // no longer a manager: the swarm's networks are gone with it
    }
    void release(c.Id, networks);
  });
  return {
    ...base,
    async create(body, name) {
      const wanted = wantedNetworks(body);
      if (wanted.length === 0) return base.create(body, name);
      const nodeId = o.nodeId();
      let deps: ControlDeps;
      try {
        deps = o.deps();
      } catch (e) {
        if (isShoalError(e, 'Unavailable') && wanted[0] !== undefined) throw notFound('network.not_found', `network ${wanted[0].ref} not found`);
        throw e;
      }
      if (nodeId === undefined) throw unavailable('swarm.not_member', 'this node is not part of a swarm');
      const attached: string[] = [];
      let containerId = '';
      try {
        return await o.containers.create(body, name, {
          networkFor: async (id, containerName) => {
            containerId = id;
            const endpoints: SandboxEndpoint[] = [];
            for (const w of wanted) {
              const n = await attachContainer(deps, w.ref, { containerId: id, nodeId, name: containerName, aliases: w.aliases });
              attached.push(n.Id);
              const addr = await waitForAddress(deps, n.Id, id, o.clock, o.timeoutMs ?? 10_000);
              endpoints.push({ network: networkConfigOf(addr.network), address: addr.addr, aliases: w.aliases });
            }
            return { endpoints, hostPorts: [] };
          },
        });
      } catch (e) {
        if (containerId !== '') await release(containerId, attached);
        throw e;
      }
    },
  };
}

async function waitForAddress(deps: ControlDeps, networkId: string, containerId: string, clock: Clock, timeoutMs: number): Promise<{ network: Network; addr: string }> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const n = await deps.store.view().get('networks', networkId);
    if (n === undefined) throw notFound('network.not_found', `network ${networkId} not found`);
    const addr = n.Attachments?.[containerId]?.Addr;
    if (addr !== undefined) return { network: n, addr };
    if (clock.now() > deadline) throw invalidArgument('network.no_address', `could not allocate an address on network ${n.Name} for the container in time`);
    await clock.sleep(20);
  }
}
