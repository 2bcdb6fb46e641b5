/**
 * Plain containers on swarm networks (`docker run --network NET` with NET an attachable overlay network): the
 * daemon asks the manager for an address for the container (`Network.Attachments`, see
 * src/manager/controlapi/networks.ts), waits for the allocator's answer, and creates the container with a sandbox on
 * that network; removing the container gives the address back. Local network modes (`default`, `bridge`, `none`,
 * `host`) keep docker's single-host behaviour here: a private network namespace with loopback only.
 *
 * Local bridge networks (src/daemon/local-networks.ts) are found first: a name or ID of one gets its address from
 * the node's local store, with no swarm involved; `HostConfig.PortBindings` of a container with networks become
 * its sandbox's host ports (src/daemon/port-bindings.ts).
 *
 * `docker network connect/disconnect` (`networkConnect`/`networkDisconnect`, the network resolved by the route):
 * the address comes from the same place (the local store, or the manager for an attachable swarm network), then
 * the ContainerService puts the endpoint on the container (live when it has a sandbox); a failure gives the
 * address back. Connects and disconnects of one container run one at a time. Swarm tasks are refused: their
 * networks are their service's (`docker service update --network-add`).
 */
import { failedPrecondition, invalidArgument, isShoalError, notFound, unavailable } from '../api/errors.js';
import type { ContainerInspect } from '../api/container.js';
import { networkNotFound } from '../api/local-network.js';
import type { Network } from '../api/types.js';
import type { ContainerService } from '../agent/containers/service.js';
import type { SandboxEndpoint } from '../agent/exec/network.js';
import { networkConfigOf } from '../agent/worker/task-network.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { attachContainer, detachContainer } from '../manager/controlapi/networks.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import type { ContainerBackend } from '../server/routes/backend.js';
import type { LocalNetworks } from './local-networks.js';
import { parsePortBindings, resolvePortBindings } from './port-bindings.js';

const LOCAL_MODES = new Set(['', 'default', 'bridge', 'none', 'host']);

export interface Wanted {
  ref: string;
  aliases: string[];
  /** `IPAMConfig.IPv4Address`, when given. */
  ip?: string;
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
      const ip = (cfg as { IPAMConfig?: { IPv4Address?: unknown } | null } | null)?.IPAMConfig?.IPv4Address;
      out.push({ ref, aliases: Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === 'string') : [], ...(typeof ip === 'string' && ip !== '' ? { ip } : {}) });
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
  /** The node's local bridge networks (looked up first). */
  local?: LocalNetworks;
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
  // Local networks give a removed container's addresses back, whoever removed it.
  o.containers.onRemoved((c) => {
    void o.local?.detach(c.Id).catch((e: unknown) => log.warn({ err: e, containerId: c.Id }, 'giving back local network addresses failed'));
  });
  // One connect or disconnect at a time per container: the check, the address and the endpoint go together.
  const queues = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(containerId: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(containerId) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => undefined);
    queues.set(containerId, tail);
    void tail.then(() => {
      if (queues.get(containerId) === tail) queues.delete(containerId);
    });
    return next;
  };
  const notTask = (c: ContainerInspect, verb: string): void => {
    if (c.Config.Labels?.['com.docker.swarm.task.id'] === undefined) return;
    throw invalidArgument('network.task_container', `container ${c.Name.replace(/^\//, '')} is a swarm task and cannot be ${verb} by hand: its networks are its service's (docker service update --network-add / --network-rm)`);
  };
  /** The manager's control API and this node's ID, for an address on a swarm network. */
  const swarmSide = (network: Network): { deps: ControlDeps; nodeId: string } => {
    let deps: ControlDeps;
    try {
      deps = o.deps();
    } catch (e) {
      if (isShoalError(e, 'Unavailable')) throw networkNotFound(network.Name);
      throw e;
    }
    const nodeId = o.nodeId();
    if (nodeId === undefined) throw unavailable('swarm.not_member', 'this node is not part of a swarm');
    return { deps, nodeId };
  };
  const isLocal = (networkId: string): boolean => o.local?.findExact(networkId)?.Id === networkId;
  const giveBack = async (networkId: string, containerId: string): Promise<void> => {
    if (isLocal(networkId)) await o.local?.detachFrom(networkId, containerId);
    else {
      try {
        o.deps();
      } catch {
        return; // no longer a manager: the swarm's networks are gone with it
      }
      await release(containerId, [networkId]);
    }
  };

  return {
    ...base,
    async networkConnect(network, req) {
      const c = o.containers.inspect(req.Container);
      notTask(c, 'connected');
      await oneAtATime(c.Id, async () => {
        if (o.containers.connectable(c.Id, { id: network.Id, name: network.Name }) === 'already') return;
        const name = c.Name.replace(/^\//, '');
        let endpoint: SandboxEndpoint;
        if (isLocal(network.Id) && o.local !== undefined) {
          endpoint = await o.local.attach(network.Id, { containerId: c.Id, name, aliases: req.Aliases, ...(req.IPv4Address !== undefined ? { ip: req.IPv4Address } : {}) });
        } else {
          if (req.IPv4Address !== undefined) {
            throw invalidArgument('network.address_unsupported', `EndpointConfig.IPAMConfig.IPv4Address: a chosen address is supported on local (bridge) networks only, not on swarm network ${network.Name}`);
          }
          const { deps, nodeId } = swarmSide(network);
          const n = await attachContainer(deps, network.Id, { containerId: c.Id, nodeId, name, aliases: req.Aliases });
          try {
            const addr = await waitForAddress(deps, n.Id, c.Id, o.clock, o.timeoutMs ?? 10_000);
            endpoint = { network: networkConfigOf(addr.network), address: addr.addr, aliases: [...req.Aliases] };
          } catch (e) {
            await release(c.Id, [n.Id]);
            throw e;
          }
        }
        try {
          await o.containers.connectNetwork(c.Id, endpoint);
        } catch (e) {
          await giveBack(network.Id, c.Id).catch((ce: unknown) => log.warn({ err: ce, containerId: c.Id, network: network.Id }, 'giving back an address after a failed connect failed'));
          throw e;
        }
      });
    },
    async networkDisconnect(network, ref, req) {
      const c = o.containers.inspect(req.Container);
      notTask(c, 'disconnected');
      await oneAtATime(c.Id, async () => {
        const cur = o.containers.inspect(c.Id);
        const settings = Object.entries(cur.NetworkSettings.Networks as Record<string, { NetworkID?: string }>);
        // A forced disconnect from a network that is gone: the container's endpoint of that name (or ID).
        const networkId = network?.Id ?? settings.find(([k, v]) => k === ref || v.NetworkID === ref)?.[1].NetworkID;
        if (networkId === undefined) throw networkNotFound(ref);
        const gone = await o.containers.disconnectNetwork(c.Id, networkId);
        if (gone === undefined) {
          // docker: a container that is not running and not on the network is fine; a running one is told so.
          if (cur.State.Running) throw failedPrecondition('network.not_connected', `container ${cur.Id} is not connected to network ${network?.Name ?? ref}`);
          return;
        }
        await giveBack(networkId, c.Id).catch((e: unknown) => log.warn({ err: e, containerId: c.Id, network: networkId }, 'giving back a container address failed'));
      });
    },
    async create(body, name) {
      const wanted = wantedNetworks(body);
      if (wanted.length === 0) return base.create(body, name);
      const bindings = parsePortBindings(body);
      // A local network's name or ID is the node's own; anything else is asked of the swarm.
      const localId = new Map<Wanted, string>();
      for (const w of wanted) {
        const id = o.local?.findExact(w.ref)?.Id ?? (o.local?.byPrefix(w.ref).length === 1 ? o.local.byPrefix(w.ref)[0]?.Id : undefined);
        if (id !== undefined) localId.set(w, id);
      }
      const swarmWanted = wanted.filter((w) => !localId.has(w));
      let swarm: { deps: ControlDeps; nodeId: string } | undefined;
      if (swarmWanted.length > 0) {
        const nodeId = o.nodeId();
        let deps: ControlDeps;
        try {
          deps = o.deps();
        } catch (e) {
          if (isShoalError(e, 'Unavailable') && swarmWanted[0] !== undefined) throw notFound('network.not_found', `network ${swarmWanted[0].ref} not found`);
          throw e;
        }
        if (nodeId === undefined) throw unavailable('swarm.not_member', 'this node is not part of a swarm');
        swarm = { deps, nodeId };
      }
      const attached: string[] = [];
      let containerId = '';
      try {
        return await o.containers.create(body, name, {
          networkFor: async (id, containerName) => {
            containerId = id;
            const endpoints: SandboxEndpoint[] = [];
            for (const w of wanted) {
              const lid = localId.get(w);
              if (lid !== undefined && o.local !== undefined) {
                endpoints.push(await o.local.attach(lid, { containerId: id, name: containerName, aliases: w.aliases, ...(w.ip !== undefined ? { ip: w.ip } : {}) }));
                continue;
              }
              if (swarm === undefined) throw notFound('network.not_found', `network ${w.ref} not found`);
              const { deps, nodeId } = swarm;
              const n = await attachContainer(deps, w.ref, { containerId: id, nodeId, name: containerName, aliases: w.aliases });
              attached.push(n.Id);
              const addr = await waitForAddress(deps, n.Id, id, o.clock, o.timeoutMs ?? 10_000);
              endpoints.push({ network: networkConfigOf(addr.network), address: addr.addr, aliases: w.aliases });
            }
            return { endpoints, hostPorts: await resolvePortBindings(bindings) };
          },
        });
      } catch (e) {
        if (containerId !== '') {
          await release(containerId, attached);
          await o.local?.detach(containerId).catch((ce: unknown) => log.warn({ err: ce, containerId }, 'giving back local network addresses failed'));
        }
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
