/**
 * The Engine-API network backend: the control API's networks on the manager's store.
 *
 * Shoal has no local networks (no bridge/host/none), so on a node that is not a swarm manager the list is empty,
 * a lookup or removal finds nothing (`network X not found`, as dockerd says for a name it does not know), prune
 * removes nothing, and create answers dockerd's "not a swarm manager" (what dockerd says for an overlay network
 * outside a swarm).
 */
import { isShoalError } from '../api/errors.js';
import { refNotFound } from '../api/resolve.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { createNetwork, getNetwork, listNetworks, pruneNetworks, removeNetwork } from '../manager/controlapi/networks.js';
import type { NetworkBackend } from '../server/routes/backend.js';

const notManager = (e: unknown): boolean => isShoalError(e, 'Unavailable') && e.code === 'swarm.not_manager';

export function networkBackend(deps: () => ControlDeps): NetworkBackend {
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
