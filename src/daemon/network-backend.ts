/**
 * The Engine-API network backend: the control API's networks on the manager's store.
 *
 * On a node that is not a swarm manager the swarm part lists nothing, a lookup or removal finds nothing (`network X
 * not found`, as dockerd says for a name it does not know), prune removes nothing, and an overlay create answers
 * dockerd's "not a swarm manager" (what dockerd says for an overlay network outside a swarm). There are no
 * predefined bridge/host/none networks.
 *
 * With `local` (src/daemon/local-networks.ts), the node's bridge networks are merged in: create with the `bridge`
 * driver (or none, docker's default) makes one on any node; list, inspect, remove and prune see both, resolving a
 * reference as docker does (full ID, exact name, then a unique ID prefix) over the two sets.
 */
import { isShoalError } from '../api/errors.js';
import { refNotFound } from '../api/resolve.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { createNetwork, getNetwork, listNetworks, pruneNetworks, removeNetwork } from '../manager/controlapi/networks.js';
import type { NetworkBackend } from '../server/routes/backend.js';
import { invalidArgument, alreadyExists } from '../api/errors.js';
import { isLocalCreate } from '../api/local-network.js';
import { overlaps, parseCidr } from '../lib/cidr.js';
import type { LocalNetworks } from './local-networks.js';

const notManager = (e: unknown): boolean => isShoalError(e, 'Unavailable') && e.code === 'swarm.not_manager';

export function networkBackend(deps: () => ControlDeps, local?: LocalNetworks): NetworkBackend {
  const swarm = swarmNetworkBackend(deps);
  if (local === undefined) return swarm;
  /** A swarm-side lookup that answers undefined for "not found". */
  const swarmFind = async (ref: string, scope: string): Promise<Awaited<ReturnType<NetworkBackend['inspect']>> | undefined> => {
    try {
      return await swarm.inspect(ref, { verbose: false, scope });
    } catch (e) {
      if (isShoalError(e, 'NotFound')) return undefined;
      throw e;
    }
  };
  /** The local network `ref` designates, or undefined when it designates a swarm one (or none). */
  const localRef = async (ref: string, scope: string): Promise<string | undefined> => {
    if (scope !== '' && scope !== 'local') return undefined;
    const exact = local.findExact(ref);
    if (exact !== undefined) return exact.Id;
    if (scope === '' && (await swarmFind(ref, '')) !== undefined) return undefined;
    const prefixed = local.byPrefix(ref);
    if (prefixed.length > 1) throw invalidArgument('network.ambiguous', `network ${ref} is ambiguous (${prefixed.length} matches found)`);
    return prefixed[0]?.Id;
  };
  return {
    create: async (body) => {
      if (isLocalCreate(body)) return { Id: (await local.create(body)).Id, Warning: '' };
      const b = body as { Name?: unknown; IPAM?: { Config?: { Subnet?: unknown }[] } };
      if (typeof b.Name === 'string' && local.findExact(b.Name)?.Name === b.Name) throw alreadyExists('network.name_conflict', `network with name ${b.Name} already exists`);
      const subnet = typeof b.IPAM?.Config?.[0]?.Subnet === 'string' ? parseCidr(b.IPAM.Config[0].Subnet) : undefined;
      const taken = local.list().flatMap((n) => n.IPAM.Config.map((c) => (c.Subnet === undefined ? undefined : parseCidr(c.Subnet))));
      if (subnet !== undefined && taken.some((t) => t !== undefined && overlaps(t, subnet))) {
        throw invalidArgument('network.overlap', 'invalid pool request: Pool overlaps with other one on this address space');
      }
      return swarm.create(body);
    },
    list: async (filters) => [...local.list(filters), ...(await swarm.list(filters))],
    inspect: async (ref, opts) => {
      const id = await localRef(ref, opts.scope);
      if (id !== undefined) return local.findExact(id) ?? swarm.inspect(ref, opts);
      return swarm.inspect(ref, opts);
    },
    remove: async (ref) => {
      const id = await localRef(ref, '');
      if (id !== undefined) return local.remove(id);
      return swarm.remove(ref);
    },
    prune: async (filters) => [...(await local.prune(filters)), ...(await swarm.prune(filters))],
  };
}

function swarmNetworkBackend(deps: () => ControlDeps): NetworkBackend {
  /** The control API's deps, or undefined when this node holds no store (not a manager). */
  const maybe = (): ControlDeps | undefined => {
    try {
      return deps();
    } catch (e) {
      if (notManager(e)) return undefined;
      throw e;
    }
  };
  return {
    create: async (body) => ({ Id: (await createNetwork(deps(), body)).Id, Warning: '' }),
    list: async (filters) => {
      const d = maybe();
      return d === undefined ? [] : listNetworks(d, filters);
    },
    inspect: async (ref, opts) => {
      const d = maybe();
      if (d === undefined) throw refNotFound('network', ref);
      return getNetwork(d, ref, opts);
    },
    remove: async (ref) => {
      const d = maybe();
      if (d === undefined) throw refNotFound('network', ref);
      await removeNetwork(d, ref);
    },
    prune: async (filters) => {
      const d = maybe();
      return d === undefined ? [] : pruneNetworks(d, filters);
    },
  };
}
